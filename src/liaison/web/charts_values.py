"""What the charts page shows (issue 11, item 1): its parameters read and checked, and the
series of decisions with the directive changes of its period, computed by
``liaison.reports.series`` and ``liaison.reports.directive_changes`` over the newest signed
checkpoint, each count with the link to the records behind it. Kept per checkpoint, reader
scope and parameters in ``liaison.web.cache.CACHE``.

Parameters: ``from`` and ``to`` (local days, ``YYYY-MM-DD``, both included; default: the 90
days ending on the newest decision's day), ``view`` (one of the pack's; default: every
view's decisions, the directive changes under the pack's default view), ``action`` (one
action type; default: all), ``step`` (``day``, ``week``, ``month``; default: by the range).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from liaison.api.deps import Services
from liaison.errors import InvalidRequest
from liaison.gateway.auth import Principal
from liaison.gateway.roles import KeyRole
from liaison.ledger.signing import StoredCheckpoint
from liaison.model.vocabulary import Action
from liaison.reports import directive_changes, series
from liaison.reports.query_filter import vocabulary
from liaison.reports.report_scope import CheckpointRef, ReportScope
from liaison.web.cache import CACHE
from liaison.web.links import records_href

KEYS = ("from", "to", "view", "action", "step")
ACTIONS = vocabulary(Action)


@dataclass(frozen=True, slots=True)
class Ask:
    """The parameters as asked (``None``: the default)."""

    first: date | None = None
    last: date | None = None
    view: str | None = None
    action: str | None = None
    step: str | None = None

    def query(self) -> dict[str, str]:
        """The parameters as a query (those given)."""
        given = {
            "from": self.first.isoformat() if self.first else None,
            "to": self.last.isoformat() if self.last else None,
            "view": self.view,
            "action": self.action,
            "step": self.step,
        }
        return {k: v for k, v in given.items() if v}


def _day(key: str, text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(key, f"{key}: a day, YYYY-MM-DD (Eastern)") from None


def parse_ask(params: Mapping[str, str], views: Mapping[str, object]) -> Ask:
    """The parameters ``params`` give (``format`` aside); ``InvalidRequest`` naming a bad
    or unknown one. An empty value is the default (as a form sends it)."""
    for key in params:
        if key not in (*KEYS, "format"):
            raise InvalidRequest(key, f"{key}: not a parameter of the charts ({', '.join(KEYS)})")
    first, last = _day("from", params.get("from")), _day("to", params.get("to"))
    if first and last and last < first:
        raise InvalidRequest("to", "to: must not be before from")
    view = params.get("view") or None
    if view is not None and view not in views:
        raise InvalidRequest("view", f"view: one of {', '.join(views)}", tuple(views))
    action = params.get("action") or None
    if action is not None and action not in ACTIONS:
        raise InvalidRequest("action", f"action: one of {', '.join(ACTIONS)}", ACTIONS)
    step = params.get("step") or None
    if step is not None and step not in series.STEPS:
        raise InvalidRequest("step", f"step: one of {', '.join(series.STEPS)}", series.STEPS)
    return Ask(first, last, view, action, step)


def reader_scope(who: Principal) -> tuple[str | None, ...]:
    """What the reader may read, as a cache key: all (auditors) or an actor and unit."""
    if who.role is KeyRole.AUDITOR:
        return ("auditor",)
    return (who.role.value, who.actor_id, who.unit if who.role is KeyRole.SUPERVISOR else None)


@dataclass(frozen=True, slots=True)
class ChartValues:
    """The series and changes of one ask: ``data`` is the page's JSON."""

    ask: Ask
    series: series.Series
    changes: tuple[directive_changes.Change, ...]
    change_view: str
    data: dict[str, Any]


def values(
    services: Services, who: Principal, ask: Ask, checkpoint: StoredCheckpoint | None
) -> ChartValues:
    """The chart's values for ``who`` over ``checkpoint`` (kept in the cache)."""
    size = checkpoint.size if checkpoint is not None else 0
    key = ("charts", size, reader_scope(who), ask)
    return CACHE.get(key, lambda: compute(services, who, ask, checkpoint))


def _period(scope: ReportScope, who: Principal, ask: Ask) -> tuple[date, date]:
    days = timedelta(days=series.DEFAULT_DAYS - 1)
    if ask.first and ask.last:
        return ask.first, ask.last
    if ask.first:
        return ask.first, ask.first + days
    if ask.last:
        return ask.last - days, ask.last
    today = datetime.now(scope.policy.pack.timezone).date()
    return series.default_period(scope, who, today)


def compute(
    services: Services, who: Principal, ask: Ask, checkpoint: StoredCheckpoint | None
) -> ChartValues:
    """The series of ``ask`` within ``checkpoint`` (none: nothing counted)."""
    policy = services.gateway.policy
    ref = CheckpointRef.of(checkpoint) if checkpoint is not None else CheckpointRef(0, "")
    scope = ReportScope(services.gateway.db, policy, ref, view=ask.view)
    first, last = _period(scope, who, ask)
    step = series.choose_step(first, last, ask.step)
    counted = series.series(scope, who, first, last, step, [ask.action] if ask.action else None)
    change_view = ask.view or policy.pack.default_view
    start, end = counted.buckets[0].start, counted.buckets[-1].end
    changes = tuple(directive_changes.changes(policy.pack, change_view, start, end))
    data = {
        "checkpoint": ref.to_dict(),
        "period": {"from": first.isoformat(), "to": last.isoformat()},
        "zone": str(policy.pack.timezone),
        "step": step,
        "view": ask.view,
        "action": ask.action,
        "buckets": bucket_rows(counted, ask),
        "series": counted.rows(),
        "directive_changes": {
            "view": change_view,
            "changes": [c.to_dict(policy.pack) for c in changes],
        },
    }
    return ChartValues(ask, counted, changes, change_view, data)


def href(bucket: series.Bucket, ask: Ask, outcome: str) -> str:
    """The decisions page of one bucket's ``outcome`` (the API's filter names)."""
    filters = {
        "from": bucket.start.isoformat(),
        "to": bucket.end.isoformat(),
        "action": ask.action,
        "decision": outcome,
        "view": ask.view,
    }
    return records_href("decisions", filters)


def bucket_rows(counted: series.Series, ask: Ask) -> list[dict[str, Any]]:
    """Per bucket: its days, permits and denials (of the action asked), and their links."""
    actions = [ask.action] if ask.action else None
    out = []
    for n, bucket in enumerate(counted.buckets):
        row: dict[str, Any] = {"first_day": bucket.first.isoformat()}
        row["last_day"] = bucket.last.isoformat()
        for outcome in series.OUTCOMES:
            row[outcome] = counted.count(n, actions, outcome)
            row[f"{outcome}_href"] = href(bucket, ask, outcome)
        out.append(row)
    return out
