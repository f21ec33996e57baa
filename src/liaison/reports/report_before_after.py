"""The ``before-after`` report (issue 10, item 2; docs/reports.md): each action type with
federal immigration agencies before and after a directive took effect (default
EO-25-005), by district and unit: decisions (permit, deny) and actions carried out
(``before_after_counts``), in a window before and one after, with per-day rates so that
unequal windows compare.

*Took effect*: the first instant the directive is in force under the report's view (the
scope's, else the pack's default view; the report names it), by the rules of dc-pack.md,
"How "in force" works"; the report also says when it was in force under each other view.
The windows are the period split at that instant, or with ``days``, the ``days`` before
and after it (within the period); an open end of the period is the first (last) decision
in scope. A period that does not contain the instant is an ``InvalidRequest`` naming
``from`` or ``to``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from pydantic import ConfigDict, Field
from sqlalchemy import func, select

from liaison.errors import InvalidRequest
from liaison.gateway.index_reads import IndexReader
from liaison.gateway.index_rows import instant
from liaison.policy.directives import Directive
from liaison.reports.authority_chain import checks, standing
from liaison.reports.before_after_counts import (
    FEDERAL_IMMIGRATION,
    Key,
    carried_out,
    decided,
    joint_with_immigration,
    unattributed,
)
from liaison.reports.before_after_tables import before_after_tables
from liaison.reports.report_document import ReportDocument, Strict, Table
from liaison.reports.report_head import head
from liaison.reports.report_records import link
from liaison.reports.report_scope import ReportScope
from liaison.storage.tables import decisions

NAME = "before-after"
TITLE = "Actions with federal immigration agencies before and after a directive took effect"
DEFAULT_DIRECTIVE = "EO-25-005"
MAX_DAYS = 3660


class Window(Strict):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    from_: str = Field(alias="from", serialization_alias="from")
    to: str
    days: float = Field(gt=0, description="its length in days (per-day rates divide by it)")


class Counts(Strict):
    permit: int = Field(ge=0)
    deny: int = Field(ge=0)
    carried_out: int = Field(ge=0, description="events reporting the action done")
    carried_out_denied: int = Field(ge=0, description="of those, citing a denial")
    permit_per_day: float
    deny_per_day: float
    carried_out_per_day: float


class Change(Strict):
    """One action (and, in ``rows``, one district and unit) before and after."""

    action: str
    district: str | None = None
    unit: str | None = None
    before: Counts
    after: Counts


class ActionTotal(Change):
    records_before: str = Field(description="GET /v1/decisions query of the decisions before")
    records_after: str


class Unattributed(Strict):
    """Actions reported done citing no decision of their own actor: no recipient known."""

    kind: str
    before: int
    after: int


class BeforeAfterReport(ReportDocument):
    directive: str
    directive_title: str
    issuer: str
    effective_view: str = Field(description="the view whose reading gives the instant")
    effective_at: str = Field(description="first in force under effective_view")
    effective_note: str
    before: Window
    after: Window
    actions: list[ActionTotal]
    rows: list[Change] = Field(description="by action, district (of the encounter) and unit")
    unattributed: list[Unattributed]

    def tables(self) -> list[Table]:
        return before_after_tables(self)


def build(
    scope: ReportScope,
    *,
    directive: str | None = None,
    days: int | None = None,
    reader: IndexReader | None = None,
) -> BeforeAfterReport:
    """The report over ``scope`` around ``directive`` (default EO-25-005); ``reader``, if
    given, checks the joint operations read against their ledger entries."""
    pack = scope.policy.pack
    chosen = _directive(scope, directive or DEFAULT_DIRECTIVE)
    view = scope.view or pack.default_view
    effective = took_effect(scope, chosen, view)
    (b0, b1), (a0, a1) = windows(scope, effective, days)
    joint = joint_with_immigration(scope, a1, reader)
    counted = {}
    for name, start, end in (("before", b0, b1), ("after", a0, a1)):
        window = replace(scope, start=start, end=end)
        counted[name] = (decided(window, joint), carried_out(window, joint), unattributed(window))
    length = {"before": (b1 - b0) / timedelta(days=1), "after": (a1 - a0) / timedelta(days=1)}
    rows = _changes(counted, length)
    return BeforeAfterReport(
        **head(scope, NAME, TITLE),
        directive=chosen.id,
        directive_title=chosen.title,
        issuer=chosen.issuer + (f" ({chosen.issuer_name})" if chosen.issuer_name else ""),
        effective_view=view,
        effective_at=scope.policy.local(effective),
        effective_note=_note(scope, chosen, view),
        before=_window(scope, b0, b1),
        after=_window(scope, a0, a1),
        actions=_totals(scope, rows, (b0, b1, a0, a1), length),
        rows=rows,
        unattributed=[
            Unattributed(kind=k, before=counted["before"][2].get(k, 0),
                         after=counted["after"][2].get(k, 0))
            for k in sorted(set(counted["before"][2]) | set(counted["after"][2]))
        ],
    )  # fmt: skip


def _directive(scope: ReportScope, name: str) -> Directive:
    found = scope.policy.pack.directives.get(name)
    if found is None:
        known = ", ".join(sorted(scope.policy.pack.directives))
        raise InvalidRequest("directive", f"directive: no {name!r} in the pack ({known})")
    return found


def took_effect(scope: ReportScope, directive: Directive, view: str) -> datetime:
    """The first instant ``directive`` is in force under ``view``."""
    pack = scope.policy.pack
    for moment in checks(pack, directive.effective_from, None):
        if any(
            s.directive.id == directive.id and s.in_force
            for s in scope.policy.regime(moment, view).statuses
        ):
            return moment
    raise InvalidRequest(
        "directive", f"directive: {directive.id} is never in force under view {view!r}"
    )


def windows(
    scope: ReportScope, effective: datetime, days: int | None
) -> tuple[tuple[datetime, datetime], tuple[datetime, datetime]]:
    """[before), [after): the period split at ``effective``, or ``days`` either side of it
    (within the period). An open end of the period is the first (last) decision in scope."""
    said = scope.policy.local(effective)
    first, last = _span(scope)
    start = scope.start if scope.start is not None else first
    end = scope.end if scope.end is not None else last
    if start is None or start >= effective:
        raise InvalidRequest("from", f"from: the period must start before {said}")
    if end is None or end <= effective:
        raise InvalidRequest("to", f"to: the period must end after {said}")
    if days is None:
        return (start, effective), (effective, end)
    if not 1 <= days <= MAX_DAYS:
        raise InvalidRequest("days", f"days: must be 1 to {MAX_DAYS}")
    span = timedelta(days=days)
    return (max(start, effective - span), effective), (effective, min(end, effective + span))


def _span(scope: ReportScope) -> tuple[datetime | None, datetime | None]:
    """The first decision's instant in scope and just after the last's (None: none)."""
    d = decisions.c
    with scope.db.connect() as conn:
        low, high = conn.execute(select(func.min(d.at), func.max(d.at)).where(
            *scope.within(decisions))).one()  # fmt: skip
    low, high = instant(low), instant(high)
    return low, None if high is None else high + timedelta(microseconds=1)


def _note(scope: ReportScope, directive: Directive, view: str) -> str:
    """When the directive was in force under each view (the contested readings)."""
    at = checks(scope.policy.pack, scope.start, scope.end)
    parts = []
    for name in sorted(scope.policy.pack.views):
        found = standing(scope.policy, directive.id, name, at, scope.start, scope.end)
        spans = ", ".join(f"{i.from_} to {i.until}" for i in found.intervals)
        text = f"in force {spans}" if found.in_force else f"not in force ({found.reason})"
        parts.append(f"under {name}: {text}")
    return (
        f"the instant is when {directive.id} took effect under view {view!r} "
        f"({'the scope' if scope.view else 'the pack default'}); in the period, " + "; ".join(parts)
    )


def _window(scope: ReportScope, start: datetime, end: datetime) -> Window:
    return Window.model_validate(
        {"from": scope.policy.local(start), "to": scope.policy.local(end),
         "days": round((end - start) / timedelta(days=1), 6)}
    )  # fmt: skip


Counted = dict[str, tuple[dict[Key, dict[str, int]], dict[Key, dict[str, int]], dict[str, int]]]


def _counts(found: dict[str, int], did: dict[str, int], days: float) -> Counts:
    permit, deny = found.get("permit", 0), found.get("deny", 0)
    done = sum(did.values())
    return Counts(
        permit=permit,
        deny=deny,
        carried_out=done,
        carried_out_denied=did.get("deny", 0),
        permit_per_day=round(permit / days, 3),
        deny_per_day=round(deny / days, 3),
        carried_out_per_day=round(done / days, 3),
    )


def _changes(counted: Counted, length: dict[str, float]) -> list[Change]:
    keys: set[Key] = set()
    for made, done, _ in counted.values():
        keys |= set(made) | set(done)
    out = []
    for key in sorted(keys, key=lambda k: (k[0], k[1] or "", k[2] or "")):
        side = {
            name: _counts(made.get(key, {}), done.get(key, {}), length[name])
            for name, (made, done, _) in counted.items()
        }
        out.append(Change(action=key[0], district=key[1], unit=key[2], **side))
    return out


def _totals(
    scope: ReportScope,
    rows: list[Change],
    bounds: tuple[datetime, datetime, datetime, datetime],
    length: dict[str, float],
) -> list[ActionTotal]:
    out = []
    for action in sorted({r.action for r in rows}):
        mine = [r for r in rows if r.action == action]
        side = {}
        for name in ("before", "after"):
            found = [getattr(r, name) for r in mine]
            made = {"permit": sum(c.permit for c in found), "deny": sum(c.deny for c in found)}
            done = sum(c.carried_out for c in found)
            denied = sum(c.carried_out_denied for c in found)
            side[name] = _counts(made, {"deny": denied, "permit": done - denied}, length[name])
        wanted = {"action": action}
        if action != "joint_operation":  # the filter has no key for an operation's partners
            wanted["recipient_type"] = FEDERAL_IMMIGRATION
        queries = [
            link(replace(scope, start=start, end=end), wanted) or ""
            for start, end in (bounds[:2], bounds[2:])
        ]
        out.append(
            ActionTotal(
                action=action,
                before=side["before"],
                after=side["after"],
                records_before=queries[0],
                records_after=queries[1],
            )
        )
    return out
