"""Witness cosignatures of checkpoints: C2SP tlog-cosignature, Ed25519 (``cosignature/v1``).

Specification: C2SP tlog-cosignature, https://c2sp.org/tlog-cosignature
(github.com/C2SP/C2SP, ``tlog-cosignature.md``), "Format" and "Ed25519 signed message".
A cosignature is a signed-note signature line (``liaison.ledger.signed_note``) added to a
checkpoint (``liaison.ledger.checkpoint``) by a witness that checked the checkpoint is
consistent with every one it cosigned before (C2SP tlog-witness, ``liaison.witness``):

- key ID: ``SHA-256(name || 0x0A || 0x04 || 32-byte Ed25519 public key)[:4]``;
- verifier key (vkey): ``<name>+<hex key ID>+<base64(0x04 || public key)>``; the secret
  key, as liaison writes it: ``PRIVATE+KEY+<name>+<hex key ID>+<base64(0x04 || seed)>``;
- signature line payload: ``key ID (4 bytes) || timestamp (u64, big-endian) || Ed25519
  signature (64 bytes)``;
- signed message: ``cosignature/v1\\n``, ``time <timestamp>\\n``, then the checkpoint's
  whole note text (its final newline included, no signature line).

A v1 cosignature states that, at that time, this was the largest consistent tree the
witness had seen for the origin. The Ed25519 message does not commit to the witness's
name, so one key must never serve two witnesses. Timestamps above 2**63 - 1 are refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from liaison.errors import InvalidKey, SignatureError
from liaison.ledger.note_keys import b64encode, is_valid_key_name, key_id, split_key
from liaison.ledger.signed_note import SIGNATURE_PREFIX, split_note

__all__ = [
    "ALG_COSIGNATURE_V1",
    "Cosignature",
    "Cosigner",
    "WitnessKey",
    "cosigned_message",
    "generate_cosigner",
    "parse_cosigner",
    "parse_witness_key",
    "require_cosignatures",
    "verify_cosignatures",
]

ALG_COSIGNATURE_V1 = 0x04
"""Signature type of Ed25519 cosignatures (tlog-cosignature, "Format")."""

MAX_TIMESTAMP = 2**63 - 1
_PAYLOAD_SIZE = 4 + 8 + 64
_PRIVATE_PREFIX = "PRIVATE+KEY+"


def cosigned_message(text: str, timestamp: int) -> bytes:
    """What a witness signs: the header line, the time line, the checkpoint's note text."""
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise SignatureError(f"cosignature timestamp {timestamp} is outside 0..2**63-1")
    return f"cosignature/v1\ntime {timestamp}\n{text}".encode()


def _raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True, slots=True)
class WitnessKey:
    """A witness's public key (cosignature type 0x04) with its name."""

    name: str
    key_id: int
    public_key: bytes

    @property
    def vkey(self) -> str:
        payload = b64encode(bytes([ALG_COSIGNATURE_V1]) + self.public_key)
        return f"{self.name}+{self.key_id:08x}+{payload}"

    def verify(self, text: str, timestamp: int, signature: bytes) -> bool:
        """Whether ``signature`` is this witness's cosignature of the note ``text``."""
        try:
            message = cosigned_message(text, timestamp)
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except (InvalidSignature, SignatureError, ValueError):
            return False
        return True

    def __str__(self) -> str:
        return f"{self.name}+{self.key_id:08x}"


class Cosigner:
    """A witness's private key with its name. Its repr never shows the key."""

    __slots__ = ("_private", "key_id", "name")

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        if not is_valid_key_name(name):
            raise InvalidKey(f"invalid witness name {name!r}: no spaces, no '+', not empty")
        self.name = name
        self._private = private_key
        self.key_id = key_id(name, _raw(private_key.public_key()), ALG_COSIGNATURE_V1)

    @property
    def witness_key(self) -> WitnessKey:
        return WitnessKey(self.name, self.key_id, _raw(self._private.public_key()))

    def cosign(self, text: str, timestamp: int) -> str:
        """The cosignature line (ending in a newline) of the checkpoint note ``text``."""
        signature = self._private.sign(cosigned_message(text, timestamp))
        payload = self.key_id.to_bytes(4, "big") + timestamp.to_bytes(8, "big") + signature
        return f"{SIGNATURE_PREFIX}{self.name} {b64encode(payload)}\n"

    def __repr__(self) -> str:
        return f"Cosigner({self.name}+{self.key_id:08x})"


