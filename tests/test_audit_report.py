"""The report of audited rows (issue 13, item 4; docs/audit.md, "Reports"): its counts,
findings, review queue and rows not judged, computed over the fixture's rows
(tests/audit_report_fixture.py) and checked against the same rows counted here in plain Python;
its filters; and ``liaison audit report`` in each format."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner, Result

import audit_report_fixture as fx
from liaison.cli import app as cli_app
from liaison.errors import Forbidden, InvalidRequest
from liaison.gateway.auth import Principal
from liaison.gateway.roles import KeyRole
from liaison.reports import audit_filter, audit_report
from liaison.reports.audit_report import AuditReport
from liaison.reports.audit_tables import ROW_COLUMNS
from liaison.storage.database import open_engine
from liaison.storage.migrate import upgrade
from page_parse import parse, table_rows

AUDITOR = Principal("k-aud", KeyRole.AUDITOR, "auditor-1", None)


@pytest.fixture
def loaded(engine: Engine) -> Engine:
    fx.load(engine)
    return engine


def report(engine: Engine, **given: str) -> AuditReport:
    with engine.connect() as conn:
        wanted = audit_filter.parse(given, audit_filter.imports_zones(conn))
    return audit_report.build(engine, wanted, AUDITOR, given)


def why(r: fx.Row) -> str:
    """Why the fixture's row was not judged: no pack (judged first), else no time."""
    return "no_pack" if fx.BY_ID[r.import_id].pack is None else "no_time"


def keyed(groups: list[Any], field: str = "rows") -> dict[Any, int]:
    return {g.key: getattr(g, field) for g in groups}


def test_counts_match_the_rows(loaded: Engine) -> None:
    doc = report(loaded)
    rows = fx.complete_rows()
    assert doc.total.rows == len(rows) > 0
    assert keyed(doc.by_purpose_class) == Counter(fx.purpose_class(r) for r in rows)
    assert keyed(doc.by_agency) == Counter(r.agency for r in rows)
    assert keyed(doc.by_decision) == Counter(r.decision for r in rows)
    assert keyed(doc.by_month) == Counter(fx.local_month(r) for r in rows)
    found = {(g.key, g.org_type): g.rows for g in doc.by_organisation}
    assert found == Counter((r.organisation, r.org_type) for r in rows)
    findings = Counter(r.agency for r in rows if r.decision == "deny")
    assert {k: v for k, v in keyed(doc.by_agency, "findings").items() if v} == findings
    immigration = Counter(r.agency for r in rows if r.immigration)
    assert {k: v for k, v in keyed(doc.by_agency, "immigration").items() if v} == immigration


def test_months_are_the_agencys_not_utcs(loaded: Engine) -> None:
    """A search at 23:30 on 31 July in Oregon is July's, though it is August in UTC."""
    late = [r for r in fx.complete_rows() if r.at and r.at.startswith("2025-07-31T23:30")]
    assert late
    assert {datetime.fromisoformat(r.at).astimezone(UTC).month for r in late if r.at} == {8}
    ident = late[0].import_id
    july = [
        r for r in fx.complete_rows() if r.import_id == ident and fx.local_month(r) == "2025-07"
    ]
    assert late[0] in july
    assert keyed(report(loaded, **{"import": ident}).by_month)["2025-07"] == len(july)
    doc = report(loaded, **{"import": ident, "from": "2025-07", "to": "2025-08"})
    assert doc.total.rows == len(july)
    assert keyed(doc.by_month) == {"2025-07": len(july)}


def test_an_import_still_being_appended_is_never_counted(loaded: Engine) -> None:
    doc = report(loaded)
    assert "imp-pending" not in {m.id for m in doc.imports}
    assert "Pending PD" not in keyed(doc.by_agency)
    assert report(loaded, **{"import": "imp-pending"}).total.rows == 0


