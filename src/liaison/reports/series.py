"""Decisions over time (issue 11, item 1, "charts of actions over time by type and
outcome"): how many decisions of each action and outcome (permit, deny) fell on each day,
week or month of a period, within a signed checkpoint, a view, and what the reader may read.

Days are calendar days in the pack's zone (D.C.: Eastern), not UTC: a decision at 02:30Z on
the 15th is the evening of the 14th there. Decisions are counted per UTC hour, and the hours
folded into local days here: the zone's offsets are whole hours, so an hour never straddles
two local days. An auditor's hours, and a supervisor's unit's, come from the counts kept
per checkpoint (``liaison.reports.series_hours``); an officer's own records (and a
supervisor's own outside their unit) are counted when asked, through the actor's index.
Weeks start on Monday.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select

from liaison.errors import InvalidRequest
from liaison.gateway.auth import Principal
from liaison.gateway.roles import KeyRole
from liaison.reports.query_filter import DECISION_FILTERS, Filter, where
from liaison.reports.report_scope import ReportScope
from liaison.reports.series_hours import HOURS, hour_of, parse_hour
from liaison.storage.tables import decisions

STEPS = ("day", "week", "month")
MAX_BUCKETS = 400
DEFAULT_DAYS = 90
OUTCOMES = ("permit", "deny")


@dataclass(frozen=True, slots=True)
class Bucket:
    """One day, week or month: its first and last local day, and its instants [start, end)
    (clipped to the period)."""

    first: date
    last: date
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Series:
    """The counts per bucket: ``counts[(bucket index, action, outcome)]``."""

    step: str
    first: date
    last: date
    buckets: tuple[Bucket, ...]
    counts: dict[tuple[int, str, str], int]

    def count(self, n: int, actions: Sequence[str] | None, outcome: str) -> int:
        """Bucket ``n``'s decisions of ``outcome``, of ``actions`` (``None``: every one)."""
        return sum(
            c
            for (i, a, o), c in self.counts.items()
            if i == n and o == outcome and (actions is None or a in actions)
        )

    @property
    def actions(self) -> list[str]:
        return sorted({a for _, a, _ in self.counts})

    def rows(self) -> list[dict[str, Any]]:
        """One row per bucket, action and outcome counted (zeros left out)."""
        return [
            {
                "first_day": self.buckets[i].first.isoformat(),
                "last_day": self.buckets[i].last.isoformat(),
                "from": self.buckets[i].start.isoformat(),
                "to": self.buckets[i].end.isoformat(),
                "action": a,
                "decision": o,
                "count": c,
            }
            for (i, a, o), c in sorted(self.counts.items())
        ]


def choose_step(first: date, last: date, asked: str | None) -> str:
    """``asked``, else by the range: days up to 92 days, weeks up to two years, then
    months; ``InvalidRequest`` (``step``) for an unknown step or one giving too many bars."""
    days = (last - first).days + 1
    if asked is None:
        return "day" if days <= 92 else "week" if days <= 731 else "month"
    if asked not in STEPS:
        raise InvalidRequest("step", f"step: one of {', '.join(STEPS)}", STEPS)
    width = {"day": 1, "week": 7, "month": 28}[asked]
    if days / width > MAX_BUCKETS:
        raise InvalidRequest("step", f"step: {asked} over {days} days is too many bars")
    return asked


def bucket_start(day: date, step: str) -> date:
    if step == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1) if step == "month" else day


def next_start(day: date, step: str) -> date:
    if step == "week":
        return day + timedelta(days=7)
    if step == "month":
        return date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return day + timedelta(days=1)


def midnight(day: date, zone: tzinfo) -> datetime:
    """The instant the local ``day`` starts."""
    return datetime.combine(day, time(), zone)


def buckets(first: date, last: date, step: str, zone: tzinfo) -> tuple[Bucket, ...]:
    """The buckets covering the local days ``first`` to ``last``."""
    out = []
    at = bucket_start(first, step)
    while at <= last:
        after = next_start(at, step)
        lo, hi = max(at, first), min(after - timedelta(days=1), last)
        out.append(Bucket(lo, hi, midnight(lo, zone), midnight(hi + timedelta(days=1), zone)))
        at = after
    return tuple(out)


