"""The ``review`` report (issue 10, item 2; docs/reports-operations.md, "review"): what an auditor
must look at in a period.

1. Actions recorded without a permitting decision or against one (``events.flagged``, set
   by ``gateway.recording.flag_of``): each reason, how many, when, of which kinds.
2. Inquiries whose purposes include ``immigration_status`` beside another purpose. EO-25-005
   § E3 forbids an inquiry made *solely* for immigration status: naming a second purpose
   (``traffic_enforcement``) turns a refused status check into a permitted one, silently.
   Counted with what was decided and which sections decided it, by the other purpose,
   beside the status-only inquiries.
3. Actions permitted under one view of the pack and denied under another
   (``reports.view_disagreements``).

Every count is SQL over the index within the report's scope (``ReportScope.within``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, Connection, exists, func, select

from liaison.reports.report_document import ReportDocument, Table
from liaison.reports.report_head import head, records_query
from liaison.reports.report_review_tables import review_tables
from liaison.reports.report_scope import ReportScope
from liaison.reports.view_disagreements import MAX_IDS, compare
from liaison.storage.tables import decision_citations, decision_purposes, decisions, events

NAME = "review"
TITLE = "What an auditor must look at"
STATUS = "immigration_status"
INQUIRIES = ("database_inquiry", "verbal_inquiry")
# Why a recorded action stands out (``gateway.recording.flag_of``), in the order it checks.
FLAGS = {
    "no_decision": "carried out with no decision cited",
    "decision_not_found": "citing a decision that does not exist (or the reporting key may "
    "not read)",
    "decision_by_another_actor": "citing another officer's decision",
    "decision_denied": "carried out after it was denied",
    "action_differs_from_decision": "another action than the one decided",
    "decision_after_action": "decided only after it was carried out",
}
_e, _d = events.c, decisions.c


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FlaggedActions(_Doc):
    """Actions recorded for one reason without a permit (``events.flagged``)."""

    flag: str
    meaning: str
    count: int = Field(ge=0)
    first: str | None
    last: str | None
    by_kind: dict[str, int] = Field(description="event kind -> count")
    ids: list[str] = Field(description=f"the first {MAX_IDS} events' ids, in time order")
    query: str = Field(description="GET /v1/events?... selecting them")


class OutcomeCount(_Doc):
    """How many of a set of decisions got one outcome citing one section (``section``:
    "DIRECTIVE SECTION", or null when no policy matched: a default deny)."""

    action: str
    decision: str
    section: str | None
    count: int = Field(ge=0)


class PurposeCount(_Doc):
    """Inquiries naming ``immigration_status`` and ``purpose``: permitted and denied."""

    purpose: str
    permitted: int = Field(ge=0)
    denied: int = Field(ge=0)


class MixedPurposes(_Doc):
    """Inquiries naming ``immigration_status`` beside another purpose (the "solely"
    pretext), and those naming it alone."""

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
    status_only: int = Field(ge=0, description="inquiries naming immigration_status alone")
    status_only_denied: int = Field(ge=0)


class ViewDisagreement(_Doc):
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


class ViewComparison(_Doc):
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
    flags = list(FLAGS) + sorted({r[0] for r in found} - set(FLAGS))
    out = []
    for flag in flags:
        rows = [r for r in found if r[0] == flag]
        ids = conn.execute(
            select(_e.id)
            .where(*where, _e.flagged == flag)
            .order_by(_e.at, _e.ledger_index)
            .limit(MAX_IDS)
        ).scalars()
        given = {"flag": flag, **scope.period()}
        out.append(
            FlaggedActions(
                flag=flag,
                meaning=FLAGS.get(flag, "(a reason this version does not know)"),
                count=sum(int(r[2]) for r in rows),
                first=_local(scope, min((r[3] for r in rows), default=None)),
                last=_local(scope, max((r[4] for r in rows), default=None)),
                by_kind={str(r[1]): int(r[2]) for r in sorted(rows, key=lambda r: str(r[1]))},
                ids=list(ids),
                query="/v1/events?" + urlencode({k: v for k, v in given.items() if v}, safe=":,"),
            )
        )
    return out


def _naming_status(*, beside: bool) -> ColumnElement[bool]:
    """The decision names ``immigration_status``, with another purpose (``beside``) or
    alone: driven from the purpose index (few decisions name it), not from ``decisions``."""
    status, other = decision_purposes.alias("status_p"), decision_purposes.alias("other_p")
    more = exists(
        select(other.c.ledger_index).where(
            other.c.ledger_index == status.c.ledger_index, other.c.purpose != STATUS
        )
    )
    named = select(status.c.ledger_index).where(status.c.purpose == STATUS)
    return _d.ledger_index.in_(named.where(more if beside else ~more))


def _mixed(conn: Connection, scope: ReportScope) -> MixedPurposes:
    """Inquiries naming immigration_status beside another purpose, and alone."""
    inquiry = [*scope.within(decisions), _d.action.in_(INQUIRIES)]
    mixed = [*inquiry, _naming_status(beside=True)]
    alone = [*inquiry, _naming_status(beside=False)]
    outcome = select(_d.decision, func.count(), func.min(_d.at), func.max(_d.at))
    totals = conn.execute(outcome.where(*mixed).group_by(_d.decision)).all()
    only = {r[0]: int(r[1]) for r in conn.execute(outcome.where(*alone).group_by(_d.decision))}
    c, p = decision_citations.c, decision_purposes.c
    cited = (
        select(_d.action, _d.decision, c.directive, c.section, func.count())
        .select_from(decisions.outerjoin(decision_citations, c.ledger_index == _d.ledger_index))
        .where(*mixed)
        .group_by(_d.action, _d.decision, c.directive, c.section)
    )
    sections = [
        OutcomeCount(action=a, decision=d, section=None if s is None else f"{s} {t}", count=int(n))
        for a, d, s, t, n in sorted(conn.execute(cited).all(), key=lambda r: tuple(map(str, r)))
    ]
    beside = (
        select(p.purpose, _d.decision, func.count())
        .select_from(decisions.join(decision_purposes, p.ledger_index == _d.ledger_index))
        .where(*mixed, p.purpose != STATUS)
        .group_by(p.purpose, _d.decision)
    )
    purposes: dict[str, dict[str, int]] = {}
    for purpose, decided, n in conn.execute(beside):
        purposes.setdefault(purpose, {})[decided] = int(n)
    ids = conn.execute(
        select(_d.id).where(*mixed).order_by(_d.at, _d.ledger_index).limit(MAX_IDS)
    ).scalars()
    got = {r[0]: int(r[1]) for r in totals}
    return MixedPurposes(
        count=sum(got.values()),
        permitted=got.get("permit", 0),
        denied=got.get("deny", 0),
        first=_local(scope, min((r[2] for r in totals), default=None)),
        last=_local(scope, max((r[3] for r in totals), default=None)),
        by_section=sections,
        by_purpose=[
            PurposeCount(purpose=k, permitted=v.get("permit", 0), denied=v.get("deny", 0))
            for k, v in sorted(purposes.items())
        ],
        ids=list(ids),
        query="/v1/decisions?" + records_query(scope, action=",".join(INQUIRIES), purpose=STATUS),
        status_only=sum(only.values()),
        status_only_denied=only.get("deny", 0),
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
                query="/v1/decisions?" + records_query(scope, action=d.action),
            )
            for d in found.disagreements
        ],
    )
