"""Erasure of a person: every entry's personal data about one subject, in one audited step.

``liaison ledger erase --subject ID`` finds every personal row whose canonical JSON
(RFC 8785) has a top-level ``subject_id`` equal to ID (decisions; events that name
their subject), deletes them all, and appends one ``erasure`` entry, in one transaction
(``Ledger.erase_rows``). The erasure entry names the indexes erased, their count, the
reason and the authority, and never the subject: the point is to forget them, and a
hash of an id is no protection (ids are guessable, so any hash of one can be tested).

Finding the rows is a scan of ``ledger_personal``, not a keyed index (docs/ledger.md):
an erasure is rare, while an index would cost every append and would itself be a
lookup table of who is in the log. The scan runs in the database, in index ranges of
``BATCH`` rows: the canonical form of a string is unique, so a row about ID contains the
bytes ``"subject_id":<canonical ID>``; the database returns only rows that contain them
(``instr`` on SQLite, ``position`` on PostgreSQL), and each is confirmed by parsing it.
Most of the scan runs before the head is locked, so appends go on meanwhile; under the
lock only the entries appended since are scanned, and rows erased meanwhile are skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, select, text

from liaison.errors import CanonicalJSONError, InvalidRequest, NothingToErase
from liaison.ledger.canonical import canonical_json
from liaison.storage.tables import ledger_personal

if TYPE_CHECKING:
    from liaison.ledger.log import Ledger
    from liaison.ledger.sequencer import Appended

BATCH = 5000
MAX_SUBJECT = 256  # as a request's subject.id


def delete_personal(conn: Connection, indexes: list[int], batch: int = 500) -> list[int]:
    """Delete the personal rows of ``indexes`` (sorted); the indexes that had one."""
    erased: list[int] = []
    for at in range(0, len(indexes), batch):
        chunk = indexes[at : at + batch]
        found = conn.execute(
            select(ledger_personal.c.idx).where(ledger_personal.c.idx.in_(chunk))
        ).scalars()
        kept = sorted(int(i) for i in found)
        if kept:
            conn.execute(delete(ledger_personal).where(ledger_personal.c.idx.in_(kept)))
            erased.extend(kept)
    return erased


def subject_needle(subject_id: str) -> bytes:
    """What the canonical JSON of personal data about ``subject_id`` contains; refuses an
    id no request could hold (empty, over 256 characters, NUL, not valid Unicode)."""
    if not subject_id or len(subject_id) > MAX_SUBJECT or "\x00" in subject_id:
        raise InvalidRequest("subject", f"a subject id has 1 to {MAX_SUBJECT} characters, no NUL")
    try:
        return b'"subject_id":' + canonical_json(subject_id)
    except CanonicalJSONError as exc:
        raise InvalidRequest("subject", f"subject: {exc}") from None


def subject_rows(conn: Connection, subject_id: str, start: int, stop: int) -> Iterator[int]:
    """Indexes in [start, stop) whose personal data names ``subject_id`` (top-level
    ``subject_id``), in index order, read ``BATCH`` matches at a time."""
    needle = subject_needle(subject_id)
    contains = (
        "position(:needle in data) > 0"
        if conn.dialect.name == "postgresql"
        else "instr(data, :needle) > 0"
    )
    at = start
    while at < stop:
        rows = conn.execute(
            select(ledger_personal.c.idx, ledger_personal.c.data)
            .where(ledger_personal.c.idx >= at, ledger_personal.c.idx < stop)
            .where(text(contains).bindparams(needle=needle))
            .order_by(ledger_personal.c.idx)
            .limit(BATCH)
        ).all()
        for idx, data in rows:
            if _names(bytes(data), subject_id):
                yield int(idx)
        if len(rows) < BATCH:
            return
        at = int(rows[-1].idx) + 1


def _names(data: bytes, subject_id: str) -> bool:
    try:
        value = json.loads(data)
    except ValueError:
        return False  # not what the writer made: ``ledger verify`` names it
    return isinstance(value, dict) and value.get("subject_id") == subject_id


def erase_subject(
    ledger: Ledger, subject_id: str, reason: str, actor: str, authority: str
) -> tuple[list[int], Appended]:
    """Erase every entry's personal data about ``subject_id`` and record one ``erasure``
    entry listing the indexes (never the subject); all in one transaction. Raises
    ``NothingToErase`` (nothing written) when no entry holds personal data about them."""
    subject_needle(subject_id)
    scanned, _ = ledger.head()
    with ledger.engine.connect() as conn:  # before the lock: appends are not held up
        found = list(subject_rows(conn, subject_id, 0, scanned))

    def chosen(conn: Connection, size: int) -> list[int]:
        return [*found, *subject_rows(conn, subject_id, scanned, size)]

    def record(erased: list[int]) -> dict[str, Any]:
        return {
            "erased_indexes": erased,
            "count": len(erased),
            "scope": "subject",
            "reason": reason,
            "authority": authority,
        }

    try:
        return ledger.erase_rows(chosen, record, actor)
    except NothingToErase:
        raise NothingToErase("no entry holds personal data about that subject") from None
