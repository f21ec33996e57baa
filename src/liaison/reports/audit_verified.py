"""Audited rows checked against their ledger entries before they are served (issue 13;
docs/ledger.md, "The index is checked against the ledger"; docs/audit.md, "Reports").

``audit_rows`` is a cache of the ledger's ``audit_row`` entries and the database is not
trusted: every row served one by one (a finding, a row of the review queue, a page of
``GET /v1/audit/rows`` or ``/audit``) is first compared with the row its entry determines
(``audit.records.row_columns``, the entry's body checked against its leaf hash) with the
``audit_review`` entries of that row replayed over it in ledger order, the latest deciding
(``records.reviewed_columns``), as ``liaison ledger verify`` does (``audit.index_check``).
A row that differs is never served: ``IntegrityFailure`` (503 ``integrity``), logged,
naming the row and the columns.

The entries are read in one query per page, with their personal part: the row as the
export had it (``{"fields": {...}, "reason": ..., "redacted": [...]}``, checked against its entry's
commitment), which is what an auditor reads a finding by: the row's own stated reason, user
id, plate... An erased row says so (``erased``): its entry is kept, its personal part gone.

An import served (``verified_imports``: its provenance, options and bad rows, read from
``audit_imports.document``) is checked the same way against its ``audit_import`` entry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, select

from liaison.audit import records
from liaison.errors import LedgerError
from liaison.gateway.index_reads import IndexReader
from liaison.gateway.index_rows import checked_entry, checked_row, differences, failure, instant
from liaison.ledger.reads import stored_entry
from liaison.storage.tables import ledger_entries, ledger_personal

TABLE = "audit_rows"
IMPORTS = "audit_imports"
CHUNK = 5000  # entries read per query (under SQLite's and PostgreSQL's parameter limits)
# The export's column that holds a row's stated reason, by its name (ignoring case and
# spacing); an Nlets IAQ message's free text is ATN, then RMK/REM (docs/audit.md, nlets-iaq).
REASON_COLUMN = "reason"
NLETS_TEXT = ("ATN", "RMK", "REM")


def verified(
    conn: Connection, rows: Sequence[Mapping[str, Any]], signed: IndexReader | None = None
) -> list[dict[str, Any]]:
    """``rows`` of ``audit_rows`` (every column of ``records.ROW_COLUMNS``, and any others
    the caller read beside them), each once checked against its entry and its reviews, with
    ``exported``: the row as exported (``exported_part``); ``IntegrityFailure`` for the
    first that differs. ``signed`` (the service's reader, when it has a signing key): each
    entry below the size the key last signed must also be in that signed tree."""
    if not rows:
        return []
    indexes = [int(r["ledger_index"]) for r in rows if isinstance(r.get("ledger_index"), int)]
    e, p = ledger_entries.c, ledger_personal.c
    found: dict[int, Any] = {}
    personal: dict[int, Any] = {}
    for at in range(0, len(indexes), CHUNK):  # a report's list may hold 100,000 rows
        some = indexes[at : at + CHUNK]
        entries = select(ledger_entries).where(e.idx.in_(some))
        found |= {int(f.idx): f for f in conn.execute(entries)}
        kept = select(p.idx, p.salt, p.data).where(p.idx.in_(some))
        personal |= {int(f.idx): f for f in conn.execute(kept)}
    reviews = _reviews(conn)
    out = [_checked(row, found, personal, reviews) for row in rows]
    if signed is not None:
        pointed = [
            ({"id": _ident(r)}, int(r["ledger_index"]), bytes(found[r["ledger_index"]].body))
            for r in rows
        ]
        signed.in_signed_tree(TABLE, pointed)
    return out


def verified_imports(
    conn: Connection, rows: Sequence[Mapping[str, Any]], signed: IndexReader | None = None
) -> list[dict[str, Any]]:
    """``rows`` of ``audit_imports`` (every column of ``records.IMPORT_COLUMNS``, and any
    others read beside them), each checked against its ``audit_import`` entry: the row that
    entry determines (``records.import_columns``: its ``document`` is the entry's record,
    the options and bad rows a page shows); ``IntegrityFailure`` for the first that differs.
    ``signed``: as ``verified``. All the entries are read in one query (imports are few)."""
    e = ledger_entries.c
    indexes = [int(r["ledger_index"]) for r in rows]
    found = {int(f.idx): f for f in conn.execute(select(ledger_entries).where(e.idx.in_(indexes)))}
    out = []
    for row in rows:
        stored = found.get(int(row["ledger_index"]))
        if stored is None:
            raise failure(IMPORTS, row["id"], ["ledger_index"], "the row points at no entry")
        entry = stored_entry(stored, None, looked_up=False)
        body = checked_entry(entry, records.IMPORT, IMPORTS, row["id"])
        try:
            expected = records.import_columns(entry.index, body["recorded_at"], body["record"])
        except (KeyError, TypeError, ValueError, AttributeError):
            what = f"entry {entry.index} is an audit_import entry of another shape"
            raise failure(IMPORTS, row["id"], ["ledger_index"], what) from None
        stored_row = {**row, "imported_at": instant(row["imported_at"])}
        checked_row(IMPORTS, stored_row, expected, records.IMPORT_COLUMNS)
        out.append(dict(row))
    if signed is not None:
        pointed = [(r, int(r["ledger_index"]), bytes(found[r["ledger_index"]].body)) for r in rows]
        signed.in_signed_tree(IMPORTS, pointed)
    return out


def _checked(
    row: Mapping[str, Any],
    found: Mapping[int, Any],
    personal: Mapping[int, Any],
    reviews: Mapping[tuple[str, int], tuple[int, dict[str, Any]]],
) -> dict[str, Any]:
    ident = _ident(row)
    index = row.get("ledger_index")
    stored = found.get(index) if isinstance(index, int) else None
    if stored is None:
        raise failure(TABLE, ident, ["ledger_index"], "the row points at no ledger entry")
    try:
        entry = stored_entry(stored, personal.get(int(stored.idx)))
    except LedgerError:
        what = "its personal part does not match its entry's commitment"
        raise failure(TABLE, ident, ["ledger_personal"], what) from None
    body = checked_entry(entry, records.ROW, TABLE, ident)
    try:
        expected = records.row_columns(entry.index, body["record"])
    except (KeyError, TypeError, ValueError, AttributeError):
        what = f"entry {entry.index} is an audit_row entry of another shape"
        raise failure(TABLE, ident, ["ledger_index"], what) from None
    review = reviews.get((expected["import_id"], expected["row"]))
    if review is not None:
        if review[1].get("row_entry") != entry.index:
            what = f"its review (entry {review[0]}) names another entry"
            raise failure(TABLE, ident, ["reviewed"], what)
        expected.update(records.reviewed_columns(review[1]))
    differ = differences(expected, {**row, "at": instant(row.get("at"))}, records.ROW_COLUMNS)
    if differ:
        raise failure(TABLE, ident, differ, "the row differs from its ledger entry")
    return {**row, "exported": exported_part(entry.personal, entry.erased)}


def _ident(row: Mapping[str, Any]) -> str:
    """How a refusal names an audited row (it has no ``id``): its import and row."""
    return f"{row.get('import_id')} row {row.get('row')}"


def _reviews(conn: Connection) -> dict[tuple[str, int], tuple[int, dict[str, Any]]]:
    """The latest ``audit_review`` of each row (ledger order: a later one supersedes), each
    entry checked against its leaf hash (reviews are few: an auditor records each)."""
    e = ledger_entries.c
    query = select(ledger_entries).where(e.kind == records.REVIEW).order_by(e.idx)
    out: dict[tuple[str, int], tuple[int, dict[str, Any]]] = {}
    for stored in conn.execute(query):
        entry = stored_entry(stored, None, looked_up=False)
        body = checked_entry(entry, records.REVIEW, "audit_review", entry.index)
        try:
            record = body["record"]
            out[(str(record["import"]), int(record["row"]))] = (entry.index, record)
        except (KeyError, TypeError, ValueError):
            raise failure("audit_review", entry.index, ["record"], "unreadable") from None
    return out


def exported_part(personal: Mapping[str, Any] | None, erased: bool) -> dict[str, Any]:
    """The row as exported, as served: its ``fields`` (every column verbatim), the
    ``redacted`` ones, its ``stated_reason`` (``stated_reason``), and ``erased`` (its
    personal part was erased: the fields are gone, the audit's record stays)."""
    fields = personal.get("fields") if personal else None
    fields = dict(fields) if isinstance(fields, Mapping) else None
    redacted = list(personal.get("redacted") or []) if personal else []
    return {
        "fields": fields,
        "redacted": redacted,
        # The reader's own reading when the entry holds it (``reason``), else the columns.
        "stated_reason": personal["reason"]
        if personal and isinstance(personal.get("reason"), str)
        else stated_reason(fields),
        "erased": erased,
    }


def stated_reason(fields: Mapping[str, Any] | None) -> str | None:
    """The reason the row itself gave: its ``reason`` column (any case or spacing: Flock's
    ``reason``, ``Reason``), else an Nlets message's free text; None when neither."""
    if not fields:
        return None
    for name, value in fields.items():
        if "".join(str(name).split()).lower() == REASON_COLUMN:
            return None if value is None else str(value)
    text = [str(fields[t]) for t in NLETS_TEXT if fields.get(t)]
    return " / ".join(text) or None
