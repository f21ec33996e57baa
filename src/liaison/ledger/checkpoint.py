"""Transparency log checkpoints: C2SP tlog-checkpoint, signed as C2SP signed notes.

Specification: C2SP tlog-checkpoint, https://c2sp.org/tlog-checkpoint
(github.com/C2SP/C2SP, ``tlog-checkpoint.md``), "Note text". A checkpoint is a signed
note (``liaison.ledger.signed_note``, c2sp.org/signed-note) whose text is at least three
non-empty lines, each ending in a newline:

1. the **origin**, a non-empty identifier of the log (it SHOULD be a schema-less URL
   without spaces or ``+``; that is a recommendation and is not enforced here);
2. the **tree size**, ASCII decimal, no leading zeros (``0`` for the empty tree);
3. the **root hash**, standard base64 (RFC 4648 section 4) of the RFC 6962 Merkle tree
   root at that size: 32 bytes (SHA-256);
4. optional **extension lines**, opaque and non-empty.

The same body is Go's ``golang.org/x/mod/sumdb/tlog`` tree format (``FormatTree``,
``ParseTree``) with origin ``go.sum database tree``; ``tests/test_checkpoint.py`` checks
it against that package's golden value and a checkpoint signed by sum.golang.org.

Choices of this module: the tree size is at most 2**64 - 1 (uint64, as in every
implementation), and base64 must be canonical. Unlike Go's ``ParseTree``, which ignores
what follows the root line, extra lines are kept as extensions and a body without a final
newline is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from liaison.errors import InvalidCheckpoint
from liaison.ledger.note_keys import (
    Signer,
    Verifier,
    b64decode_canonical,
    b64encode,
)
from liaison.ledger.signed_note import open_note, sign_note

__all__ = [
    "MAX_TREE_SIZE",
    "ROOT_HASH_SIZE",
    "Checkpoint",
    "claimed_size",
    "open_checkpoint",
    "parse_checkpoint_body",
    "sign_checkpoint",
]

ROOT_HASH_SIZE = 32
MAX_TREE_SIZE = 2**64 - 1
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_MAX_DIGITS = len(str(MAX_TREE_SIZE))  # 20


def _check_line(value: object, what: str) -> str:
    """A single non-empty line of note text: no newline, no control character, UTF-8."""
    if not isinstance(value, str):
        raise InvalidCheckpoint(f"{what} must be a string, not {type(value).__name__}")
    if not value:
        raise InvalidCheckpoint(f"{what} is empty")
    for ch in value:
        if ch < " ":
            name = "a newline" if ch == "\n" else f"control character U+{ord(ch):04X}"
            raise InvalidCheckpoint(f"{what} contains {name}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidCheckpoint(f"{what} is not valid UTF-8 (lone surrogate)") from None
    return value


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A log's commitment to its Merkle tree at one size. Always well formed."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_line(self.origin, "checkpoint origin")
        if isinstance(self.size, bool) or not isinstance(self.size, int):
            raise InvalidCheckpoint(f"tree size must be an int, not {type(self.size).__name__}")
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise InvalidCheckpoint(f"tree size {self.size} is outside 0..2**64-1")
        if not isinstance(self.root, bytes):
            raise InvalidCheckpoint(f"root hash must be bytes, not {type(self.root).__name__}")
        if len(self.root) != ROOT_HASH_SIZE:
            raise InvalidCheckpoint(
                f"root hash is {len(self.root)} bytes, expected {ROOT_HASH_SIZE}"
            )
        if not isinstance(self.extensions, tuple):
            raise InvalidCheckpoint("extensions must be a tuple of strings")
        for number, line in enumerate(self.extensions, start=1):
            _check_line(line, f"extension line {number}")

    def body(self) -> str:
        """The note text: origin, size, base64 root and extension lines, each with ``\\n``."""
        lines = (self.origin, str(self.size), b64encode(self.root), *self.extensions)
        return "".join(f"{line}\n" for line in lines)


def parse_checkpoint_body(text: str) -> Checkpoint:
    """Parse a checkpoint note text strictly (tlog-checkpoint, "Note text")."""
    if not isinstance(text, str):
        raise InvalidCheckpoint(f"checkpoint body must be a string, not {type(text).__name__}")
    if not text.endswith("\n"):
        raise InvalidCheckpoint("checkpoint body must end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise InvalidCheckpoint(
            f"checkpoint body has {len(lines)} line(s); origin, tree size and root hash "
            "are required"
        )
    origin, size_text, root_text, *extensions = lines
    _check_line(origin, "checkpoint origin")
    if not _DECIMAL.fullmatch(size_text):
        if size_text.startswith("-"):
            raise InvalidCheckpoint(f"tree size {size_text!r} is negative")
        if re.fullmatch(r"0[0-9]+", size_text):
            raise InvalidCheckpoint(f"tree size {size_text!r} has leading zeros")
        raise InvalidCheckpoint(f"tree size {size_text!r} is not a decimal number")
    if len(size_text) > _MAX_DIGITS:  # before int(): Python refuses over 4300 digits
        raise InvalidCheckpoint(f"tree size of {len(size_text)} digits is larger than 2**64-1")
    size = int(size_text)
    if size > MAX_TREE_SIZE:
        raise InvalidCheckpoint(f"tree size {size_text} is larger than 2**64-1")
    root = b64decode_canonical(root_text)
    if root is None:
        raise InvalidCheckpoint(f"root hash {root_text!r} is not valid base64")
    if len(root) != ROOT_HASH_SIZE:
        raise InvalidCheckpoint(f"root hash is {len(root)} bytes, expected {ROOT_HASH_SIZE}")
    return Checkpoint(origin, size, root, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, signer: Signer) -> str:
    """The signed note of the checkpoint's body, signed by ``signer``."""
    if not isinstance(checkpoint, Checkpoint):
        raise TypeError(f"not a Checkpoint: {type(checkpoint).__name__}")
    return sign_note(checkpoint.body(), signer)


def open_checkpoint(note: str | bytes, verifier: Verifier, origin: str | None = None) -> Checkpoint:
    """Verify a signed checkpoint by ``verifier``, check its origin if given, parse it.

    Raises ``MalformedNote`` or ``SignatureError`` (``signed_note.open_note``) when the
    note is not signed by ``verifier``, ``InvalidCheckpoint`` when its body is not a
    checkpoint or its origin is not ``origin``.
    """
    text, _ = open_note(note, [verifier])
    checkpoint = parse_checkpoint_body(text)
    if origin is not None and checkpoint.origin != origin:
        raise InvalidCheckpoint(
            f"checkpoint is from origin {checkpoint.origin!r}, expected {origin!r}"
        )
    return checkpoint


def claimed_size(note: object) -> int:
    """The tree size a checkpoint note claims (its body's line 2), read before the note is
    verified (to order notes by size); -1 when it has none, or a number of more digits
    than a tree size has (which no checkpoint verifies with)."""
    lines = str(note).split("\n", 2)
    size = lines[1] if len(lines) > 2 else ""
    digits = size.isascii() and size.isdigit() and len(size) <= _MAX_DIGITS
    return int(size) if digits else -1
