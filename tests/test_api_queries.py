"""``GET /v1/decisions``, ``/v1/events``, ``/v1/encounters``, their ``/v1/stats/...`` and
``liaison query decisions|events|encounters`` (issue 10, item 1): their formats (JSON,
CSV, JSON lines), pages, counts, and bad filters named, on each backend. The history: 12
inquiries of officer-1 (1D); 9 traffic stops of theirs, each opened and ended, every third
with a notification sent citing no decision (flagged ``no_decision``); a checkpoint with
ICE that went ahead with no joint operation decided. The numbers here are counted from
that history; test_query.py and test_query_records.py check the filters in depth."""

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

from conftest import BACKENDS, cli_runner, database_url, running_services
from liaison.api.app import create_app
from liaison.gateway.roles import KeyRole
from liaison.reports.query_encounters import ENCOUNTERS
from liaison.reports.query_events import EVENTS
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


ICE = {"agency": "ICE-ERO", "type": "federal_immigration"}
ACTOR = {"id": "officer-1", "agency": "MPD", "role": "officer", "unit": "1D"}
STOPS = 9
# Each stop: started, ended; every third a notification (no decision cited): flagged.
NOTIFIED = [n for n in range(STOPS) if n % 3 == 0]
EVENT_COUNT = 2 * STOPS + len(NOTIFIED) + 2  # and the checkpoint: started, a handover


def history() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for n in range(STOPS):
        stop = {"kind": "traffic_stop", "id": f"stop-{n}", "district": "1D"}
        ref = {"kind": "traffic_stop", "id": f"stop-{n}"}
        out.append({"at": AT[n % 3], "kind": "encounter_started", "encounter": stop})
        if n in NOTIFIED:
            out.append({"at": AT[n % 3], "kind": "notification_sent", "encounter": ref})
        out.append({"at": AT[n % 3], "kind": "encounter_ended", "encounter": ref})
    cp = {"kind": "checkpoint", "id": "cp-1", "district": "1D", "agencies": [ICE]}
    out.append({"at": AT[0], "kind": "encounter_started", "encounter": cp})
    handover = {"kind": "handover", "action": "custody_transfer"}
    out.append({"at": AT[0], **handover, "encounter": {"kind": "checkpoint", "id": "cp-1"}})
    return [{**e, "actor": ACTOR} for e in out]


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
            for body in history():
                assert web.post("/v1/events", json=body, headers=officer).is_success

            cli = cli_runner(url, tmp_path, ORIGIN)
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


def test_event_pages_follow_the_cursor(api: Api) -> None:
    seen, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 4, **({"cursor": cursor} if cursor else {})}
        got = api.web.get("/v1/events", params=params, headers=api.auditor)
        assert got.status_code == 200, got.text
        body = got.json()
        assert set(body) == {"items", "total", "next_cursor"}
        assert body["total"] == EVENT_COUNT
        seen.extend(body["items"])
        if (cursor := body["next_cursor"]) is None:
            break
    assert len(seen) == len({i["id"] for i in seen}) == EVENT_COUNT
    flagged = [i for i in seen if i["flagged"]]
    assert [i["flagged"] for i in flagged] == ["no_decision"] * (len(NOTIFIED) + 1)
    assert {i["kind"] for i in flagged} == {"notification_sent", "handover"}


def test_event_csv_jsonl_and_counts(api: Api) -> None:
    got = api.web.get("/v1/events?flag=any&format=csv", headers=api.auditor)
    assert got.status_code == 200, got.text
    assert got.headers["liaison-total"] == str(len(NOTIFIED) + 1)
    rows = list(csv.DictReader(io.StringIO(got.text)))
    assert (
        tuple(rows[0])
        == EVENTS.csv_columns
        == (
            *("id", "ledger_index", "at", "kind", "action", "actor_id", "unit"),
            *("decision_id", "flagged", "encounter_id"),
        )
    )
    assert {r["flagged"] for r in rows} == {"no_decision"}
    lines = api.web.get("/v1/events?format=jsonl&limit=3&flag=none", headers=api.auditor)
    assert lines.headers["liaison-total"] == str(EVENT_COUNT - len(NOTIFIED) - 1)
    assert "liaison-next-cursor" in lines.headers
    assert len(lines.text.splitlines()) == 3
    stats = api.web.get("/v1/stats/events?group_by=flag,month&format=csv", headers=api.auditor)
    months = [AT[n % 3][:7] for n in NOTIFIED]
    want = {("no_decision", m): months.count(m) for m in set(months)}
    want[("no_decision", "2025-08")] = want.get(("no_decision", "2025-08"), 0) + 1
    got_rows = list(csv.DictReader(io.StringIO(stats.text)))
    assert {(r["flag"], r["month"]): int(r["count"]) for r in got_rows if r["flag"]} == want
    assert stats.headers["liaison-total"] == str(EVENT_COUNT)


