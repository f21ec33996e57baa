"""Inclusion and consistency proofs (RFC 6962 section 2.1) computed from the stored tiles.

Each proof reads O(log n) hashes, from the tiles that hold them (``liaison.ledger.tiles``)
in one query, and names the (size, root) it is for. For the current tree the root is the
head's (the sequencer's record), so a proof built from tampered tiles does not verify;
for an older tree it is computed from the tiles (checkpoints hold those roots to it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from liaison.errors import NotFound
from liaison.ledger import merkle
from liaison.ledger.note_keys import b64encode
from liaison.ledger.store import TreeStore
from liaison.ledger.tiles import TileView
from liaison.storage.database import DriverCursor

b64 = b64encode  # standard base64 text of a hash or root (how proofs and roots are shown)


@dataclass(frozen=True, slots=True)
class InclusionProof:
    index: int
    size: int
    root: bytes
    leaf_hash: bytes
    hashes: list[bytes]

    def verifies(self) -> bool:
        return merkle.verify_inclusion(
            self.leaf_hash, self.index, self.size, self.hashes, self.root
        )

    def to_json(self) -> dict[str, Any]:
        """The proof as JSON (hashes in base64), naming the (size, root) it is for."""
        return {
            "index": self.index,
            "size": self.size,
            "root": b64(self.root),
            "leaf_hash": b64(self.leaf_hash),
            "proof": [b64(h) for h in self.hashes],
        }


@dataclass(frozen=True, slots=True)
class ConsistencyProof:
    old_size: int
    new_size: int
    old_root: bytes
    new_root: bytes
    hashes: list[bytes]

    def verifies(self) -> bool:
        return merkle.verify_consistency(
            self.old_size, self.new_size, self.old_root, self.new_root, self.hashes
        )

    def to_json(self) -> dict[str, Any]:
        """The proof as JSON (hashes in base64), with both sizes and roots."""
        return {
            "old_size": self.old_size,
            "new_size": self.new_size,
            "old_root": b64(self.old_root),
            "new_root": b64(self.new_root),
            "proof": [b64(h) for h in self.hashes],
        }


def _root(size: int, current: int, head_root: bytes, view: TileView) -> bytes:
    """The root a proof is checked against: the head's for the current tree, else the
    older tree's from the tiles."""
    return head_root if size == current else merkle.root_from(size, view.get)


def inclusion_proofs(
    store: TreeStore, cur: DriverCursor, indexes: Sequence[int], size: int | None = None
) -> list[InclusionProof]:
    """The proofs of ``indexes`` in the tree of ``size`` (default: the current one), from
    one read of the head and one of the tiles they need."""
    current, head_root = store.read_head(cur)
    size = current if size is None else size
    for index in indexes:
        if not 0 <= index < size <= current:
            raise NotFound(
                f"no inclusion proof for entry {index} in a tree of size {size} "
                f"(current size {current})"
            )
    if not indexes:
        return []
    nodes = [node for i in indexes for node in (*merkle.inclusion_plan(i, size), (0, i))]
    if size != current:
        nodes += merkle.subtree_plan(0, size)
    view = store.view(cur, nodes)
    root = _root(size, current, head_root, view)
    return [
        InclusionProof(
            i, size, root, view.get(0, i), merkle.inclusion_proof_from(i, size, view.get)
        )
        for i in indexes
    ]


def root_with_leaves(
    store: TreeStore, cur: DriverCursor, leaves: dict[int, bytes], size: int
) -> bytes:
    """The root of the tree of ``size`` computed from the leaf hashes ``leaves`` (index ->
    hash) and the stored subtrees beside them (``merkle.root_with_leaves``), from one read
    of the head and one of the tiles: equal to a root the key signed, it proves every one
    of ``leaves`` in that tree. ``NotFound`` when an index or ``size`` is beyond the tree."""
    current, _ = store.read_head(cur)
    indexes = sorted(leaves)
    if size > current or (indexes and not 0 <= indexes[0] <= indexes[-1] < size):
        raise NotFound(
            f"entries {indexes[:1]}..{indexes[-1:]} are not all in a tree of size {size}"
        )
    view = store.view(cur, merkle.leaves_plan(indexes, size))
    return merkle.root_with_leaves(leaves, size, view.get)


def consistency_proof(
    store: TreeStore, cur: DriverCursor, old_size: int, new_size: int | None = None
) -> ConsistencyProof:
    """The proof that the tree of ``old_size`` is a prefix of the tree of ``new_size``."""
    current, head_root = store.read_head(cur)
    new_size = current if new_size is None else new_size
    if not 0 < old_size <= new_size <= current:
        raise NotFound(
            f"no consistency proof from size {old_size} to {new_size} (current size {current})"
        )
    nodes = [*merkle.consistency_plan(old_size, new_size), *merkle.subtree_plan(0, old_size)]
    if new_size != current:
        nodes += merkle.subtree_plan(0, new_size)
    view = store.view(cur, nodes)
    return ConsistencyProof(
        old_size,
        new_size,
        _root(old_size, current, head_root, view),
        _root(new_size, current, head_root, view),
        merkle.consistency_proof_from(old_size, new_size, view.get),
    )
