"""The council and annual-24-211.07d reports' numbers (issue 10, items 2 and 7), on SQLite
and PostgreSQL, against counts made here with plain Python over the history the test
recorded through the Gateway (tests/report_fixture.py), never through report code; and
the checkpoint rule: records after the checkpoint are not counted."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from conftest import BACKENDS, database_url
from liaison.gateway.service import Gateway
from liaison.ledger.log import Ledger
from liaison.ledger.note_keys import generate_signer, parse_signer
from liaison.policy import Engine as PolicyEngine
from liaison.policy import load_pack, shipped_pack_path
from liaison.reports import report_annual, report_council
from liaison.reports.report_scope import CheckpointRef, ReportScope
from liaison.storage.database import open_engine
from liaison.storage.migrate import upgrade
from report_fixture import ICE, History, actor, decide, record_history

EASTERN = ZoneInfo("America/New_York")
ORIGIN = "test.example/reports"
Pred = Callable[[dict[str, Any]], bool]


@dataclass
class World:
    gateway: Gateway
    history: History
    checkpoint: CheckpointRef


@pytest.fixture(scope="module", params=BACKENDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    for url in database_url(request.param, tmp_path_factory.mktemp("reports")):
        db = open_engine(url)
        upgrade(db)
        signer = parse_signer(generate_signer(ORIGIN)[0])
        policy = PolicyEngine(load_pack(shipped_pack_path("dc")))
        gw = Gateway(policy, Ledger(db, ORIGIN, signer), db)
        try:
            history = record_history(gw)
            yield World(gw, history, CheckpointRef.of(gw.ledger.checkpoint()))
        finally:
            gw.close()
            db.dispose()


def scope(w: World, **given: Any) -> ReportScope:
    return ReportScope(w.gateway.db, w.gateway.policy, w.checkpoint, **given)


def moment(at: str) -> datetime:
    return datetime.fromisoformat(at)


def eastern(text: str | None) -> datetime | None:
    """A report's instant: read back, and checked to be written in Eastern time."""
    if text is None:
        return None
    read = datetime.fromisoformat(text)
    assert read.utcoffset() == read.astimezone(EASTERN).utcoffset(), text
    return read


def fed(d: dict[str, Any]) -> bool:
    return bool(d.get("recipient") == ICE)


def records_say(answer: dict[str, Any] | Any, found: list[dict[str, Any]]) -> None:
    """``answer`` (a Records) names exactly ``found``: count, first, last, first ids."""
    ordered = sorted(found, key=lambda r: (moment(r["at"]), r["order"]))
    assert answer.count == len(found)
    assert eastern(answer.first) == (moment(ordered[0]["at"]) if ordered else None)
    assert eastern(answer.last) == (max(moment(r["at"]) for r in found) if found else None)
    assert answer.ids == [r["id"] for r in ordered[:20]]


