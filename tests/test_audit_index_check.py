"""``liaison ledger verify`` holds ``audit_rows`` and ``audit_imports`` to their ledger
entries both ways (issue 13; docs/ledger.md, "The index is checked against the ledger"):
every column changed, a row missing, a row the ledger does not hold, and a review's
outcome undone are findings. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, delete, insert, select, update

from audit_fixture import OPTIONS, dc_judge, importer, rows, source
from liaison.audit.importing import ImportResult
from liaison.audit.index_check import check_audit_index
from liaison.audit.review import Review, review_row
from liaison.gateway.index_check import check_index
from liaison.ledger.log import Ledger
from liaison.model.vocabulary import Purpose
from liaison.storage.tables import audit_imports, audit_rows

ORIGIN = "test.example/audit-index"
FORGED = datetime(2001, 1, 1, tzinfo=UTC)
# A value each column of row 1 (an immigration status search: deny, forbid) does not hold.
ROW_TAMPER: dict[str, Any] = {
    "import_id": "imp-forged",
    "row": 999,
    "line": 77,
    "source_id": "forged",
    "at": FORGED,
    "kind": "export",
    "agency": "Other PD",
    "organisation": "Forged Org",
    "org_type": "private",
    "org_jurisdiction": "in_state",
    "purposes": '["criminal_investigation"]',
    "immigration": False,
    "rule": "forged-rule",
    "reviewed": True,
    "decision": "permit",
    "basis": "permit",
    "finding": False,
    "citations": "[]",
    "reason": "forged",
}
IMPORT_TAMPER: dict[str, Any] = {
    "file_name": "other.csv",
    "file_sha256": "cd" * 32,
    "format": "mapped",
    "pack": "il",
    "agency": "Other PD",
    "timezone": "America/Chicago",
    "rules_version": "forged",
    "rows": 3,
    "bad_rows": 7,
    "imported_at": FORGED,
    "document": "{}",
}


@pytest.fixture
def ledger(engine: Engine) -> Ledger:
    return Ledger(engine, ORIGIN)


@pytest.fixture
def imported(ledger: Ledger) -> ImportResult:
    result = importer(ledger).run(source(rows(6)), OPTIONS)
    assert check_audit_index(ledger) == []
    return result


def _messages(ledger: Ledger) -> list[str]:
    return [f"{f.where}: {f.message}" for f in check_audit_index(ledger)]


@pytest.mark.parametrize("column", sorted(ROW_TAMPER))
def test_each_changed_audit_rows_column_is_a_finding(
    ledger: Ledger, engine: Engine, imported: ImportResult, column: str
) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(audit_rows)
            .where(audit_rows.c.import_id == imported.id, audit_rows.c.row == 1)
            .values({column: ROW_TAMPER[column]})
        )
    found = _messages(ledger)
    assert len(found) == 1, found
    assert f"column(s) {column}" in found[0]
    assert "differ from audit_row entry 0" in found[0]
    # ``liaison ledger verify``'s index check reports it too.
    assert any(column in f.message for f in check_index(ledger))


@pytest.mark.parametrize("column", sorted(IMPORT_TAMPER))
def test_each_changed_audit_imports_column_is_a_finding(
    ledger: Ledger, engine: Engine, imported: ImportResult, column: str
) -> None:
    with engine.begin() as conn:
        conn.execute(update(audit_imports).values({column: IMPORT_TAMPER[column]}))
    found = _messages(ledger)
    assert len(found) == 1, found
    assert f"audit_imports {imported.id!r}" in found[0]
    assert column in found[0]


def test_a_moved_ledger_index_is_a_missing_row_and_a_stray_one(
    ledger: Ledger, engine: Engine, imported: ImportResult
) -> None:
    with engine.begin() as conn:
        conn.execute(update(audit_rows).where(audit_rows.c.row == 2).values(ledger_index=10_000))
        conn.execute(update(audit_imports).values(ledger_index=10_001))
    found = "\n".join(_messages(ledger))
    assert "audit_row entry 1 has no audit_rows row" in found
    assert "points at entry 10000, which is no audit_row entry" in found
    assert "column(s) ledger_index differ from audit_import entry 6" in found


def test_a_deleted_row_and_an_inserted_one_are_findings(
    ledger: Ledger, engine: Engine, imported: ImportResult
) -> None:
    with engine.begin() as conn:
        copy = dict(conn.execute(select(audit_rows).where(audit_rows.c.row == 2)).mappings().one())
        conn.execute(delete(audit_rows).where(audit_rows.c.row == 2))
        conn.execute(insert(audit_rows).values({**copy, "row": 50, "ledger_index": -5}))
        conn.execute(delete(audit_imports))
        conn.execute(
            insert(audit_imports).values(
                id="imp-stray",
                file_name="x.csv",
                file_sha256="0" * 64,
                format="mapped",
                pack=None,
                agency=None,
                timezone=None,
                rules_version="r",
                ledger_index=None,
                rows=0,
                bad_rows=0,
                imported_at=FORGED,
                document="{}",
            )
        )
    found = "\n".join(_messages(ledger))
    assert "audit_row entry 1 has no audit_rows row" in found
    assert "row 50: column ledger_index: the row points at entry -5" in found
    assert "audit_import entry 6 has no row" in found
    assert "audit_imports 'imp-stray': no audit_import entry holds it" in found


def test_a_reviewed_row_is_held_to_its_latest_review(
    ledger: Ledger, engine: Engine, imported: ImportResult
) -> None:
    review = Review(imported.id, 3, True, (Purpose.IMMIGRATION_STATUS,), "a-1", "ICE")
    done = review_row(ledger, review, lambda pack, view: dc_judge(view))
    assert _messages(ledger) == []
    with engine.begin() as conn:  # the review's outcome undone behind the ledger's back
        conn.execute(
            update(audit_rows)
            .where(audit_rows.c.row == 3)
            .values(decision="review", finding=False, reviewed=False)
        )
    found = _messages(ledger)
    assert len(found) == 1
    assert "decision" in found[0]
    assert "reviewed" in found[0]
    assert "finding" in found[0]
    assert f"its review (entry {done.ledger_index})" in found[0]
