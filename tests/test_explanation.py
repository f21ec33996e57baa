"""Consistency a reader notices (issue 10, item 5): ``GET /v1/directives`` gives each
directive's issuer and authority as ``liaison directives show`` does, and
``GET /v1/decisions/{id}/explanation`` explains a recorded decision as ``liaison explain``
explains one, with the other view's outcome and a contested-reading warning. Expected
chains and outcomes are computed here from the pack's files and by deciding directly."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from typer.testing import CliRunner

from conftest import running_services
from liaison.api.app import create_app
from liaison.api.deps import Services
from liaison.cli import app
from liaison.gateway.auth import Principal
from liaison.gateway.roles import KeyRole
from liaison.model.request import parse_request
from liaison.policy import Engine, load_pack, shipped_pack_path
from liaison.reports.explain import explain_text
from liaison.storage.tables import decisions

PACK = shipped_pack_path("dc")
NOON_15 = "2025-08-15T12:00:00-04:00"  # mpd: forbid (EO-25-005 E3); doj: default deny
EVENING_15 = "2025-08-15T20:00:00-04:00"  # mpd: forbid; doj: permit (AG directive)
ACTOR = {"id": "officer-1", "agency": "MPD", "role": "officer", "unit": "1D"}
OFFICER = Principal("k-officer", KeyRole.OFFICER, "officer-1", "1D")


def status_inquiry(ident: str, at: str) -> dict[str, Any]:
    return {
        "id": ident,
        "at": at,
        "actor": ACTOR,
        "action": "database_inquiry",
        "database": "NCIC",
        "purposes": ["immigration_status"],
        "subject": {"id": "person-secret-77", "custody": "stopped"},
        "case_number": "CASE-SECRET-1",
    }


# -- the chain of authority, from the pack's files -----------------------------------------


def _files() -> dict[str, dict[str, Any]]:
    return {
        doc["id"]: doc
        for doc in (tomllib.loads(p.read_text()) for p in (PACK / "directives").glob("*.toml"))
    }


def expected_paths(files: dict[str, dict[str, Any]], ident: str) -> list[str]:
    """Each path from ``ident`` up its ``authority`` entries to a law outside the pack."""
    out: list[str] = []
    for a in files[ident].get("authority", []):
        if "external" in a:
            out.append(a["external"])
            continue
        up = files[a["directive"]]
        who = up["issuer"] + (f", {up['issuer_name']}" if up.get("issuer_name") else "")
        head = f"{a['directive']} ({who})"
        out.extend([f"{head} <- {p}" for p in expected_paths(files, a["directive"])] or [head])
    return out


def test_the_ag_order_relies_on_the_emergency_power_through_the_executive_order() -> None:
    """A hand-written case: the chain goes through the pack's EO-14333 to Home Rule § 740."""
    assert expected_paths(_files(), "AG-ORDER-2025-08-14") == [
        "EO-14333 (President of the United States, Donald J. Trump) <- "
        "Home Rule Act § 740 (D.C. Code § 1-207.40)"
    ]


# -- a deployment with recorded decisions ----------------------------------------------------


@dataclass
class World:
    client: TestClient
    services: Services
    headers: dict[str, dict[str, str]]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp_path = tmp_path_factory.mktemp("explain")
    url = f"sqlite:///{tmp_path / 'liaison.db'}"
    with running_services(url, tmp_path) as services:
        gateway = services.gateway
        for ident, at in (("noon", NOON_15), ("evening", EVENING_15)):
            gateway.decide_and_record(parse_request(status_inquiry(ident, at)), OFFICER)
        doj = {**status_inquiry("evening-doj", EVENING_15), "view": "doj"}
        gateway.decide_and_record(parse_request(doj), OFFICER)
        keys = {
            "officer": ("officer-1", "1D"),
            "other-officer": ("officer-2", "1D"),
            "auditor": ("auditor-1", None),
            "public": ("public-1", None),
        }
        headers = {}
        for name, (actor, unit) in keys.items():
            role = KeyRole.OFFICER if name == "other-officer" else KeyRole(name)
            key = services.keys.create(role, actor, unit)[0]
            headers[name] = {"Authorization": f"Bearer {key}"}
        with TestClient(create_app(services=services)) as client:
            yield World(client, services, headers)


def test_directives_give_issuer_and_authority_as_directives_show_does(world: World) -> None:
    files = _files()
    listed = world.client.get(
        "/v1/directives", params={"at": NOON_15}, headers=world.headers["public"]
    )
    assert listed.status_code == 200
    statuses = listed.json()["directives"]
    assert {s["directive"] for s in statuses} == set(files)
    for status in statuses:
        ident = status["directive"]
        shown = CliRunner().invoke(app, ["directives", "show", ident, "--json"])
        assert shown.exit_code == 0, shown.output
        cli = json.loads(shown.stdout)
        for key in ("issuer", "issuer_name", "authority", "authority_chain", "authority_paths"):
            assert status[key] == cli[key], (ident, key)
        assert status["issuer"] == files[ident]["issuer"]
        assert status["issuer_name"] == files[ident].get("issuer_name")
        assert status["authority_paths"] == expected_paths(files, ident)
        text = CliRunner().invoke(app, ["directives", "show", ident]).stdout
        for path in expected_paths(files, ident):
            assert f"  authority: {path}\n" in text


def _explain(world: World, ident: str, who: str = "auditor") -> Any:
    got = world.client.get(f"/v1/decisions/{ident}/explanation", headers=world.headers[who])
    assert got.status_code == 200, got.text
    return got.json()