def hourly(
    scope: ReportScope, who: Principal, actions: Sequence[str] | None
) -> list[tuple[datetime, str, str, int]]:
    """(UTC hour, action, outcome, count) of the decisions in ``scope`` ``who`` may read:
    an auditor's, and a supervisor's unit's, from the counts kept per checkpoint; the rest
    (an officer's own, a supervisor's own outside their unit) counted now."""
    if who.role is KeyRole.AUDITOR:
        kept = HOURS.counts(scope.db, scope.checkpoint.size)
        return kept.select(scope.start, scope.end, scope.view, actions)
    if who.role is KeyRole.SUPERVISOR and who.unit is not None:
        kept = HOURS.counts(scope.db, scope.checkpoint.size)
        unit = kept.select(scope.start, scope.end, scope.view, actions, who.unit)
        own = decisions.c.actor_id == who.actor_id
        elsewhere = or_(decisions.c.unit.is_(None), decisions.c.unit != who.unit)
        return unit + counted(scope, and_(own, elsewhere), actions)
    return counted(scope, where(DECISION_FILTERS, Filter(), who), actions)


def counted(
    scope: ReportScope, condition: ColumnElement[bool], actions: Sequence[str] | None
) -> list[tuple[datetime, str, str, int]]:
    """(UTC hour, action, outcome, count) of the decisions in ``scope`` under ``condition``."""
    hour = hour_of(scope.db).label("hour")
    wanted = [decisions.c.action.in_(actions)] if actions else []
    query = (
        select(hour, decisions.c.action, decisions.c.decision, func.count())
        .where(*scope.within(decisions), condition, *wanted)
        .group_by(hour, decisions.c.action, decisions.c.decision)
    )
    with scope.db.connect() as conn:
        found = conn.execute(query).all()
    return [(parse_hour(h), a, o, int(n)) for h, a, o, n in found]


def series(
    scope: ReportScope,
    who: Principal,
    first: date,
    last: date,
    step: str,
    actions: Sequence[str] | None = None,
) -> Series:
    """The decisions of local days ``first`` to ``last`` per ``step`` (``scope``'s period
    is replaced by those days)."""
    zone = scope.policy.pack.timezone
    spans = buckets(first, last, step, zone)
    within = ReportScope(
        scope.db, scope.policy, scope.checkpoint, spans[0].start, spans[-1].end, scope.view
    )
    index = {b.first: n for n, b in enumerate(spans)}
    of_hour: dict[datetime, int] = {}  # each hour's bucket, worked out once
    counts: dict[tuple[int, str, str], int] = {}
    for hour, action, outcome, n in hourly(within, who, actions):
        if hour not in of_hour:
            day = hour.astimezone(zone).date()
            of_hour[hour] = index[max(bucket_start(day, step), first)]
        key = (of_hour[hour], action, outcome)
        counts[key] = counts.get(key, 0) + n
    return Series(step, first, last, spans, counts)


def latest_day(scope: ReportScope, who: Principal) -> date | None:
    """The local day of the newest decision in the checkpoint ``who`` may read."""
    query = select(func.max(decisions.c.at)).where(
        *scope.within(decisions), where(DECISION_FILTERS, Filter(), who)
    )
    with scope.db.connect() as conn:
        newest = conn.execute(query).scalar_one()
    if newest is None:
        return None
    moment: datetime = newest if newest.tzinfo else newest.replace(tzinfo=UTC)
    return moment.astimezone(scope.policy.pack.timezone).date()


def default_period(scope: ReportScope, who: Principal, today: date) -> tuple[date, date]:
    """The 90 days ending on the newest decision's day (``today`` when there is none)."""
    last = latest_day(scope, who) or today
    return last - timedelta(days=DEFAULT_DAYS - 1), last
