"""The signing keys of a log whose key was rotated, and the ``key_rotation`` entry.

A rotation (``liaison ledger rotate-key``, ``liaison.ledger.key_rotation``) is recorded
as a ledger entry of kind ``key_rotation`` whose record holds the origin, the old and new
verifier keys (C2SP signed-note vkeys), the (size, root) of the last tree the old key
signed (RFC 6962; C2SP tlog-checkpoint), and ``statement``: a C2SP signed note of
``statement_text`` signed by both keys. With the old key, a verifier who pinned it learns
the new one; with the new key, one who trusts it learns its predecessor.

``read_rotation`` checks one entry: the fields, both signatures, the statement naming
exactly the fields, and the two keys differing. ``KeyChain`` orders the rotations of a
log: the old key signs the checkpoints of every size up to the rotation entry's index
(the tree without it), the new one those after; each rotation's old key must be the
previous one's new key, and the verifier key the checker trusts must be one of them.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from liaison.errors import LiaisonError
from liaison.ledger.checkpoint import ROOT_HASH_SIZE
from liaison.ledger.entries import parse_body
from liaison.ledger.note_keys import Verifier, parse_verifier
from liaison.ledger.signed_note import open_note
from liaison.ledger.verify import Finding

KIND = "key_rotation"
HEADING = "liaison key rotation"
FIELDS = ("origin", "old_vkey", "new_vkey", "size", "root", "statement")


def statement_text(origin: str, old_vkey: str, new_vkey: str, size: int, root: bytes) -> str:
    """The text both keys sign (a C2SP signed-note text: lines, each ending in ``\\n``)."""
    lines = (
        HEADING,
        f"origin {origin}",
        f"old {old_vkey}",
        f"new {new_vkey}",
        f"size {size}",
        f"root {base64.b64encode(root).decode()}",
    )
    return "".join(f"{line}\n" for line in lines)


@dataclass(frozen=True, slots=True)
class Rotation:
    """A checked ``key_rotation`` entry."""

    index: int  # of the entry: the old key signs trees of at most this size
    old: Verifier
    new: Verifier
    size: int  # the last tree the old key signed
    root: bytes


def read_rotation(index: int, body: bytes, origin: str) -> Rotation:
    """The rotation entry ``index`` holds; ``ValueError`` naming the field that does not
    hold (a field, a signature, the statement)."""
    record = parse_body(body).get("record")
    if not isinstance(record, dict):
        raise ValueError("key_rotation: record is not an object")
    missing = [name for name in FIELDS if name not in record]
    if missing:
        raise ValueError(f"key_rotation: record.{missing[0]} is missing")
    if record["origin"] != origin:
        raise ValueError(f"key_rotation: record.origin {record['origin']!r} is not {origin!r}")
    old, new = _verifier(record, "old_vkey"), _verifier(record, "new_vkey")
    if old.vkey == new.vkey:
        raise ValueError("key_rotation: record.new_vkey is the old key")
    size, root = _size(record, index), _root(record)
    expected = statement_text(origin, old.vkey, new.vkey, size, root)
    for key, which in ((old, "old"), (new, "new")):
        try:
            text, _ = open_note(str(record["statement"]), [key])
        except LiaisonError as exc:
            raise ValueError(f"key_rotation: record.statement, the {which} key: {exc}") from None
        if text != expected:
            raise ValueError("key_rotation: record.statement does not state the record's fields")
    return Rotation(index, old, new, size, root)


def _verifier(record: dict[str, Any], name: str) -> Verifier:
    try:
        return parse_verifier(str(record[name]))
    except LiaisonError as exc:
        raise ValueError(f"key_rotation: record.{name}: {exc}") from None


def _size(record: dict[str, Any], index: int) -> int:
    size = record["size"]
    if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= index:
        raise ValueError(f"key_rotation: record.size must be an integer from 0 to {index}")
    return size


def _root(record: dict[str, Any]) -> bytes:
    try:
        root = base64.b64decode(str(record["root"]), validate=True)
    except (binascii.Error, ValueError):
        root = b""
    if len(root) != ROOT_HASH_SIZE:
        raise ValueError("key_rotation: record.root must be a SHA-256 hash in base64")
    return root


class KeyChain:
    """Which key signs the checkpoint of each size, from the rotations (entry order) and
    the verifier key trusted; ``problems`` says what does not link."""

    def __init__(self, trusted: Verifier, rotations: Sequence[Rotation]) -> None:
        self.problems: list[Finding] = []
        self.rotations: list[Rotation] = []
        for rotation in rotations:
            previous = self.rotations[-1].new if self.rotations else None
            if previous is not None and rotation.old != previous:
                self.problems.append(
                    Finding(
                        f"entry {rotation.index}",
                        "key_rotation: its old key is not the new key of the rotation at "
                        f"entry {self.rotations[-1].index}",
                    )
                )
                continue
            self.rotations.append(rotation)
        keys = [r.old for r in self.rotations[:1]] + [r.new for r in self.rotations]
        if keys and trusted not in keys:
            self.problems.append(
                Finding(
                    "key_rotation",
                    f"the verifier key {trusted} is none of the keys the rotations name "
                    f"({', '.join(str(k) for k in keys)})",
                )
            )
            self.rotations = []  # every checkpoint is then checked with the trusted key
        self.trusted = trusted

    def verifier_at(self, size: int) -> Verifier:
        """The key that signs a checkpoint of ``size``."""
        for rotation in self.rotations:
            if size <= rotation.index:
                return rotation.old
        return self.rotations[-1].new if self.rotations else self.trusted


__all__ = ["KIND", "KeyChain", "Rotation", "read_rotation", "statement_text"]
