"""Recomputing a log from its entries and checking it against its signed checkpoints.

Used by ``liaison ledger verify`` (the database) and ``liaison verify-bundle``
(an exported bundle alone, on an inspector general's own machine). Every leaf
hash is recomputed from the stored entry (RFC 6962: SHA-256(0x00 || entry)),
the tree is rebuilt incrementally with O(log n) memory, and the root at each
kept checkpoint's size is compared with the signed root (C2SP
tlog-checkpoint). Any edit, deletion, reordering or insertion of entries
changes a recomputed root and is reported with the first entry that
differs from what was checkpointed, or the gap, or the bad body.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from liaison.ledger import merkle
from liaison.ledger.checkpoint import Checkpoint, open_checkpoint
from liaison.ledger.note import Verifier
from liaison.ledger.tiles import HASH, WIDTH, TileKey, reduce_hashes


@dataclass(frozen=True, slots=True)
class Problem:
    where: str  # "entry 17", "checkpoint 1000", "tile (0, 3)", "head"
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class Report:
    size: int = 0
    root: bytes = merkle.EMPTY_ROOT
    checkpoints_verified: int = 0
    latest_checkpoint: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def uncovered(self) -> int:
        """Entries after the last verified checkpoint (not yet covered by a signature)."""
        return self.size - self.latest_checkpoint


class TreeBuilder:
    """RFC 6962 root of a growing list of leaves, with O(log n) state."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, bytes]] = []  # (height, hash) of perfect subtrees
        self.size = 0

    def add(self, leaf: bytes) -> None:
        height, value = 0, leaf
        while self._stack and self._stack[-1][0] == height:
            _, left = self._stack.pop()
            value = merkle.node_hash(left, value)
            height += 1
        self._stack.append((height, value))
        self.size += 1

    def root(self) -> bytes:
        if not self._stack:
            return merkle.EMPTY_ROOT
        value = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            value = merkle.node_hash(left, value)
        return value


class TileBuilder:
    """Rebuilds the tiles (liaison.ledger.tiles layout) from leaf hashes, in order."""

    def __init__(self) -> None:
        self._current: list[bytearray] = []
        self._index: list[int] = []

    def add(self, level: int, value: bytes) -> list[tuple[TileKey, bytes]]:
        while len(self._current) <= level:
            self._current.append(bytearray())
            self._index.append(0)
        tile = self._current[level]
        tile += value
        if len(tile) < WIDTH * HASH:
            return []
        key, data = (level, self._index[level]), bytes(tile)
        self._current[level] = bytearray()
        self._index[level] += 1
        chunks = [data[i : i + HASH] for i in range(0, len(data), HASH)]
        return [(key, data), *self.add(level + 1, reduce_hashes(chunks))]

    def partial(self) -> list[tuple[TileKey, bytes]]:
        return [((lvl, self._index[lvl]), bytes(t)) for lvl, t in enumerate(self._current) if t]


class LogChecker:
    """Feed entries in index order; then ``finish``. Collects every problem found."""

    def __init__(
        self,
        checkpoints: Iterable[tuple[int, str]],
        verifier: Verifier | None,
        origin: str | None,
        *,
        tiles: TileBuilder | None = None,
    ) -> None:
        self.report = Report()
        self.tree = TreeBuilder()
        self.tiles = tiles
        self.completed_tiles: list[tuple[TileKey, bytes]] = []
        self._pending = self._open_checkpoints(checkpoints, verifier, origin)
        self._check_checkpoints_at(0)  # a checkpoint of the empty tree, before any entry

    def _open_checkpoints(
        self, notes: Iterable[tuple[int, str]], verifier: Verifier | None, origin: str | None
    ) -> list[Checkpoint]:
        opened: list[Checkpoint] = []
        for stored_size, note in notes:
            where = f"checkpoint {stored_size}"
            if verifier is None:
                self._problem(where, "no verifier key to check its signature")
                continue
            try:
                cp = open_checkpoint(note, verifier, origin)
            except Exception as exc:  # any malformed or unsigned note is a finding
                self._problem(where, f"signature or format is not valid: {exc}")
                continue
            if cp.size != stored_size:
                self._problem(where, f"signed size {cp.size} differs from the stored size")
            opened.append(cp)
        return sorted(opened, key=lambda c: c.size)

    def _problem(self, where: str, message: str) -> None:
        self.report.problems.append(Problem(where, message))

    def feed(self, index: int, body: bytes, stored_leaf: bytes | None = None) -> None:
        expected = self.tree.size
        if index != expected:
            if index > expected:
                missing = (
                    f"entry {expected}"
                    if index == expected + 1
                    else f"entries {expected}..{index - 1}"
                )
                self._problem(missing, "missing (deleted from the log)")
            else:
                self._problem(f"entry {index}", "out of order or duplicated")
        leaf = merkle.leaf_hash(body)
        if stored_leaf is not None and stored_leaf != leaf:
            self._problem(f"entry {index}", "body does not match its stored leaf hash (edited)")
        self.tree.add(leaf)
        if self.tiles is not None:
            self.completed_tiles.extend(self.tiles.add(0, leaf))
        self._check_checkpoints_at(self.tree.size)

    def _check_checkpoints_at(self, size: int) -> None:
        while self._pending and self._pending[0].size <= size:
            cp = self._pending.pop(0)
            if cp.size < size:
                continue  # reached past it through an out-of-order entry; reported there
            if cp.root != self.tree.root():
                self._problem(
                    f"checkpoint {cp.size}",
                    "signed root does not match the entries "
                    f"0..{cp.size - 1} (an entry was edited, removed, inserted or reordered)",
                )
            else:
                self.report.checkpoints_verified += 1
                self.report.latest_checkpoint = cp.size

    def finish(self, head: tuple[int, bytes] | None = None) -> Report:
        self._check_checkpoints_at(self.tree.size)
        if self.tree.size == 0:
            self._check_checkpoints_at(0)
        for cp in self._pending:
            self._problem(
                f"checkpoint {cp.size}",
                f"the log has only {self.tree.size} entries (entries were removed from the end)",
            )
        self.report.size = self.tree.size
        self.report.root = self.tree.root()
        if head is not None and head != (self.tree.size, self.tree.root()):
            what = "size" if head[0] != self.tree.size else "root"
            self._problem(
                "head",
                f"stored tree head (size {head[0]}) does not match the entries "
                f"(size {self.tree.size}): its {what} differs",
            )
        return self.report
