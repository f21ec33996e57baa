"""The readers of Flock exports (issue 13, item 1): transparency-portal search audits,
organization and network audits (CSV and XLSX), on fixtures of tests/fixtures/audit/."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from liaison.audit.readers import ReadOptions, open_rows
from liaison.audit.rows import AuditRow, RowKind, RowProblem
from liaison.errors import AuditInputError

FIXTURES = Path(__file__).parent / "fixtures" / "audit"
AGENCY = "Springfield OR PD"
LA = ZoneInfo("America/Los_Angeles")


def read(path: Path, fmt: str | None, **options: object) -> list[AuditRow | RowProblem]:
    with open_rows(path, fmt, ReadOptions(**options)) as stream:  # type: ignore[arg-type]
        return list(stream)


def audit_rows(items: list[AuditRow | RowProblem]) -> list[AuditRow]:
    return [item for item in items if isinstance(item, AuditRow)]


def problems(items: list[AuditRow | RowProblem]) -> list[RowProblem]:
    return [item for item in items if isinstance(item, RowProblem)]


def test_portal_utc_export_with_bom_crlf_redactions_and_bad_rows() -> None:
    items = read(FIXTURES / "portal-utc.csv", None, agency=AGENCY)
    rows = audit_rows(items)
    assert [row.source_id for row in rows] == ["a1", "a2", "a3", "a5", "a7"]
    first = rows[0]
    assert first.format == "flock-portal"
    assert first.kind is RowKind.OWN_SEARCH
    assert first.database == "ALPR"
    assert first.agency == AGENCY
    assert first.at == datetime(2025, 6, 18, 7, 2, 4, 789000, tzinfo=UTC)
    assert first.at is not None
    assert first.at.tzinfo is UTC
    assert first.fields == {
        "id": "a1",
        "userId": "u-1",
        "searchDate": "2025-06-18T07:02:04.789Z",
        "networkCount": "2510",
        "reason": "investigation",
    }
    # *** is a redaction, not an empty cell; an empty user is just empty
    assert rows[1].user is None
    assert rows[1].redacted == frozenset({"user"})
    assert rows[2].user is None
    assert rows[2].redacted == frozenset()
    # an offset is honoured: 08:00+02:00 is 06:00 UTC
    assert rows[2].at == datetime(2025, 6, 18, 6, 0, tzinfo=UTC)
    # an empty time: the row is kept, with no instant
    assert rows[3].at is None
    assert rows[3].reason == "welfare check"
    # ' REDACTED' (leading space) is a redaction marker
    assert rows[4].reason is None
    assert rows[4].redacted == frozenset({"reason"})
    # data rows numbered from 1 (bad rows count), lines physical (the header is line 1)
    assert [(row.provenance.row, row.provenance.line) for row in rows] == [
        (1, 2),
        (2, 3),
        (3, 4),
        (5, 6),
        (7, 8),
    ]
    bad_time, short = problems(items)
    assert (bad_time.line, bad_time.row, bad_time.field) == (5, 4, "searchDate")
    assert "not a time" in bad_time.message
    assert (short.line, short.row, short.field) == (7, 6, None)
    assert str(short).startswith(f"{FIXTURES / 'portal-utc.csv'}:7:")


def test_portal_local_times_need_a_zone_and_refuse_ambiguous_and_missing_hours() -> None:
    path = FIXTURES / "portal-local.csv"
    with pytest.raises(AuditInputError, match=r"portal-local\.csv:2: searchDate: .*--timezone"):
        open_rows(path, None, ReadOptions())
    items = read(path, None, timezone=LA)
    rows = audit_rows(items)
    # summer: PDT (UTC-7); winter: PST (UTC-8)
    assert rows[0].at == datetime(2025, 6, 18, 7, 2, 4, 789000, tzinfo=UTC)
    assert rows[1].at == datetime(2025, 12, 3, 7, 1, 50, 984000, tzinfo=UTC)
    # columns in another order, the count named cameraCount, an extra column kept
    assert rows[0].source_id == "b1"
    assert rows[0].reason == "investigation"
    assert rows[0].fields["department"] == "Patrol"
    assert rows[1].reason == "Person+Crime"  # as written
    twice, skipped = problems(items)
    assert twice.line == 3
    assert "happened twice" in twice.message
    assert skipped.line == 4
    assert "does not exist" in skipped.message


def test_organization_audit_quirks() -> None:
    path = FIXTURES / "org-audit.csv"
    with open_rows(path, "flock-org", ReadOptions()) as stream:
        items = list(stream)
        assert stream.skipped == {"repeated header": 1, "blank line": 1}
    rows = audit_rows(items)
    assert [row.source_id for row in rows] == ["f-1", "f-2", "f-3", "f-4", "f-7"]
    one, two, three, four, seven = rows
    # BOM stripped from the first column name; extra column kept
    assert "ID" in one.fields
    assert one.fields["Notes"] == "kept"
    assert all(row.kind is RowKind.OWN_SEARCH and row.agency == AGENCY for row in rows)
    assert all(row.organisation is None for row in rows)
    # multi-line cells: the row starts on line 2, the next one on line 5
    assert one.reason == "stolen vehicle\nseen on 5th street"
    assert one.fields["Time Frame"].count("UTC") == 2
    assert (one.provenance.line, two.provenance.line) == (2, 5)
    assert one.at == datetime(2025, 6, 8, 15, 4, 5, tzinfo=UTC)  # 03:04:05 PM UTC
    assert two.at == datetime(2025, 6, 9, 9, 10, 11, tzinfo=UTC)  # unpadded 6/9/2025
    assert four.at == datetime(2025, 6, 11, 10, tzinfo=UTC)  # ISO also read
    assert one.case_number == "25-001"
    assert one.redacted == frozenset({"license_plate", "filters"})
    # ***, ' REDACTED' and empty told apart
    assert two.user is None
    assert two.reason is None
    assert two.case_number is None
    assert two.redacted == frozenset({"user", "reason", "case_number"})
    assert three.reason is None
    assert three.redacted == frozenset()
    assert three.codes == {
        "SEARCH_TYPE": "freeform",
        "MODERATION": "allow",
        "OFFENSE_TYPE": "Immigration (civil/administrative)",
    }
    assert seven.at is None  # empty Search Time
    # the repeated header is not a data row: f-4 is data row 4, on line 8
    assert (four.provenance.row, four.provenance.line) == (4, 8)
    bad_time, short = problems(items)
    assert (bad_time.line, bad_time.row, bad_time.field) == (9, 5, "Search Time")
    assert (short.line, short.row) == (10, 6)
    assert "16" in short.message
    assert seven.provenance.row == 7


def test_network_audit_tells_own_searches_from_other_organisations() -> None:
    path = FIXTURES / "network-audit.csv"
    rows = audit_rows(read(path, "flock-network", agency=AGENCY))
    kinds = [(row.source_id, row.kind, row.organisation) for row in rows]
    assert kinds == [
        ("n-1", RowKind.OWN_SEARCH, None),
        ("n-2", RowKind.OUTSIDE_SEARCH, "Homeland Security Investigations"),
        ("n-3", RowKind.OWN_SEARCH, None),  # case and spacing ignored
        ("n-4", RowKind.OUTSIDE_SEARCH, None),  # Org Name redacted: unknown, never own
        ("n-5", RowKind.OUTSIDE_SEARCH, None),  # Org Name empty: unknown, never own
        ("n-6", RowKind.OUTSIDE_SEARCH, "Travis County TX SO"),
    ]
    assert all(row.agency == AGENCY for row in rows)
    assert "organisation" in rows[3].redacted
    assert "organisation" not in rows[4].redacted
    assert rows[5].reason is None
    assert "reason" in rows[5].redacted
    assert rows[1].at == datetime(2025, 7, 1, 14, tzinfo=UTC)  # 02:00:00 PM UTC
    assert rows[0].case_number == "25-9"
    assert rows[1].case_number is None
    assert rows[0].fields["Org Name"] == AGENCY


def test_network_audit_needs_the_agency() -> None:
    with pytest.raises(AuditInputError, match="--agency"):
        open_rows(FIXTURES / "network-audit.csv", "flock-network", ReadOptions())


def _workbook(path: Path, rows: list[list[object]], sheets: int = 1) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Network Audit"
    for row in rows:
        sheet.append(row)
    for number in range(1, sheets):
        book.create_sheet(f"extra {number}")
    book.save(path)
    return path


HEADER = ["ID", "Org Name", "Name", "Search Time", "Reason", "Case #", "Total Networks Searched"]


def test_xlsx_network_audit(tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "export.xlsx",
        [
            HEADER,
            ["x-1", AGENCY, "Officer", "07/01/2025, 01:00:00 AM UTC", "theft", 25001, 5],
            [],
            HEADER,
            ["x-2", "U.S. Border Patrol", "***", "07/02/2025, 01:00:00 PM UTC", "ICE", None, 800],
            ["x-3", "Boise ID PD", "A", "07/02/2025, 25:00:00 PM UTC", "x", None, 3],
            ["x-4", "Boise ID PD", "B", "07/03/2025, 01:00:00 AM UTC", " REDACTED"],
        ],
        sheets=2,
    )
    with open_rows(path, None, ReadOptions(agency=AGENCY)) as stream:
        assert stream.format == "flock-network"
        items = list(stream)
        assert stream.skipped == {"repeated header": 1, "blank line": 1}
        assert stream.notes
        assert "extra 1" in stream.notes[0]
    rows = audit_rows(items)
    assert [row.source_id for row in rows] == ["x-1", "x-2", "x-4"]
    assert rows[0].kind is RowKind.OWN_SEARCH
    assert rows[0].case_number == "25001"
    assert rows[1].kind is RowKind.OUTSIDE_SEARCH
    assert rows[1].organisation == "U.S. Border Patrol"
    assert rows[1].redacted == frozenset({"user"})
    # sheet rows: header 1, x-1 on 2, blank 3, repeated header 4, x-2 on 5
    assert [(row.provenance.row, row.provenance.line) for row in rows] == [(1, 2), (2, 5), (4, 7)]
    assert rows[2].reason is None
    assert "reason" in rows[2].redacted
    (bad,) = problems(items)
    assert (bad.line, bad.row, bad.field) == (6, 3, "Search Time")


def test_xlsx_with_real_datetime_cells_reads_them_in_the_zone(tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "org.xlsx",
        [HEADER, ["y-1", AGENCY, "Officer", datetime(2025, 1, 2, 3, 4, 5), "theft", None, 1]],
    )
    with pytest.raises(AuditInputError, match="--timezone"):
        open_rows(path, "flock-org", ReadOptions())
    (row,) = audit_rows(read(path, "flock-org", timezone=ZoneInfo("UTC")))
    assert row.at == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert row.agency == AGENCY
    assert row.kind is RowKind.OWN_SEARCH


def test_missing_required_column_is_refused_before_any_row(tmp_path: Path) -> None:
    path = tmp_path / "audit.csv"
    path.write_text("ID,Name,Org Name,Total Networks Searched,Search Time\n1,a,b,3,x\n")
    with pytest.raises(AuditInputError, match=r"audit\.csv:1: .*no column 'reason'"):
        open_rows(path, "flock-org", ReadOptions())
    portal = tmp_path / "portal.csv"
    portal.write_text("id,userId,networkCount,reason\n1,2,3,4\n")
    with pytest.raises(AuditInputError, match=r"portal\.csv:1: .*searchdate"):
        open_rows(portal, "flock-portal", ReadOptions())


def test_header_repeated_with_a_bom_mid_file_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "two-exports.csv"
    header = "id,userId,searchDate,networkCount,reason\n"
    path.write_text(
        header
        + "1,u,2025-01-01T00:00:00Z,3,a\n"
        + "\ufeff"
        + header
        + "2,u,2025-01-02T00:00:00Z,3,b\n",
        encoding="utf-8",
    )
    with open_rows(path, None, ReadOptions()) as stream:
        rows = audit_rows(list(stream))
        assert stream.skipped["repeated header"] == 1
    assert [(row.source_id, row.provenance.row, row.provenance.line) for row in rows] == [
        ("1", 1, 2),
        ("2", 2, 4),
    ]


def test_split_search_date_and_time_columns_are_joined(tmp_path: Path) -> None:
    path = tmp_path / "split.csv"
    path.write_text(
        "Org Name,Search Date,Search Time,Reason,Total Networks Searched\n"
        f"{AGENCY},2025-05-01,09:11:16,theft,541\n"
    )
    with pytest.raises(AuditInputError, match="--timezone"):
        open_rows(path, "flock-org", ReadOptions())
    (row,) = audit_rows(read(path, "flock-org", timezone=ZoneInfo("UTC")))
    assert row.at == datetime(2025, 5, 1, 9, 11, 16, tzinfo=UTC)


def test_damaged_workbooks_are_refused_naming_the_file(tmp_path: Path) -> None:
    import zipfile

    good = _workbook(tmp_path / "good.xlsx", [HEADER] + [["x", AGENCY, "n", "", "r", "", 1]] * 50)
    damaged = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.startswith("xl/worksheets/sheet1"):
                data = data[: len(data) // 2]  # the sheet's XML cut in the middle
            target.writestr(item, data)
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(good.read_bytes()[:300])
    for path in (damaged, truncated):
        with (
            pytest.raises(AuditInputError) as caught,
            open_rows(path, "flock-org", ReadOptions()) as stream,
        ):
            list(stream)
        assert str(path) in str(caught.value)


def test_a_network_audit_read_as_an_organization_audit_does_not_pass_as_own() -> None:
    items = read(FIXTURES / "network-audit.csv", "flock-org")
    own = [(row.source_id, row.agency) for row in audit_rows(items)]
    # the first organisation seen is the audit's; rows of other organisations are problems
    assert own == [("n-1", AGENCY), ("n-3", "springfield  or pd"), ("n-4", None), ("n-5", None)]
    refused = [(problem.line, problem.field) for problem in problems(items)]
    assert refused == [(3, "Org Name"), (7, "Org Name")]
    assert "network audit" in problems(items)[0].message
