"""Signed notes: C2SP signed-note, compatible with Go's sumdb/note; keys in
``liaison.ledger.note_keys``.

Specifications followed:

- C2SP signed-note, https://c2sp.org/signed-note (github.com/C2SP/C2SP, ``signed-note.md``).
- Go's reference implementation, golang.org/x/mod/sumdb/note (``note.go``), for the
  limits it applies. ``tests/test_note.py`` checks this module against that package's
  published test vectors, byte for byte.

Format (signed-note, "Format" and "Signatures"):

- A signed note is a text ending in a newline (U+000A), a blank line, then one or more
  signature lines ``— <key name> <base64(key ID || signature)>`` (em dash U+2014, space,
  name, space, standard base64 with padding, newline). The text is separated from the
  signatures by the *last* blank line; the text may contain blank lines of its own.
- The whole note is UTF-8 with no ASCII control characters other than newline.
- Ed25519 signs the note text, final newline included, blank line excluded.
- Signatures from unknown keys (name and key ID not both matching a known key) are
  ignored; a note with no verified signature from a known key is rejected.

Deliberate differences from Go's package, all of them stricter:

- Base64 must be canonical (``note_keys.b64decode_canonical``).
- Every distinct signature line by a known key is verified, and one that fails rejects
  the note (the spec's SHOULD). Go skips repeated lines by a key it already verified.
- ``sign_note`` refuses a text that ``open_note`` would refuse (control characters,
  text that is not UTF-8), not only a text without a final newline.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from liaison.errors import MalformedNote, SignatureError
from liaison.ledger.note_keys import (
    Signer,
    Verifier,
    b64decode_canonical,
    b64encode,
    is_valid_key_name,
)

__all__ = [
    "MAX_SIGNATURES",
    "SIGNATURE_PREFIX",
    "SignatureLine",
    "open_note",
    "sign_note",
    "split_note",
]

MAX_SIGNATURES = 100
"""Most signature lines accepted in one note, as in Go's ``note.Open`` (the spec: >= 16)."""

SIGNATURE_PREFIX = "\u2014 "  # em dash, space


def _check_characters(text: str, what: str) -> bytes:
    """UTF-8 bytes of ``text``; refuse control characters other than newline."""
    for ch in text:
        if ch < " " and ch != "\n":
            raise MalformedNote(f"{what} contains control character U+{ord(ch):04X}")
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise MalformedNote(f"{what} is not valid UTF-8 (lone surrogate)") from None


def sign_note(text: str, *signers: Signer) -> str:
    """The signed note of ``text`` with one signature line per signer, in order."""
    if not signers:
        raise ValueError("sign_note needs at least one signer")
    if not isinstance(text, str):
        raise MalformedNote(f"note text must be a string, not {type(text).__name__}")
    if not text.endswith("\n"):
        raise MalformedNote("note text must end with a newline")
    message = _check_characters(text, "note text")
    lines = []
    for signer in signers:
        if not isinstance(signer, Signer):
            raise TypeError(f"not a Signer: {type(signer).__name__}")
        payload = signer.key_id.to_bytes(4, "big") + signer.sign(message)
        lines.append(f"{SIGNATURE_PREFIX}{signer.name} {b64encode(payload)}\n")
    return text + "\n" + "".join(lines)


@dataclass(frozen=True, slots=True)
class SignatureLine:
    """One signature line: the key's name, its key ID, the bytes after the key ID."""

    name: str
    key_id: int
    signature: bytes


def split_note(note: str | bytes) -> tuple[str, list[SignatureLine]]:
    """Split a signed note into its text (final newline included) and its signature
    lines, checking the syntax (``MalformedNote``); no signature is verified."""
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedNote(f"note is not valid UTF-8 (byte {exc.start})") from None
    elif not isinstance(note, str):
        raise MalformedNote(f"note must be str or bytes, not {type(note).__name__}")
    _check_characters(note, "note")

    split = note.rfind("\n\n")
    if split < 0:
        raise MalformedNote("note has no blank line before its signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block:
        raise MalformedNote("note has no signature lines after the blank line")
    if not block.endswith("\n"):
        raise MalformedNote("note's last signature line does not end with a newline")

    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNote(f"note has {len(lines)} signature lines, more than {MAX_SIGNATURES}")
    parsed = []
    for number, line in enumerate(lines, start=1):
        where = f"signature line {number}"
        if not line.startswith(SIGNATURE_PREFIX):
            raise MalformedNote(f"{where} does not start with an em dash and a space")
        name, space, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
        if not space or not encoded:
            raise MalformedNote(f"{where} has no signature after the key name")
        if not is_valid_key_name(name):
            raise MalformedNote(f"{where} has an invalid key name {name!r}")
        raw = b64decode_canonical(encoded)
        if raw is None:
            raise MalformedNote(f"{where} signature is not valid base64")
        if len(raw) < 5:
            raise MalformedNote(f"{where} signature is {len(raw)} bytes, too short")
        parsed.append(SignatureLine(name, int.from_bytes(raw[:4], "big"), raw[4:]))
    return text, parsed


def open_note(note: str | bytes, verifiers: Iterable[Verifier]) -> tuple[str, list[str]]:
    """Verify a signed note; return its text and the names of the keys that signed it.

    Signatures whose name and key ID do not both match one of ``verifiers`` are ignored.
    Raises ``MalformedNote`` on bad syntax, ``SignatureError`` when a known key's signature
    fails or when no known key signed the note. Names are listed once, in note order.
    """
    known: dict[tuple[str, int], list[Verifier]] = {}
    for verifier in verifiers:
        if not isinstance(verifier, Verifier):
            raise TypeError(f"not a Verifier: {type(verifier).__name__}")
        same = known.setdefault((verifier.name, verifier.key_id), [])
        if verifier not in same:
            same.append(verifier)

    text, lines = split_note(note)
    message = text.encode("utf-8")
    names: list[str] = []
    checked: set[SignatureLine] = set()
    for line in lines:
        candidates = known.get((line.name, line.key_id))
        if candidates is None or line in checked:
            continue  # unknown key (spec: MUST ignore), or a repeated line
        label = f"{line.name}+{line.key_id:08x}"
        if len(candidates) > 1:
            raise SignatureError(f"ambiguous key {label}: several verifiers share it")
        if not candidates[0].verify(message, line.signature):
            raise SignatureError(f"invalid signature for key {label}")
        checked.add(line)
        if line.name not in names:
            names.append(line.name)
    if not names:
        present = ", ".join(f"{s.name}+{s.key_id:08x}" for s in lines)
        wanted = ", ".join(f"{n}+{k:08x}" for n, k in known) or "none given"
        raise SignatureError(
            f"note has no signature by a known key (signed by: {present}; known: {wanted})"
        )
    return text, names