def test_encounters_list_and_count(api: Api) -> None:
    got = api.web.get("/v1/encounters", params={"flag": "any"}, headers=api.auditor).json()
    assert [(i["id"], i["flagged"]) for i in got["items"]] == [
        ("cp-1", ["joint_operation_not_decided"])
    ]
    assert got["items"][0]["started_at"] == AT[0]
    assert got["total"] == 1
    stops = api.web.get("/v1/encounters?kind=traffic_stop&format=csv", headers=api.auditor)
    rows = list(csv.DictReader(io.StringIO(stops.text)))
    assert tuple(rows[0]) == ENCOUNTERS.csv_columns
    assert sorted(r["id"] for r in rows) == sorted(f"stop-{n}" for n in range(STOPS))
    stats = api.web.get(
        "/v1/stats/encounters", params={"group_by": "kind,flag"}, headers=api.auditor
    ).json()
    assert stats["groups"] == [
        {"kind": "checkpoint", "flag": "joint_operation_not_decided", "count": 1},
        {"kind": "traffic_stop", "flag": None, "count": STOPS},
    ]
    assert stats["total"] == STOPS + 1


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
        ("/v1/events?flag=maybe", "flag"),
        ("/v1/events?kind=checkpoint", "kind"),
        ("/v1/events?purpose=warrant_check", "purpose"),
        ("/v1/events?cursor=nonsense", "cursor"),
        ("/v1/events?limit=0", "limit"),
        ("/v1/stats/events?group_by=purpose", "group_by"),
        ("/v1/encounters?flag=no_decision", "flag"),
        ("/v1/encounters?kind=a&kind=b", "kind"),
        ("/v1/encounters?format=xml", "format"),
        ("/v1/stats/encounters?group_by=kind&agency_type=spies", "agency_type"),
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


def test_the_cli_lists_and_counts_events_and_encounters(api: Api) -> None:
    listed = api.cli("query", "events", "--where", "flag=no_decision", "--limit", "2")
    assert listed.exit_code == 0, listed.output
    body = json.loads(listed.stdout)
    assert body["total"] == len(NOTIFIED) + 1
    assert len(body["items"]) == 2
    assert body["next_cursor"] is not None
    rest = api.cli(
        "query", "events", "--where", "flag=no_decision", "--cursor", body["next_cursor"]
    )
    assert len(json.loads(rest.stdout)["items"]) == len(NOTIFIED) - 1
    counted = api.cli("query", "encounters", "--group-by", "flag", "--format", "csv")
    assert counted.exit_code == 0, counted.output
    assert counted.stdout.splitlines() == [
        "flag,count",
        "joint_operation_not_decided,1",
        f",{STOPS}",
    ]
    lines = api.cli("query", "encounters", "--format", "jsonl", "--where", "district=1D")
    assert len(lines.stdout.splitlines()) == STOPS + 1


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["decisions", "--where", "action=teleport"], "action"),
        (["decisions", "--where", "to=tomorrow"], "to"),
        (["decisions", "--where", "colour=red"], "colour"),
        (["decisions", "--where", "action"], "where"),
        (["decisions", "--group-by", "colour"], "group_by"),
        (["decisions", "--format", "xml"], "format"),
        (["events", "--where", "flag=maybe"], "flag"),
        (["events", "--where", "custody=free"], "custody"),
        (["events", "--group-by", "purpose"], "group_by"),
        (["encounters", "--where", "agency_type=spies"], "agency_type"),
        (["encounters", "--where", "to=tomorrow"], "to"),
        (["encounters", "--format", "xml"], "format"),
    ],
)
def test_the_cli_exits_2_naming_a_bad_filter(api: Api, args: list[str], named: str) -> None:
    result = api.cli("query", *args)
    assert result.exit_code == 2, result.output
    assert f"error: {named}:" in result.stderr
