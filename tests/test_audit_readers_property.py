"""Any text given to a reader gives rows or row problems, or is refused whole with an
``AuditInputError``; never another exception (issue 13: bad input always gets a clear
error naming the file and line)."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liaison.audit.readers import ReadOptions, open_rows
from liaison.audit.rows import AuditRow, RowProblem
from liaison.errors import AuditInputError

HEADERS = [
    "id,userId,searchDate,networkCount,reason",
    "ID,Name,Org Name,Total Networks Searched,Search Time,Reason,Case #",
    "Org Name,Search Time,Reason,Total Devices Searched",
    "When,Purpose",
]
PIECES = [
    ",",
    '"',
    "\n",
    "\r\n",
    "\r",
    "\ufeff",
    "***",
    " REDACTED",
    "2025-06-18T00:02:04.789Z",
    "2025-06-18 00:02:04",
    "2025-11-02 01:30:00",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31 23:59:59",
    "06/08/2025, 03:04:05 PM UTC",
    "13/45/2025, 10:00:00 AM UTC",
    "IAQ.ORPPB0000.AX.TXT PUR/C.ATN/X.CUS/N.OFF/0399",
    "IAR.VTICE0900.ORPPB0000.",
    " ",
    "\x00",
    "x",
    "9",
    "|",
    "{}",
    '{"When": 1, "Purpose": null}',
    "Springfield OR PD",
]
texts = st.tuples(
    st.sampled_from([*HEADERS, ""]),
    st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=5)), max_size=40),
).map(lambda parts: parts[0] + "\n" + "".join(parts[1]))
FORMATS = [None, "flock-portal", "flock-org", "flock-network", "nlets-iaq", "mapped"]


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=texts, fmt=st.sampled_from(FORMATS), zone=st.booleans(), jsonl=st.booleans())
def test_any_text_gives_rows_problems_or_one_clear_refusal(
    tmp_path: Path, text: str, fmt: str | None, zone: bool, jsonl: bool
) -> None:
    path = tmp_path / "log.csv"
    path.write_text(text, encoding="utf-8", newline="")
    mapping = tmp_path / "map.toml"
    kind = "jsonl" if jsonl else "csv"
    mapping.write_text(f'format = "{kind}"\n[columns]\nat = "When"\nreason = "Purpose"\n')
    options = ReadOptions(
        timezone=ZoneInfo("America/Los_Angeles") if zone else None,
        agency="Springfield OR PD",
        mapping=mapping if fmt == "mapped" else None,
    )
    refusal = ""
    items: list[AuditRow | RowProblem] = []
    try:
        with open_rows(path, fmt, options) as stream:
            items = list(stream)
    except AuditInputError as error:
        refusal = str(error)
    if refusal:
        assert str(path) in refusal or str(mapping) in refusal
        return
    for item in items:
        assert isinstance(item, AuditRow | RowProblem)
        if isinstance(item, RowProblem):
            assert item.file == str(path)
            assert item.line >= 1
        else:
            assert item.at is None or item.at.utcoffset() is not None
            assert item.provenance.line >= 1
    numbers = [item.provenance.row if isinstance(item, AuditRow) else item.row for item in items]
    data = [number for number in numbers if number is not None]
    assert data == list(range(1, len(data) + 1))
