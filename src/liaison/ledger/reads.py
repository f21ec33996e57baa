"""Reading entries back: one with its personal data, or many in index order.

The database is not trusted (docs/ledger.md): a stored value of an unexpected type is read
as bytes (``blob``), and personal data that does not match the commitment its entry holds
is refused (``LedgerError``), never served.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select

from liaison.errors import LedgerError, NotFound
from liaison.ledger.entries import parse_body, personal_matches
from liaison.ledger.store import blob
from liaison.storage.tables import ledger_entries, ledger_personal


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


def read_entry(engine: Engine, index: int) -> StoredEntry:
    """Entry ``index`` with its personal data (checked against its commitment)."""
    with engine.connect() as conn:
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
    return stored_entry(row, extra)


def read_entries(
    engine: Engine, start: int = 0, stop: int | None = None, batch: int = 5000
) -> Iterator[StoredEntry]:
    """Entries in index order (streamed in batches), without their personal data."""
    at = start
    while stop is None or at < stop:
        limit = batch if stop is None else min(batch, stop - at)
        with engine.connect() as conn:
            rows = conn.execute(
                select(ledger_entries)
                .where(ledger_entries.c.idx >= at)
                .order_by(ledger_entries.c.idx)
                .limit(limit)
            ).all()
        if not rows:
            return
        for row in rows:
            yield stored_entry(row, None, looked_up=False)
        at = int(rows[-1].idx) + 1


def stored_entry(row: Any, personal: Any, *, looked_up: bool = True) -> StoredEntry:
    """An entry row; ``personal`` is its personal row, when ``looked_up`` (None: none stored)."""
    body = blob(row.body)
    data: dict[str, Any] | None = None
    erased = False
    if personal is not None:
        kept = blob(personal.data)
        if not personal_matches(parse_body(body), blob(personal.salt), kept):
            raise LedgerError(
                f"entry {row.idx}: stored personal data does not match its commitment"
            )
        data = parse_body(kept)
    elif looked_up and b'"personal":' in body:
        erased = "personal" in parse_body(body)  # committed to personal data that is gone
    recorded = aware(row.recorded_at)
    return StoredEntry(int(row.idx), row.kind, recorded, body, blob(row.leaf_hash), data, erased)


def aware(value: object) -> datetime:
    """A stored instant, aware (UTC); the epoch for a tampered column (the body holds the
    real time)."""
    if not isinstance(value, datetime):
        return datetime.fromtimestamp(0, UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
