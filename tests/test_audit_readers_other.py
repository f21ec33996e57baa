"""The readers of Nlets IAQ logs and mapped CSV / JSON-lines logs, format detection, and the
files refused whole (issue 13, item 1)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from liaison.audit.detect import detect_format
from liaison.audit.readers import ReadOptions, open_rows
from liaison.audit.rows import AuditRow, RowKind, RowProblem
from liaison.errors import AuditInputError

FIXTURES = Path(__file__).parent / "fixtures" / "audit"


def read(path: Path, fmt: str | None, options: ReadOptions) -> list[AuditRow | RowProblem]:
    with open_rows(path, fmt, options) as stream:
        return list(stream)


def test_nlets_iaq_log() -> None:
    with open_rows(FIXTURES / "iaq.log", None, ReadOptions()) as stream:
        assert stream.format == "nlets-iaq"
        items = list(stream)
        assert stream.skipped == {"blank or comment line": 2, "IAR message (not a query)": 1}
    rows = [item for item in items if isinstance(item, AuditRow)]
    first, second, third = rows
    assert all(row.kind is RowKind.OWN_SEARCH and row.database == "NLETS_IAQ" for row in rows)
    assert first.at == datetime(2025, 3, 4, 22, 22, 5, tzinfo=UTC)
    assert first.agency == "ORPPB0000"
    assert first.source_id == "0001"
    assert first.user == "jdoe"
    assert first.reason == "DET J. SMITH"
    assert first.codes == {
        "MKE": "IAQ",
        "ORI": "ORPPB0000",
        "DST": "AX",
        "PUR": "C",
        "CUS": "N",
        "OFF": "0399",
    }
    # personal fields are kept in fields, never in codes
    assert first.fields["NAM"] == "DOE, JOHN Q"
    assert first.fields["DOB"] == "19800101"
    assert first.fields["TERM"] == "PPB12"
    assert "NAM" not in first.codes
    assert "DOB" not in first.codes
    # '|' separators, SEQ= as the id, optional fields, CUS/Y
    assert second.source_id == "77"
    assert second.codes["CUS"] == "Y"
    assert second.fields["ARN"] == "A12345678"
    assert second.fields["OLN"] == "ROEJ1234"
    assert second.reason == "SGT LEE ICE HOLD REQUEST"
    # a wrapped message joined, numbered by its first line; a remark is free text
    assert third.provenance.line == 6
    assert third.codes["OFF"] == "0399"
    assert third.reason == "OFC KIM / PER DHS REQUEST"
    assert [(row.provenance.row, row.provenance.line) for row in rows] == [(1, 2), (2, 5), (3, 6)]
    no_message, bad_time, no_txt = (item for item in items if isinstance(item, RowProblem))
    assert (no_message.line, no_message.row) == (8, 4)
    assert (bad_time.line, bad_time.field) == (9, "time")
    assert no_txt.line == 10
    assert "TXT" in no_txt.message


def test_nlets_agency_from_the_option_and_local_times(tmp_path: Path) -> None:
    path = tmp_path / "switch.log"
    path.write_text(
        "2025-03-04 14:22:05 IAQ.ORPPB0000.AX.TXT PUR/C.ATN/A.NAM/X, Y.CUS/N.OFF/0399\n"
    )
    with pytest.raises(AuditInputError, match=r"switch\.log:1: time: .*--timezone"):
        open_rows(path, "nlets-iaq", ReadOptions())
    options = ReadOptions(timezone=ZoneInfo("America/Los_Angeles"), agency="Portland OR PB")
    (row,) = read(path, "nlets-iaq", options)
    assert isinstance(row, AuditRow)
    assert row.at == datetime(2025, 3, 4, 22, 22, 5, tzinfo=UTC)
    assert row.agency == "Portland OR PB"
    assert row.codes["ORI"] == "ORPPB0000"


def test_mapped_csv() -> None:
    options = ReadOptions(mapping=FIXTURES / "mapped.toml")
    items = read(FIXTURES / "mapped.csv", None, options)
    first, gap, bad, no_time = items
    assert isinstance(first, AuditRow)
    assert isinstance(no_time, AuditRow)
    assert first.format == "mapped"
    assert first.database == "RMS"
    assert first.kind is RowKind.OWN_SEARCH
    assert first.agency == "Springfield OR PD"
    assert first.at == datetime(2025, 3, 4, 20, 22, tzinfo=UTC)  # 14:22 CST
    assert (first.source_id, first.user, first.reason, first.case_number) == (
        "L1",
        "jdoe",
        "records check",
        "C-1",
    )
    assert first.codes == {"OFFENSE": "0399"}
    assert first.fields["Terminal"] == "T1"
    assert isinstance(gap, RowProblem)
    assert "does not exist" in gap.message
    assert gap.line == 3
    assert isinstance(bad, RowProblem)
    assert bad.field == "When"
    assert bad.row == 3
    assert no_time.at is None
    assert no_time.provenance.row == 4


def test_mapped_json_lines() -> None:
    options = ReadOptions(mapping=FIXTURES / "mapped-jsonl.toml")
    items = read(FIXTURES / "mapped.jsonl", None, options)
    rows = [item for item in items if isinstance(item, AuditRow)]
    assert [row.provenance.line for row in rows] == [1, 2]
    assert rows[0].database == "DMV"
    assert rows[0].user == "jdoe"
    assert rows[0].fields["terminal"] == "12"
    assert rows[1].reason is None
    assert rows[1].redacted == frozenset({"reason"})
    assert rows[1].user is None
    assert rows[1].fields["extra"] == '{"a": 1}'
    found = [(item.line, item.row) for item in items if isinstance(item, RowProblem)]
    assert found == [(3, 3), (4, 4), (6, 5)]


@pytest.mark.parametrize(
    ("mapping", "key"),
    [
        ('[columns]\nat = "When"\nreason = "Purpose"\nbogus = "x"\n', "columns.bogus"),
        ('color = "red"\n[columns]\nat = "When"\nreason = "Purpose"\n', "color"),
        ('[columns]\nat = "When"\n', "columns.reason"),
        ('[columns]\nreason = "Purpose"\n', "columns.at"),
        ('[columns]\nat = "When"\nreason = "Nope"\n', "columns.reason"),
        ('[columns]\nat = "When"\nreason = "Purpose"\n[codes]\nx = "Zip"\n', "codes.X"),
        ('kind = "lookup"\n[columns]\nat = "When"\nreason = "Purpose"\n', "kind"),
        ('database = "X"\n[columns]\nat = "When"\nreason = "Purpose"\n', "database"),
        (
            '[columns]\nat = "When"\nreason = "Purpose"\n[time]\ntimezone = "Mars/Base"\n',
            "time.timezone",
        ),
        ('[columns]\nat = 3\nreason = "Purpose"\n', "columns.at"),
    ],
)
def test_bad_mapping_is_refused_naming_the_file_and_key(
    tmp_path: Path, mapping: str, key: str
) -> None:
    path = tmp_path / "map.toml"
    path.write_text(mapping)
    with pytest.raises(AuditInputError) as caught:
        open_rows(FIXTURES / "mapped.csv", "mapped", ReadOptions(mapping=path))
    assert str(path) in str(caught.value)
    assert f"{key}:" in str(caught.value)


def test_mapped_needs_a_mapping_and_toml() -> None:
    with pytest.raises(AuditInputError, match="--mapping"):
        open_rows(FIXTURES / "mapped.csv", "mapped", ReadOptions())
    with pytest.raises(AuditInputError, match="not TOML"):
        open_rows(FIXTURES / "mapped.csv", "mapped", ReadOptions(mapping=FIXTURES / "iaq.log"))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("portal-utc.csv", "flock-portal"),
        ("portal-local.csv", "flock-portal"),
        ("network-audit.csv", "flock-network"),
        ("iaq.log", "nlets-iaq"),
    ],
)
def test_detection(name: str, expected: str) -> None:
    assert detect_format(FIXTURES / name) == expected


def test_detection_of_org_and_network_audits(tmp_path: Path) -> None:
    # one organisation only, no hint in the name: ask rather than guess
    with pytest.raises(AuditInputError, match=r"org-audit\.csv: .*--format flock-org"):
        detect_format(FIXTURES / "org-audit.csv")
    named = tmp_path / "6_1_2025-Springfield-Network-Audit.csv"
    shutil.copy(FIXTURES / "org-audit.csv", named)
    assert detect_format(named) == "flock-network"
    no_org = tmp_path / "audit.csv"
    no_org.write_text("ID,Name,Total Networks Searched,Search Time,Reason\n")
    assert detect_format(no_org) == "flock-org"
    book = openpyxl.Workbook()
    book.active.append(["Org Name", "Search Time", "Reason", "Total Networks Searched"])
    book.active.append(["A PD", "07/01/2025, 01:00:00 AM UTC", "x", 1])
    book.active.append(["B SO", "07/01/2025, 01:00:00 AM UTC", "y", 1])
    book.save(tmp_path / "export.xlsx")
    assert detect_format(tmp_path / "export.xlsx") == "flock-network"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\n\n  \n", "cannot tell its format"),
        (b"id,userId,searchDate,networkCount,reason\n1,\xff\xfe,x,1,y\n", ":2: not UTF-8"),
        (b"hello,world\n1,2\n", "give --format"),
    ],
)
def test_unreadable_files_are_refused_naming_the_file(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "log.csv"
    path.write_bytes(content)
    with pytest.raises(AuditInputError, match=message) as caught:
        open_rows(path, None, ReadOptions())
    assert str(path) in str(caught.value)


def test_no_header_and_unknown_format(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_text("\n\n")
    with pytest.raises(AuditInputError, match=r"blank\.csv: no header"):
        open_rows(path, "flock-portal", ReadOptions())
    with pytest.raises(AuditInputError, match="unknown format 'csv'"):
        open_rows(path, "csv", ReadOptions())
    with pytest.raises(AuditInputError, match="cannot be read"):
        open_rows(tmp_path / "missing.csv", "flock-portal", ReadOptions())


def test_not_utf8_after_the_first_megabyte_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    row = b"1,u,2025-01-01T00:00:00Z,3,reason\n"
    path.write_bytes(b"id,userId,searchDate,networkCount,reason\n" + row * 40000 + b"\xe9\n")
    with pytest.raises(AuditInputError, match=r"big\.csv:40002: not UTF-8"):
        open_rows(path, "flock-portal", ReadOptions())


def test_a_file_changed_while_read_is_refused_at_its_end(tmp_path: Path) -> None:
    path = tmp_path / "portal.csv"
    header = "id,userId,searchDate,networkCount,reason\n"
    path.write_text(header + "1,u,2025-01-01T00:00:00Z,3,a\n" * 60000)  # > 1 MiB read ahead
    with open_rows(path, "flock-portal", ReadOptions()) as stream:
        path.write_text(header + "1,u,2025-01-01T00:00:00Z,3,b\n" * 60000)
        with pytest.raises(AuditInputError, match="changed while it was read"):
            list(stream)


def test_the_hash_is_of_the_bytes(tmp_path: Path) -> None:
    import hashlib

    path = tmp_path / "portal.csv"
    data = b"id,userId,searchDate,networkCount,reason\r\n1,u,2025-01-01T00:00:00Z,3,a\r\n"
    path.write_bytes(data)
    with open_rows(path, None, ReadOptions()) as stream:
        (row,) = list(stream)
    assert stream.sha256 == hashlib.sha256(data).hexdigest()
    assert isinstance(row, AuditRow)
    assert row.provenance.sha256 == stream.sha256
    assert row.provenance.file == str(path)


def test_detection_trusts_the_rows_over_the_name(tmp_path: Path) -> None:
    misnamed = tmp_path / "organization-audit.csv"
    shutil.copy(FIXTURES / "network-audit.csv", misnamed)
    assert detect_format(misnamed) == "flock-network"
    one_org = tmp_path / "Springfield-organization-audit.csv"
    shutil.copy(FIXTURES / "org-audit.csv", one_org)
    assert detect_format(one_org) == "flock-org"
