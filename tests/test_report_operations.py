"""The ``operations`` report (issue 10, items 2, 4 and 7) on a history recorded through
the Gateway on each backend (``operations_fixture``): a checkpoint with ICE whose joint
operation was decided, a joint patrol with none (flagged), a traffic stop (not an
operation). Every number is counted here from the fixture's own records and what the
gateway answered; the document validates against its model.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from conftest import BACKENDS
from liaison.gateway.encounter_flags import JOINT_DENIED, JOINT_NOT_DECIDED
from liaison.reports import report_operations
from liaison.reports.report_operations import OperationsReport
from operations_fixture import History, recorded


@pytest.fixture(scope="module", params=BACKENDS)
def history(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[History]:
    yield from recorded(request.param, tmp_path_factory.mktemp("operations"))


@pytest.fixture(scope="module")
def report(history: History) -> OperationsReport:
    return report_operations.build(history.scope())


def under(history: History, encounter: str) -> tuple[list[Any], list[Any]]:
    def mine(r: dict[str, Any]) -> bool:
        return bool(r.get("encounter", {}).get("id") == encounter)

    return [d for d in history.decisions if mine(d)], [e for e in history.events if mine(e)]


def test_the_document_validates_against_its_model(report: OperationsReport) -> None:
    dumped = report.model_dump(mode="json", by_alias=True)
    assert OperationsReport.model_validate(dumped) == report
    assert dumped["report"] == "operations"
    assert [len(t.rows) for t in report.tables()] == [2, 2, 2]


def test_the_operations_are_the_checkpoint_and_the_patrol(
    history: History, report: OperationsReport
) -> None:
    assert [o.id for o in report.operations] == ["cp-1", "patrol-1"]  # not the traffic stop
    cp, patrol = report.operations
    joint = [d for d in history.decisions if d["action"] == "joint_operation"]
    assert [(j.id, j.decision, j.sections) for j in cp.joint_operation] == [
        (d["id"], d["decided"], d["cited"]) for d in joint
    ]
    assert cp.flagged == ([] if joint[0]["decided"] == "permit" else [JOINT_DENIED])
    assert patrol.flagged == [JOINT_NOT_DECIDED]
    assert patrol.joint_operation == []
    assert report.flagged == 1 + (joint[0]["decided"] == "deny")
    assert cp.declared_purpose == "safety"
    assert cp.federal_immigration
    assert patrol.federal_immigration
    assert cp.started == "2025-08-20T19:00:00-04:00"
    assert cp.ended == "2025-08-20T22:00:00-04:00"
    assert cp.query == "/v1/decisions?encounter=cp-1"


@pytest.mark.parametrize("encounter", ["cp-1", "patrol-1"])
def test_what_the_records_show(history: History, report: OperationsReport, encounter: str) -> None:
    (op,) = [o for o in report.operations if o.id == encounter]
    decided, done = under(history, encounter)
    shown = op.records_show
    want = Counter((d["action"], d["decided"]) for d in decided)
    got = {(o.name, "permit"): o.permitted for o in shown.decisions if o.permitted}
    got.update({(o.name, "deny"): o.denied for o in shown.decisions if o.denied})
    assert got == want
    purposes = Counter(
        (p, d["decided"])
        for d in decided
        if d["action"] == "database_inquiry"
        for p in d["purposes"]
    )
    got = {(o.name, "permit"): o.permitted for o in shown.inquiries_by_purpose if o.permitted}
    got.update({(o.name, "deny"): o.denied for o in shown.inquiries_by_purpose if o.denied})
    assert got == purposes
    kinds = Counter(e["kind"] for e in done)
    assert shown.events_by_kind == dict(kinds)
    assert (shown.notifications, shown.transports, shown.handovers, shown.arrests) == (
        kinds["notification_sent"],
        kinds["transport"],
        kinds["handover"],
        kinds["arrest"],
    )
    ended = [e for e in done if e["kind"] == "encounter_ended"]
    stopped = ended[-1]["encounter"]["outcome"]["vehicles_stopped"] if ended else None
    assert shown.vehicles_stopped == stopped


@pytest.mark.parametrize("encounter", ["cp-1", "patrol-1"])
def test_what_no_directive_allowed(
    history: History, report: OperationsReport, encounter: str
) -> None:
    (op,) = [o for o in report.operations if o.id == encounter]
    decided, done = under(history, encounter)
    flagged = [e for e in done if e["flagged"]]
    assert op.not_allowed.flagged_events == dict(Counter(e["flagged"] for e in flagged))
    assert set(op.not_allowed.flagged_ids) == {e["id"] for e in flagged}
    mixed = [
        d
        for d in decided
        if "immigration_status" in d.get("purposes", ()) and len(set(d["purposes"])) > 1
    ]
    assert op.not_allowed.mixed_status_inquiries == len(mixed)
    assert set(op.not_allowed.mixed_ids) == {d["id"] for d in mixed}
    if encounter == "cp-1":  # a denied share handed over, a denied inquiry run, one undecided
        assert {"decision_denied", "no_decision"} <= set(op.not_allowed.flagged_events)
        assert mixed


def test_a_period_without_their_records_has_no_operations(history: History) -> None:
    start = datetime.fromisoformat("2025-09-10T00:00:00-04:00")
    assert report_operations.build(history.scope(start=start)).operations == []
    september = report_operations.build(
        history.scope(start=datetime.fromisoformat("2025-09-01T00:00:00-04:00"))
    )
    assert [o.id for o in september.operations] == ["patrol-1"]
