"""``GET /v1/decisions``, ``GET /v1/stats/decisions`` and ``liaison query decisions``
(issue 10, item 1): their formats (JSON, CSV, JSON lines), pages, and bad filters named.
The numbers themselves are checked against independent counts in test_query.py."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from conftest import BACKENDS, database_url, running_services
from liaison.api.app import create_app
from liaison.cli import app as cli_app
from liaison.gateway.roles import KeyRole
from liaison.reports.query_formats import CSV_COLUMNS

ORIGIN = "test.example/queries"
AT = ["2025-08-10T12:00:00-04:00", "2025-08-31T23:30:00-04:00", "2025-09-02T08:00:00-04:00"]


def inquiry(n: int) -> dict[str, Any]:
    purposes = ["immigration_status"] if n % 3 == 0 else ["warrant_check", "officer_safety"]
    return {
        "id": f"d-{n}",
        "at": AT[n % 3],
        "actor": {"id": "officer-1", "agency": "MPD", "role": "officer", "unit": "1D"},
        "action": "database_inquiry",
        "database": "NCIC",
        "purposes": purposes,
        "subject": {"id": f"person-{n}", "custody": "stopped"},
    }


@dataclass
class Api:
    web: TestClient
    auditor: dict[str, str]
    officer: dict[str, str]
    cli: Any


@pytest.fixture(scope="module", params=BACKENDS)
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    tmp_path = tmp_path_factory.mktemp("queries")
    for url in database_url(request.param, tmp_path):
        with running_services(url, tmp_path, log_origin=ORIGIN) as services:
            audit, _ = services.keys.create(KeyRole.AUDITOR, "auditor-1", None)
            mine, _ = services.keys.create(KeyRole.OFFICER, "officer-1", "1D")
            web = TestClient(create_app(services=services))
            officer = {"Authorization": f"Bearer {mine}"}
            for n in range(12):
                assert web.post("/v1/decisions", json=inquiry(n), headers=officer).is_success

            def cli(*args: str, url: str = url) -> Result:
                with pytest.MonkeyPatch.context() as env:
                    env.setenv("LIAISON_DATABASE_URL", url)
                    env.setenv("LIAISON_KEY_DIR", str(tmp_path / "keys"))
                    env.setenv("LIAISON_LOG_ORIGIN", ORIGIN)
                    return CliRunner().invoke(cli_app, list(args), prog_name="liaison")

            yield Api(web, {"Authorization": f"Bearer {audit}"}, officer, cli)


def test_json_pages_follow_the_cursor(api: Api) -> None:
    seen, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 5, **({"cursor": cursor} if cursor else {})}
        got = api.web.get("/v1/decisions", params=params, headers=api.auditor)
        assert got.status_code == 200, got.text
        body = got.json()
        assert set(body) == {"items", "total", "next_cursor"}
        assert body["total"] == 12
        seen.extend(i["id"] for i in body["items"])
        if (cursor := body["next_cursor"]) is None:
            break
    assert sorted(seen) == sorted(f"d-{n}" for n in range(12))
    item = api.web.get("/v1/decisions?limit=1", headers=api.auditor).json()["items"][0]
    assert item["at"] == AT[0]  # in D.C.'s zone, with its offset, as the decision rendered it
    assert item["request"]["action"] == "database_inquiry"


def test_csv_and_jsonl_shapes(api: Api) -> None:
    url = "/v1/decisions?purpose=immigration_status&format=csv"
    got = api.web.get(url, headers=api.auditor)
    assert got.status_code == 200, got.text
    assert got.headers["content-type"].startswith("text/csv")
    assert got.headers["liaison-total"] == "4"
    rows = list(csv.DictReader(io.StringIO(got.text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert tuple(rows[0]) == (  # the published header, written out: a change to it is seen
        *("id", "ledger_index", "at", "actor_id", "unit", "action", "view", "decision"),
        *("basis", "policy_version", "encounter_id", "recipient_type", "recipient_agency"),
        *("database", "custody", "initiative", "legal_process", "federal_charge"),
        *("arrest_basis", "passengers", "operation_kind", "purposes", "citations"),
    )
    assert [r["purposes"] for r in rows] == ["immigration_status"] * 4
    lines = api.web.get("/v1/decisions?format=jsonl&limit=5", headers=api.auditor)
    assert lines.headers["content-type"].startswith("application/jsonl")
    assert "liaison-next-cursor" in lines.headers
    parsed = [json.loads(line) for line in lines.text.splitlines()]
    assert len(parsed) == 5
    assert [p["purposes"] for p in parsed[3:]] == [
        ["immigration_status"],
        ["officer_safety", "warrant_check"],  # a set, sorted
    ]
    stats = api.web.get("/v1/stats/decisions?group_by=month&format=csv", headers=api.auditor)
    assert stats.text.splitlines() == ["month,count", "2025-08,8", "2025-09,4"]


def test_stats_group_by_action_decision_month(api: Api) -> None:
    want = Counter(("database_inquiry", AT[n % 3][:7]) for n in range(12))
    got = api.web.get(
        "/v1/stats/decisions", params={"group_by": "action,month"}, headers=api.auditor
    ).json()
    assert {(g["action"], g["month"]): g["count"] for g in got["groups"]} == want
    assert got["total"] == 12


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("/v1/decisions?action=teleport", "action"),
        ("/v1/decisions?from=2025-08-01", "from"),
        ("/v1/decisions?colour=red", "colour"),
        ("/v1/decisions?unit=1D&unit=2D", "unit"),
        ("/v1/decisions?cursor=nonsense", "cursor"),
        ("/v1/decisions?limit=1001", "limit"),
        ("/v1/decisions?format=xml", "format"),
        ("/v1/stats/decisions?group_by=colour", "group_by"),
        ("/v1/stats/decisions", "group_by"),
        ("/v1/stats/decisions?group_by=month&decision=maybe", "decision"),
    ],
)
def test_a_bad_filter_is_422_naming_it(api: Api, query: str, field: str) -> None:
    got = api.web.get(query, headers=api.auditor)
    assert got.status_code == 422, got.text
    assert got.json()["error"]["code"] == "invalid_request"
    assert got.json()["error"]["field"] == field


def test_the_cli_lists_and_counts(api: Api) -> None:
    listed = api.cli("query", "decisions", "--where", "purpose=immigration_status")
    assert listed.exit_code == 0, listed.output
    assert sorted(i["id"] for i in json.loads(listed.stdout)["items"]) == [
        "d-0",
        "d-3",
        "d-6",
        "d-9",
    ]
    counted = api.cli(
        "query", "decisions", "--group-by", "action,month", "--format", "csv",
        "--where", "from=2025-09-01T00:00:00-04:00",
    )  # fmt: skip
    assert counted.exit_code == 0, counted.output
    assert counted.stdout.splitlines() == ["action,month,count", "database_inquiry,2025-09,4"]
    lines = api.cli("query", "decisions", "--format", "jsonl", "--where", "unit=1D")
    assert len(lines.stdout.splitlines()) == 12


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--where", "action=teleport"], "action"),
        (["--where", "to=tomorrow"], "to"),
        (["--where", "colour=red"], "colour"),
        (["--where", "action"], "where"),
        (["--group-by", "colour"], "group_by"),
        (["--format", "xml"], "format"),
    ],
)
def test_the_cli_exits_2_naming_a_bad_filter(api: Api, args: list[str], named: str) -> None:
    result = api.cli("query", "decisions", *args)
    assert result.exit_code == 2, result.output
    assert f"error: {named}:" in result.stderr
