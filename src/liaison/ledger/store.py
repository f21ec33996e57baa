"""The ledger's storage: the head row, the tiles and the entry rows in the database.

The storage layer in the sense of transparency-dev/tessera (``storage/``): it reads and
writes what the sequencer (``liaison.ledger.sequencer``) and the proofs
(``liaison.ledger.proofs``) need, and decides nothing. Tiles follow C2SP tlog-tiles
(``liaison.ledger.tiles``); the head row holds the (size, root) the sequencer last wrote.

The statements go to the driver's cursor (see ``liaison.storage.database``): SQLAlchemy's
statement layer costs several times these small queries themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Engine

from liaison.errors import LedgerError
from liaison.ledger import merkle
from liaison.ledger.entries import Sealed
from liaison.ledger.tiles import TileKey, TileView, tiles_for
from liaison.storage.bulk import driver_stamps, insert_rows
from liaison.storage.database import DriverCursor, driver_cursor, param_mark
from liaison.storage.tables import ledger_entries, ledger_personal


def blob(value: Any) -> bytes:
    """A stored binary value as bytes, whatever type a tampered row now holds."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    return b"" if value is None else str(value).encode("utf-8")


class TreeStore:
    """The tree of one database: its head and its tiles, read and written through a cursor."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._mark = param_mark(engine)

    def lock_head(self, conn: Connection) -> tuple[int, bytes]:
        """The (size, root) of the tree, locked for this transaction (the sequencer)."""
        cur = driver_cursor(conn)
        try:
            return self.read_head(cur, lock=conn.dialect.name == "postgresql")
        finally:
            cur.close()

    def read_head(self, cur: DriverCursor, *, lock: bool = False) -> tuple[int, bytes]:
        cur.execute(
            "SELECT size, root FROM ledger_head WHERE id = 1" + (" FOR UPDATE" if lock else "")
        )
        row = cur.fetchone()
        if row is None:
            raise LedgerError("the ledger is not initialised: run `liaison db upgrade`")
        return int(row[0]), bytes(row[1])

    def write_head(self, cur: DriverCursor, size: int, root: bytes) -> None:
        m = self._mark
        cur.execute(f"UPDATE ledger_head SET size = {m}, root = {m} WHERE id = 1", (size, root))

    def tile(self, cur: DriverCursor, key: TileKey) -> bytes:
        m = self._mark
        cur.execute(f"SELECT hashes FROM ledger_tiles WHERE level = {m} AND idx = {m}", key)
        row = cur.fetchone()
        return b"" if row is None else bytes(row[0])

    def write_tiles(self, cur: DriverCursor, tiles: dict[TileKey, bytes]) -> None:
        if not tiles:
            return
        m = self._mark
        cur.executemany(
            f"INSERT INTO ledger_tiles (level, idx, hashes) VALUES ({m}, {m}, {m}) "
            "ON CONFLICT (level, idx) DO UPDATE SET hashes = excluded.hashes",
            [(k[0], k[1], v) for k, v in sorted(tiles.items())],
        )

    def read_tiles(self, cur: DriverCursor, keys: set[TileKey]) -> dict[TileKey, bytes]:
        """The tiles of ``keys`` that exist, in one query."""
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

    def view(
        self,
        cur: DriverCursor,
        nodes: Sequence[tuple[int, int]],
        known: dict[TileKey, bytes] | None = None,
    ) -> TileView:
        """The subtree hashes of ``nodes``, from ``known`` tiles and the others read at once."""
        have = dict(known or {})
        have.update(self.read_tiles(cur, tiles_for(nodes) - set(have)))
        return TileView(have)

    def root(
        self, cur: DriverCursor, size: int, known: dict[TileKey, bytes] | None = None
    ) -> bytes:
        """The root of the tree of ``size``, from its tiles."""
        if size == 0:
            return merkle.EMPTY_ROOT
        view = self.view(cur, merkle.subtree_plan(0, size), known)
        return merkle.root_from(size, view.get)


def insert_entries(conn: Connection, size: int, sealed: Sequence[Sealed]) -> None:
    """Write ``sealed`` at indexes ``size`` onwards, with their personal rows."""
    stamp = driver_stamps(conn.dialect.name)  # a batch's entries share one recorded_at
    rows = [
        (size + i, s.kind, stamp(s.recorded_at), s.leaf_hash, s.body) for i, s in enumerate(sealed)
    ]
    insert_rows(
        conn, ledger_entries, ("idx", "kind", "recorded_at", "leaf_hash", "body"), rows, True
    )
    insert_rows(
        conn,
        ledger_personal,
        ("idx", "salt", "data"),
        [(size + i, s.salt, s.personal_data) for i, s in enumerate(sealed) if s.salt is not None],
    )
