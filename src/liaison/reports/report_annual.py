"""The ``annual-24-211.07d`` report: what D.C. Code § 24-211.07(d) asks the department to
report each year (issue 10, item 2; docs/reports.md, "annual-24-211.07d").

§ 24-211.07(d), as issue 10 states it (the pack encodes the rules of (a) and (b), not this
reporting duty): the requests from federal immigration authorities for information or
detainers, by local and federal charges; whether a judicial warrant came with each; the
action taken; the releases into federal immigration custody, with date and justification;
the kinds of information shared, aggregated; and whether on request.

Encoded here, per calendar year in the pack's zone (the part of it in the period):

- a *request* is a ``share_information`` or ``hold`` decision with a ``federal_immigration``
  recipient made ``on_request``; counted by action, ``federal_charge`` (the subject faces a
  federal criminal charge; false: local charges, or none), ``legal_process`` (a judicial
  warrant is ``judicial_warrant``) and decision, with the events that carried them out;
- a *release* is a permitted ``custody_transfer`` to a ``federal_immigration`` recipient:
  its date, its justification (the sections it cites and the legal process) and the
  ``handover`` events that carried it out;
- the information shared: ``share_information`` decisions to a ``federal_immigration``
  recipient, per data class, initiative and decision, with the events that report the
  information given (after a refusal too); a decision sharing several classes counts once
  under each;
- on request or proactive: decisions of every action with a ``federal_immigration``
  recipient, per action, initiative and decision.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, and_, func, select

from liaison.gateway.events import ACTION_KINDS
from liaison.gateway.index_rows import instant
from liaison.reports.report_document import ReportDocument, Table
from liaison.reports.report_head import head
from liaison.reports.report_records import link
from liaison.reports.report_scope import ReportScope
from liaison.storage.tables import decision_citations, decision_data_classes, decisions, events

NAME = "annual-24-211.07d"
TITLE = "Annual report under D.C. Code § 24-211.07(d)"
IMMIGRATION = "federal_immigration"
d, e = decisions.c, events.c


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RequestCount(_Row):
    """Requests of one year, action, charge, legal process and outcome."""

    year: int
    action: str = Field(description="share_information (information) or hold (a detainer)")
    federal_charge: bool = Field(description="a federal criminal charge (false: local or none)")
    legal_process: str | None
    judicial_warrant: bool = Field(description="legal_process is judicial_warrant")
    decision: str = Field(description="the action taken: permit or deny")
    count: int = Field(ge=0)
    carried_out: int = Field(ge=0, description="events reporting the action done")


class Release(_Row):
    """A release into federal immigration custody (a permitted custody_transfer)."""

    id: str
    at: str = Field(description="decided at, in the pack's zone")
    agency: str | None
    legal_process: str | None
    citations: list[str] = Field(description="the sections that permitted it (justification)")
    handed_over: list[str] = Field(description="the handover events' instants")


class SharedCount(_Row):
    """Shares of one data class, one year, on request or proactive, permitted or refused;
    ``carried_out``: the events that report it shared (after a refusal too)."""

    year: int
    data_class: str
    initiative: str | None
    decision: str
    count: int = Field(ge=0)
    carried_out: int = Field(ge=0)


class InitiativeCount(_Row):
    """Decisions with a federal immigration recipient of one action, initiative, outcome."""

    year: int
    action: str
    initiative: str | None
    decision: str
    count: int = Field(ge=0)


class AnnualReport(ReportDocument):
    """The § 24-211.07(d) report (issue 10, item 2, ``annual-24-211.07d``)."""

    years: list[int]
    requests: list[RequestCount]
    requests_query: str | None = Field(description="GET /v1/decisions?... for the requests")
    releases: list[Release]
    releases_query: str | None
    information_shared: list[SharedCount]
    initiative: list[InitiativeCount]

    def tables(self) -> list[Table]:
        return _tables(self)


def build(scope: ReportScope) -> AnnualReport:
    """The annual report over ``scope``: one part per calendar year it spans."""
    parts = [(y, _year_scope(scope, y)) for y in _years(scope)]
    requests = [r for y, s in parts for r in _requests(s, y)]
    wanted = {"action": "share_information,hold", "recipient_type": IMMIGRATION,
              "initiative": "on_request"}  # fmt: skip
    releases = [r for _, s in parts for r in _releases(s)]
    transfer = {"action": "custody_transfer", "recipient_type": IMMIGRATION, "decision": "permit"}
    return AnnualReport(
        **head(scope, NAME, TITLE),
        years=[y for y, _ in parts],
        requests=requests,
        requests_query=link(scope, wanted),
        releases=releases,
        releases_query=link(scope, transfer),
        information_shared=[r for y, s in parts for r in _shared(s, y)],
        initiative=[r for y, s in parts for r in _initiative(s, y)],
    )


def _zone(scope: ReportScope) -> ZoneInfo:
    zone: ZoneInfo = scope.policy.pack.timezone
    return zone


def _years(scope: ReportScope) -> list[int]:
    """The calendar years (in the pack's zone) of the period, or of the records in scope
    with a federal immigration recipient when the period is open."""
    with scope.db.connect() as conn:
        low, high = conn.execute(
            select(func.min(d.at), func.max(d.at)).where(
                *scope.within(decisions), d.recipient_type == IMMIGRATION
            )
        ).one()
    first = scope.start or instant(low)
    last = scope.end or instant(high)
    if first is None or last is None:
        return []
    zone = _zone(scope)
    end = last.astimezone(zone)
    if scope.end is not None and end == datetime(end.year, 1, 1, tzinfo=zone):
        end = end.replace(year=end.year - 1)  # [from, to): to on 1 January ends the year before
    return list(range(first.astimezone(zone).year, end.year + 1))


def _year_scope(scope: ReportScope, year: int) -> ReportScope:
    zone = _zone(scope)
    start = datetime(year, 1, 1, tzinfo=zone)
    end = datetime(year + 1, 1, 1, tzinfo=zone)
    if scope.start is not None and scope.start > start:
        start = scope.start
    if scope.end is not None and scope.end < end:
        end = scope.end
    return dataclasses.replace(scope, start=start, end=end)


def _carried(scope: ReportScope) -> Any:
    """``decisions`` joined to the events (in the checkpoint's tree) that carried them out."""
    joined = decisions.join(events, and_(e.decision_id == d.id, e.actor_id == d.actor_id))
    return joined, [
        e.ledger_index < scope.checkpoint.size,
        e.kind.in_(sorted(k.value for k in ACTION_KINDS)),
    ]


def _grouped(
    scope: ReportScope, keys: Sequence[ColumnElement[Any]], where: Sequence[ColumnElement[bool]]
) -> tuple[list[Any], dict[tuple[Any, ...], int]]:
    """Decisions in scope per ``keys``: the groups with their count, and events per group."""
    found = [*scope.within(decisions), *where]
    joined, done = _carried(scope)
    with scope.db.connect() as conn:
        groups = conn.execute(
            select(*keys, func.count()).where(*found).group_by(*keys).order_by(*keys)
        ).all()
        carried = conn.execute(
            select(*keys, func.count()).select_from(joined).where(*found, *done).group_by(*keys)
        ).all()
    return list(groups), {tuple(_plain(v) for v in r[:-1]): int(r[-1]) for r in carried}


def _plain(value: Any) -> Any:
    return bool(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _requests(scope: ReportScope, year: int) -> list[RequestCount]:
    keys = [d.action, d.federal_charge, d.legal_process, d.decision]
    where = [
        d.action.in_(("share_information", "hold")),
        d.recipient_type == IMMIGRATION,
        d.initiative == "on_request",
    ]
    groups, carried = _grouped(scope, keys, where)
    out = []
    for action, charge, process, decision, count in groups:
        key = (action, _plain(charge), process, decision)
        out.append(
            RequestCount(
                year=year,
                action=action,
                federal_charge=bool(charge),
                legal_process=process,
                judicial_warrant=process == "judicial_warrant",
                decision=decision,
                count=int(count),
                carried_out=carried.get(key, 0),
            )
        )
    return out


def _releases(scope: ReportScope) -> list[Release]:
    where = [
        *scope.within(decisions),
        d.action == "custody_transfer",
        d.recipient_type == IMMIGRATION,
        d.decision == "permit",
    ]
    c = decision_citations.c
    joined, done = _carried(scope)
    with scope.db.connect() as conn:
        rows = conn.execute(
            select(d.ledger_index, d.id, d.at, d.recipient_agency, d.legal_process)
            .where(*where)
            .order_by(d.at, d.ledger_index)
        ).all()
        cited = conn.execute(
            select(c.ledger_index, c.directive, c.section)
            .select_from(decision_citations.join(decisions, c.ledger_index == d.ledger_index))
            .where(*where)
            .order_by(c.directive, c.section)
        ).all()
        handed = conn.execute(
            select(d.ledger_index, e.at)
            .select_from(joined)
            .where(*where, *done, e.kind == "handover")
            .order_by(e.at)
        ).all()
    out = []
    for index, ident, at, agency, process in rows:
        out.append(
            Release(
                id=ident,
                at=scope.local(instant(at)) or "",
                agency=agency,
                legal_process=process,
                citations=[f"{r[1]} {r[2]}" for r in cited if r[0] == index],
                handed_over=[scope.local(instant(h[1])) or "" for h in handed if h[0] == index],
            )
        )
    return out


def _shared(scope: ReportScope, year: int) -> list[SharedCount]:
    k = decision_data_classes.c
    keys = [k.data_class, d.initiative, d.decision]
    where = [
        k.ledger_index == d.ledger_index,
        d.action == "share_information",
        d.recipient_type == IMMIGRATION,
    ]
    groups, carried = _grouped(scope, keys, where)
    return [
        SharedCount(
            year=year,
            data_class=cls,
            initiative=initiative,
            decision=decision,
            count=int(n),
            carried_out=carried.get((cls, initiative, decision), 0),
        )
        for cls, initiative, decision, n in groups
    ]


def _initiative(scope: ReportScope, year: int) -> list[InitiativeCount]:
    keys = [d.action, d.initiative, d.decision]
    groups, _ = _grouped(scope, keys, [d.recipient_type == IMMIGRATION])
    return [
        InitiativeCount(year=year, action=a, initiative=i, decision=o, count=int(n))
        for a, i, o, n in groups
    ]


def _tables(doc: AnnualReport) -> list[Table]:
    return [_requests_table(doc), *_other_tables(doc)]


def _requests_table(doc: AnnualReport) -> Table:
    return Table(
        id="requests",
        title="Requests from federal immigration authorities for information or detainers",
        note="on_request share_information (information) and hold (detainer) decisions with "
        "a federal_immigration recipient; federal_charge false: local charges or none",
        columns=[
            "year",
            "action",
            "federal_charge",
            "legal_process",
            "judicial_warrant",
            "decision",
            "count",
            "carried_out",
        ],
        rows=[
            [
                r.year,
                r.action,
                r.federal_charge,
                r.legal_process,
                r.judicial_warrant,
                r.decision,
                r.count,
                r.carried_out,
            ]
            for r in doc.requests
        ],
    )


def _other_tables(doc: AnnualReport) -> list[Table]:
    releases = Table(
        id="releases",
        title="Releases into federal immigration custody",
        note="permitted custody_transfer decisions to a federal_immigration recipient; "
        "justification: the sections cited and the legal process",
        columns=["id", "at", "agency", "legal_process", "citations", "handed_over"],
        rows=[
            [
                r.id,
                r.at,
                r.agency,
                r.legal_process,
                "; ".join(r.citations),
                "; ".join(r.handed_over),
            ]
            for r in doc.releases
        ],
    )
    shared = Table(
        id="information_shared",
        title="Kinds of information shared, aggregated",
        note="share_information decisions to a federal_immigration recipient; carried_out: "
        "the events reporting it shared (after a refusal too)",
        columns=["year", "data_class", "initiative", "decision", "count", "carried_out"],
        rows=[
            [r.year, r.data_class, r.initiative, r.decision, r.count, r.carried_out]
            for r in doc.information_shared
        ],
    )
    initiative = Table(
        id="initiative",
        title="On request or proactive",
        note="decisions with a federal_immigration recipient",
        columns=["year", "action", "initiative", "decision", "count"],
        rows=[[r.year, r.action, r.initiative, r.decision, r.count] for r in doc.initiative],
    )
    return [releases, shared, initiative]