def generate_cosigner(name: str) -> tuple[str, str]:
    """A new witness key pair for ``name``: ``(secret key, verifier key)``."""
    private = Ed25519PrivateKey.generate()
    cosigner = Cosigner(name, private)
    seed = b64encode(bytes([ALG_COSIGNATURE_V1]) + private.private_bytes_raw())
    return f"{_PRIVATE_PREFIX}{name}+{cosigner.key_id:08x}+{seed}", cosigner.witness_key.vkey


def parse_witness_key(vkey: str) -> WitnessKey:
    """Parse a witness verifier key ``<name>+<hex key ID>+<base64(0x04 || public key)>``."""
    if not isinstance(vkey, str):
        raise InvalidKey(f"witness key must be a string, not {type(vkey).__name__}")
    if vkey.startswith(_PRIVATE_PREFIX):
        raise InvalidKey("this is a secret witness key, not its verifier key")
    form = "<name>+<hex key ID>+<base64(0x04 || key)>"
    name, kid, public = split_key(vkey, "witness", form, ALG_COSIGNATURE_V1)
    expected = key_id(name, public, ALG_COSIGNATURE_V1)
    if kid != expected:
        raise InvalidKey(
            f"witness key ID {kid:08x} does not match the key (expected {expected:08x})"
        )
    return WitnessKey(name, kid, public)


def parse_cosigner(skey: str) -> Cosigner:
    """Parse a witness secret key ``PRIVATE+KEY+<name>+<hex key ID>+<base64(0x04 || seed)>``."""
    if not isinstance(skey, str) or not skey.startswith(_PRIVATE_PREFIX):
        raise InvalidKey("witness secret key must start with 'PRIVATE+KEY+'")
    form = "PRIVATE+KEY+<name>+<hex key ID>+<base64(0x04 || seed)>"
    name, kid, seed = split_key(skey[len(_PRIVATE_PREFIX) :], "witness secret", form, 0x04)
    cosigner = Cosigner(name, Ed25519PrivateKey.from_private_bytes(seed))
    if cosigner.key_id != kid:
        raise InvalidKey(
            f"witness secret key ID {kid:08x} does not match the key "
            f"(expected {cosigner.key_id:08x})"
        )
    return cosigner


@dataclass(frozen=True, slots=True)
class Cosignature:
    """A verified cosignature: which witness, when (POSIX seconds), and its line."""

    witness: str
    key_id: int
    timestamp: int
    line: str


def verify_cosignatures(note: str | bytes, witnesses: Iterable[WitnessKey]) -> list[Cosignature]:
    """The cosignatures on ``note`` by ``witnesses``, verified; one per witness, in order.

    A witness is its public key: the Ed25519 cosigned message does not name the witness, so
    a line copied under a second name of the same key would verify too, and one key given
    under two names counts once. Lines by other keys are ignored (signed-note). A line by
    a known witness that does not verify raises ``SignatureError``; the log's own
    signature is not checked here (``checkpoint.open_checkpoint`` does that)."""
    known = {(w.name, w.key_id): w for w in witnesses}
    text, lines = split_note(note)
    found: dict[bytes, Cosignature] = {}
    for line in lines:
        witness = known.get((line.name, line.key_id))
        if witness is None:
            continue
        label = str(witness)
        if len(line.signature) != _PAYLOAD_SIZE - 4:
            raise SignatureError(f"cosignature by {label} is not a timestamp and a signature")
        timestamp = int.from_bytes(line.signature[:8], "big")
        if not witness.verify(text, timestamp, line.signature[8:]):
            raise SignatureError(f"invalid cosignature by {label}")
        if witness.public_key not in found:
            payload = line.key_id.to_bytes(4, "big") + line.signature
            text_line = f"{SIGNATURE_PREFIX}{line.name} {b64encode(payload)}\n"
            found[witness.public_key] = Cosignature(witness.name, line.key_id, timestamp, text_line)
    return list(found.values())


def require_cosignatures(
    note: str | bytes, witnesses: Iterable[WitnessKey], minimum: int
) -> list[Cosignature]:
    """The verified cosignatures of ``note``; ``SignatureError`` when fewer than
    ``minimum`` distinct witnesses of ``witnesses`` cosigned it."""
    given = list({w.public_key: w for w in witnesses}.values())  # one key: one witness
    if minimum > len(given):
        raise SignatureError(
            f"{minimum} cosignatures required but only {len(given)} witness key(s) given"
        )
    found = verify_cosignatures(note, given)
    if len(found) < minimum:
        names = ", ".join(c.witness for c in found) or "none"
        raise SignatureError(
            f"cosigned by {len(found)} of the {len(given)} witnesses given ({names}); "
            f"{minimum} required"
        )
    return found
