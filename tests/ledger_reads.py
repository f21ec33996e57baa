"""Reads of a ledger that only tests need: the root of an older tree, one entry's body."""

from __future__ import annotations

from sqlalchemy import select

from liaison.errors import NotFound
from liaison.ledger.log import Ledger
from liaison.storage.database import read_cursor
from liaison.storage.tables import ledger_entries


def root_at(ledger: Ledger, size: int) -> bytes:
    """The root of the tree of ``size`` (from the tiles; the head's for the current one)."""
    with read_cursor(ledger.engine) as cur:
        current, root = ledger.store.read_head(cur)
        if not 0 <= size <= current:
            raise NotFound(f"the ledger has no tree of size {size} (current size {current})")
        return root if size == current else ledger.store.root(cur, size)


def entry_body(ledger: Ledger, index: int) -> bytes | None:
    """The stored body of entry ``index`` (None: there is none)."""
    with ledger.engine.connect() as conn:
        value = conn.execute(
            select(ledger_entries.c.body).where(ledger_entries.c.idx == index)
        ).scalar_one_or_none()
    return None if value is None else bytes(value)