def done_for(w: World, chosen: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = {d["id"] for d in chosen}
    out = [e for e in w.history.events if e["decision"] and e["decision"]["id"] in ids]
    return [{**e, "order": n} for n, e in enumerate(out)]


QUESTIONS: dict[str, Pred] = {
    "share_not_in_custody": lambda d: d["action"] == "share_information" and fed(d)
    and d["subject"]["custody"] in ("free", "stopped"),
    "share_during_traffic_stops": lambda d: d["action"] == "share_information" and fed(d)
    and d["subject"]["custody"] in ("free", "stopped")
    and d.get("encounter", {}).get("kind") == "traffic_stop",
    "transport_federal_agents": lambda d: d["action"] == "transport" and fed(d)
    and d["transport"]["passengers"] == "federal_employees",
    "transport_detained_subjects": lambda d: d["action"] == "transport" and fed(d)
    and d["transport"]["passengers"] == "detained_subject",
    "handover_with_judicial_warrant": lambda d: d["action"] == "custody_transfer" and fed(d)
    and d["legal_process"] == "judicial_warrant",
    "handover_without_judicial_warrant": lambda d: d["action"] == "custody_transfer" and fed(d)
    and d["legal_process"] != "judicial_warrant",
}  # fmt: skip


def test_decided_answers_agree_with_the_history(world: World) -> None:
    report = report_council.build(scope(world))
    answers = {a.id: a for a in report.answers}
    outcomes: Counter[str] = Counter()
    for ident, chosen in QUESTIONS.items():
        mine = [d for d in world.history.decisions if chosen(d)]
        permits = [d for d in mine if d["decided"] == "permit"]
        denials = [d for d in mine if d["decided"] == "deny"]
        assert mine, ident
        outcomes.update(d["decided"] for d in mine)
        got = answers[ident]
        records_say(got, permits)
        records_say(got.denied, denials)
        records_say(got.carried_out, done_for(world, permits))
        records_say(got.carried_out_despite_denial, done_for(world, denials))
        assert got.answer == "yes"
        cited = Counter(c for d in permits for c in d["cited"])
        assert {(c.directive, c.section): c.count for c in got.by_citation} == cited
        assert got.by_initiative == Counter(d["initiative"] for d in permits)
        flagged = [e for e in done_for(world, permits) if e["flagged"]]
        assert got.carried_out_flagged == len(flagged)
    assert outcomes["deny"] > 5  # the fixture exercises refusals too


def test_status_only_inquiries(world: World) -> None:
    report = report_council.build(scope(world))
    answers = {a.id: a for a in report.answers}
    status = ["immigration_status"]
    only = [d for d in world.history.decisions if d.get("purposes") == status]
    assert all(d["action"] == "database_inquiry" for d in only)
    refused = [d for d in only if d["decided"] == "deny"]
    assert refused
    anyway = done_for(world, refused)
    assert anyway
    records_say(answers["status_only_inquiries"], done_for(world, only))
    records_say(answers["status_only_inquiries_refused"], refused)
    records_say(answers["status_only_inquiries_carried_out_anyway"], anyway)
    got = answers["status_only_inquiries_carried_out_anyway"]
    assert got.carried_out_flagged == sum(1 for e in anyway if e["flagged"] == "decision_denied")
    assert got.answer == "yes"
    # an inquiry with another purpose beside immigration_status is not "solely" one
    mixed = {d["id"] for d in world.history.decisions if len(d.get("purposes", ())) == 2}
    assert mixed
    assert not mixed & set(answers["status_only_inquiries_refused"].ids)


def test_joint_operations(world: World) -> None:
    answers = {a.id: a for a in report_council.build(scope(world)).answers}
    joint = world.history.encounters["cp-1"]["joint"]
    decided = answers["joint_operations_decided"]
    assert decided.count == (joint["decided"] == "permit")
    assert decided.denied is not None
    assert decided.denied.count == (joint["decided"] == "deny")
    held = answers["joint_operations_held"]
    assert held.count == 2
    assert held.answer == "yes"
    assert sorted(held.ids) == ["cp-1", "patrol-1"]
    assert held.by_kind == {"checkpoint": 1, "other": 1}
    assert answers["checkpoints_held"].ids == ["cp-1"]
    flags = {"patrol-1": "joint_operation_not_decided"}
    if joint["decided"] == "deny":
        flags["cp-1"] = "joint_operation_denied"
    unpermitted = answers["joint_operations_without_permit"]
    assert sorted(unpermitted.ids) == sorted(flags)
    assert unpermitted.by_flag == Counter(flags.values())
    assert eastern(held.first) == moment(world.history.encounters["cp-1"]["at"])


def year(at: str) -> int:
    return moment(at).astimezone(EASTERN).year


def test_annual_report_agrees_with_the_history(world: World) -> None:
    got = report_annual.build(scope(world))
    made = world.history.decisions
    asked = [d for d in made if d["action"] in ("share_information", "hold") and fed(d)
             and d["initiative"] == "on_request"]  # fmt: skip

    def key(d: dict[str, Any]) -> tuple[Any, ...]:
        charge = d["subject"]["federal_criminal_charge"]
        return (year(d["at"]), d["action"], charge, d["legal_process"], d["decided"])

    want = Counter(key(d) for d in asked)
    carried = Counter(key(e["decision"]) for e in done_for(world, asked))
    rows = {(r.year, r.action, r.federal_charge, r.legal_process, r.decision): r
            for r in got.requests}  # fmt: skip
    assert {k: r.count for k, r in rows.items()} == want
    assert {k: r.carried_out for k, r in rows.items() if r.carried_out} == carried
    assert all(r.judicial_warrant == (r.legal_process == "judicial_warrant") for r in got.requests)
    assert got.years == [2025, 2026]
    released = [d for d in made if d["action"] == "custody_transfer" and fed(d)
                and d["decided"] == "permit"]  # fmt: skip
    assert [r.id for r in got.releases] == [
        d["id"] for d in sorted(released, key=lambda d: (moment(d["at"]), d["order"]))
    ]
    for release in got.releases:
        mine = next(d for d in released if d["id"] == release.id)
        assert release.citations == sorted(f"{a} {b}" for a, b in mine["cited"])
        assert len(release.handed_over) == len(done_for(world, [mine]))
    shared = [d for d in made if d["action"] == "share_information" and fed(d)]
    classes = Counter(
        (year(d["at"]), c, d["initiative"], d["decided"]) for d in shared for c in d["data_classes"]
    )
    given = Counter(
        (year(e["decision"]["at"]), c, e["decision"]["initiative"], e["decision"]["decided"])
        for e in done_for(world, shared)
        for c in e["decision"]["data_classes"]
    )
    rows = {(r.year, r.data_class, r.initiative, r.decision): r for r in got.information_shared}
    assert {k: r.count for k, r in rows.items()} == classes
    assert {k: r.carried_out for k, r in rows.items() if r.carried_out} == given
    assert {k[3] for k in given} == {"permit", "deny"}  # shared after a refusal, too
    every = Counter((year(d["at"]), d["action"], d["initiative"], d["decided"])
                    for d in made if fed(d))  # fmt: skip
    assert {(r.year, r.action, r.initiative, r.decision): r.count for r in got.initiative} == every


def test_the_period_bounds_what_is_counted(world: World) -> None:
    start = datetime.fromisoformat("2025-08-01T00:00:00-04:00")
    end = datetime.fromisoformat("2025-10-01T00:00:00-04:00")
    report = report_council.build(scope(world, start=start, end=end))
    got = {a.id: a for a in report.answers}["share_not_in_custody"]
    chosen = QUESTIONS["share_not_in_custody"]
    permits = [d for d in world.history.decisions if chosen(d) and d["decided"] == "permit"]
    inside = [d for d in permits if start <= moment(d["at"]) < end]
    records_say(got, inside)
    assert got.query is not None
    assert "from=2025-08-01T00:00:00-04:00&to=2025-10-01T00:00:00-04:00" in got.query
    assert report.period.from_ == "2025-08-01T00:00:00-04:00"
    annual = report_annual.build(scope(world, start=start, end=end))
    assert annual.years == [2025]


def test_another_view_counts_only_its_decisions(world: World) -> None:
    report = report_council.build(scope(world, view="doj"))
    assert all(a.count == 0 for a in report.answers if a.kind == "decisions")


def test_records_after_the_checkpoint_are_not_counted(world: World) -> None:
    before = report_council.build(scope(world))
    share = {"id": "after-checkpoint", "at": "2025-09-15T10:00:00-04:00", "actor": actor(1),
             "action": "share_information", "purposes": ["assist_federal_agency"],
             "recipient": ICE, "data_classes": ["identity"],
             "subject": {"id": "p-late", "custody": "free"}}  # fmt: skip
    decide(world.gateway, world.history, share)
    try:
        again = report_council.build(scope(world))
        assert again.answers == before.answers  # same checkpoint, same numbers
        newer = CheckpointRef.of(world.gateway.ledger.checkpoint())
        assert newer.size > world.checkpoint.size
        after = report_council.build(ReportScope(world.gateway.db, world.gateway.policy, newer))
        old = {a.id: a for a in before.answers}["share_not_in_custody"]
        new = {a.id: a for a in after.answers}["share_not_in_custody"]
        assert old.count + (old.denied.count if old.denied else 0) + 1 == new.count + (
            new.denied.count if new.denied else 0
        )
        assert after.checkpoint.size == newer.size
    finally:
        world.history.decisions.pop()  # the other tests count the history at the checkpoint
