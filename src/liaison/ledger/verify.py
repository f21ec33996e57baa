"""Recomputing a log from its entries and checking it against its signed checkpoints.

Used by ``liaison ledger verify`` (the database) and ``liaison verify-bundle``
(an exported bundle alone, on an inspector general's own machine). Every leaf
hash is recomputed from the stored entry (RFC 6962: SHA-256(0x00 || entry)),
the tree is rebuilt incrementally with O(log n) memory, and the root at each
kept checkpoint's size is compared with the signed root (C2SP
tlog-checkpoint). Any edit, deletion, reordering or insertion of entries
changes a recomputed root and is reported with the first entry that
differs from what was checkpointed, or the gap, or the bad body, once per cause
(``liaison.ledger.locate``: ``Report.first_wrong``). The notes of the latest verified
checkpoint are kept (``Report.latest_notes``), and those of every verified one
(``Report.verified_notes``), for their witnesses' cosignatures.

An empty log, or one that no verified checkpoint covers, fails: its entries, leaves and head
can all be rebuilt by whoever can write them, so nothing would be authenticated. Only
when asked to check the structure alone (``structure_only``) is no checkpoint required,
and then none is checked. Entries after the latest verified checkpoint are counted
(``Report.uncovered``): they are not authenticated, and the reports say so.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from liaison.ledger import merkle
from liaison.ledger.checkpoint import Checkpoint, claimed_size, open_checkpoint
from liaison.ledger.findings import Finding as Finding  # where every report finds it
from liaison.ledger.locate import Locator
from liaison.ledger.note_keys import Verifier
from liaison.ledger.tiles import HASH, HEIGHT, TILE_BYTES, TileKey, TileView, pair_up
from liaison.ledger.witness_quorum import Witnessed

_sha256 = hashlib.sha256
KeyAt = Callable[[int], Verifier]  # the key that signs a checkpoint of a size (rotations)


@dataclass
class Report:
    size: int = 0
    root: bytes = merkle.EMPTY_ROOT
    checkpoints_verified: int = 0
    latest_checkpoint: int = 0
    structure_only: bool = False  # no signature required nor checked: nothing authenticated
    problems: list[Finding] = field(default_factory=list)
    erased: int = 0  # entries whose personal data a recorded erasure erased (``ledger verify``)
    first_wrong: tuple[int, int] | None = None  # the first wrong entry is in [first, before)
    latest_notes: list[str] = field(default_factory=list)  # the latest verified one's copies
    verified_notes: dict[int, list[str]] = field(default_factory=dict)  # every verified one's
    witnessed: Witnessed | None = None  # what the witnesses given say of it (verify-bundle)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def uncovered(self) -> int:
        """Entries after the last verified checkpoint (not yet covered by a signature)."""
        return self.size - self.latest_checkpoint


class TileBuilder:
    """Rebuilds the tiles (liaison.ledger.tiles layout) from leaf hashes, in order, and the
    root of the tree they make at any point: every node hash is computed once, on the tiles
    (one SHA-256 per node, as the tree itself needs), whatever the checks asked of it."""

    def __init__(self) -> None:
        self._current: list[bytearray] = []
        self._index: list[int] = []
        self.size = 0  # leaf hashes added (level 0)

    def add(self, level: int, value: bytes) -> list[tuple[TileKey, bytes]]:
        """Add one hash at ``level``; the tiles it completes (at every level)."""
        return self.extend(level, value)

    def extend(self, level: int, hashes: bytes) -> list[tuple[TileKey, bytes]]:
        """Add hashes (concatenated) at ``level``; the tiles they complete (at every level)."""
        while len(self._current) <= level:
            self._current.append(bytearray())
            self._index.append(0)
        if level == 0:
            self.size += len(hashes) // HASH
        tile = self._current[level]
        tile += hashes
        if len(tile) < TILE_BYTES:
            return []
        full = len(tile) // TILE_BYTES
        data = bytes(tile[: full * TILE_BYTES])
        del tile[: full * TILE_BYTES]
        first = self._index[level]
        self._index[level] = first + full
        done = [
            ((level, first + k), data[k * TILE_BYTES : (k + 1) * TILE_BYTES]) for k in range(full)
        ]
        return done + self.extend(level + 1, pair_up(data, HEIGHT))

    def partial(self) -> list[tuple[TileKey, bytes]]:
        return [((lvl, self._index[lvl]), bytes(t)) for lvl, t in enumerate(self._current) if t]

    @classmethod
    def resume(cls, size: int, partial: Iterable[tuple[TileKey, bytes]]) -> TileBuilder:
        """The builder of a tree of ``size`` leaves, from its right edge: the ``partial()``
        tiles a builder of that tree returned (level L holds the last ``(size >> 8L) % 256``
        hashes of its level). ``ValueError`` when they are not that tree's right edge."""
        given = dict(partial)
        builder = cls()
        level = 0
        while size >> (HEIGHT * level):
            count = size >> (HEIGHT * level)
            key = (level, count >> HEIGHT)
            tile = given.pop(key, b"")
            if len(tile) != (count % (1 << HEIGHT)) * HASH:
                raise ValueError(f"tile {key} of a tree of size {size} is not its right edge")
            builder._current.append(bytearray(tile))
            builder._index.append(key[1])
            level += 1
        if given:
            raise ValueError(f"tiles {sorted(given)} are not on the right edge of size {size}")
        builder.size = size
        return builder

    def root(self) -> bytes:
        """The root of the tree of the ``size`` leaf hashes added so far.

        Every perfect subtree of that tree's plan lies in the partial (right-edge) tile of
        its level, so those tiles alone give it.
        """
        if self.size == 0:
            return merkle.EMPTY_ROOT
        view = TileView({(lvl, self._index[lvl]): bytes(t) for lvl, t in enumerate(self._current)})
        return merkle.root_from(self.size, view.get)


