"""The ``review`` report (issue 10, items 2 and 7) on a history recorded through the
Gateway on each backend (``operations_fixture``): every number is counted here from the
fixture's own records and what the gateway answered, and the view disagreements are
checked against deciding the same requests (with their case numbers) directly under each
view; the document validates against its model.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from conftest import BACKENDS
from liaison.model.request import parse_request
from liaison.reports import report_review
from liaison.reports.report_review import ReviewReport
from operations_fixture import History, recorded

INQUIRIES = ("database_inquiry", "verbal_inquiry")


@pytest.fixture(scope="module", params=BACKENDS)
def history(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[History]:
    yield from recorded(request.param, tmp_path_factory.mktemp("review"))


@pytest.fixture(scope="module")
def report(history: History) -> ReviewReport:
    return report_review.build(history.scope())


def test_the_document_validates_against_its_model(report: ReviewReport) -> None:
    dumped = report.model_dump(mode="json", by_alias=True)
    assert ReviewReport.model_validate(dumped) == report
    assert dumped["report"] == "review"
    assert {t.id for t in report.tables()} == {
        "flagged-actions",
        "mixed-purpose-inquiries",
        "mixed-purpose-by-purpose",
        "view-disagreements",
    }


def test_flagged_actions_are_the_events_the_gateway_flagged(
    history: History, report: ReviewReport
) -> None:
    want = Counter(e["flagged"] for e in history.events if e["flagged"])
    assert want["no_decision"]
    assert want["decision_denied"]
    got = {f.flag: f.count for f in report.flagged_actions if f.count}
    assert got == want
    assert report.flagged_total == sum(want.values())
    for found in report.flagged_actions:
        mine = [e for e in history.events if e["flagged"] == found.flag]
        assert found.by_kind == dict(Counter(e["kind"] for e in mine))
        assert set(found.ids) <= {e["id"] for e in mine}
        assert len(found.ids) == min(20, len(mine))
        assert found.query.startswith(f"/v1/events?flag={found.flag}")


def _mixed(r: dict[str, Any]) -> bool:
    named = set(r.get("purposes", ()))
    return r["action"] in INQUIRIES and "immigration_status" in named and len(named) > 1


def test_inquiries_naming_immigration_status_beside_another_purpose(
    history: History, report: ReviewReport
) -> None:
    mixed = [r for r in history.decisions if _mixed(r)]
    got = report.mixed_purpose_inquiries
    assert got.count == len(mixed) > 0
    assert got.permitted == sum(r["decided"] == "permit" for r in mixed) > 0
    assert got.denied == sum(r["decided"] == "deny" for r in mixed)
    want = Counter(
        (r["action"], r["decided"], section) for r in mixed for section in (r["cited"] or [None])
    )
    assert {(s.action, s.decision, s.section): s.count for s in got.by_section} == want
    beside = Counter(
        (p, r["decided"]) for r in mixed for p in set(r["purposes"]) - {"immigration_status"}
    )
    assert {(p.purpose, "permit"): p.permitted for p in got.by_purpose if p.permitted} == {
        k: n for k, n in beside.items() if k[1] == "permit"
    }
    assert {(p.purpose, "deny"): p.denied for p in got.by_purpose if p.denied} == {
        k: n for k, n in beside.items() if k[1] == "deny"
    }
    assert len(got.ids) == min(20, len(mixed))
    assert set(got.ids) <= {r["id"] for r in mixed}


def _directly(history: History) -> Counter[tuple[Any, ...]]:
    """Each recorded request, as it was made (case number and all), decided under each view."""
    policy = history.gateway.policy
    views = sorted(policy.pack.views)
    out: Counter[tuple[Any, ...]] = Counter()
    for r in history.decisions:
        body = {k: v for k, v in r.items() if k not in ("decided", "cited", "view")}
        decided = {v: policy.decide(parse_request({**body, "view": v})) for v in views}
        for yes, a in decided.items():
            for no, b in decided.items():
                if a.decision.value == "permit" and b.decision.value == "deny":
                    cited_a = sorted({f"{c.directive} {c.section}" for c in a.citations})
                    cited_b = sorted({f"{c.directive} {c.section}" for c in b.citations})
                    out[(r["action"], yes, tuple(cited_a), no, tuple(cited_b))] += 1
    return out


def test_view_disagreements_agree_with_deciding_each_request_under_each_view(
    history: History, report: ReviewReport
) -> None:
    want = _directly(history)
    assert want  # the fixture's days are ones the views part on
    views = report.view_disagreements
    assert views.undetermined == 0
    got = Counter(
        {
            (d.action, d.permitted_under, tuple(d.permitted_by), d.denied_under,
             tuple(d.denied_by)): d.count
            for d in views.disagreements
        }
    )  # fmt: skip
    assert got == want
    assert views.requests_decided <= views.compared <= len(history.decisions)


def test_a_period_counts_only_its_records(history: History) -> None:
    start = datetime.fromisoformat("2025-09-01T00:00:00-04:00")
    doc = report_review.build(history.scope(start=start))
    inside = [r for r in history.decisions if datetime.fromisoformat(r["at"]) >= start]
    assert doc.mixed_purpose_inquiries.count == sum(_mixed(r) for r in inside)
    flagged = [
        e for e in history.events if e["flagged"] and datetime.fromisoformat(e["at"]) >= start
    ]
    assert doc.flagged_total == len(flagged)
    assert doc.period.from_ == "2025-09-01T00:00:00-04:00"


def test_a_checkpoint_counts_only_the_records_in_its_tree(history: History) -> None:
    scope = history.scope()
    before = report_review.build(scope)
    history.decide(
        {"id": "late-1", "at": "2025-09-20T10:00:00-04:00", "actor": history.decisions[-1]["actor"],
         "action": "database_inquiry", "database": "NCIC",
         "purposes": ["traffic_enforcement", "immigration_status"],
         "subject": {"id": "late", "custody": "stopped"}}
    )  # fmt: skip
    again = report_review.build(scope)
    assert again.mixed_purpose_inquiries == before.mixed_purpose_inquiries
    later = report_review.build(history.scope())
    assert later.mixed_purpose_inquiries.count == before.mixed_purpose_inquiries.count + 1
    history.decisions.pop()  # the module's other tests count the fixture as it was
