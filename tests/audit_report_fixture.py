"""Audited rows for the report tests (issue 13, item 4), written as the import
(``liaison audit import``) leaves them, without reading files: each row an ``audit_row``
ledger entry (the row as exported its personal part) and the ``audit_rows`` row it
determines; each complete import an ``audit_import`` entry and its ``audit_imports`` row
(the reports check both against the ledger). It keeps what the real
import cannot produce cheaply: many months and zones, and an import still being appended.
In it: three complete imports of three
agencies (a Flock portal export of an agency with no pack, a Flock network audit judged
under the ``ca`` pack, an Nlets IAQ log judged under ``il``) over several months, with
findings and their citations, rows in the review queue, rows not judged (no pack; no
time), and one import still being appended (no ledger entry yet: never counted).

Tests count what a report should say with plain Python over ``IMPORTS``/``ROWS``
(``complete_rows``, ``purpose_class``, ``local_month``). ``load(engine)`` is the one
place that writes. The import itself, end to end, is tested over files by
tests/test_audit_end_to_end.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, insert

from liaison.audit import judgement, records
from liaison.ledger.entries import NewEntry
from liaison.ledger.log import Ledger
from liaison.ledger.sequencer import Appended
from liaison.storage.tables import audit_imports, audit_rows

CA = ["CA-GOV-7284.6 a1A", "CA-CIV-1798.90.55 b"]
PACK_ZONES = {"ca": "America/Los_Angeles", "il": "America/Chicago", "dc": "America/New_York"}
IL = ["IL-5-805 15a"]
IMPORTED_AT = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Import:
    id: str
    file_name: str
    format: str
    pack: str | None
    agency: str
    timezone: str | None
    ledger_index: int | None  # None: still being appended (else: complete, entry appended)
    bad_rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def sha256(self) -> str:
        return (self.id.encode().hex() * 8)[:64]


@dataclass(frozen=True)
class Row:
    import_id: str
    row: int
    at: str | None  # RFC 3339 with offset, or None
    kind: str
    agency: str
    organisation: str | None
    org_type: str | None
    purposes: list[str]
    immigration: bool | None
    decision: str
    basis: str | None
    citations: list[str]
    reason: str | None
    user: str | None


IMPORTS = [
    Import(
        "imp-eugene",
        "eugene-portal-audit.csv",
        "flock-portal",
        None,
        "Eugene Police Department",
        "America/Los_Angeles",
        1000,
        [{"file": "eugene-portal-audit.csv", "line": 7, "message": "searchDate: not a time"}],
    ),
    Import(
        "imp-oakland",
        "oakland-network-audit.xlsx",
        "flock-network",
        "ca",
        "Oakland Police Department",
        "America/Los_Angeles",
        2000,
    ),
    Import(
        "imp-evanston",
        "evanston-iaq.log",
        "nlets-iaq",
        "il",
        "Evanston PD",
        "America/Chicago",
        3000,
    ),
    Import("imp-pending", "pending.csv", "mapped", "ca", "Pending PD", None, None),
]

# (reason, purposes, immigration) cycled through each import's rows
REASONS: list[tuple[str | None, list[str], bool | None]] = [
    ("ICE ERO", ["civil_immigration_enforcement"], True),
    ("stolen vehicle", ["criminal_investigation"], False),
    ("HSI assist", ["assist_federal_agency"], None),
    ("ice machine theft", ["criminal_investigation"], False),
    ("", [], False),
    ("Immigration (civil/administrative)", ["civil_immigration_enforcement"], True),
    ("missing person", ["missing_person"], False),
]
ORGS = [
    ("HSI Houston", "federal_immigration"),
    ("Texas Department of Public Safety", "state_local"),
    ("Unknown Org 77", None),
]


def _times(year: int, months: list[int], n: int, zone: str) -> list[str]:
    """``n`` instants spread over ``months``; the first of each month is 23:30 local on
    its last day (the next month in UTC)."""
    out = []
    for k in range(n):
        month = months[k % len(months)]
        day = 1 + (k * 3) % 27
        moment = datetime(year, month, day, 10 + k % 12, 15, tzinfo=ZoneInfo(zone))
        if k < len(months):  # late on the month's last day: next month in UTC
            after = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=ZoneInfo(zone))
            moment = datetime.fromtimestamp(after.timestamp() - 1800, ZoneInfo(zone))
        out.append(moment.isoformat())
    return out


def _judged(
    pack: str | None, immigration: bool | None, at: str | None
) -> tuple[str, str | None, list[str]]:
    """decision, basis, citations as the judgement would leave them."""
    if immigration is None:
        return "review", None, []
    if pack is None or at is None:
        return "not_judged", None, []
    if immigration:
        return "deny", "forbid", CA if pack == "ca" else IL
    return "permit", "permit", ["CA-GOV-7284.6 b"] if pack == "ca" else ["IL-5-805 20"]


def _rows(imp: Import, n: int, months: list[int], outside: bool) -> list[Row]:
    times: list[str | None] = list(_times(2025, months, n, imp.timezone or "UTC"))
    times[-1] = None  # a row without a usable time
    out = []
    for k in range(n):
        reason, purposes, immigration = REASONS[k % len(REASONS)]
        org = ORGS[k % len(ORGS)] if outside else (None, None)
        decision, basis, citations = _judged(imp.pack, immigration, times[k])
        if outside and org[1] is None and decision == "permit":
            decision, basis, citations = "deny", "default", []  # nothing authorised it
        out.append(
            Row(
                imp.id,
                k + 1,
                times[k],
                "outside_search" if outside else "own_search",
                imp.agency,
                org[0],
                org[1],
                purposes,
                immigration,
                decision,
                basis,
                citations,
                reason or None,
                f"user-{k % 5}",
            )
        )
    return out


ROWS = [
    *_rows(IMPORTS[0], 30, [6, 7, 8], outside=False),
    *_rows(IMPORTS[1], 45, [6, 7, 8, 9], outside=True),
    *_rows(IMPORTS[2], 12, [1, 2], outside=False),
    *_rows(IMPORTS[3], 5, [6], outside=False),
]
BY_ID = {i.id: i for i in IMPORTS}


def complete_rows() -> list[Row]:
    """The rows a report counts: those of complete imports."""
    return [r for r in ROWS if BY_ID[r.import_id].ledger_index is not None]


def purpose_class(row: Row) -> str:
    if row.immigration is None:
        return "review"
    if row.immigration:
        return "immigration"
    return "other" if row.purposes else "unknown"


def local_month(row: Row) -> str | None:
    """The row's month in its agency's zone."""
    if row.at is None:
        return None
    imp = BY_ID[row.import_id]
    # --timezone, else the pack's zone (its pack.toml), else UTC (docs/audit.md, "Reports")
    zone = ZoneInfo(imp.timezone or PACK_ZONES.get(imp.pack or "", "UTC"))
    return datetime.fromisoformat(row.at).astimezone(zone).strftime("%Y-%m")


def note(row: Row) -> str | None:
    """The judgement's note of a row (``audit_rows.reason``), as the judgement writes it."""
    if row.decision == "review":
        return judgement.IN_REVIEW
    if row.decision != "not_judged":
        return None
    return judgement.NO_PACK if BY_ID[row.import_id].pack is None else judgement.NO_TIME


