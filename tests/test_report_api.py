"""``GET /v1/reports``, ``GET /v1/reports/{name}`` and ``liaison report`` (issue 10, item 2):
every format (JSON valid against the report's model and schema, HTML naming the checkpoint,
CSV that parses, PDF), the checkpoint named and only a signed one used, and bad input
named (404 with the reports there are, 422 naming the field; the CLI exits 2). The numbers
themselves are checked against independent counts in test_report_numbers.py."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from fastapi.testclient import TestClient

from conftest import BACKENDS, cli_runner, database_url, running_services
from liaison.api.app import create_app
from liaison.gateway.roles import KeyRole
from liaison.reports.report_annual import AnnualReport
from liaison.reports.report_authority import AuthorityReport
from liaison.reports.report_before_after import BeforeAfterReport
from liaison.reports.report_council import CouncilReport
from liaison.reports.report_operations import OperationsReport
from liaison.reports.report_review import ReviewReport

ORIGIN = "test.example/report-api"
ROOT = Path(__file__).resolve().parents[1]
ICE = {"agency": "ICE", "type": "federal_immigration"}
AT = ["2025-08-10T12:00:00-04:00", "2025-08-20T12:00:00-04:00", "2025-09-02T08:00:00-04:00"]
MODELS = {
    "council": CouncilReport,
    "annual-24-211.07d": AnnualReport,
    "authority": AuthorityReport,
    "before-after": BeforeAfterReport,
    "operations": OperationsReport,
    "review": ReviewReport,
}


def share(n: int) -> dict[str, Any]:
    return {
        "id": f"s-{n}",
        "at": AT[n % 3],
        "actor": {"id": "officer-1", "agency": "MPD", "role": "officer", "unit": "1D"},
        "action": "share_information",
        "purposes": ["assist_federal_agency"],
        "recipient": ICE,
        "data_classes": ["identity"],
        "initiative": "on_request",
        "subject": {"id": f"person-{n}", "custody": "free"},
    }


@dataclass
class Api:
    web: TestClient
    auditor: dict[str, str]
    permits: int  # the shares the gateway permitted, as it answered them
    cli: Any


@pytest.fixture(scope="module", params=BACKENDS)
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    tmp_path = tmp_path_factory.mktemp("report-api")
    for url in database_url(request.param, tmp_path):
        with running_services(url, tmp_path, log_origin=ORIGIN) as services:
            audit, _ = services.keys.create(KeyRole.AUDITOR, "auditor-1", None)
            mine, _ = services.keys.create(KeyRole.OFFICER, "officer-1", "1D")
            web = TestClient(create_app(services=services))
            officer = {"Authorization": f"Bearer {mine}"}
            answers = [web.post("/v1/decisions", json=share(n), headers=officer) for n in range(9)]
            permits = sum(1 for a in answers if a.json()["decision"]["decision"] == "permit")

            cli = cli_runner(url, tmp_path, ORIGIN)
            yield Api(web, {"Authorization": f"Bearer {audit}"}, permits, cli)


def test_the_list_names_every_report_and_its_schema(api: Api) -> None:
    got = api.web.get("/v1/reports", headers=api.auditor)
    assert got.status_code == 200, got.text
    listed = got.json()["reports"]
    assert [r["name"] for r in listed] == list(MODELS)
    for r in listed:
        assert r["title"]
        assert (ROOT / r["schema"]).is_file(), r["schema"]


@pytest.mark.parametrize("name", list(MODELS))
def test_json_is_the_model_and_its_schema(api: Api, name: str) -> None:
    got = api.web.get(f"/v1/reports/{name}", headers=api.auditor)
    assert got.status_code == 200, got.text
    body = got.json()
    MODELS[name].model_validate(body)
    schema = json.loads((ROOT / f"docs/schemas/report-{name}.schema.json").read_text())
    jsonschema_rs.validate(schema, body)
    signed = api.web.get("/v1/ledger/checkpoint", headers=api.auditor).json()
    assert body["checkpoint"] == {"size": signed["size"], "root": signed["root"]}


def test_the_council_answer_and_its_query_agree(api: Api) -> None:
    body = api.web.get("/v1/reports/council", headers=api.auditor).json()
    answer = {a["id"]: a for a in body["answers"]}["share_not_in_custody"]
    assert answer["count"] == api.permits > 0
    assert answer["answer"] == "yes"
    listed = api.web.get(answer["query"], headers=api.auditor)
    assert listed.status_code == 200, listed.text
    assert listed.json()["total"] == api.permits
    assert [i["id"] for i in listed.json()["items"]][:20] == answer["ids"]


@pytest.mark.parametrize("name", list(MODELS))
def test_html_csv_and_pdf(api: Api, name: str) -> None:
    size = api.web.get("/v1/ledger/checkpoint", headers=api.auditor).json()["size"]
    page = api.web.get(f"/v1/reports/{name}", params={"format": "html"}, headers=api.auditor)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert f"tree size <strong>{size}</strong>" in page.text
    assert '<html lang="en">' in page.text
    assert "<caption>" in page.text
    sheet = api.web.get(f"/v1/reports/{name}", params={"format": "csv"}, headers=api.auditor)
    assert sheet.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(sheet.text)))
    assert rows[0][0] == "table"
    body = api.web.get(f"/v1/reports/{name}", headers=api.auditor).json()
    tables = MODELS[name].model_validate(body).tables()  # operations: none in this fixture
    assert len(rows) == 1 + sum(len(t.rows) for t in tables)
    assert len(rows) > 1 or name == "operations"
    assert all(len(r) == len(rows[0]) for r in rows)
    pdf = api.web.get(f"/v1/reports/{name}", params={"format": "pdf"}, headers=api.auditor)
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_an_unknown_report_is_404_naming_the_reports(api: Api) -> None:
    got = api.web.get("/v1/reports/nope", headers=api.auditor)
    assert got.status_code == 404
    error = got.json()["error"]
    assert "nope" in error["message"]
    assert error["choices"] == list(MODELS)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "yesterday"}, "from"),
        ({"from": "2025-09-01T00:00:00-04:00", "to": "2025-08-01T00:00:00-04:00"}, "to"),
        ({"view": "nobody"}, "view"),
        ({"checkpoint": "999999"}, "checkpoint"),
        ({"format": "docx"}, "format"),
    ],
)
def test_bad_options_are_422_naming_the_field(api: Api, params: Any, field: str) -> None:
    got = api.web.get("/v1/reports/council", params=params, headers=api.auditor)
    assert got.status_code == 422, got.text
    assert got.json()["error"]["field"] == field


def test_a_kept_checkpoint_can_be_asked_for(api: Api) -> None:
    size = api.web.get("/v1/ledger/checkpoint", headers=api.auditor).json()["size"]
    got = api.web.get("/v1/reports/council", params={"checkpoint": size}, headers=api.auditor)
    assert got.status_code == 200
    assert got.json()["checkpoint"]["size"] == size


def test_the_cli_writes_every_format(api: Api, tmp_path: Path) -> None:
    done = api.cli("report", "council")
    assert done.exit_code == 0, done.output
    body = json.loads(done.stdout)
    CouncilReport.model_validate(body)
    assert {a["id"]: a for a in body["answers"]}["share_not_in_custody"]["count"] == api.permits
    for fmt, start in (("html", b"<!DOCTYPE html>"), ("csv", b"table,"), ("pdf", b"%PDF")):
        target = tmp_path / f"report.{fmt}"
        done = api.cli("report", "annual-24-211.07d", "--format", fmt, "--output", str(target))
        assert done.exit_code == 0, done.output
        assert target.read_bytes().startswith(start)


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["report", "nope"], "council, annual-24-211.07d"),
        (["report", "council", "--from", "2025-13-01"], "from:"),
        (["report", "council", "--format", "docx"], "format:"),
        (["report", "council", "--view", "nobody"], "view:"),
        (["report", "council", "--checkpoint", "999999"], "checkpoint:"),
    ],
)
def test_the_cli_names_bad_input(api: Api, args: list[str], named: str) -> None:
    done = api.cli(*args)
    assert done.exit_code == 2, done.output
    assert named in done.stderr


def test_report_options_reach_the_report(api: Api) -> None:
    """authority's decision (its chain) and before-after's directive and days, by the API
    and the CLI alike."""
    got = api.web.get("/v1/reports/authority", params={"decision": "s-1"}, headers=api.auditor)
    assert got.status_code == 200, got.text
    chain = got.json()["decision"]
    assert (chain["id"], chain["actor_id"], chain["at"]) == ("s-1", "officer-1", AT[1])
    period = {"from": "2025-08-01T00:00:00-04:00", "to": "2025-10-01T00:00:00-04:00"}
    around = {"directive": "EO-25-005", "days": "5", **period}
    got = api.web.get("/v1/reports/before-after", params=around, headers=api.auditor)
    assert got.status_code == 200, got.text
    assert (got.json()["directive"], got.json()["before"]["days"]) == ("EO-25-005", 5)
    done = api.cli("report", "before-after", "--days", "5", "--from", period["from"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["after"]["days"] == 5
    done = api.cli("report", "authority", "--decision", "s-2")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["decision"]["at"] == AT[2]


@pytest.mark.parametrize(
    ("name", "params", "field"),
    [
        ("council", {"decision": "s-1"}, "decision"),
        ("authority", {"days": "5"}, "days"),
        ("before-after", {"days": "0"}, "days"),
        ("before-after", {"days": "a week"}, "days"),
    ],
)
def test_an_option_a_report_does_not_take_is_422(
    api: Api, name: str, params: dict[str, str], field: str
) -> None:
    got = api.web.get(f"/v1/reports/{name}", params=params, headers=api.auditor)
    assert got.status_code == 422, got.text
    assert got.json()["error"]["field"] == field
    flag = next(iter(params))
    done = api.cli("report", name, f"--{flag}", params[flag])
    assert done.exit_code == 2, done.output
    assert f"{field}:" in done.stderr
