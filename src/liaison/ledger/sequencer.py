"""The sequencer: entries get gap-free indexes and are integrated into the tree.

One sequencer for every process and host: an append runs in a transaction that first
locks the ``ledger_head`` row (PostgreSQL ``SELECT ... FOR UPDATE``; SQLite ``BEGIN
IMMEDIATE``), reads the tree size n, writes entries n .. n+k-1, integrates them (the tiles
that change, ``liaison.ledger.tiles.grow``, and the new root) and writes the new head.
Indexes are therefore gap-free and strictly increasing, and an append is acknowledged
(returned) only after its commit is durable. Sequencing and integration happen in one
step here, where transparency-dev/tessera may run them apart: the head is the sequencer's
record of the tree, so a proof never names a tree the database does not hold.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from liaison.ledger.entries import Sealed
from liaison.ledger.store import TreeStore, insert_entries
from liaison.ledger.tiles import grow
from liaison.storage.database import driver_cursor


@dataclass(frozen=True, slots=True)
class Appended:
    """An acknowledged append: durable at ``index`` in a tree of ``size`` with ``root``."""

    index: int
    leaf_hash: bytes
    size: int
    root: bytes


def append_sealed(
    store: TreeStore, conn: Connection, sealed: list[Sealed], locked_size: int | None = None
) -> list[Appended]:
    """Sequence and integrate ``sealed`` in the transaction ``conn`` (which it locks the
    head of, unless ``conn`` holds it already at ``locked_size``); their positions, durable
    once ``conn`` commits."""
    size = store.lock_head(conn)[0] if locked_size is None else locked_size
    if not sealed:
        return []
    insert_entries(conn, size, sealed)
    new_size = size + len(sealed)
    cur = driver_cursor(conn)
    try:
        changed = grow(size, [s.leaf_hash for s in sealed], lambda key: store.tile(cur, key))
        store.write_tiles(cur, changed)
        root = store.root(cur, new_size, changed)
        store.write_head(cur, new_size, root)
    finally:
        cur.close()
    return [Appended(size + i, s.leaf_hash, new_size, root) for i, s in enumerate(sealed)]