def load(engine: Engine) -> None:
    """Every import and row of the fixture, as the import leaves them: each row an
    ``audit_row`` ledger entry (its record, and the row as exported as its personal part)
    with the ``audit_rows`` row the entry determines (``records.row_columns``); each
    complete import an ``audit_import`` entry with the ``audit_imports`` row it determines
    (``records.import_columns``); the pending import a row without an entry."""
    ledger = Ledger(engine, "t/audit-report")
    done = [i for i in IMPORTS if i.ledger_index is not None]
    entries = [NewEntry(records.ROW, _record(r), records.ACTOR, _personal(r)) for r in ROWS]
    entries += [
        NewEntry(records.IMPORT, _import_record(i), records.ACTOR, recorded_at=IMPORTED_AT)
        for i in done
    ]

    def index(conn: Connection, appended: list[Appended]) -> None:
        for imp, made in zip(done, appended[len(ROWS) :], strict=True):
            row = records.import_columns(made.index, IMPORTED_AT, _import_record(imp))
            conn.execute(insert(audit_imports).values(**row))
        pending = [i for i in IMPORTS if i.ledger_index is None]
        for imp in pending:
            row = records.import_columns(0, IMPORTED_AT, _import_record(imp))
            conn.execute(insert(audit_imports).values(**{**row, "ledger_index": None}))
        for row, made in zip(ROWS, appended[: len(ROWS)], strict=True):
            conn.execute(insert(audit_rows).values(**_row_values(row, made.index)))

    ledger.append_many(entries, after=index)


def _import_record(imp: Import) -> dict[str, Any]:
    """The record of ``imp``'s ``audit_import`` entry (as ``audit.importing`` writes it)."""
    options = {
        "format": imp.format,
        "timezone": imp.timezone,
        "agency": imp.agency,
        "pack": imp.pack,
    }
    return {
        "import": imp.id,
        "file_name": imp.file_name,
        "file_sha256": imp.sha256,
        "format": imp.format,
        "options": options,
        "rules_version": "purpose-rules-1",
        "pack": imp.pack,
        "rows": sum(1 for r in ROWS if r.import_id == imp.id),
        "bad_rows": len(imp.bad_rows),
        "bad_rows_listed": [f"{p['file']}:{p['line']}: {p['message']}" for p in imp.bad_rows],
    }


def _record(row: Row) -> dict[str, Any]:
    return {
        "import": row.import_id,
        "row": row.row,
        "line": row.row + 1,
        "source_id": f"{row.import_id}-{row.row:04d}",
        "at": row.at,
        "kind": row.kind,
        "agency": row.agency,
        "organisation": row.organisation,
        "org_type": row.org_type,
        "org_jurisdiction": "out_of_state" if row.org_type == "state_local" else None,
        "purposes": sorted(row.purposes),
        "immigration": row.immigration,
        "rule": "imm.ice" if row.immigration else "none",
        "decision": row.decision,
        "basis": row.basis,
        "finding": row.decision == "deny",
        "citations": row.citations,
        "reason": note(row),
    }


def _personal(row: Row) -> dict[str, Any]:
    """The row as exported: its free-text reason and user id."""
    return {"fields": {"reason": row.reason or "", "user": row.user}, "redacted": []}


def _row_values(row: Row, ledger_index: int) -> dict[str, Any]:
    return records.row_columns(ledger_index, _record(row))
