"""The records behind a report's answer (issue 10, item 2; docs/reports.md, "Counts"): how
many, the first and last instant (in the pack's zone, with offset), the query that selects
them (``GET /v1/decisions?...``, the filter keys of ``liaison.reports.query_filter``) and
the ids of the first of them; per citation, per initiative; and the events that carried
decisions out.

Every count is SQL (SQLAlchemy Core) over the index tables within the report's scope
(``ReportScope.within``: entries in the checkpoint's tree, the period, the view), computed
in the database: no loop over rows in Python.

*Carried out*: the events that report an action done (``gateway.events.ACTION_KINDS``)
citing a decision of the set by its id (ids are per actor: the event's actor's decision),
recorded in the checkpoint's tree, whenever they happened.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, and_, exists, func, select

from liaison.gateway.events import ACTION_KINDS
from liaison.gateway.index_rows import instant
from liaison.reports.report_scope import ReportScope
from liaison.storage.tables import decision_citations, decision_purposes, decisions, events

FIRST_IDS = 20  # the ids a report lists of the records behind an answer
Conditions = Sequence[ColumnElement[bool]]
STATUS = "immigration_status"
INQUIRIES = ("database_inquiry", "verbal_inquiry")


class Records(BaseModel):
    """A set of records: their number, first and last instant, the query selecting them
    and the ids of the first ``FIRST_IDS`` (in the order they happened)."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["decisions", "events", "encounters"] = Field(description="what is counted")
    count: int = Field(ge=0)
    first: str | None = Field(description="the first one's instant, in the pack's zone")
    last: str | None = Field(description="the last one's instant, in the pack's zone")
    query: str | None = Field(
        description="GET /v1/decisions?... selecting them (null: no filter says it); the "
        "live query also counts records after the checkpoint"
    )
    ids: list[str] = Field(description=f"the ids of the first {FIRST_IDS}, in time order")


class CitationCount(BaseModel):
    """How many decisions cited one section of one directive."""

    model_config = ConfigDict(extra="forbid")
    directive: str
    section: str
    count: int = Field(ge=0)


def link(scope: ReportScope, wanted: Mapping[str, str] | None) -> str | None:
    """``GET /v1/decisions?...`` with the filter ``wanted`` within the report's period and
    view (None: no filter selects the set)."""
    if wanted is None:
        return None
    given = dict(wanted)
    start, end = scope.local(scope.start), scope.local(scope.end)
    if start is not None:
        given["from"] = start
    if end is not None:
        given["to"] = end
    if scope.view is not None:
        given["view"] = scope.view
    return "/v1/decisions?" + urlencode(given, safe=",:")


def mixed_inquiry() -> ColumnElement[bool]:
    """An inquiry naming ``immigration_status`` beside another purpose (the ``review`` and
    ``operations`` reports): driven from the purpose index (few decisions name it), not from
    ``decisions``."""
    status, other = decision_purposes.alias("status_p"), decision_purposes.alias("other_p")
    more = exists(
        select(other.c.ledger_index).where(
            other.c.ledger_index == status.c.ledger_index, other.c.purpose != STATUS
        )
    )
    named = select(status.c.ledger_index).where(status.c.purpose == STATUS, more)
    return and_(decisions.c.action.in_(INQUIRIES), decisions.c.ledger_index.in_(named))


def decision_records(
    scope: ReportScope, where: Conditions, wanted: Mapping[str, str] | None
) -> Records:
    """The decisions in scope that ``where`` selects."""
    d = decisions.c
    found = [*scope.within(decisions), *where]
    with scope.db.connect() as conn:
        count, low, high = conn.execute(
            select(func.count(), func.min(d.at), func.max(d.at)).where(*found)
        ).one()
        ids = conn.execute(
            select(d.id).where(*found).order_by(d.at, d.ledger_index).limit(FIRST_IDS)
        ).scalars()
        first = list(ids)
    return _records(scope, "decisions", count, low, high, link(scope, wanted), first)


def _carried(scope: ReportScope, where: Conditions) -> list[ColumnElement[bool]]:
    """Events that carried out a decision in scope that ``where`` selects."""
    e, _d = events.c, decisions.c
    return [
        e.ledger_index < scope.checkpoint.size,
        e.kind.in_(sorted(k.value for k in ACTION_KINDS)),
        *scope.within(decisions),
        *where,
    ]


def carried_out(scope: ReportScope, where: Conditions) -> tuple[Records, int]:
    """The events that carried out decisions ``where`` selects, and how many are flagged."""
    e = events.c
    joined = events.join(
        decisions, and_(e.decision_id == decisions.c.id, e.actor_id == decisions.c.actor_id)
    )
    found = _carried(scope, where)
    with scope.db.connect() as conn:
        count, low, high, flagged = conn.execute(
            select(func.count(), func.min(e.at), func.max(e.at), func.count(e.flagged))
            .select_from(joined)
            .where(*found)
        ).one()
        ids = conn.execute(
            select(e.id)
            .select_from(joined)
            .where(*found)
            .order_by(e.at, e.ledger_index)
            .limit(FIRST_IDS)
        ).scalars()
        first = list(ids)
    return _records(scope, "events", count, low, high, None, first), int(flagged)


def by_citation(scope: ReportScope, where: Conditions) -> list[CitationCount]:
    """How many decisions ``where`` selects cited each directive and section."""
    c = decision_citations.c
    joined = decision_citations.join(decisions, c.ledger_index == decisions.c.ledger_index)
    with scope.db.connect() as conn:
        rows = conn.execute(
            select(c.directive, c.section, func.count())
            .select_from(joined)
            .where(*scope.within(decisions), *where)
            .group_by(c.directive, c.section)
            .order_by(c.directive, c.section)
        ).all()
    return [CitationCount(directive=r[0], section=r[1], count=int(r[2])) for r in rows]


def count_by(scope: ReportScope, column: str, where: Conditions) -> dict[str, int]:
    """How many decisions ``where`` selects per value of ``column`` (null: ``"unknown"``)."""
    col = decisions.c[column]
    with scope.db.connect() as conn:
        rows = conn.execute(
            select(col, func.count())
            .where(*scope.within(decisions), *where)
            .group_by(col)
            .order_by(col)
        ).all()
    return {_key(r[0]): int(r[1]) for r in rows}


def _key(value: Any) -> str:
    """A grouped value as a key: booleans (SQLite reads them back as 0 or 1) as true/false."""
    if value is None:
        return "unknown"
    if isinstance(value, bool | int):
        return "true" if value else "false"
    return str(value)


def _records(
    scope: ReportScope,
    kind: Literal["decisions", "events", "encounters"],
    count: Any,
    low: Any,
    high: Any,
    query: str | None,
    ids: list[str],
) -> Records:
    return Records(
        kind=kind,
        count=int(count),
        first=scope.local(instant(low)),
        last=scope.local(instant(high)),
        query=query,
        ids=ids,
    )


def encounter_records(scope: ReportScope, found: Sequence[tuple[datetime, str]]) -> Records:
    """Encounters (``(first instant, id)`` pairs, already selected) as records."""
    ordered = sorted(found)
    low = ordered[0][0] if ordered else None
    high = ordered[-1][0] if ordered else None
    ids = [f[1] for f in ordered[:FIRST_IDS]]
    return _records(scope, "encounters", len(ordered), low, high, None, ids)
