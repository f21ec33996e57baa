"""Importing rows into the ledger (issue 13, item 1; docs/audit.md, "Importing"): each row
an ``audit_row`` entry with its ``audit_rows`` row in one transaction per batch, then the
``audit_import`` entry; idempotent; a crash mid-way loses nothing acknowledged, leaves no
half-written batch, and running again completes it; bad rows skipped and named; a file
that cannot be read at all changes nothing. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select

import liaison.audit.importing as importing_module
from audit_fixture import OPTIONS, importer, rows, source
from liaison.audit import records
from liaison.audit.index_check import check_audit_index
from liaison.audit.judgement import Judge
from liaison.audit.rows import AuditRow, RowProblem
from liaison.errors import AuditInputError
from liaison.ledger.log import Ledger
from liaison.storage.tables import audit_imports, audit_rows

ORIGIN = "test.example/audit-import"


@pytest.fixture
def ledger(engine: Engine) -> Ledger:
    return Ledger(engine, ORIGIN)


def _count(engine: Engine, table: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_each_row_is_an_entry_with_its_row_and_the_import_one_entry(
    ledger: Ledger, engine: Engine
) -> None:
    result = importer(ledger).run(source(rows(10)), OPTIONS)
    assert (result.rows, result.bad_rows, result.already) == (10, 0, False)
    size, _ = ledger.head()
    assert size == 11  # ten rows and the import
    assert _count(engine, audit_rows) == 10
    kinds = [e.kind for e in ledger.entries()]
    assert kinds == [records.ROW] * 10 + [records.IMPORT]
    with engine.connect() as conn:
        found = conn.execute(select(audit_rows).order_by(audit_rows.c.row)).mappings().all()
        done = conn.execute(select(audit_imports)).mappings().one()
    assert [r["row"] for r in found] == list(range(1, 11))
    assert done["id"] == result.id
    assert done["ledger_index"] == 10
    assert done["rows"] == 10
    # REASONS cycle: 1 ICE (deny), 2 burglary, 3 ??? (review), 4 "" (no purpose), 0 stolen
    assert result.counts == {
        "findings": 2,
        "permitted": 4,
        "review": 2,
        "not_judged": 2,
        "immigration": 2,
    }
    ice = found[0]
    assert (ice["decision"], ice["basis"], ice["finding"]) == ("deny", "forbid", True)
    assert json.loads(ice["citations"]) == ["EO-25-005 E3"]
    assert found[3]["reason"] == "no purpose could be formed from the row"
    assert check_audit_index(ledger) == []


def test_the_rows_own_fields_are_personal_and_apart_from_the_public_record(
    ledger: Ledger,
) -> None:
    importer(ledger).run(source(rows(2)), OPTIONS)
    stored = ledger.entry(0)
    public = stored.document()["record"]
    assert "officer-9" not in json.dumps(public)
    assert "7ABC123" not in json.dumps(public)
    assert public["file_sha256"] == "ab" * 32
    assert public["row"] == 1
    assert public["line"] == 2
    assert public["pack"] == "dc"
    assert public["rules_version"] == "test-rules-1"
    assert stored.personal is not None
    assert stored.personal["fields"]["userId"] == "officer-9"
    assert stored.personal["fields"]["plate"] == "7ABC123"


def test_importing_the_same_file_again_changes_nothing(ledger: Ledger) -> None:
    first = importer(ledger).run(source(rows(5)), OPTIONS)
    head = ledger.head()
    again = importer(ledger).run(source(rows(5)), OPTIONS)
    assert again.already
    assert again.id == first.id
    assert (again.rows, again.counts) == (5, first.counts)
    assert ledger.head() == head
    # Other options that change the judgement are another import.
    other = importer(ledger, Judge(None)).run(source(rows(5)), {**OPTIONS, "pack": None})
    assert other.id != first.id
    assert not other.already


def test_bad_rows_are_named_with_file_and_line_and_skipped(ledger: Ledger) -> None:
    result = importer(ledger).run(source(rows(9, bad_every=3)), OPTIONS)
    assert (result.rows, result.bad_rows) == (9, 3)
    assert result.problems[0] == "portal.csv:5: searchDate: not a date: 'yesterday'"
    record = ledger.entry(ledger.head()[0] - 1).document()["record"]
    assert record["bad_rows"] == 3
    assert record["bad_rows_listed"] == result.problems


def test_a_file_that_cannot_be_read_changes_nothing(ledger: Ledger, engine: Engine) -> None:
    def unreadable() -> Iterator[AuditRow | RowProblem]:
        raise AuditInputError("portal.csv: not a Flock export (no header row found)")
        yield  # pragma: no cover

    with pytest.raises(AuditInputError):
        importer(ledger).run(source(unreadable()), OPTIONS)
    assert ledger.head()[0] == 0
    assert _count(engine, audit_rows) == 0
    assert _count(engine, audit_imports) == 0


def _failing_at(limit: int) -> Iterator[AuditRow | RowProblem]:
    for item in rows(10):
        if isinstance(item, AuditRow) and item.provenance.row == limit:
            raise RuntimeError("killed")
        yield item


def test_a_crash_between_batches_loses_nothing_and_running_again_completes_it(
    ledger: Ledger, engine: Engine
) -> None:
    with pytest.raises(RuntimeError, match="killed"):
        importer(ledger, batch=4).run(source(_failing_at(10)), OPTIONS)
    assert ledger.head()[0] == 8  # two whole batches acknowledged, no import entry
    assert _count(engine, audit_rows) == 8
    assert _count(engine, audit_imports) == 0
    result = importer(ledger, batch=4).run(source(rows(10)), OPTIONS)
    assert result.resumed_after == 8
    assert result.rows == 10
    assert ledger.head()[0] == 11
    with engine.connect() as conn:
        numbers = conn.execute(select(audit_rows.c.row).order_by(audit_rows.c.row)).scalars()
        assert list(numbers) == list(range(1, 11))
    assert result.counts == importer(ledger).run(source(rows(10)), OPTIONS).counts
    assert check_audit_index(ledger) == []


def test_a_failure_inside_a_batch_leaves_none_of_it(
    ledger: Ledger, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    real = importing_module.insert_rows

    def failing(
        conn: object, table: object, columns: object, values: list[object], ready: bool = False
    ) -> None:
        calls.append(len(values))
        if len(calls) == 2:
            real(conn, table, columns, values[:1], ready)  # type: ignore[arg-type]  # half...
            raise OSError("disk full")  # ...written, then the transaction fails
        real(conn, table, columns, values, ready)  # type: ignore[arg-type]

    monkeypatch.setattr(importing_module, "insert_rows", failing)
    with pytest.raises(OSError, match="disk full"):
        importer(ledger, batch=4).run(source(rows(10)), OPTIONS)
    assert ledger.head()[0] == 4
    assert _count(engine, audit_rows) == 4
    assert [e.index for e in ledger.entries()] == [0, 1, 2, 3]
    monkeypatch.setattr(importing_module, "insert_rows", real)
    result = importer(ledger, batch=4).run(source(rows(10)), OPTIONS)
    assert (result.resumed_after, ledger.head()[0]) == (4, 11)
    assert check_audit_index(ledger) == []


def test_without_a_pack_every_row_is_classified_but_not_judged(ledger: Ledger) -> None:
    result = importer(ledger, Judge(None)).run(source(rows(10)), {**OPTIONS, "pack": None})
    assert result.counts == {
        "findings": 0,
        "permitted": 0,
        "review": 2,
        "not_judged": 8,
        "immigration": 2,
    }
    record = ledger.entry(0).document()["record"]
    assert record["purposes"] == ["immigration_status"]
    assert record["immigration"] is True
    assert (record["decision"], record["pack"]) == ("not_judged", None)


def test_a_rows_personal_part_is_erasable_and_its_index_row_stays_true(ledger: Ledger) -> None:
    importer(ledger).run(source(rows(3)), OPTIONS)
    ledger.erase(0, "the person asked", "records-officer", "court order 25-1")
    erased = ledger.entry(0)
    assert erased.erased
    assert erased.personal is None
    assert check_audit_index(ledger) == []  # no audit table held the personal part
