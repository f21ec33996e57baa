"""Ed25519 keys of C2SP signed notes, compatible with Go's sumdb/note. Writing and
opening notes: ``liaison.ledger.signed_note``.

Specifications followed:

- C2SP signed-note, https://c2sp.org/signed-note (github.com/C2SP/C2SP, ``signed-note.md``),
  "Format" (key names) and "Signatures" (key IDs).
- Go's reference implementation, golang.org/x/mod/sumdb/note (``note.go``), for the
  verifier and signer key encodings, which the C2SP text does not define. ``tests/test_note.py``
  checks this module against that package's published test vectors, byte for byte.

- Key names are non-empty and contain neither Unicode spaces nor ``+``.
- The Ed25519 (signature type 0x01) key ID is the big-endian uint32 of
  ``SHA-256(name || 0x0A || 0x01 || 32-byte public key)[:4]``.

Key encodings (sumdb/note ``NewVerifier``, ``NewSigner``, ``GenerateKey``):

- verifier key: ``<name>+<8 hex digits key ID>+<base64(0x01 || 32-byte public key)>``
- signer key: ``PRIVATE+KEY+<name>+<8 hex digits key ID>+<base64(0x01 || 32-byte seed)>``

Stricter than Go's package: base64 must be canonical (what every encoder writes): no stray
bits in the last character, padding present. Go's decoder tolerates non-zero trailing bits.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from liaison.errors import InvalidKey

__all__ = [
    "ALG_ED25519",
    "Signer",
    "Verifier",
    "b64decode_canonical",
    "b64encode",
    "generate_signer",
    "is_valid_key_name",
    "key_id",
    "parse_signer",
    "parse_verifier",
    "split_key",
    "verifier_key",
]

ALG_ED25519 = 0x01
"""Signature type identifier byte of Ed25519 (signed-note, "Signature types")."""

_PRIVATE_PREFIX = "PRIVATE+KEY+"
_HEX8 = re.compile(r"[0-9a-fA-F]{8}")
_SEED_SIZE = 32
_PUBLIC_KEY_SIZE = 32
_SIGNATURE_SIZE = 64


# --------------------------------------------------------------------------- helpers


def _is_space(ch: str) -> bool:
    # Go's unicode.IsSpace: White_Space property characters. Python's str.isspace also
    # counts U+001C..U+001F, which are control characters and so excluded anyway.
    return ch.isspace() or ch in "\u0085\u00a0"


def is_valid_key_name(name: str) -> bool:
    """Non-empty, valid UTF-8, no Unicode space and no ``+`` (signed-note, "Format")."""
    if not name or "+" in name or any(_is_space(ch) for ch in name):
        return False
    if any(ch < " " for ch in name):
        return False  # control characters are banned anywhere in a note
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        return False
    return True


def _check_name(name: object) -> str:
    if not isinstance(name, str):
        raise InvalidKey(f"key name must be a string, not {type(name).__name__}")
    if not is_valid_key_name(name):
        raise InvalidKey(
            f"invalid key name {name!r}: it must be non-empty and contain no spaces, "
            "no '+' and no control characters"
        )
    return name


def b64decode_canonical(text: str) -> bytes | None:
    """Standard base64 (RFC 4648 section 4) in its canonical form, or None."""
    if not text or not text.isascii():
        return None
    try:
        raw = binascii.a2b_base64(text.encode("ascii"), strict_mode=True)
    except (binascii.Error, ValueError):
        return None
    if base64.b64encode(raw).decode("ascii") != text:
        return None  # non-zero trailing bits or other non-canonical spelling
    return raw


def b64encode(raw: bytes) -> str:
    """Standard base64 text (RFC 4648 section 4)."""
    return base64.b64encode(raw).decode("ascii")


def key_id(name: str, public_key: bytes, alg: int = ALG_ED25519) -> int:
    """The key ID: ``SHA-256(name || 0x0A || alg || public key)[:4]``, big-endian (0x01:
    Ed25519 signatures; 0x04: Ed25519 cosignatures, ``liaison.ledger.cosignature``)."""
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([alg]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def verifier_key(name: str, public_key: bytes) -> str:
    """The verifier key text of an Ed25519 public key (Go's ``NewEd25519VerifierKey``)."""
    _check_name(name)
    if not isinstance(public_key, bytes) or len(public_key) != _PUBLIC_KEY_SIZE:
        raise InvalidKey(f"an Ed25519 public key is {_PUBLIC_KEY_SIZE} bytes")
    encoded = b64encode(bytes([ALG_ED25519]) + public_key)
    return f"{name}+{key_id(name, public_key):08x}+{encoded}"


# --------------------------------------------------------------------------- keys


@dataclass(frozen=True, slots=True)
class Verifier:
    """An Ed25519 public key with its name: checks signatures by one key."""

    name: str
    key_id: int
    public_key: bytes

    def __post_init__(self) -> None:
        _check_name(self.name)
        if not isinstance(self.public_key, bytes) or len(self.public_key) != _PUBLIC_KEY_SIZE:
            raise InvalidKey(f"an Ed25519 public key is {_PUBLIC_KEY_SIZE} bytes")
        if self.key_id != key_id(self.name, self.public_key):
            raise InvalidKey(f"key ID {self.key_id:08x} does not match key {self.name!r}")

    @property
    def vkey(self) -> str:
        """The verifier key text, ``<name>+<hex key ID>+<base64 key>``."""
        return verifier_key(self.name, self.public_key)

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is this key's Ed25519 signature of ``message``."""
        if len(signature) != _SIGNATURE_SIZE:
            return False
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            return False
        return True

    def __str__(self) -> str:
        return f"{self.name}+{self.key_id:08x}"


class Signer:
    """An Ed25519 private key with its name. Its repr never shows the key."""

    __slots__ = ("_private", "key_id", "name")

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        self.name = _check_name(name)
        self._private = private_key
        self.key_id = key_id(name, _raw_public(private_key.public_key()))

    @property
    def verifier(self) -> Verifier:
        """The matching verifier."""
        return Verifier(self.name, self.key_id, _raw_public(self._private.public_key()))

    def sign(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``message``."""
        return self._private.sign(message)

    def __repr__(self) -> str:
        return f"Signer({self.name}+{self.key_id:08x})"


def generate_signer(name: str) -> tuple[str, str]:
    """A new Ed25519 key pair for ``name``: ``(signer key, verifier key)``.

    The signer key is secret: whoever holds it can sign as ``name``.
    """
    _check_name(name)
    private = Ed25519PrivateKey.generate()
    seed = private.private_bytes_raw()
    public = _raw_public(private.public_key())
    kid = key_id(name, public)
    skey = f"{_PRIVATE_PREFIX}{name}+{kid:08x}+{b64encode(bytes([ALG_ED25519]) + seed)}"
    return skey, verifier_key(name, public)


def split_key(text: str, what: str, form: str, alg: int = ALG_ED25519) -> tuple[str, int, bytes]:
    """Split ``<name>+<hex>+<base64(alg || 32 bytes)>`` into name, key ID and the key bytes."""
    parts = text.split("+", 2)  # the base64 may itself contain '+'
    if len(parts) != 3:
        raise InvalidKey(f"{what} key must have the form {form}")
    name, hex_id, encoded = parts
    _check_name(name)
    if not _HEX8.fullmatch(hex_id):
        raise InvalidKey(f"{what} key ID {hex_id!r} is not 8 hexadecimal digits")
    raw = b64decode_canonical(encoded)
    if raw is None:
        raise InvalidKey(f"{what} key data is not valid base64")
    if raw[0] != alg:
        raise InvalidKey(
            f"{what} key has signature type {raw[0]:#04x}, expected {alg:#04x} ("
            + ("Ed25519" if alg == ALG_ED25519 else "Ed25519 cosignature")
            + ")"
        )
    if len(raw) != 1 + _SEED_SIZE:
        raise InvalidKey(
            f"{what} key's Ed25519 key data is {len(raw) - 1} bytes, expected {_SEED_SIZE}"
        )
    return name, int(hex_id, 16), raw[1:]


def parse_verifier(vkey: str) -> Verifier:
    """Parse a verifier key ``<name>+<hex key ID>+<base64(0x01 || public key)>``."""
    if not isinstance(vkey, str):
        raise InvalidKey(f"verifier key must be a string, not {type(vkey).__name__}")
    if vkey.startswith(_PRIVATE_PREFIX):
        raise InvalidKey("this is a signer (private) key, not a verifier key")
    name, kid, public = split_key(vkey, "verifier", "<name>+<hex key ID>+<base64 key>")
    if kid != key_id(name, public):
        raise InvalidKey(
            f"verifier key ID {kid:08x} does not match the key "
            f"(expected {key_id(name, public):08x})"
        )
    try:
        Ed25519PublicKey.from_public_bytes(public)
    except ValueError as exc:  # defensive: OpenSSL loads any 32 bytes today
        raise InvalidKey(f"verifier key is not an Ed25519 public key: {exc}") from None
    return Verifier(name, kid, public)


def parse_signer(skey: str) -> Signer:
    """Parse a signer key ``PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || seed)>``."""
    if not isinstance(skey, str):
        raise InvalidKey(f"signer key must be a string, not {type(skey).__name__}")
    if not skey.startswith(_PRIVATE_PREFIX):
        raise InvalidKey("signer key must start with 'PRIVATE+KEY+'")
    name, kid, seed = split_key(
        skey[len(_PRIVATE_PREFIX) :],
        "signer",
        "PRIVATE+KEY+<name>+<hex key ID>+<base64 seed>",
    )
    signer = Signer(name, Ed25519PrivateKey.from_private_bytes(seed))
    if signer.key_id != kid:
        raise InvalidKey(
            f"signer key ID {kid:08x} does not match the key (expected {signer.key_id:08x})"
        )
    return signer
