"""Replay under another reading or a draft pack (issue 10, item 3): ``liaison.reports.replay``,
``liaison replay`` and ``POST /v1/replays``.

Every expected number is computed here from the fixture's own requests, each decided
directly with ``Engine.decide`` under the other view or the draft pack (never through the
replay code), beside the decision the gateway answered when it recorded it.
"""

from __future__ import annotations

import json
import random
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from conftest import BACKENDS, database_url, running_services
from liaison.api.app import create_app
from liaison.api.deps import Services
from liaison.cli import app as cli_app
from liaison.errors import InvalidRequest, PackError
from liaison.gateway.auth import Principal
from liaison.gateway.roles import KeyRole
from liaison.model.decision import Decision
from liaison.model.request import parse_request
from liaison.model.timestamps import parse_instant
from liaison.policy import Engine as PolicyEngine
from liaison.policy import load_pack, shipped_pack_path
from liaison.reports.replay import draft_pack, in_force, make_plan, replay
from liaison.reports.replay_workers import Source, replay_in_parts

ORIGIN = "test.example/replay"
EASTERN = ZoneInfo("America/New_York")
FROM, TO = "2025-07-01T00:00:00-04:00", "2025-11-01T00:00:00-04:00"
UNITS = ("1D", "3D")
# Around the Chief's order (14 August 2025), the Attorney General's (14 and 15 August) and
# the end of August in D.C. (02:00Z on 1 September is still 31 August there).
INSTANTS = [
    "2025-08-01T10:00:00-04:00",
    "2025-08-14T18:00:00-04:00",
    "2025-08-16T09:00:00-04:00",
    "2025-09-01T02:00:00Z",
    "2025-09-20T09:15:00-04:00",
]


def _request(rng: random.Random, n: int) -> dict[str, Any]:
    unit = rng.choice(UNITS)
    body: dict[str, Any] = {
        "id": f"r-{n}",
        "at": rng.choice(INSTANTS),
        "actor": {"id": f"officer-{unit}", "agency": "MPD", "role": "officer", "unit": unit},
        "subject": {"id": f"person-{n}", "custody": rng.choice(["free", "stopped", "mpd_custody"])},
    }
    kind = rng.random()
    if kind < 0.45:
        purposes = rng.choice([["immigration_status"], ["warrant_check"]])
        if rng.random() < 0.3:
            purposes = ["immigration_status", "warrant_check"]
        database = rng.choice(["WALES", "NCIC", "NLETS_IAQ"])
        body.update(action="database_inquiry", database=database, purposes=purposes)
        if rng.random() < 0.4:
            body["case_number"] = f"case-{n}"
    elif kind < 0.8:
        body.update(
            action="share_information",
            purposes=["civil_immigration_enforcement"],
            recipient={"agency": "ICE", "type": "federal_immigration"},
            data_classes=["release_datetime"],
        )
    else:
        body.update(
            action="transport",
            purposes=["civil_immigration_enforcement"],
            recipient={"agency": "ICE", "type": "federal_immigration"},
            transport={"passengers": rng.choice(["federal_employees", "detained_subject"])},
        )
    if rng.random() < 0.15:
        body["view"] = "doj"  # replayed under another view, it is decided under that one
    return body


@dataclass
class World:
    services: Services
    web: TestClient
    auditor: dict[str, str]
    officer: dict[str, str]
    made: list[dict[str, Any]]  # each request, with "decided": the Decision recorded
    erased: dict[str, dict[str, Any]]  # the requests whose personal data was erased
    cli: Any
    url: str
    keys: Path


