"""The ``review`` report (issue 10, item 2; docs/reports.md, "review"): what an auditor
must look at in a period.

1. Actions recorded without a permitting decision or against one (``events.flagged``, set
   by ``gateway.recording.flag_of``): each reason, how many, when, of which kinds.
2. Inquiries whose purposes include ``immigration_status`` beside another purpose. EO-25-005
   § E3 forbids an inquiry made *solely* for immigration status: naming a second purpose
   (``traffic_enforcement``) turns a refused status check into a permitted one, silently.
   Counted with what was decided and which sections decided it, and by the other purpose.
3. Actions permitted under one view of the pack and denied under another
   (``reports.view_disagreements``).

Every count is SQL over the index within the report's scope (``ReportScope.within``).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from pydantic import Field
from sqlalchemy import Connection, func, select

from liaison.gateway.recording import EVENT_FLAGS
from liaison.reports.report_document import ReportDocument, Strict, Table
from liaison.reports.report_head import head
from liaison.reports.report_records import INQUIRIES, STATUS, link, mixed_inquiry
from liaison.reports.report_review_tables import review_tables
from liaison.reports.report_scope import ReportScope
from liaison.reports.view_disagreements import MAX_IDS, compare
from liaison.storage.tables import decision_citations, decision_purposes, decisions, events

NAME = "review"
TITLE = "What an auditor must look at"
# Why a recorded action stands out (``gateway.recording.flag_of``), in the order it checks.
_e, _d = events.c, decisions.c


class FlaggedActions(Strict):
    """Actions recorded for one reason without a permit (``events.flagged``)."""

    flag: str
    meaning: str
    count: int = Field(ge=0)
    first: str | None
    last: str | None
    by_kind: dict[str, int] = Field(description="event kind -> count")
    ids: list[str] = Field(description=f"the first {MAX_IDS} events' ids, in time order")
    query: str = Field(description="GET /v1/events?... selecting them")


class OutcomeCount(Strict):
    """How many of a set of decisions got one outcome citing one section (``section``:
    "DIRECTIVE SECTION", or null when no policy matched: a default deny)."""

    action: str
    decision: str
    section: str | None
    count: int = Field(ge=0)


class PurposeCount(Strict):
    """Inquiries naming ``immigration_status`` and ``purpose``: permitted and denied."""

    purpose: str
    permitted: int = Field(ge=0)
    denied: int = Field(ge=0)


class MixedPurposes(Strict):
    """Inquiries naming ``immigration_status`` beside another purpose (the "solely"
    pretext)."""

    count: int = Field(ge=0)
    permitted: int = Field(ge=0)
    denied: int = Field(ge=0)
    first: str | None
    last: str | None
    by_section: list[OutcomeCount] = Field(description="a decision citing two counts twice")
    by_purpose: list[PurposeCount]
    ids: list[str] = Field(description=f"the first {MAX_IDS} decisions' ids, in time order")
    query: str = Field(
        description="GET /v1/decisions?... of inquiries naming immigration_status (with or "
        "without another purpose)"
    )


class ViewDisagreement(Strict):
    """Records of one action one view permits and another denies."""

    action: str
    permitted_under: str
    permitted_by: list[str] = Field(description="the sections that permit it")
    denied_under: str
    denied_by: list[str] = Field(description="the sections that forbid it (empty: default)")
    deny_basis: str
    count: int = Field(ge=0)
    first: str | None
    last: str | None
    ids: list[str] = Field(description="one record's id per distinct request decided")
    query: str


class ViewComparison(Strict):
    """Every record whose action the views' policies treat differently, decided again
    under each view of the pack (``reports.view_disagreements``)."""

    views: list[str]
    compared: int = Field(ge=0, description="records decided again")
    requests_decided: int = Field(ge=0, description="distinct requests that stood for them")
    undetermined: int = Field(ge=0, description="records whose other outcome is unknown")
    disagreements: list[ViewDisagreement]


class ReviewReport(ReportDocument):
    """What an auditor must look at (module docstring)."""

    flagged_actions: list[FlaggedActions]
    flagged_total: int = Field(ge=0)
    mixed_purpose_inquiries: MixedPurposes
    view_disagreements: ViewComparison

    def tables(self) -> list[Table]:
        return review_tables(self)


def build(scope: ReportScope) -> ReviewReport:
    """The review report over ``scope``."""
    with scope.db.connect() as conn:
        flagged = _flagged(conn, scope)
        mixed = _mixed(conn, scope)
    return ReviewReport(
        **head(scope, NAME, TITLE),
        flagged_actions=flagged,
        flagged_total=sum(f.count for f in flagged),
        mixed_purpose_inquiries=mixed,
        view_disagreements=_views(scope),
    )


def _local(scope: ReportScope, moment: Any) -> str | None:
    return scope.local(moment) if isinstance(moment, datetime) else None


def _flagged(conn: Connection, scope: ReportScope) -> list[FlaggedActions]:
    """Each reason an action stands out (every one ``flag_of`` gives, and any other the
    index holds), with its events in the scope."""
    where = [*scope.within(events), _e.flagged.is_not(None)]
    query = select(_e.flagged, _e.kind, func.count(), func.min(_e.at), func.max(_e.at))
    found = conn.execute(query.where(*where).group_by(_e.flagged, _e.kind)).all()
    flags = list(EVENT_FLAGS) + sorted({r[0] for r in found} - set(EVENT_FLAGS))
    # The first ids of each reason in one pass over the flagged events (the flagged index).
    order = func.row_number().over(partition_by=_e.flagged, order_by=(_e.at, _e.ledger_index))
    ranked = select(_e.flagged, _e.id, order.label("n")).where(*where).subquery()
    first = select(ranked.c.flagged, ranked.c.id).where(ranked.c.n <= MAX_IDS)
    listed: dict[str, list[str]] = {}
    for flag, ident in conn.execute(first.order_by(ranked.c.flagged, ranked.c.n)):
        listed.setdefault(flag, []).append(ident)
    out = []
    for flag in flags:
        rows = [r for r in found if r[0] == flag]
        ids = listed.get(flag, [])
        given = {"flag": flag, **scope.period()}
        out.append(
            FlaggedActions(
                flag=flag,
                meaning=EVENT_FLAGS.get(flag, "(a reason this version does not know)"),
                count=sum(int(r[2]) for r in rows),
                first=_local(scope, min((r[3] for r in rows), default=None)),
                last=_local(scope, max((r[4] for r in rows), default=None)),
                by_kind={str(r[1]): int(r[2]) for r in sorted(rows, key=lambda r: str(r[1]))},
                ids=list(ids),
                query="/v1/events?" + urlencode({k: v for k, v in given.items() if v}, safe=":,"),
            )
        )
    return out


def _mixed(conn: Connection, scope: ReportScope) -> MixedPurposes:
    """Inquiries naming immigration_status beside another purpose: a small set, read once
    (found from the purpose index), then their citations and purposes by ledger index."""
    mixed = [*scope.within(decisions), mixed_inquiry()]
    query = select(_d.ledger_index, _d.id, _d.action, _d.decision, _d.at).where(*mixed)
    found = conn.execute(query.order_by(_d.at, _d.ledger_index)).all()
    outcome = {int(r.ledger_index): (r.action, r.decision) for r in found}
    cited: Counter[tuple[str, str, str | None]] = Counter()
    beside: Counter[tuple[str, str]] = Counter()
    named: dict[int, list[str]] = {}
    indexes = list(outcome)
    c, p = decision_citations.c, decision_purposes.c
    for start in range(0, len(indexes), 500):
        chunk = indexes[start : start + 500]
        for index, directive, section in conn.execute(
            select(c.ledger_index, c.directive, c.section).where(c.ledger_index.in_(chunk))
        ):
            named.setdefault(int(index), []).append(f"{directive} {section}")
        for index, purpose in conn.execute(
            select(p.ledger_index, p.purpose).where(p.ledger_index.in_(chunk), p.purpose != STATUS)
        ):
            beside[(purpose, outcome[int(index)][1])] += 1
    for index, (action, decided) in outcome.items():
        sections: list[str | None] = [*named.get(index, [])]
        cited.update((action, decided, s) for s in sections or [None])
    decided = Counter(r.decision for r in found)
    return MixedPurposes(
        count=len(found),
        permitted=decided["permit"],
        denied=decided["deny"],
        first=_local(scope, found[0].at) if found else None,
        last=_local(scope, max(r.at for r in found)) if found else None,
        by_section=[
            OutcomeCount(action=a, decision=d, section=s, count=n)
            for (a, d, s), n in sorted(cited.items(), key=lambda i: tuple(map(str, i[0])))
        ],
        by_purpose=[
            PurposeCount(purpose=k, permitted=beside[(k, "permit")], denied=beside[(k, "deny")])
            for k in sorted({k for k, _ in beside})
        ],
        ids=[r.id for r in found[:MAX_IDS]],
        query=link(scope, {"action": ",".join(INQUIRIES), "purpose": STATUS}) or "",
    )


def _views(scope: ReportScope) -> ViewComparison:
    found = compare(scope)
    return ViewComparison(
        views=found.views,
        compared=found.compared,
        requests_decided=found.groups,
        undetermined=found.undetermined,
        disagreements=[
            ViewDisagreement(
                action=d.action,
                permitted_under=d.permit_view,
                permitted_by=d.permit_sections,
                denied_under=d.deny_view,
                denied_by=d.deny_sections,
                deny_basis=d.deny_basis,
                count=d.count,
                first=_local(scope, d.first),
                last=_local(scope, d.last),
                ids=d.ids,
                query=link(scope, {"action": d.action}) or "",
            )
            for d in found.disagreements
        ],
    )
