"""The demo history (Aug-Sep 2025), loaded through the gateway on SQLite: stops, the 14th
Street checkpoint with its declared purpose beside what the records show, flagged
handovers, a ledger that verifies, and a second load that does nothing; and what the
records must catch (issue 10, item 4): the checkpoint and a joint patrol flagged, refused
inquiries carried out anyway, federal agents driven under EO-25-005 § E2."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from conftest import running_services
from liaison.api.deps import Services
from liaison.demo.loader import DemoResult, load_demo
from liaison.errors import NotFound
from liaison.gateway.auth import Principal
from liaison.gateway.index_check import check_index
from liaison.gateway.roles import KeyRole
from liaison.ledger.check import check_ledger
from liaison.ledger.keys import load_verifier
from liaison.storage.tables import decisions, encounters, events

CHECKPOINT = "checkpoint-2025-08-13-14th-st"
PATROL = "patrol-2025-09-04-1d-ere"
AUDITOR = Principal("k-auditor", KeyRole.AUDITOR, "auditor-1", None)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Services, DemoResult, Path]]:
    tmp_path = tmp_path_factory.mktemp("demo")
    with running_services(f"sqlite:///{tmp_path / 'liaison.db'}", tmp_path) as services:
        yield services, load_demo(services.gateway, per_day=1), tmp_path / "keys"


def _count(services: Services, table: object, *where: object) -> int:
    with services.gateway.db.connect() as conn:
        query = select(func.count()).select_from(table)  # type: ignore[arg-type]
        return int(conn.execute(query.where(*where)).scalar_one())  # type: ignore[arg-type]


def test_counts(demo: tuple[Services, DemoResult, Path]) -> None:
    services, result, _ = demo
    assert not result.skipped
    assert result.decisions > 0
    assert result.events > 0
    assert _count(services, decisions) == result.decisions
    assert _count(services, events) == result.events
    # Besides the demo's records, the ledger holds the deployment's first pack (entry 0).
    assert services.gateway.ledger.head()[0] == 1 + result.decisions + result.events
    assert services.gateway.ledger.entry(0).document()["kind"] == "pack_change"
    # One stop a day from 1 August to 30 September, the checkpoint and the joint patrol.
    assert _count(services, encounters) == 61 + 2
    assert _count(services, decisions, decisions.c.decision == "deny") > 0
    assert _count(services, decisions, decisions.c.decision == "permit") > 0


def test_the_14th_street_checkpoint(demo: tuple[Services, DemoResult, Path]) -> None:
    services, _, _ = demo
    gateway = services.gateway
    seen = gateway.encounter(CHECKPOINT, AUDITOR)
    assert seen["kind"] == "checkpoint"
    assert seen["declared_purpose"] == "traffic safety compliance checkpoint"
    assert seen["place"] == "14th St NW at Riggs St NW"
    assert {a["agency"] for a in seen["agencies"]} == {"MPD", "USPP", "HSI", "ICE-ERO"}
    assert seen["started_at"] is not None
    assert seen["ended_at"] is not None
    assert seen["outcome"] == {"vehicles_stopped": 40, "infractions": 22, "arrests": 6}
    # 3D's checkpoint, with 2D's officers: 2D reads it (its own records in it); 5D does not.
    assert (seen["unit"], seen["participants"]) == ("3D", ["2D"])
    assert {d["actor"][:9] for d in seen["decisions"]} == {"officer-2", "officer-3", "commander"}
    second = Principal("k-2D", KeyRole.SUPERVISOR, "sergeant-2", "2D")
    theirs = gateway.encounter(CHECKPOINT, second)
    assert theirs["declared_purpose"] == "traffic safety compliance checkpoint"
    assert {d["actor"][:9] for d in theirs["decisions"]} == {"officer-2"}
    with pytest.raises(NotFound):
        gateway.encounter(CHECKPOINT, Principal("k-5D", KeyRole.SUPERVISOR, "sergeant-5", "5D"))

    joint = gateway.decision("cp-14th-joint", AUDITOR)
    assert joint["request"]["action"] == "joint_operation"
    assert joint["decision"]["decision"] == "deny"
    # It went ahead with ICE and HSI after that denial: the encounter says so (issue 10).
    assert seen["flagged"] == ["joint_operation_denied"]
    assert theirs["flagged"] == ["joint_operation_denied"]

    # Beside the declared purpose, what the records show: a denied joint operation,
    # information shared with HSI that no directive allowed, handed over anyway.
    shows = seen["records_show"]
    assert shows["decisions_by_action"]["joint_operation"] == {"permit": 0, "deny": 1}
    assert shows["decisions_by_action"]["database_inquiry"]["permit"] == 40
    shares = shows["decisions_by_action"]["share_information"]
    assert shares["deny"] > 0
    handovers = [e for e in seen["events"] if e["kind"] == "handover"]
    assert handovers
    assert shows["events_by_kind"]["handover"] == len(handovers)
    assert all(e["flagged"] == "decision_denied" for e in handovers)
    assert shows["flagged_events"] == len(handovers)


def test_flagged_actions_are_recorded(demo: tuple[Services, DemoResult, Path]) -> None:
    services, _, _ = demo
    flagged = events.c.flagged.is_not(None)
    assert _count(services, events, flagged, events.c.kind == "handover") > 0
    assert _count(services, events, flagged) > _count(
        services, events, flagged, events.c.kind == "handover"
    )  # stops, too: notifications after a denial, or with no decision at all
    assert _count(services, events, flagged, events.c.kind.like("encounter_%")) == 0


def test_loading_again_is_skipped(demo: tuple[Services, DemoResult, Path]) -> None:
    services, result, _ = demo
    size = services.gateway.ledger.head()[0]
    again = load_demo(services.gateway, per_day=1)
    assert again.skipped
    assert (again.decisions, again.events) == (0, 0)
    assert services.gateway.ledger.head()[0] == size
    assert _count(services, decisions) == result.decisions


def test_the_ledger_verifies(demo: tuple[Services, DemoResult, Path]) -> None:
    services, _, key_dir = demo
    ledger = services.gateway.ledger
    checkpoint = ledger.checkpoint()
    assert checkpoint.size == ledger.head()[0]
    report = check_ledger(ledger, load_verifier(key_dir))
    assert report.ok, report.problems
    assert report.checkpoints_verified >= 1
    assert check_index(ledger) == []  # every index row is what its entries make


def test_an_interrupted_load_resumes(
    tmp_path: Path, demo: tuple[Services, DemoResult, Path]
) -> None:
    """A load stopped part-way (here: the checkpoint's first steps only) is finished by the
    next one, each step recorded once; the totals are those of one whole load."""
    from liaison.demo.loader import with_ids
    from liaison.demo.timeline import checkpoint_plan
    from liaison.gateway.events import Event
    from liaison.model.request import parse_request

    url = f"sqlite:///{tmp_path / 'liaison.db'}"
    with running_services(url, tmp_path, signing_key=False) as services:
        gateway = services.gateway
        loader = Principal("k-loader", KeyRole.SUPERVISOR, "demo-loader-3D", "3D")
        first = with_ids(checkpoint_plan())[:3]
        for kind, body in first:
            if kind == "decide":
                gateway.decide_and_record(parse_request(body), loader)
            else:
                gateway.record(Event.model_validate(body), loader)
        rest = load_demo(gateway, per_day=1)
        assert not rest.skipped
        decided = sum(1 for kind, _ in first if kind == "decide")
        total_decisions = _count(services, decisions)
        total_events = _count(services, events)
        assert rest.decisions == total_decisions - decided
        assert rest.events == total_events - (len(first) - decided)
        whole = demo[1]  # one uninterrupted load
        assert (total_decisions, total_events) == (whole.decisions, whole.events)
        assert gateway.ledger.head()[0] == 1 + total_decisions + total_events
        assert load_demo(gateway, per_day=1).skipped


# -- what the records must catch (issue 10, item 4) -------------------------------------------


def _documents(services: Services, table: Any, *where: Any) -> list[dict[str, Any]]:
    with services.gateway.db.connect() as conn:
        found = conn.execute(select(table.c.document).where(*where)).all()
    return [json.loads(row.document) for row in found]


def test_the_joint_patrol_went_ahead_undecided(demo: tuple[Services, DemoResult, Path]) -> None:
    services, _, _ = demo
    seen = services.gateway.encounter(PATROL, AUDITOR)
    assert {a["type"] for a in seen["agencies"]} == {"state_local", "federal_immigration"}
    assert seen["records_show"]["decisions_by_action"].get("joint_operation") is None
    assert seen["flagged"] == ["joint_operation_not_decided"]
    # Each thing done under it was itself permitted and cited: only the operation stands out.
    assert seen["records_show"]["flagged_events"] == 0
    # The stops declare no federal partner: none of them is flagged.
    stops = _documents(services, encounters, encounters.c.kind == "traffic_stop")
    assert stops
    assert not [s for s in stops if s.get("flagged")]


def test_refused_inquiries_carried_out_anyway_are_flagged(
    demo: tuple[Services, DemoResult, Path],
) -> None:
    services, _, _ = demo
    done = _documents(services, events, events.c.kind == "action_carried_out")
    carried = [e for e in done if e.get("action") == "database_inquiry"]
    assert carried
    for event in carried:
        assert event["flagged"] == "decision_denied"
        cited = services.gateway.decision(event["decision_id"], AUDITOR)
        assert cited["request"]["purposes"] == ["immigration_status"]
        assert cited["decision"]["decision"] == "deny"
        assert {(c["directive"], c["section"]) for c in cited["decision"]["citations"]} == {
            ("EO-25-005", "E3")
        }


def test_federal_agents_are_driven_under_eo_25_005(
    demo: tuple[Services, DemoResult, Path],
) -> None:
    services, _, _ = demo
    found = _documents(services, decisions, decisions.c.action == "transport")
    agents = [d for d in found if d["request"]["transport"]["passengers"] == "federal_employees"]
    assert len(agents) >= 3  # the patrol's, and stops after 14 August
    assert "patrol-0904-drive" in {d["id"] for d in agents}
    for record in agents:
        decided = record["decision"]
        assert (decided["decision"], decided["view"]) == ("permit", "mpd")
        assert ("EO-25-005", "E2") in {(c["directive"], c["section"]) for c in decided["citations"]}
    driven = {
        e["decision_id"]: e for e in _documents(services, events, events.c.kind == "transport")
    }
    for record in agents:  # each one carried out, under its permit: not flagged
        assert driven[record["id"]].get("flagged") is None


def test_the_same_seed_makes_the_same_plan() -> None:
    from liaison.demo.timeline import SEED, checkpoint_plan, patrol_plan, stop_plan, stops

    def plan(seed: int) -> list[Any]:
        return [checkpoint_plan(), patrol_plan()] + [stop_plan(s) for s in stops(seed, 2)]

    assert plan(SEED) == plan(SEED)
    assert plan(SEED) != plan(SEED + 1)