@pytest.fixture(scope="module", params=BACKENDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    tmp_path = tmp_path_factory.mktemp("replay")
    for url in database_url(request.param, tmp_path):
        with running_services(url, tmp_path, log_origin=ORIGIN) as services:
            yield _world(services, url, tmp_path)


def _world(services: Services, url: str, tmp_path: Path) -> World:
    gateway = services.gateway
    rng = random.Random(103)
    made = []
    for n in range(160):
        body = _request(rng, n)
        unit = body["actor"]["unit"]
        who = Principal(f"k-{unit}", KeyRole.SUPERVISOR, f"sergeant-{unit}", unit)
        decided = gateway.decide_and_record(parse_request(body), who).decision
        made.append({**body, "decided": decided})
    # Erase two people: one whose case number decided (an NLETS_IAQ inquiry made with one,
    # under the Chief's order), one whose outcome no erased fact touches.
    erased = {}
    for chosen in (_nlets_with_case(made), _warrant_check(made)):
        gateway.ledger.erase(_index(services, chosen["id"]), "test", "auditor-1", "a court order")
        erased[chosen["id"]] = chosen
    audit, _ = services.keys.create(KeyRole.AUDITOR, "auditor-1", None)
    mine, _ = services.keys.create(KeyRole.OFFICER, "officer-1D", "1D")

    def cli(*args: str) -> Result:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("LIAISON_DATABASE_URL", url)
            env.setenv("LIAISON_KEY_DIR", str(tmp_path / "keys"))
            env.setenv("LIAISON_LOG_ORIGIN", ORIGIN)
            return CliRunner().invoke(cli_app, list(args), prog_name="liaison")

    web = TestClient(create_app(services=services))
    auth = {"Authorization": f"Bearer {audit}"}
    officer = {"Authorization": f"Bearer {mine}"}
    return World(services, web, auth, officer, made, erased, cli, url, tmp_path / "keys")


def _nlets_with_case(made: list[dict[str, Any]]) -> dict[str, Any]:
    return next(
        r
        for r in made
        if r.get("database") == "NLETS_IAQ"
        and "case_number" in r
        and r["purposes"] == ["warrant_check"]
        and r["decided"].view == "mpd"
        and r["at"] >= "2025-08-16"
        and r["decided"].decision.value == "permit"
    )


def _warrant_check(made: list[dict[str, Any]]) -> dict[str, Any]:
    return next(
        r for r in made if r.get("database") == "WALES" and r["purposes"] == ["warrant_check"]
    )


def _index(services: Services, ident: str) -> int:
    who = Principal("k", KeyRole.AUDITOR, "auditor-1", None)
    return int(services.gateway.decision(ident, who)["ledger_index"])


def _cited(d: Decision) -> list[str]:
    return sorted(f"{c.directive} {c.section}" for c in d.citations)


def _run(world: World, view: str | None, engine: PolicyEngine | None = None, **kw: Any) -> Any:
    gateway = world.services.gateway
    engine = engine or gateway.current_policy()
    described = kw.pop("pack", None) or in_force(engine, None)
    plan = make_plan(
        parse_instant(FROM), parse_instant(TO), view, engine, described, kw.get("limit", 1000)
    )
    return replay(gateway.index, plan)


def _month(at: str) -> str:
    return parse_instant(at).astimezone(EASTERN).strftime("%Y-%m")


def _expected(world: World, decide: Any) -> dict[str, Any]:
    """The flips, counted here: each request decided directly by ``decide`` beside the
    decision recorded for it (the erased one whose case number decides is left out)."""
    flips: dict[str, tuple[Decision, Decision]] = {}
    for r in world.made:
        if r["id"] in world.erased and "case_number" in r:
            continue
        old, new = r["decided"], decide(r)
        if old.decision != new.decision:
            flips[r["id"]] = (old, new)
    return flips


def _direction(old: Decision, new: Decision) -> str:
    return f"{old.decision.value}_to_{new.decision.value}"


def test_the_same_view_and_pack_change_nothing(world: World) -> None:
    """Determinism: the pack that made the decisions, each under its own view."""
    report = _run(world, None)
    assert report["records"] == len(world.made)
    assert report["flips"]["total"] == 0
    assert report["same_outcome_other_citations"] == 0
    # the erased inquiry whose case number decided under the Chief's order cannot be
    # replayed honestly; the other erased one can (no policy reads a subject's id)
    cannot = report["not_replayable"]
    assert cannot["total"] == 1
    assert [r["id"] for r in cannot["records"]] == [_nlets_with_case(world.made)["id"]]
    assert "case number" in cannot["records"][0]["reason"]
    assert report["unchanged"] == len(world.made) - 1


def test_flips_under_the_other_view_are_those_deciding_directly_gives(world: World) -> None:
    policy = world.services.gateway.current_policy()

    def doj(r: dict[str, Any]) -> Decision:
        body = {k: v for k, v in r.items() if k != "decided"}
        return policy.decide(parse_request({**body, "view": "doj"}))

    want = _expected(world, doj)
    assert want
    assert len(want) < len(world.made)
    assert any(r.get("view") == "doj" for r in world.made)  # named doj: never a flip
    report = _run(world, "doj")
    got = {item["id"]: item for item in report["flipped"]}
    assert set(got) == set(want)
    for ident, (old, new) in want.items():
        item = got[ident]
        assert (item["old"]["decision"], item["new"]["decision"]) == (old.decision, new.decision)
        assert item["old"]["citations"] == _cited(old)
        assert item["new"]["citations"] == _cited(new)
        assert item["new"]["view"] == "doj"
        assert item["at"] == old.at.astimezone(EASTERN).isoformat()
    flips = report["flips"]
    directions = Counter(_direction(*pair) for pair in want.values())
    assert flips["total"] == len(want)
    assert flips["permit_to_deny"] == directions["permit_to_deny"]
    assert flips["deny_to_permit"] == directions["deny_to_permit"]
    by_id = {r["id"]: r for r in world.made}
    by_action = Counter(by_id[i]["action"] for i in want)
    assert {r["action"]: r["total"] for r in flips["by_action"]} == by_action
    by_month = Counter(_month(by_id[i]["at"]) for i in want)
    assert {r["month"]: r["total"] for r in flips["by_month"]} == by_month
    by_directive: Counter[str] = Counter()
    for old, new in want.values():
        by_directive.update({c.directive for c in (*old.citations, *new.citations)})
    assert {r["directive"]: r["total"] for r in flips["by_directive"]} == by_directive


def _draft(tmp_path: Path) -> Path:
    """The D.C. pack with EO-25-005 E1 narrowed: no longer permits sharing about people
    who were stopped (only about those free)."""
    folder = tmp_path / "draft"
    shutil.copytree(shipped_pack_path("dc"), folder)
    path = folder / "directives" / "EO-25-005.toml"
    text = path.read_text(encoding="utf-8")
    old = '["free", "stopped"].contains(context.subject.custody)'
    assert text.count(old) == 1
    path.write_text(text.replace(old, '["free"].contains(context.subject.custody)'), "utf-8")
    return folder


def test_a_draft_pack_flips_exactly_what_its_changed_section_decided(
    world: World, tmp_path: Path
) -> None:
    folder = _draft(tmp_path)
    direct = PolicyEngine(load_pack(folder))

    def drafted(r: dict[str, Any]) -> Decision:
        body = {k: v for k, v in r.items() if k != "decided"}
        return direct.decide(parse_request({**body, "view": r["decided"].view}))

    want = _expected(world, drafted)
    assert want
    for old, _ in want.values():  # each one E1 had permitted, about someone stopped
        assert "EO-25-005 E1" in _cited(old)
    stopped = [r for r in world.made if r["id"] in want]
    assert {r["subject"]["custody"] for r in stopped} == {"stopped"}
    engine, described = draft_pack(
        {p.relative_to(folder).as_posix(): p.read_text("utf-8") for p in _files(folder)}
    )
    report = _run(world, None, engine, pack=described)
    assert {i["id"] for i in report["flipped"]} == set(want)
    assert report["flips"]["permit_to_deny"] == len(want)
    assert report["pack"]["source"] == "draft"


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def test_an_unknown_view_is_refused_naming_view_with_the_choices(world: World) -> None:
    with pytest.raises(InvalidRequest) as caught:
        _run(world, "council")
    assert caught.value.field == "view"
    assert caught.value.choices == ["doj", "mpd"]
    answer = world.web.post(
        "/v1/replays", json={"from": FROM, "to": TO, "view": "council"}, headers=world.auditor
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "view"
    assert answer.json()["error"]["choices"] == ["doj", "mpd"]


def test_a_draft_pack_that_does_not_load_names_the_file(world: World, tmp_path: Path) -> None:
    folder = _draft(tmp_path)
    broken = folder / "directives" / "EO-25-005.toml"
    broken.write_text(broken.read_text("utf-8") + "\n[[sections\n", "utf-8")
    with pytest.raises(PackError) as caught:
        draft_pack({"directives/EO-25-005.toml": broken.read_text("utf-8")})
    assert caught.value.problems
    result = world.cli("replay", "--from", FROM, "--to", TO, "--pack", str(folder))
    assert result.exit_code == 1
    assert str(broken) in result.output
    files = {p.relative_to(folder).as_posix(): p.read_text("utf-8") for p in _files(folder)}
    body = {"from": FROM, "to": TO, "pack": {"files": files}}
    answer = world.web.post("/v1/replays", json=body, headers=world.auditor)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "invalid_pack"
    assert {p["file"] for p in error["problems"]} == {"directives/EO-25-005.toml"}


def test_the_api_and_the_cli_answer_the_same_report(world: World) -> None:
    body = {"from": FROM, "to": TO, "view": "doj", "limit": 5}
    answer = world.web.post("/v1/replays", json=body, headers=world.auditor)
    assert answer.status_code == 200, answer.text
    got = answer.json()
    assert len(got["flipped"]) == 5
    assert got["flips"] == _run(world, "doj")["flips"]
    printed = world.cli(
        "replay", "--from", FROM, "--to", TO, "--view", "doj", "--format", "json",
        "--limit-records", "5",
    )  # fmt: skip
    assert printed.exit_code == 0, printed.output
    cli_report = json.loads(printed.output)
    assert cli_report["flips"] == got["flips"]
    assert cli_report["flipped"] == got["flipped"]
    text = world.cli("replay", "--from", FROM, "--to", TO, "--view", "doj")
    assert text.exit_code == 0
    assert f"│ flipped                       │ {got['flips']['total']}" in text.output
    csv_out = world.cli("replay", "--from", FROM, "--to", TO, "--view", "doj", "--format", "csv")
    assert csv_out.exit_code == 0
    lines = csv_out.output.strip().splitlines()
    assert len(lines) == 1 + min(100, got["flips"]["total"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"from": "2025-08-01", "to": TO}, "from"),
        ({"from": TO, "to": FROM}, "to"),
        ({"from": FROM, "to": TO, "limit": 5000}, "limit"),
        ({"from": FROM, "to": TO, "colour": "red"}, "colour"),
        ({"to": TO}, "from"),
    ],
)
def test_bad_input_is_422_naming_the_field(world: World, body: Any, field: str) -> None:
    answer = world.web.post("/v1/replays", json=body, headers=world.auditor)
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == field


