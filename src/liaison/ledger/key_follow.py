"""Following a log's key rotations from the key a verifier pinned, for the verifiers that
read entries as a stream: ``liaison verify-bundle`` (``liaison.ledger.bundle``) and
``liaison mirror`` (``liaison.ledger.mirror``). docs/ledger.md, "Rotating the signing key".

A ``key_rotation`` entry (``liaison.ledger.key_chain``) moves trust from its old key to its
new one for the checkpoints (C2SP tlog-checkpoint) of a size larger than its index when:
its statement, a C2SP signed note, is signed by both keys (``read_rotation``); its origin
is the log's; its old key is the key trusted at that point of the log (``KeyChain``, from
the pinned key, which must be one of the keys the rotations name); and its (size, root)
is the tree the verifier rebuilt at that size (RFC 6962 2.1: ``root_finding``). Whatever
does not hold is a finding naming the entry. ``signed_by`` says which key signed which
checkpoint.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from liaison.ledger.entries import parse_body
from liaison.ledger.findings import Finding
from liaison.ledger.key_chain import KIND, KeyChain, Rotation, read_rotation
from liaison.ledger.note_keys import Verifier, b64encode, parse_verifier


def is_rotation(text: str) -> bool:
    """Whether the entry ``text`` (canonical JSON) is of kind ``key_rotation``, whether
    or not it holds; False for a text that is not an entry (its leaf and checkpoints say
    so)."""
    if KIND not in text:  # cheap: most entries are not rotations
        return False
    try:
        return parse_body(text.encode("utf-8", "surrogatepass")).get("kind") == KIND
    except ValueError:
        return False


def rotation_in(index: int, text: str, origin: str) -> Rotation | None:
    """The rotation entry ``index`` (its canonical JSON ``text``) holds; None when it is
    an entry of another kind; ``ValueError`` naming the field when it is a rotation that
    does not hold (``key_chain.read_rotation``)."""
    if not is_rotation(text):
        return None
    return read_rotation(index, text.encode("utf-8", "surrogatepass"), origin)


def follow(pinned: Verifier, rotations: Sequence[Rotation], bad: Sequence[Finding]) -> KeyChain:
    """The chain of keys from ``pinned`` through ``rotations`` (entry order); its
    ``problems`` hold ``bad`` (the rotation entries that do not hold) and every link that
    does not hold, each naming its entry."""
    chain = KeyChain(pinned, rotations)
    named = [
        Finding(
            f"entry {rotations[0].index}",
            f"key_rotation: not signed by a key trusted here ({rotations[0].old} signed it): "
            f"{problem.message}",
        )
        if problem.where == KIND and rotations
        else problem
        for problem in chain.problems
    ]
    chain.problems = [*bad, *named]
    return chain


def root_finding(rotation: Rotation, root: bytes) -> Finding | None:
    """A finding naming the entry when ``root`` (the verifier's tree of ``rotation.size``
    entries) is not the rotation's root: the old key signed another history."""
    if root == rotation.root:
        return None
    return Finding(
        f"entry {rotation.index}",
        f"key_rotation: record.root is not the root of this log's tree of size "
        f"{rotation.size} (the old key signed another tree)",
    )


def signed_by(chain: KeyChain, sizes: Iterable[int]) -> list[dict[str, Any]]:
    """Which key signed which checkpoint: one item per key in chain order, with the
    rotation entry that handed over to it (None for the first) and the sizes it signed."""
    keys = [r.old for r in chain.rotations[:1]] + [r.new for r in chain.rotations]
    keys = keys or [chain.trusted]
    since: list[int | None] = [None] + [r.index for r in chain.rotations]
    signed: dict[str, list[int]] = {k.vkey: [] for k in keys}
    for size in sorted(set(sizes)):
        signed[chain.verifier_at(size).vkey].append(size)
    return [
        {"vkey": key.vkey, "rotation_entry": at, "checkpoints": signed[key.vkey]}
        for key, at in zip(keys, since, strict=True)
    ]


def describe_signers(signers: Sequence[dict[str, Any]]) -> str:
    """``signed_by`` in words, for a report's text."""
    parts = []
    for item in signers:
        signed = item["checkpoints"]
        sizes = (
            ", ".join(map(str, signed))
            if len(signed) <= 5
            else f"{signed[0]}, {signed[1]}, … {signed[-1]} ({len(signed)})"
        ) or "none"
        where = "" if item["rotation_entry"] is None else f" (from entry {item['rotation_entry']})"
        parts.append(f"{item['vkey']}{where} signed checkpoint(s) {sizes}")
    return "; ".join(parts)


def rotation_json(rotation: Rotation) -> dict[str, Any]:
    """A rotation as a mirror's state keeps it (checked when it was pulled)."""
    return {
        "index": rotation.index,
        "old_vkey": rotation.old.vkey,
        "new_vkey": rotation.new.vkey,
        "size": rotation.size,
        "root": b64encode(rotation.root),
    }


def rotation_from_json(value: dict[str, Any]) -> Rotation:
    """The rotation ``rotation_json`` wrote; ``ValueError``/``KeyError`` when it is not."""
    import base64

    return Rotation(
        int(value["index"]),
        parse_verifier(str(value["old_vkey"])),
        parse_verifier(str(value["new_vkey"])),
        int(value["size"]),
        base64.b64decode(str(value["root"]), validate=True),
    )


__all__ = [
    "describe_signers",
    "follow",
    "is_rotation",
    "root_finding",
    "rotation_from_json",
    "rotation_in",
    "rotation_json",
    "signed_by",
]