@pytest.mark.parametrize(
    ("given", "keep"),
    [
        ({"import": "imp-oakland"}, lambda r: r.import_id == "imp-oakland"),
        ({"agency": "Evanston PD"}, lambda r: r.agency == "Evanston PD"),
        ({"finding": "yes"}, lambda r: r.decision == "deny"),
        ({"finding": "no"}, lambda r: r.decision != "deny"),
        ({"decision": "not_judged,review"}, lambda r: r.decision in ("not_judged", "review")),
        ({"purpose_class": "immigration"}, lambda r: fx.purpose_class(r) == "immigration"),
        ({"purpose_class": "unknown"}, lambda r: fx.purpose_class(r) == "unknown"),
        (
            {"from": "2025-07", "to": "2025-09"},
            lambda r: (fx.local_month(r) or "") in ("2025-07", "2025-08"),
        ),
        (
            {"from": "2025-08-01T00:00:00-07:00"},
            lambda r: r.at is not None and r.at >= "2025-08-01T00:00:00-07:00",
        ),
        (
            {"import": "imp-oakland", "finding": "yes", "agency": "Oakland Police Department"},
            lambda r: r.import_id == "imp-oakland" and r.decision == "deny",
        ),
    ],
)
def test_filters(loaded: Engine, given: dict[str, str], keep: Callable[[fx.Row], bool]) -> None:
    expected = [r for r in fx.complete_rows() if keep(r)]
    doc = report(loaded, **given)
    assert doc.total.rows == len(expected)
    assert keyed(doc.by_decision) == Counter(r.decision for r in expected)
    assert doc.filters == given
    named = [i for i in fx.IMPORTS if i.ledger_index is not None]
    for key, field in (("import", "id"), ("agency", "agency")):
        named = [i for i in named if key not in given or getattr(i, field) == given[key]]
    assert [m.id for m in doc.imports] == sorted(i.id for i in named)


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"finding": "maybe"}, "finding"),
        ({"decision": "allow"}, "decision"),
        ({"purpose_class": "ice"}, "purpose_class"),
        ({"from": "2025-13"}, "from"),
        ({"from": "2025-09", "to": "2025-07"}, "to"),
        ({"to": "yesterday"}, "to"),
        ({"plate": "ABC123"}, "plate"),
        ({"zones": "UTC"}, "zones"),
    ],
)
def test_a_bad_filter_names_its_key(loaded: Engine, given: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        report(loaded, **given)
    assert caught.value.field == field


def test_only_auditors_read_rows(loaded: Engine) -> None:
    officer = Principal("k-off", KeyRole.OFFICER, "officer-1", "1D")
    with pytest.raises(Forbidden):
        audit_report.build(loaded, audit_filter.parse({}, []), officer, {})


def test_findings_carry_their_source_row(loaded: Engine) -> None:
    doc = report(loaded)
    expected = [r for r in fx.complete_rows() if r.decision == "deny"]
    assert [(f.import_, f.row) for f in doc.findings] == sorted(
        (r.import_id, r.row) for r in expected
    )
    by_key = {(r.import_id, r.row): r for r in expected}
    for f in doc.findings:
        row = by_key[(f.import_, f.row)]
        imp = fx.BY_ID[row.import_id]
        assert f.file_name == imp.file_name
        assert f.line == row.row + 1
        assert f.citations == row.citations
        assert f.stated_reason == (row.reason or "")  # the row's own, from the ledger
        assert f.exported_fields == {"reason": row.reason or "", "user": row.user}
        assert f.judgement_note is None
        assert f.erased is False
        assert f.source_id == f"{row.import_id}-{row.row:04d}"
        assert f.agency == row.agency
        assert f.organisation == row.organisation
        assert row.at is not None
        assert f.at is not None
        shown = datetime.fromisoformat(f.at)
        assert shown == datetime.fromisoformat(row.at)  # the same instant
        offset = datetime.fromisoformat(row.at).astimezone(fx.ZoneInfo(imp.timezone or "UTC"))
        assert shown.utcoffset() == offset.utcoffset()  # in the agency's zone


def test_review_queue_and_not_judged(loaded: Engine) -> None:
    doc = report(loaded)
    rows = fx.complete_rows()
    queue = sorted((r.import_id, r.row) for r in rows if r.decision == "review")
    assert [(q.import_, q.row) for q in doc.review_queue] == queue
    assert all(q.immigration is None and q.finding is False for q in doc.review_queue)
    expected = Counter(why(r) for r in rows if r.decision == "not_judged")
    assert {n.why: n.rows for n in doc.not_judged} == expected
    assert set(expected) == {"no_time", "no_pack"}
    # Listed with why: the rows of an import with a pack (those with no pack: counted).
    listed = sorted(
        (r.import_id, r.row)
        for r in rows
        if r.decision == "not_judged" and fx.BY_ID[r.import_id].pack is not None
    )
    assert [(n.import_, n.row) for n in doc.not_judged_rows] == listed
    assert {n.judgement_note for n in doc.not_judged_rows} == {"no usable time"}


# -- liaison audit report -------------------------------------------------------------------


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[Callable[..., Result]]:
    url = f"sqlite:///{tmp_path / 'liaison.db'}"
    engine = open_engine(url)
    upgrade(engine)

    def run(*args: str) -> Result:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("LIAISON_DATABASE_URL", url)
            return CliRunner().invoke(cli_app, ["audit", "report", *args], prog_name="liaison")

    run.engine = engine  # type: ignore[attr-defined]
    yield run
    engine.dispose()


def test_cli_json_is_the_documented_model(cli: Callable[..., Result]) -> None:
    fx.load(cli.engine)  # type: ignore[attr-defined]
    result = cli("--finding", "yes", "--agency", "Oakland Police Department")
    assert result.exit_code == 0, result.output
    doc = AuditReport.model_validate_json(result.stdout)
    expected = [r for r in fx.complete_rows() if r.decision == "deny" and "Oakland" in r.agency]
    assert doc.total.findings == doc.total.rows == len(expected) == len(doc.findings)
    schema = json.loads(Path("docs/schemas/audit-report.schema.json").read_text())
    assert set(schema["required"]) <= set(json.loads(result.stdout))
    assert schema == json.loads(json.dumps(audit_report.schema()))


def test_cli_csv_columns(cli: Callable[..., Result], tmp_path: Path) -> None:
    fx.load(cli.engine)  # type: ignore[attr-defined]
    out = tmp_path / "audit.csv"
    assert cli("--format", "csv", "--output", str(out)).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert set(ROW_COLUMNS) <= set(rows[0])
    assert "table" in rows[0]
    findings = [r for r in rows if r["table"] == "findings"]
    denied = [r for r in fx.complete_rows() if r.decision == "deny"]
    assert len(findings) == len(denied)
    assert Counter(r["citations"] for r in findings) == Counter(
        ";".join(r.citations) for r in denied
    )
    classes = {r["purpose_class"]: int(r["rows"]) for r in rows if r["table"] == "by-purpose-class"}
    assert classes == Counter(fx.purpose_class(r) for r in fx.complete_rows())


def test_cli_html_parses(cli: Callable[..., Result]) -> None:
    fx.load(cli.engine)  # type: ignore[attr-defined]
    result = cli("--format", "html", "--import", "imp-eugene")
    assert result.exit_code == 0
    page = parse(result.stdout)
    assert len(page.find_all("h1")) == 1
    shown = {c[0].text: int(c[2].text) for c in table_rows(page, "not-judged")}
    eugene = [r for r in fx.complete_rows() if r.import_id == "imp-eugene"]
    assert shown == Counter(why(r) for r in eugene if r.decision == "not_judged")
    imports = table_rows(page, "imports")
    assert [(c[0].text, c[1].text) for c in imports] == [("imp-eugene", "eugene-portal-audit.csv")]


def test_cli_empty_database_says_so(cli: Callable[..., Result]) -> None:
    result = cli("--format", "html")
    assert result.exit_code == 0
    assert "nothing has been imported yet" in result.stdout
    doc = AuditReport.model_validate_json(cli().stdout)
    assert doc.total.rows == 0
    assert doc.imports == []
    assert doc.findings == []


def test_cli_bad_option_exits_2(cli: Callable[..., Result]) -> None:
    result = cli("--finding", "perhaps")
    assert result.exit_code == 2
    assert "finding" in result.output
    assert cli("--format", "pdf").exit_code == 2


def test_a_limit_shortens_the_lists_not_the_counts(loaded: Engine) -> None:
    with loaded.connect() as conn:
        wanted = audit_filter.parse({}, audit_filter.imports_zones(conn))
    whole = audit_report.build(loaded, wanted, AUDITOR, {})
    short = audit_report.build(loaded, wanted, AUDITOR, {}, limit=3)
    assert short.findings == whole.findings[:3]
    assert short.review_queue == whole.review_queue[:3]
    assert short.total == whole.total
    assert whole.total.findings == len(whole.findings) > 3


def test_liaison_query_audit_rows(cli: Callable[..., Result], tmp_path: Path) -> None:
    """``liaison query audit-rows``: the rows and their counts, as the other record kinds."""
    fx.load(cli.engine)  # type: ignore[attr-defined]
    url = str(cli.engine.url)  # type: ignore[attr-defined]

    def query(*args: str) -> Result:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("LIAISON_DATABASE_URL", url)
            env.setenv("LIAISON_KEY_DIR", str(tmp_path / "keys"))
            return CliRunner().invoke(cli_app, ["query", "audit-rows", *args])

    result = query("--where", "finding=yes", "--where", "from=2025-07", "--format", "jsonl")
    assert result.exit_code == 0, result.output
    found = [json.loads(line) for line in result.stdout.splitlines()]
    expected = [
        r
        for r in fx.complete_rows()
        if r.decision == "deny" and (fx.local_month(r) or "") >= "2025-07"
    ]
    assert sorted((f["import"], f["row"]) for f in found) == sorted(
        (r.import_id, r.row) for r in expected
    )
    counted = json.loads(query("--group-by", "agency").stdout)
    assert {g["agency"]: g["count"] for g in counted["groups"]} == Counter(
        r.agency for r in fx.complete_rows()
    )
    assert query("--where", "finding=perhaps").exit_code == 2