class LogChecker:
    """Feed entries in index order; then ``finish``. Collects every problem found."""

    def __init__(
        self,
        checkpoints: Iterable[tuple[int, str]],
        verifier: Verifier | None,
        origin: str | None,
        *,
        tiles: TileBuilder | None = None,
        structure_only: bool = False,
        keys: KeyAt | None = None,
    ) -> None:
        """``structure_only``: the checkpoints are not checked and none is required (the
        report says that nothing was authenticated); else a non-empty log that no verified
        checkpoint covers is a problem. ``keys``: the key of each size, when the log's key
        was rotated (``liaison.ledger.key_chain``); else ``verifier`` signs every one."""
        self._keys = keys
        self.report = Report(structure_only=structure_only)
        self.tiles = tiles
        self._tree = tiles if tiles is not None else TileBuilder()
        self.completed_tiles: list[tuple[TileKey, bytes]] = []
        self.locate = Locator(self.report.problems)
        notes = () if structure_only else checkpoints
        self._pending = self._open_checkpoints(notes, verifier, origin)
        self._check_checkpoints_at(0)  # a checkpoint of the empty tree, before any entry

    def _open_checkpoints(
        self, notes: Iterable[tuple[int, str]], verifier: Verifier | None, origin: str | None
    ) -> list[tuple[Checkpoint, str]]:
        """The validly signed checkpoints with their notes, by size (stable: at one size,
        in the order given)."""
        opened: list[tuple[Checkpoint, str]] = []
        for stored_size, note in notes:
            where = f"checkpoint {stored_size}"
            if verifier is None:
                self._problem(where, "no verifier key to check its signature")
                continue
            try:
                key = verifier if self._keys is None else self._keys(claimed_size(note))
                cp = open_checkpoint(note, key, origin)
            except Exception as exc:  # any malformed or unsigned note is a finding
                self._problem(where, f"signature or format is not valid: {exc}")
                continue
            if cp.size != stored_size:
                self._problem(where, f"signed size {cp.size} differs from the stored size")
            opened.append((cp, note))
        return sorted(opened, key=lambda c: c[0].size)

    @property
    def tree(self) -> TileBuilder:
        """The tree of the entries fed so far (its ``size`` and ``root()``)."""
        return self._tree

    def _problem(self, where: str, message: str) -> None:
        self.report.problems.append(Finding(where, message))

    def feed(self, index: int, body: bytes, stored_leaf: bytes | None = None) -> None:
        leaf = _sha256(b"\x00" + body).digest()
        self._locate(
            self._tree.size, [index], [leaf], None if stored_leaf is None else [stored_leaf]
        )
        self._grow(leaf)

    def feed_many(
        self,
        indexes: Sequence[int],
        bodies: Sequence[bytes],
        stored_leaves: Sequence[bytes] | None = None,
    ) -> None:
        """``feed`` for a run of entries: the same checks and findings, in the same order,
        with the per-entry work done in bulk (the leaf hashes in one comprehension, the
        indexes and stored leaf hashes compared as whole lists)."""
        total, pos = len(bodies), 0
        sha256 = _sha256
        while pos < total:
            size = self._tree.size
            end = total
            if self._pending and 0 < self._pending[0][0].size - size < total - pos:
                end = pos + self._pending[0][0].size - size  # stop at the next checkpoint
            leaves = [sha256(b"\x00" + body).digest() for body in bodies[pos:end]]
            stored = None if stored_leaves is None else stored_leaves[pos:end]
            if indexes[pos:end] != list(range(size, size + end - pos)) or (
                stored is not None and stored != leaves
            ):
                self._locate(size, indexes[pos:end], leaves, stored)
            self.locate.previous = indexes[end - 1]
            self._grow(b"".join(leaves))
            pos = end

    def _locate(
        self,
        size: int,
        indexes: Sequence[int],
        leaves: Sequence[bytes],
        stored: Sequence[bytes] | None,
    ) -> None:
        """The findings for a run of entries starting at tree size ``size``, entry by entry
        (``liaison.ledger.locate``: a run of shifted indexes is one finding)."""
        previous = self.locate.previous
        for k, (index, leaf) in enumerate(zip(indexes, leaves, strict=True)):
            if index != size + k:
                self.locate.misplaced(size + k, index, previous)
            previous = index
            if stored is not None and stored[k] != leaf:
                self._problem(f"entry {index}", "body does not match its stored leaf hash (edited)")
                self.locate.wrong(index)
        self.locate.previous = previous

    def _grow(self, leaves: bytes) -> None:
        done = self._tree.extend(0, leaves)
        if done and self.tiles is not None:
            self.completed_tiles.extend(done)
        if self._pending and self._pending[0][0].size <= self._tree.size:
            self._check_checkpoints_at(self._tree.size)

    def _check_checkpoints_at(self, size: int) -> None:
        while self._pending and self._pending[0][0].size <= size:
            cp, note = self._pending.pop(0)
            if cp.size < size:
                continue  # reached past it through an out-of-order entry; reported there
            if cp.root != self._tree.root():
                self.locate.root_mismatch(cp.size, self.report.latest_checkpoint)
                continue
            report = self.report
            report.checkpoints_verified += 1
            if cp.size != report.latest_checkpoint or not report.latest_notes:
                report.latest_notes = []
            report.latest_checkpoint = cp.size
            report.latest_notes.append(note)
            report.verified_notes.setdefault(cp.size, []).append(note)

    def finish(self, head: tuple[int, bytes] | None = None) -> Report:
        size = self._tree.size
        self._check_checkpoints_at(size)
        if size == 0:
            self._check_checkpoints_at(0)
        if self._pending:
            self.locate.beyond([cp.size for cp, _ in self._pending], size)
        self.locate.finish()
        self.report.first_wrong = self.locate.first_wrong()
        if size == 0 and not self.report.structure_only:
            self._problem(
                "entries",
                "the ledger is empty: nothing to verify, nothing is authenticated "
                "(--structure-only checks the structure alone)",
            )
        if size > 0 and self.report.latest_checkpoint == 0 and not self.report.structure_only:
            self._problem(
                "checkpoints",
                f"no signed checkpoint covers the {size} entries: nothing is authenticated "
                "(sign one with `liaison ledger checkpoint`; --structure-only checks the "
                "structure alone)",
            )
        root = self._tree.root()
        self.report.size = size
        self.report.root = root
        if head is not None and head != (size, root):
            what = "size" if head[0] != size else "root"
            self._problem(
                "head",
                f"stored tree head (size {head[0]}) does not match the entries "
                f"(size {size}): its {what} differs",
            )
        return self.report
