"""The ledger: an append-only RFC 6962 log in liaison's database.

One sequencer: every append runs in a transaction that first locks the
``ledger_head`` row (PostgreSQL ``SELECT ... FOR UPDATE``; SQLite ``BEGIN
IMMEDIATE``), reads the tree size n, writes entries n .. n+k-1, the tiles that
changed and the new head, and commits. Indexes are therefore gap-free and
strictly increasing across threads, processes and hosts, and an append is
acknowledged (returned) only after its commit is durable.

Proofs are computed from tiles (``liaison.ledger.tiles``) with O(log n) reads,
and name the (size, root) they are for.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from liaison.errors import LedgerError, NotFound, NothingToErase, SignerRefused
from liaison.ledger import merkle
from liaison.ledger.checkpoint import Checkpoint
from liaison.ledger.entries import NewEntry, Sealed, parse_body, personal_matches, seal
from liaison.ledger.erasure import delete_personal
from liaison.ledger.note import Signer
from liaison.ledger.signer_memory import SignerMemory
from liaison.ledger.tiles import TileKey, TileView, grow, tiles_for
from liaison.storage.bulk import insert_rows
from liaison.storage.database import (
    DriverCursor,
    driver_cursor,
    param_mark,
    read_cursor,
    write_transaction,
)
from liaison.storage.tables import (
    ledger_checkpoints,
    ledger_entries,
    ledger_personal,
)


def b64(raw: bytes) -> str:
    """Standard base64 text of a hash or root (how proofs and roots are shown)."""
    return base64.b64encode(raw).decode()


@dataclass(frozen=True, slots=True)
class Appended:
    """An acknowledged append: durable at ``index`` in a tree of ``size`` with ``root``."""

    index: int
    leaf_hash: bytes
    size: int
    root: bytes


@dataclass(frozen=True, slots=True)
class StoredEntry:
    index: int
    kind: str
    recorded_at: datetime
    body: bytes
    leaf_hash: bytes
    personal: dict[str, Any] | None  # None: none recorded, erased, or not looked up
    erased: bool  # committed to personal data that has been erased

    def document(self) -> dict[str, Any]:
        return parse_body(self.body)


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


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    size: int
    root: bytes
    note: str
    created_at: datetime


class Ledger:
    """The log stored in one database (SQLite or PostgreSQL)."""

    def __init__(
        self,
        engine: Engine,
        origin: str,
        signer: Signer | None = None,
        memory: SignerMemory | None = None,
    ) -> None:
        """``memory``: what the key signed before (its key folder's; default: this process's)."""
        self.engine = engine
        self.origin = origin
        self.signer = signer
        self.memory = memory if memory is not None else SignerMemory(None)
        self._mark = param_mark(engine)

    # -- appending ----------------------------------------------------------------

    def append(self, entry: NewEntry) -> Appended:
        return self.append_many([entry])[0]

    def append_many(
        self,
        entries: Sequence[NewEntry],
        after: Callable[[Connection, list[Appended]], None] | None = None,
    ) -> list[Appended]:
        """Append ``entries`` in one transaction; return only once they are durable.

        ``after`` runs inside the same transaction with the appended positions, so rows
        that index the entries (decisions, events) commit with them or not at all.
        """
        sealed = [seal(e) for e in entries]
        with write_transaction(self.engine) as conn:
            done = self._append_sealed(conn, sealed)
            if after is not None:
                after(conn, done)
            return done

    def _append_sealed(self, conn: Connection, sealed: list[Sealed]) -> list[Appended]:
        size, _ = self._lock_head(conn)
        if not sealed:
            return []
        insert_rows(
            conn,
            ledger_entries,
            ("idx", "kind", "recorded_at", "leaf_hash", "body"),
            [(size + i, s.kind, s.recorded_at, s.leaf_hash, s.body) for i, s in enumerate(sealed)],
        )
        insert_rows(
            conn,
            ledger_personal,
            ("idx", "salt", "data"),
            [
                (size + i, s.salt, s.personal_data)
                for i, s in enumerate(sealed)
                if s.salt is not None
            ],
        )
        new_size = size + len(sealed)
        cur = driver_cursor(conn)
        try:
            changed = grow(size, [s.leaf_hash for s in sealed], lambda key: self._tile(cur, key))
            self._write_tiles(cur, changed)
            root = self._root(cur, new_size, changed)
            m = self._mark
            cur.execute(
                f"UPDATE ledger_head SET size = {m}, root = {m} WHERE id = 1", (new_size, root)
            )
        finally:
            cur.close()
        return [Appended(size + i, s.leaf_hash, new_size, root) for i, s in enumerate(sealed)]

    # The statements below go to the driver's cursor (see ``liaison.storage.database``):
    # SQLAlchemy's statement layer costs several times these small queries themselves.

    def _lock_head(self, conn: Connection) -> tuple[int, bytes]:
        """The (size, root) of the tree, locked for this transaction (the sequencer)."""
        cur = driver_cursor(conn)
        try:
            return self._read_head(cur, lock=conn.dialect.name == "postgresql")
        finally:
            cur.close()

    def _read_head(self, cur: DriverCursor, *, lock: bool = False) -> tuple[int, bytes]:
        cur.execute(
            "SELECT size, root FROM ledger_head WHERE id = 1" + (" FOR UPDATE" if lock else "")
        )
        row = cur.fetchone()
        if row is None:
            raise LedgerError("the ledger is not initialised: run `liaison db upgrade`")
        return int(row[0]), bytes(row[1])

    def _tile(self, cur: DriverCursor, key: TileKey) -> bytes:
        m = self._mark
        cur.execute(f"SELECT hashes FROM ledger_tiles WHERE level = {m} AND idx = {m}", key)
        row = cur.fetchone()
        return b"" if row is None else bytes(row[0])

    def _write_tiles(self, cur: DriverCursor, tiles: dict[TileKey, bytes]) -> None:
        if not tiles:
            return
        m = self._mark
        cur.executemany(
            f"INSERT INTO ledger_tiles (level, idx, hashes) VALUES ({m}, {m}, {m}) "
            "ON CONFLICT (level, idx) DO UPDATE SET hashes = excluded.hashes",
            [(k[0], k[1], v) for k, v in sorted(tiles.items())],
        )

    def _read_tiles(self, cur: DriverCursor, keys: set[TileKey]) -> dict[TileKey, bytes]:
        if not keys:
            return {}
        m = self._mark
        by_level: dict[int, list[int]] = {}
        for level, index in sorted(keys):
            by_level.setdefault(level, []).append(index)
        where = " OR ".join(
            f"(level = {m} AND idx IN ({', '.join([m] * len(indexes))}))"
            for indexes in by_level.values()
        )
        params = [p for level, indexes in by_level.items() for p in (level, *indexes)]
        cur.execute(f"SELECT level, idx, hashes FROM ledger_tiles WHERE {where}", params)
        return {(int(level), int(index)): bytes(h) for level, index, h in cur.fetchall()}

    def _view(
        self,
        cur: DriverCursor,
        nodes: Sequence[tuple[int, int]],
        known: dict[TileKey, bytes] | None = None,
    ) -> TileView:
        have = dict(known or {})
        have.update(self._read_tiles(cur, tiles_for(nodes) - set(have)))
        return TileView(have)

    def _root(
        self, cur: DriverCursor, size: int, known: dict[TileKey, bytes] | None = None
    ) -> bytes:
        if size == 0:
            return merkle.EMPTY_ROOT
        view = self._view(cur, merkle.subtree_plan(0, size), known)
        return merkle.root_from(size, view.get)

    # -- reading --------------------------------------------------------------------

    def head(self) -> tuple[int, bytes]:
        """The current (size, root)."""
        with read_cursor(self.engine) as cur:
            return self._read_head(cur)

    def entry(self, index: int) -> StoredEntry:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(ledger_entries).where(ledger_entries.c.idx == index)
            ).one_or_none()
            if row is None:
                raise NotFound(f"no ledger entry {index}")
            extra = conn.execute(
                select(ledger_personal.c.salt, ledger_personal.c.data).where(
                    ledger_personal.c.idx == index
                )
            ).one_or_none()
        return _stored(row, extra)

    def entry_body(self, index: int) -> bytes | None:
        with self.engine.connect() as conn:
            value = conn.execute(
                select(ledger_entries.c.body).where(ledger_entries.c.idx == index)
            ).scalar_one_or_none()
        return None if value is None else bytes(value)

    def entries(
        self, start: int = 0, stop: int | None = None, batch: int = 5000
    ) -> Iterator[StoredEntry]:
        """Entries in index order (streamed in batches), without their personal data."""
        at = start
        while stop is None or at < stop:
            limit = batch if stop is None else min(batch, stop - at)
            with self.engine.connect() as conn:
                rows = conn.execute(
                    select(ledger_entries)
                    .where(ledger_entries.c.idx >= at)
                    .order_by(ledger_entries.c.idx)
                    .limit(limit)
                ).all()
            if not rows:
                return
            for row in rows:
                yield _stored(row, None, looked_up=False)
            at = int(rows[-1].idx) + 1

    def root_at(self, size: int) -> bytes:
        with read_cursor(self.engine) as cur:
            current, root = self._read_head(cur)
            if not 0 <= size <= current:
                raise NotFound(f"the ledger has no tree of size {size} (current size {current})")
            return root if size == current else self._root(cur, size)

    # -- proofs ---------------------------------------------------------------------

    def inclusion_proof(self, index: int, size: int | None = None) -> InclusionProof:
        with read_cursor(self.engine) as cur:
            return self._inclusion_proof(cur, index, size)

    def _inclusion_proof(self, cur: DriverCursor, index: int, size: int | None) -> InclusionProof:
        current, head_root = self._read_head(cur)
        size = current if size is None else size
        if not 0 <= index < size <= current:
            raise NotFound(
                f"no inclusion proof for entry {index} in a tree of size {size} "
                f"(current size {current})"
            )
        nodes = [*merkle.inclusion_plan(index, size), (0, index)]
        if size != current:
            nodes += merkle.subtree_plan(0, size)
        view = self._view(cur, nodes)
        hashes = merkle.inclusion_proof_from(index, size, view.get)
        root = self._proof_root(size, current, head_root, view)
        return InclusionProof(index, size, root, view.get(0, index), hashes)

    @staticmethod
    def _proof_root(size: int, current: int, head_root: bytes, view: TileView) -> bytes:
        """The root a proof is checked against: the head's (the sequencer's record) for the
        current tree, so that a proof built from tampered tiles does not verify; else the
        root of the older tree from the tiles (checkpoints hold those roots to it)."""
        return head_root if size == current else merkle.root_from(size, view.get)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> ConsistencyProof:
        with read_cursor(self.engine) as cur:
            return self._consistency_proof(cur, old_size, new_size)

    def _consistency_proof(
        self, cur: DriverCursor, old_size: int, new_size: int | None
    ) -> ConsistencyProof:
        current, head_root = self._read_head(cur)
        new_size = current if new_size is None else new_size
        if not 0 < old_size <= new_size <= current:
            raise NotFound(
                f"no consistency proof from size {old_size} to {new_size} (current size {current})"
            )
        nodes = [*merkle.consistency_plan(old_size, new_size), *merkle.subtree_plan(0, old_size)]
        if new_size != current:
            nodes += merkle.subtree_plan(0, new_size)
        view = self._view(cur, nodes)
        return ConsistencyProof(
            old_size,
            new_size,
            self._proof_root(old_size, current, head_root, view),
            self._proof_root(new_size, current, head_root, view),
            merkle.consistency_proof_from(old_size, new_size, view.get),
        )

    # -- erasure ----------------------------------------------------------------------

    def erase(self, index: int, reason: str, actor: str, authority: str) -> Appended:
        """Delete the personal data of entry ``index`` and record the erasure as an entry.

        Both happen in one transaction; every proof stays valid (the leaf holds only
        the salted hash).
        """

        def chosen(conn: Connection, size: int) -> list[int]:
            if not 0 <= index < size:
                raise NotFound(f"no ledger entry {index}")
            return [index]

        def record(erased: list[int]) -> dict[str, Any]:
            return {"erased_index": index, "reason": reason, "authority": authority}

        try:
            return self.erase_rows(chosen, record, actor)[1]
        except NothingToErase:
            raise LedgerError(
                f"entry {index} holds no personal data (none recorded, or erased)"
            ) from None

    def erase_rows(
        self,
        choose: Callable[[Connection, int], Sequence[int]],
        record: Callable[[list[int]], dict[str, Any]],
        actor: str,
    ) -> tuple[list[int], Appended]:
        """One erasure, all or nothing: in one transaction holding the head (the sequencer,
        so no other erasure or append interleaves), delete the personal rows among those
        ``choose`` names (given the tree size) and append the ``erasure`` entry ``record``
        makes of the indexes actually deleted. Raises ``NothingToErase`` (nothing written)
        when none of them holds personal data."""
        with write_transaction(self.engine) as conn:
            size, _ = self._lock_head(conn)
            erased = delete_personal(conn, sorted(set(choose(conn, size))))
            if not erased:
                raise NothingToErase("no personal data to erase")
            entry = seal(NewEntry("erasure", record(erased), actor))
            return erased, self._append_sealed(conn, [entry])[0]

    # -- checkpoints ------------------------------------------------------------------

    def checkpoint(self) -> StoredCheckpoint:
        """Sign and keep a checkpoint of the current tree (C2SP tlog-checkpoint), only when
        it extends the last tree the key signed (``liaison.ledger.signer_memory``)."""
        if self.signer is None:
            raise LedgerError("no signing key: run `liaison ledger keygen`")
        signer = self.signer
        with self.memory.locked(), write_transaction(self.engine) as conn:
            size, root = self._lock_head(conn)
            existing = conn.execute(
                select(ledger_checkpoints).where(ledger_checkpoints.c.size == size)
            ).one_or_none()
            if existing is not None:
                if bytes(existing.root) == root:
                    return _checkpoint(existing)
                raise SignerRefused(
                    f"the kept checkpoint of size {size} has another root than the tree: the "
                    "ledger or its checkpoints were altered; refusing to sign"
                )
            cur = driver_cursor(conn)
            try:
                note = self.memory.sign(
                    signer,
                    Checkpoint(self.origin, size, root),
                    lambda old: self._consistency_proof(cur, old, size).hashes,
                    lambda: [str(n) for n in conn.execute(_KEPT_NOTES).scalars()],
                )
            finally:
                cur.close()
            made = StoredCheckpoint(size, root, note, datetime.now(UTC))
            conn.execute(
                insert(ledger_checkpoints),
                [{"size": size, "root": root, "note": note, "created_at": made.created_at}],
            )
        return made

    def checkpoints(self) -> list[StoredCheckpoint]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(ledger_checkpoints).order_by(ledger_checkpoints.c.size)
            ).all()
        return [_checkpoint(r) for r in rows]

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(ledger_checkpoints).order_by(ledger_checkpoints.c.size.desc()).limit(1)
            ).one_or_none()
        return _checkpoint(row) if row is not None else None


_KEPT_NOTES = select(ledger_checkpoints.c.note).order_by(ledger_checkpoints.c.size.desc())


def blob(value: Any) -> bytes:
    """A stored binary value as bytes, whatever type a tampered row now holds."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    return b"" if value is None else str(value).encode("utf-8")


def _stored(row: Any, personal: Any, *, looked_up: bool = True) -> StoredEntry:
    """An entry row; ``personal`` is its personal row, when ``looked_up`` (None: none stored)."""
    body = blob(row.body)
    data: dict[str, Any] | None = None
    erased = False
    if personal is not None:
        if not personal_matches(parse_body(body), bytes(personal.salt), bytes(personal.data)):
            raise LedgerError(
                f"entry {row.idx}: stored personal data does not match its commitment"
            )
        data = parse_body(bytes(personal.data))
    elif looked_up and b'"personal":' in body:
        erased = "personal" in parse_body(body)  # committed to personal data that is gone
    recorded = _aware(row.recorded_at)
    return StoredEntry(int(row.idx), row.kind, recorded, body, blob(row.leaf_hash), data, erased)


def _aware(value: object) -> datetime:
    if not isinstance(value, datetime):
        return datetime.fromtimestamp(0, UTC)  # a tampered column; the body holds the real time
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _checkpoint(row: Any) -> StoredCheckpoint:
    return StoredCheckpoint(int(row.size), blob(row.root), str(row.note), _aware(row.created_at))
