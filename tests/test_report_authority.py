"""The authority report (issue 10, item 2): directives in force under each view, their
issuer and chain of authority as the pack's files say, how often each section decided by
unit, and one decision's chain with the other view's outcome, on both backends.

Expected numbers come from the history the test recorded (``report_records``); the pack's
facts from its TOML files read here; the other view's outcome from deciding the request
directly with the policy engine.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import update

from conftest import BACKENDS
from liaison.errors import IntegrityFailure, InvalidRequest, NotFound
from liaison.model.request import parse_request
from liaison.policy import shipped_pack_path
from liaison.reports.report_authority import AuthorityReport, build
from liaison.reports.report_scope import CheckpointRef, ReportScope
from liaison.storage.tables import decisions
from report_records import PERIOD, History, Made, recorded, when

CHIEF = "Chief of Police, Metropolitan Police Department"


def pack_file(directive: str) -> dict[str, Any]:
    path = shipped_pack_path("dc") / "directives" / f"{directive}.toml"
    return tomllib.loads(path.read_text())


@pytest.fixture(scope="module", params=BACKENDS)
def history(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[History]:
    yield from recorded(request.param, tmp_path_factory.mktemp("authority"))


def scope(h: History, view: str | None = None) -> ReportScope:
    return ReportScope(h.gateway.db, h.gateway.policy, CheckpointRef(h.size, "root"),
                       when(PERIOD[0]), when(PERIOD[1]), view)  # fmt: skip


def counted(h: History) -> Counter[tuple[str, str, str, str]]:
    lo, hi = when(PERIOD[0]), when(PERIOD[1])
    return Counter(
        (directive, section, m.unit, m.decided)
        for m in h.made
        if lo <= m.at < hi and m.index < h.size
        for directive, section in m.cited
    )


def test_section_counts_by_unit(history: History) -> None:
    report = build(scope(history))
    found: Counter[tuple[str, str, str, str]] = Counter()
    for d in report.directives:
        for s in d.sections:
            assert s.decided == sum(c.count for c in s.by_unit)
            for c in s.by_unit:
                assert c.view == "mpd"
                found[(d.id, s.label, str(c.unit), c.decision)] += c.count
    assert found == counted(history)
    assert sum(found.values()) > 40


def test_issuer_and_chain_as_the_pack_says(history: History) -> None:
    report = build(scope(history))
    by_id = {d.id: d for d in report.directives}
    eo = pack_file("EO-25-005")
    entry = by_id["EO-25-005"]
    assert (entry.issuer, entry.issuer_name) == (eo["issuer"], eo["issuer_name"]) == (
        CHIEF, "Pamela A. Smith")  # fmt: skip
    assert entry.roots == [a["external"] for a in eo["authority"]]
    assert [s.label for s in entry.sections] == [s["label"] for s in eo["sections"]]
    e1 = next(s for s in entry.sections if s.label == "E1")
    assert (e1.effects, e1.actions) == (["permit"], ["share_information"])
    ag = pack_file("AG-ORDER-2025-08-14")
    emergency = pack_file(ag["authority"][0]["directive"])
    chain = by_id["AG-ORDER-2025-08-14"].chain
    assert [(c.depth, c.directive or c.external) for c in chain] == [
        (1, emergency["id"]), (2, emergency["authority"][0]["external"])]  # fmt: skip
    assert chain[0].issuer == emergency["issuer"] == "President of the United States"


def test_views_and_contested_readings(history: History) -> None:
    report = build(scope(history))
    by_id = {d.id: {v.view: v for v in d.views} for d in report.directives}
    assert by_id["EO-25-005"]["mpd"].in_force
    assert by_id["EO-25-005"]["doj"].in_force
    doj = by_id["EO-25-005"]["doj"]
    assert [when(str(i.until)) for i in doj.intervals] == [when("2025-08-14T21:00:00-04:00")]
    assert doj.standing == "rescinded"
    assert not by_id["AG-ORDER-2025-08-14"]["mpd"].in_force
    assert by_id["AG-ORDER-2025-08-14"]["mpd"].standing == "not_recognised"
    assert "EO-25-005" in report.contested
    assert "AG-DIRECTIVE-2025-08-15" in report.contested
    assert "MPD-BASELINE" not in report.contested
    one_view = build(scope(history, view="mpd"))
    assert [v.name for v in one_view.views] == ["mpd"]
    assert one_view.contested == []


def test_one_decision_chain_and_the_other_view(history: History) -> None:
    later = when("2025-08-16T00:00:00-04:00")
    chosen = next(m for m in history.made if ("EO-25-005", "E3") in m.cited and m.at > later)
    report = build(scope(history), decision_id=chosen.body["id"], reader=history.gateway.index)
    one = report.decision
    assert one is not None
    assert (one.decision, one.basis) == (chosen.decided, chosen.basis) == ("deny", "forbid")
    cited = one.citations[0]
    assert (cited.directive, cited.issuer) == ("EO-25-005", CHIEF)
    assert cited.roots == [a["external"] for a in pack_file("EO-25-005")["authority"]]
    direct = history.gateway.policy.decide(parse_request({**chosen.body, "view": "doj"}))
    other = one.other_views[0]
    assert (other.view, other.decision, other.basis) == (
        "doj", direct.decision.value, direct.basis.value)  # fmt: skip
    assert other.citations == [f"{c.directive} {c.section}" for c in direct.citations]
    assert one.contested is (direct.decision.value != chosen.decided)


def test_every_decision_other_view_matches_direct(history: History) -> None:
    for chosen in history.made[::7]:
        if chosen.index >= history.size:
            continue
        report = build(scope(history), decision_id=chosen.body["id"], reader=history.gateway.index)
        assert report.decision is not None
        direct = history.gateway.policy.decide(parse_request({**chosen.body, "view": "doj"}))
        other = report.decision.other_views[0]
        assert (other.decision, other.basis) == (direct.decision.value, direct.basis.value)


def test_a_changed_row_is_refused(history: History) -> None:
    chosen: Made = history.made[0]
    table = decisions
    with history.gateway.db.begin() as conn:
        conn.execute(
            update(table)
            .where(table.c.id == chosen.body["id"])
            .values(decision="permit" if chosen.decided == "deny" else "deny")
        )
    try:
        with pytest.raises(IntegrityFailure):
            build(scope(history), decision_id=chosen.body["id"], reader=history.gateway.index)
    finally:
        with history.gateway.db.begin() as conn:
            conn.execute(
                update(table).where(table.c.id == chosen.body["id"]).values(decision=chosen.decided)
            )


def test_bad_or_unknown_decision(history: History) -> None:
    with pytest.raises(NotFound):
        build(scope(history), decision_id="no-such", reader=history.gateway.index)
    late = history.made[-1]  # recorded after the checkpoint
    assert late.index >= history.size
    with pytest.raises(NotFound):
        build(scope(history), decision_id=late.body["id"], reader=history.gateway.index)
    with pytest.raises(InvalidRequest) as caught:
        build(scope(history), actor="officer-1")
    assert caught.value.field == "actor"


def test_output_validates_against_its_model(history: History) -> None:
    chosen = history.made[3]
    report = build(scope(history), decision_id=chosen.body["id"], reader=history.gateway.index)
    dumped = report.model_dump(mode="json", by_alias=True)
    assert AuthorityReport.model_validate(dumped) == report
    assert AuthorityReport.model_json_schema(by_alias=True)["additionalProperties"] is False
    tables = report.tables()
    assert [t.id for t in tables][-3:] == ["decision", "decision_chain", "other_views"]
    assert all(len(row) == len(t.columns) for t in tables for row in t.rows)


def test_erased_personal_data_decides_with_and_without_a_case_number(history: History) -> None:
    chosen = history.made[-2]  # before the period, in the checkpoint; no other test reads it
    assert chosen.index < history.size
    history.gateway.ledger.erase(chosen.index, "test", "admin-1", "court order")
    report = build(scope(history), decision_id=chosen.body["id"], reader=history.gateway.index)
    assert report.decision is not None
    other = report.decision.other_views[0]
    body = {**chosen.body, "view": "doj", "subject": {**chosen.body.get("subject", {}), "id": "x"}}
    if "subject" not in chosen.body:
        del body["subject"]
    made = {
        (d.decision.value, d.basis.value)
        for d in (history.gateway.policy.decide(parse_request(b))
                  for b in (body, {**body, "case_number": "c-1"}))
    }  # fmt: skip
    want = made.pop() if len(made) == 1 else ("undetermined", None)
    assert (other.decision, other.basis) == want
