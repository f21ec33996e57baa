"""The demo exercises what the records must catch (issue 10, item 4), and the ``operations``
and ``review`` reports show each: the 13 August checkpoint flagged after its denial, the
4 September joint patrol never decided, refused status inquiries carried out and flagged,
federal immigration employees transported (EO-25-005 § E2), and status inquiries that name
a traffic purpose beside immigration_status (the "solely" pretext, § E3). Expected numbers
come from the demo's own plan (``demo.timeline``), never from the report code.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest

from conftest import running_services
from liaison.api.deps import Services
from liaison.demo.loader import load_demo, with_ids
from liaison.demo.timeline import SEED, checkpoint_plan, patrol_plan, stop_plan, stops
from liaison.model.request import parse_request
from liaison.reports import report_operations, report_review
from liaison.reports.report_scope import CheckpointRef, ReportScope

CHECKPOINT = "checkpoint-2025-08-13-14th-st"
PATROL = "patrol-2025-09-04-1d-ere"


def plan(per_day: int) -> list[tuple[str, dict[str, Any]]]:
    plans = [checkpoint_plan(), patrol_plan()] + [stop_plan(s) for s in stops(SEED, per_day)]
    return [step for p in plans for step in with_ids(p)]


def mixed(body: dict[str, Any]) -> bool:
    named = set(body.get("purposes", ()))
    return "immigration_status" in named and len(named) > 1


@pytest.fixture(scope="module")
def scope(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReportScope]:
    tmp_path = tmp_path_factory.mktemp("report-demo")
    with running_services(f"sqlite:///{tmp_path / 'liaison.db'}", tmp_path) as services:
        load_demo(services.gateway, per_day=1)
        yield _scope(services)


def _scope(services: Services) -> ReportScope:
    gw = services.gateway
    size, root = gw.ledger.head()
    return ReportScope(gw.db, gw.policy, CheckpointRef(size, base64.b64encode(root).decode()))


def test_the_operations_report_shows_the_checkpoint_and_the_patrol(scope: ReportScope) -> None:
    doc = report_operations.build(scope)
    ops = {o.id: o for o in doc.operations}
    assert set(ops) == {CHECKPOINT, PATROL}
    checkpoint, patrol = ops[CHECKPOINT], ops[PATROL]
    assert checkpoint.flagged == ["joint_operation_denied"]
    assert [(j.id, j.decision) for j in checkpoint.joint_operation] == [("cp-14th-joint", "deny")]
    assert checkpoint.declared_purpose == "traffic safety compliance checkpoint"
    steps = [b for k, b in plan(1) if b.get("encounter", {}).get("id") == CHECKPOINT]
    handovers = [b for b in steps if b.get("kind") == "handover"]
    assert checkpoint.records_show.handovers == len(handovers) > 0
    assert checkpoint.not_allowed.flagged_events == {"decision_denied": len(handovers)}
    assert checkpoint.records_show.vehicles_stopped == 40
    assert patrol.flagged == ["joint_operation_not_decided"]
    assert patrol.joint_operation == []
    assert patrol.records_show.transports == 1  # federal immigration employees driven
    assert doc.flagged == 2


def test_the_review_report_shows_refused_inquiries_carried_out(scope: ReportScope) -> None:
    doc = report_review.build(scope)
    carried = [
        b for k, b in plan(1) if k == "event" and b["kind"] == "action_carried_out"
    ]  # each cites a refused status inquiry (test_demo)
    denied = {f.flag: f for f in doc.flagged_actions}["decision_denied"]
    assert denied.by_kind.get("action_carried_out") == len(carried) > 0
    undecided = [b for k, b in plan(1) if k == "event" and b.get("decision_id") is None]
    reported = [b for b in undecided if b["kind"] not in ("encounter_started", "encounter_ended")]
    assert {f.flag: f for f in doc.flagged_actions}["no_decision"].count == len(reported)
    want = [b for k, b in plan(1) if k == "decide" and mixed(b)]
    assert doc.mixed_purpose_inquiries.count == len(want)
    assert doc.view_disagreements.disagreements  # the views part on the demo's days


def test_the_full_demo_asks_status_inquiries_beside_a_traffic_purpose(
    scope: ReportScope,
) -> None:
    """``liaison demo`` (30 stops a day) has three, and each is permitted: naming
    traffic_enforcement beside immigration_status gets past § E3's "solely"."""
    found = [b for k, b in plan(30) if k == "decide" and mixed(b)]
    assert len(found) == 3
    for body in found:
        assert body["purposes"] == ["traffic_enforcement", "immigration_status"]
        assert scope.policy.decide(parse_request(body)).decision.value == "permit"
        alone = {**body, "purposes": ["immigration_status"]}
        refused = scope.policy.decide(parse_request(alone))
        assert refused.decision.value == "deny"
        assert [(c.directive, c.section) for c in refused.citations] == [("EO-25-005", "E3")]


def test_the_full_demo_totals() -> None:
    """What ``liaison demo`` records (README): 3,358 decisions and 4,755 events."""
    steps = plan(30)
    assert sum(k == "decide" for k, _ in steps) == 3358
    assert sum(k == "event" for k, _ in steps) == 4755
