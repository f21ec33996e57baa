"""The before-after report (issue 10, item 2): actions with federal immigration agencies
before and after a directive took effect, by district and unit, on both backends.

Expected numbers are counted here from the history the test recorded (``report_records``),
never through the report code.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest

from conftest import BACKENDS
from liaison.errors import InvalidRequest
from liaison.reports.report_before_after import BeforeAfterReport, build
from liaison.reports.report_scope import CheckpointRef, ReportScope
from report_records import EFFECTIVE, PERIOD, History, recorded, when


@pytest.fixture(scope="module", params=BACKENDS)
def history(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[History]:
    yield from recorded(request.param, tmp_path_factory.mktemp("before_after"))


def scope(
    h: History, start: str = PERIOD[0], end: str = PERIOD[1], view: str | None = None
) -> ReportScope:
    return ReportScope(
        h.gateway.db, h.gateway.policy, CheckpointRef(h.size, "root"), when(start), when(end), view
    )


def expected(
    h: History, start: str, end: str
) -> tuple[
    Counter[tuple[str, str | None, str, str]],
    Counter[tuple[str, str | None, str]],
    Counter[tuple[str, str | None, str]],
]:
    """(decisions by action, district, unit, outcome; carried out by action, district, unit;
    of those, citing a denial) in [start, end), from the recorded history."""
    lo, hi = when(start), when(end)
    made = Counter(
        (m.action, m.district, m.unit, m.decided)
        for m in h.made
        if m.with_immigration and lo <= m.at < hi and m.index < h.size
    )
    done = [
        d for d in h.done
        if d.cites is not None and d.cites.with_immigration and lo <= d.at < hi and d.index < h.size
    ]  # fmt: skip
    carried = Counter((d.cites.action, d.district, d.unit) for d in done if d.cites)
    denied = Counter(
        (d.cites.action, d.district, d.unit) for d in done if d.cites and d.cites.decided == "deny"
    )
    return made, carried, denied


def observed(
    report: BeforeAfterReport, side: str
) -> tuple[
    Counter[tuple[str, str | None, str, str]],
    Counter[tuple[str, str | None, str]],
    Counter[tuple[str, str | None, str]],
]:
    made: Counter[tuple[str, str | None, str, str]] = Counter()
    carried: Counter[tuple[str, str | None, str]] = Counter()
    denied: Counter[tuple[str, str | None, str]] = Counter()
    for row in report.rows:
        counts = getattr(row, side)
        key = (row.action, row.district, str(row.unit))
        made.update({(*key, "permit"): counts.permit, (*key, "deny"): counts.deny})
        carried[key] += counts.carried_out
        denied[key] += counts.carried_out_denied
    return +made, +carried, +denied


def test_counts_before_and_after_eo_25_005(history: History) -> None:
    report = build(scope(history))
    assert report.directive == "EO-25-005"
    assert report.effective_view == "mpd"  # the pack's default view: the scope named none
    assert when(report.effective_at) == when(EFFECTIVE)
    assert observed(report, "before") == expected(history, PERIOD[0], EFFECTIVE)
    assert observed(report, "after") == expected(history, EFFECTIVE, PERIOD[1])
    # something on each side, so the comparison is not vacuous
    assert sum(expected(history, PERIOD[0], EFFECTIVE)[0].values()) > 5
    assert sum(expected(history, EFFECTIVE, PERIOD[1])[1].values()) > 5


def test_totals_and_per_day_rates(history: History) -> None:
    report = build(scope(history))
    days = {"before": (when(EFFECTIVE) - when(PERIOD[0])) / timedelta(days=1),
            "after": (when(PERIOD[1]) - when(EFFECTIVE)) / timedelta(days=1)}  # fmt: skip
    assert report.before.days == days["before"] == 13
    assert report.after.days == days["after"]
    bounds = {"before": (PERIOD[0], EFFECTIVE), "after": (EFFECTIVE, PERIOD[1])}
    actions = {m.action for m in history.made if m.with_immigration}
    assert {t.action for t in report.actions} == actions
    for total in report.actions:
        for side in ("before", "after"):
            made, carried, _ = expected(history, *bounds[side])
            permit = sum(n for k, n in made.items() if k[0] == total.action and k[3] == "permit")
            done = sum(n for k, n in carried.items() if k[0] == total.action)
            counts = getattr(total, side)
            assert (counts.permit, counts.carried_out) == (permit, done)
            assert counts.permit_per_day == round(permit / days[side], 3)
            assert counts.carried_out_per_day == round(done / days[side], 3)
    share = next(t for t in report.actions if t.action == "share_information")
    assert "recipient_type=federal_immigration" in share.records_after
    assert "action=share_information" in share.records_after


def test_reported_actions_with_no_decision_are_counted_apart(history: History) -> None:
    report = build(scope(history))
    assert [(u.kind, u.before, u.after) for u in report.unattributed] == [
        ("notification_sent", 0, 2)
    ]


def test_days_gives_windows_either_side(history: History) -> None:
    report = build(scope(history), days=7)
    start = (when(EFFECTIVE) - timedelta(days=7)).isoformat()
    end = (when(EFFECTIVE) + timedelta(days=7)).isoformat()
    assert report.before.days == report.after.days == 7
    assert observed(report, "before") == expected(history, start, EFFECTIVE)
    assert observed(report, "after") == expected(history, EFFECTIVE, end)


def test_another_directive_under_the_view_that_recognises_it(history: History) -> None:
    with pytest.raises(InvalidRequest) as caught:
        build(scope(history), directive="AG-ORDER-2025-08-14")  # mpd: not recognised
    assert caught.value.field == "directive"
    report = build(scope(history, view="doj"), directive="AG-ORDER-2025-08-14")
    assert report.effective_view == "doj"
    assert when(report.effective_at) == when("2025-08-14T21:00:00-04:00")
    # every decision was recorded under mpd: under doj there are none to count
    assert report.rows == []


@pytest.mark.parametrize(
    ("start", "end", "directive", "field"),
    [
        ("2025-08-15T00:00:00-04:00", PERIOD[1], None, "from"),
        (PERIOD[0], "2025-08-14T00:00:00-04:00", None, "to"),
        (PERIOD[0], PERIOD[1], "NO-SUCH", "directive"),
    ],
)
def test_bad_requests_name_the_field(
    history: History, start: str, end: str, directive: str | None, field: str
) -> None:
    with pytest.raises(InvalidRequest) as caught:
        build(scope(history, start, end), directive=directive)
    assert caught.value.field == field
    with pytest.raises(InvalidRequest) as caught:
        build(scope(history), days=0)
    assert caught.value.field == "days"


def test_output_validates_against_its_model(history: History) -> None:
    report = build(scope(history))
    dumped = report.model_dump(mode="json", by_alias=True)
    assert BeforeAfterReport.model_validate(dumped) == report
    assert dumped["before"]["from"] == "2025-08-01T00:00:00-04:00"
    assert (
        "from"
        in BeforeAfterReport.model_json_schema(by_alias=True)["$defs"]["Window"]["properties"]
    )
    tables = report.tables()
    assert [t.id for t in tables] == ["actions", "by_district_unit", "unattributed"]
    assert all(len(row) == len(t.columns) for t in tables for row in t.rows)


def test_an_open_period_runs_from_the_first_to_the_last_decision(history: History) -> None:
    counted = [m.at for m in history.made if m.index < history.size]
    open_scope = ReportScope(history.gateway.db, history.gateway.policy,
                             CheckpointRef(history.size, "root"))  # fmt: skip
    report = build(open_scope)
    assert when(report.before.from_) == min(counted)
    last = max(counted) + timedelta(microseconds=1)
    assert when(report.after.to) == last
    assert observed(report, "after") == expected(history, EFFECTIVE, last.isoformat())