def test_only_auditors_replay_and_bodies_are_bounded(world: World) -> None:
    body = {"from": FROM, "to": TO}
    assert world.web.post("/v1/replays", json=body, headers=world.officer).status_code == 403
    huge = {"from": FROM, "to": TO, "pack": {"files": {"pack.toml": "#" * (9 * 1024 * 1024)}}}
    answer = world.web.post("/v1/replays", json=huge, headers=world.auditor)
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "payload_too_large"


def test_the_cli_exits_2_naming_bad_input(world: World) -> None:
    result = world.cli("replay", "--from", "yesterday", "--to", TO)
    assert result.exit_code == 2
    assert "from" in result.output
    result = world.cli("replay", "--from", FROM, "--to", TO, "--view", "council")
    assert result.exit_code == 2
    assert "doj, mpd" in result.output


def test_a_replay_in_parts_is_the_replay_in_one(world: World) -> None:
    """``--workers``: the range cut into parts, each replayed by a process of its own, the
    tallies merged in order: the same report, first records listed included."""
    gateway = world.services.gateway
    stored = gateway.packs.latest()
    assert stored is not None
    engine = gateway.current_policy()
    plan = make_plan(
        parse_instant(FROM), parse_instant(TO), "doj", engine, in_force(engine, stored), 7
    )
    source = Source(world.url, ORIGIN, world.keys, stored.files)
    whole = replay(gateway.index, plan)
    parts = replay_in_parts(gateway.index, plan, source, 3, min_per_worker=20)
    assert parts == whole
    assert whole["flips"]["total"] > len(whole["flipped"]) == 7


def test_months_are_counted_in_eastern_time() -> None:
    """A fixture instant at 02:00Z on 1 September is 31 August in D.C."""
    assert _month("2025-09-01T02:00:00Z") == "2025-08"
    assert datetime.fromisoformat("2025-09-01T02:00:00+00:00").month == 9