def test_an_explanation_gives_the_other_views_outcome_decided_directly(world: World) -> None:
    engine = Engine(load_pack(PACK))
    for ident, at, contested in (("noon", NOON_15, False), ("evening", EVENING_15, True)):
        explained = _explain(world, ident)
        recorded = world.client.get(f"/v1/decisions/{ident}", headers=world.headers["auditor"])
        decision = recorded.json()["decision"]
        assert (explained["decision"], explained["basis"], explained["view"]) == (
            decision["decision"],
            decision["basis"],
            "mpd",
        )
        assert explained["at"] == at
        cited = [(c["directive"], c["section"]) for c in decision["citations"]]
        assert [(s["directive"], s["section"]) for s in explained["sections"]] == cited
        for s in explained["sections"]:
            section = engine.pack.directive(s["directive"]).section(s["section"])
            assert s["text"] == section.text
            assert s["authority_paths"] == expected_paths(_files(), s["directive"])
        doj = engine.decide(parse_request({**status_inquiry(ident, at), "view": "doj"}))
        [other] = explained["other_views"]
        assert (other["view"], other["decision"], other["basis"]) == (
            "doj",
            doj.decision.value,
            doj.basis.value,
        )
        assert other["citations"] == [f"{c.directive} {c.section}" for c in doj.citations]
        assert explained["contested"] is contested
        assert (explained["decision"] != other["decision"]) is contested
        if contested:
            assert explained["warning"].startswith("CONTESTED READING")
            assert "'doj' (permit, permit)" in explained["warning"]
        else:
            assert explained["warning"] is None
        assert explained["personal_erased"] is False


def test_an_explanation_shows_no_personal_data(world: World) -> None:
    got = world.client.get("/v1/decisions/evening/explanation", headers=world.headers["officer"])
    assert got.status_code == 200
    assert "person-secret-77" not in got.text
    assert "CASE-SECRET-1" not in got.text
    assert "about the subject (custody: stopped)" in got.json()["asked"]


def test_an_explanation_has_the_content_of_liaison_explain(world: World) -> None:
    """The API's explanation rendered as text is what ``liaison explain`` prints for the
    same request, but for what was asked (the CLI names the person, the API does not)."""
    for ident, at in (("noon", NOON_15), ("evening", EVENING_15), ("evening-doj", EVENING_15)):
        view = "doj" if ident.endswith("doj") else "mpd"
        request = {**status_inquiry(ident, at), "view": view}
        printed = CliRunner().invoke(app, ["explain"], input=json.dumps(request))
        assert printed.exit_code == 0, printed.output
        cli_lines = printed.stdout.rstrip("\n").split("\n")
        api_lines = "\n".join(explain_text(_explain(world, ident))).split("\n")
        assert len(cli_lines) == len(api_lines)
        # What was asked (lines 1 and 2): the CLI names the person and the case, the API not.
        assert "person-secret-77" in cli_lines[1]
        assert "the subject" in api_lines[1]
        assert cli_lines[2] == api_lines[2] + "; case number: CASE-SECRET-1"
        assert cli_lines[:1] + cli_lines[3:] == api_lines[:1] + api_lines[3:]
    doj = _explain(world, "evening-doj")
    assert (doj["view"], doj["decision"], doj["contested"]) == ("doj", "permit", True)
    assert doj["other_views"][0]["view"] == "mpd"


def test_an_explanation_is_scoped_as_the_decision_is(world: World) -> None:
    for who, status in (("officer", 200), ("other-officer", 404), ("public", 403)):
        got = world.client.get("/v1/decisions/noon/explanation", headers=world.headers[who])
        assert got.status_code == status, (who, got.text)
        if status != 200:
            assert set(got.json()) == {"error"}
    unknown = world.client.get("/v1/decisions/nope/explanation", headers=world.headers["auditor"])
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "not_found"


def test_a_row_edited_behind_the_ledger_is_not_explained(tmp_path: Path) -> None:
    """The row is checked against its ledger entry before it is explained: a deny edited
    into a permit in the database is refused (503 integrity), never explained as a permit."""
    url = f"sqlite:///{tmp_path / 'liaison.db'}"
    with running_services(url, tmp_path) as services:
        services.gateway.decide_and_record(parse_request(status_inquiry("x", NOON_15)), OFFICER)
        key = services.keys.create(KeyRole.AUDITOR, "auditor-1", None)[0]
        with services.gateway.db.begin() as conn:
            conn.execute(update(decisions).where(decisions.c.id == "x").values(decision="permit"))
        client = TestClient(create_app(services=services))
        got = client.get("/v1/decisions/x/explanation", headers={"Authorization": f"Bearer {key}"})
    assert got.status_code == 503
    assert got.json()["error"]["code"] == "integrity"


def test_a_decision_whose_personal_data_was_erased_is_still_explained(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'liaison.db'}"
    with running_services(url, tmp_path) as services:
        made = services.gateway.decide_and_record(
            parse_request(status_inquiry("gone", EVENING_15)), OFFICER
        )
        services.gateway.ledger.erase(made.ledger_index, "request", "auditor-1", "a court order")
        key = services.keys.create(KeyRole.AUDITOR, "auditor-1", None)[0]
        client = TestClient(create_app(services=services))
        got = client.get(
            "/v1/decisions/gone/explanation", headers={"Authorization": f"Bearer {key}"}
        )
    assert got.status_code == 200, got.text
    explained = got.json()
    assert explained["personal_erased"] is True
    assert (explained["decision"], explained["other_views"][0]["decision"]) == ("deny", "permit")
