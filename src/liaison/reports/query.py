"""Querying the records (issue 10, item 1; docs/api.md, "Querying the records"): pages of
the rows a filter (``liaison.reports.query_filter``) selects within what the reader may
read, a ``total``, and counts grouped by columns and month. SQLAlchemy Core over the
index's real columns; not served itself (``GET /v1/decisions``, ``/v1/events``,
``/v1/encounters``, their ``/v1/stats/...`` and ``liaison query ...`` are).

What is listed is a ``Listing``: its filters, the columns after its time that order it,
how its rows are checked against the ledger, how a row is served, what it may be grouped
by. ``DECISIONS`` is here; ``query_events.EVENTS`` and ``query_encounters.ENCOUNTERS``
beside it. Pages are in (time, tie-breaking columns) order with a keyset cursor: the next
page starts after the last row of this one, so a row is returned once however many are
recorded between pages (a row without a time sorts last). Every row returned is first
checked against its ledger entry (``IndexReader.verified_many``): what is served is what
the entry determines. Months are calendar months in D.C.'s zone (America/New_York), their
bounds computed here as UTC instants, so both backends count alike. A group key read from
a table beside the listing's (a decision's purposes, its citations) counts a record once
in each of its groups: the groups can then add up to more than ``total``, which counts
each record once.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Engine,
    FromClause,
    and_,
    case,
    func,
    literal,
    literal_column,
    or_,
    select,
)

from liaison.errors import IntegrityFailure, InvalidRequest
from liaison.gateway.auth import Principal
from liaison.gateway.index_reads import IndexReader
from liaison.gateway.index_rows import decision_citations, decision_purposes, instant
from liaison.gateway.records import shown_request
from liaison.reports.query_filter import DECISION_FILTERS, Filter, Filters, where
from liaison.reports.query_formats import CSV_COLUMNS
from liaison.storage import tables
from liaison.storage.tables import LAST_TEXT, decisions
from liaison.storage.types import UTCDateTime

ZONE = ZoneInfo("America/New_York")
MAX_LIMIT = 1000
LAST = datetime(9999, 12, 31, tzinfo=UTC)  # where a row without a time sorts
Row = dict[str, Any]
# A page's rows, checked against the ledger and the reader's scope: the rows to serve.
Verify = Callable[[Engine, IndexReader, Principal, list[Row]], list[Row]]


@dataclass(frozen=True, slots=True)
class Side:
    """A group key read beside the listing's table: ``value`` of ``table``, joined ``on``
    (outer: a record with none is in the group None), one group per value."""

    table: FromClause
    on: ColumnElement[bool]
    value: ColumnElement[Any]


@dataclass(frozen=True, slots=True)
class Listing:
    """One kind of record as listed and counted (module docstring)."""

    filters: Filters
    order: tuple[str, ...]  # after the time: what orders rows and tells them apart
    verify: Verify
    item: Callable[[Row], dict[str, Any]]
    groups: Mapping[str, ColumnElement[Any] | Side | None]  # None: the month
    csv_columns: tuple[str, ...]

    @property
    def group_keys(self) -> tuple[str, ...]:
        return tuple(self.groups)


@dataclass(frozen=True, slots=True)
class Page:
    """One page: its items, the total the filter selects, and the cursor of the next
    page (``None`` on the last)."""

    items: list[dict[str, Any]]
    total: int
    next_cursor: str | None


def encode_cursor(values: Sequence[Any]) -> str:
    """An opaque cursor: where the next page starts (after the row of these sort values)."""
    raw = json.dumps([instant(values[0]).isoformat(), *values[1:]])  # type: ignore[union-attr]
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, kinds: Sequence[type]) -> list[Any]:
    """The sort values a cursor names (an instant, then values of ``kinds``);
    ``InvalidRequest`` (field ``cursor``) for any other text."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, *rest = json.loads(raw)
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None or [type(v) for v in rest] != list(kinds):
            raise ValueError(cursor)
        return [moment, *rest]
    except (ValueError, TypeError) as exc:
        raise InvalidRequest("cursor", "cursor: not a cursor this service gave") from exc


def page(
    engine: Engine,
    reader: IndexReader,
    who: Principal,
    wanted: Filter,
    limit: int = 100,
    cursor: str | None = None,
    listing: Listing | None = None,
) -> Page:
    """The rows after ``cursor`` (or from the first) that ``wanted`` selects and ``who``
    may read, at most ``limit``, each verified against its ledger entry (``listing``:
    decisions unless named), and the total the filter selects."""
    listing = listing or DECISIONS
    items, next_cursor = window(engine, reader, who, wanted, limit, cursor, listing)
    table = listing.filters.table
    condition = where(listing.filters, wanted, who)
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(table).where(condition))
        count = int(total.scalar_one())
    return Page(items, count, next_cursor)


def window(
    engine: Engine,
    reader: IndexReader,
    who: Principal,
    wanted: Filter,
    limit: int = 100,
    cursor: str | None = None,
    listing: Listing | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """``page`` without its total: the verified items, and the cursor of the next page
    (``None`` on the last)."""
    listing = listing or DECISIONS
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidRequest("limit", f"limit: must be 1 to {MAX_LIMIT}")
    table = listing.filters.table
    sort = _sort(listing)
    query = select(table).where(where(listing.filters, wanted, who))
    if cursor is not None:
        kinds = [table.c[c].type.python_type for c in listing.order]
        query = query.where(_after(sort, decode_cursor(cursor, kinds)))
    query = query.order_by(*sort).limit(limit + 1)
    with engine.connect() as conn:
        found = [dict(r._mapping) for r in conn.execute(query)]
    more = len(found) > limit
    found = found[:limit]
    items = [listing.item(r) for r in listing.verify(engine, reader, who, found)]
    if not more:
        return items, None
    last = found[-1]
    time = last[listing.filters.time] or LAST
    return items, encode_cursor([time, *(last[c] for c in listing.order)])


def every_page(
    engine: Engine, reader: IndexReader, who: Principal, wanted: Filter, listing: Listing
) -> Iterator[list[dict[str, Any]]]:
    """Every row ``wanted`` selects that ``who`` may read, ``MAX_LIMIT`` at a time, each
    page after the one before as ``window`` walks them (a download of them all: no page
    is counted, none held after it is given)."""
    cursor: str | None = None
    while True:
        items, cursor = window(engine, reader, who, wanted, MAX_LIMIT, cursor, listing)
        if items:
            yield items
        if cursor is None:
            return


def _sort(listing: Listing) -> list[ColumnElement[Any]]:
    table = listing.filters.table
    time: ColumnElement[Any] = table.c[listing.filters.time]
    if table.c[listing.filters.time].nullable:
        time = func.coalesce(time, literal_column(LAST_TEXT, UTCDateTime()))
    return [time, *(table.c[c] for c in listing.order)]


def _after(sort: Sequence[ColumnElement[Any]], values: Sequence[Any]) -> ColumnElement[bool]:
    """The rows after ``values`` in ``sort`` order (a keyset condition)."""
    later = []
    for n, column in enumerate(sort):
        same = [c == v for c, v in zip(sort[:n], values[:n], strict=True)]
        later.append(and_(*same, column > values[n]))
    return or_(*later)


def verified_records(table: str, what: str) -> Verify:
    """A page's rows of ``table`` (decisions, events) checked against their entries, and
    each within the reader's scope (``what``: how the refusal names one)."""

    def verify(engine: Engine, reader: IndexReader, who: Principal, found: list[Row]) -> list[Row]:
        rows = reader.verified_many(table, found)
        if not all(who.may_read(r["actor_id"], r["unit"]) for r in rows):
            # The scope is part of the query, and actor and unit are verified columns: a row
            # the reader may not read here means the query and the ledger disagree. Refuse
            # the page (never serve it short while its total and cursor count the row).
            raise IntegrityFailure(f"a listed {what} is outside the reader's scope")
        return rows

    return verify


def item(row: dict[str, Any]) -> dict[str, Any]:
    """A verified row as served: its columns, with ``at`` as the decision rendered it (in
    the pack's zone, with its offset), its purposes, citations, request and decision."""
    record = row["document"]
    return {
        "id": row["id"],
        "ledger_index": row["ledger_index"],
        "at": record["decision"]["at"],
        "actor_id": row["actor_id"],
        "unit": row["unit"],
        "action": row["action"],
        "view": row["view"],
        "decision": row["decision"],
        "basis": row["basis"],
        "policy_version": row["policy_version"],
        "encounter_id": row["encounter_id"],
        "recipient_type": row["recipient_type"],
        "recipient_agency": row["recipient_agency"],
        "database": row["database"],
        "custody": row["custody"],
        "initiative": row["initiative"],
        "legal_process": row["legal_process"],
        "federal_charge": row["federal_charge"],
        "arrest_basis": row["arrest_basis"],
        "passengers": row["passengers"],
        "operation_kind": row["operation_kind"],
        "purposes": sorted(decision_purposes(record)),
        "citations": [f"{d} {s}" for d, s in sorted(decision_citations(record))],
        "request": shown_request(record["request"], ZONE),
        "outcome": record["decision"],
    }


def parse_group_by(text: str, listing: Listing | None = None) -> tuple[str, ...]:
    """``action,decision,month`` as keys; ``InvalidRequest`` (field ``group_by``)."""
    known = (listing or DECISIONS).group_keys
    keys = tuple(k.strip() for k in text.split(",") if k.strip())
    bad = [k for k in keys if k not in known]
    if not keys or bad or len(set(keys)) != len(keys):
        raise InvalidRequest(
            "group_by", f"group_by: a comma-separated list of distinct {', '.join(known)}"
        )
    return keys


def counts(
    engine: Engine,
    who: Principal,
    wanted: Filter,
    keys: Sequence[str],
    listing: Listing | None = None,
) -> dict[str, Any]:
    """The number of rows ``wanted`` selects within ``who``'s scope, per combination of
    ``keys`` (each group once, ordered by its keys), and the total (each record once)."""
    listing = listing or DECISIONS
    table = listing.filters.table
    condition = where(listing.filters, wanted, who)
    with engine.connect() as conn:
        source: FromClause = table
        joined: list[FromClause] = []
        columns: list[ColumnElement[Any]] = []
        for key in keys:
            group = listing.groups[key]
            if group is None:
                group = month_of(conn, condition, table.c[listing.filters.time])
            elif isinstance(group, Side):
                if not any(group.table is j for j in joined):
                    source = source.outerjoin(group.table, group.on)
                    joined.append(group.table)
                group = group.value
            columns.append(group)
        # Grouped over a subquery: PostgreSQL matches a GROUP BY expression to the select
        # list only without bound parameters, and the month's CASE has some. With a side
        # table, each record once per group (its own columns make the rows distinct).
        own = [table.c[c] for c in listing.order] if joined else []
        inner = select(*(c.label(k) for c, k in zip(columns, keys, strict=True)), *own)
        inner = inner.select_from(source).where(condition)
        rows = (inner.distinct() if joined else inner).subquery()
        grouped = [rows.c[k] for k in keys]
        found = conn.execute(select(*grouped, func.count()).group_by(*grouped)).all()
        total = sum(int(r[-1]) for r in found)
        if joined:
            everyone = select(func.count()).select_from(table).where(condition)
            total = int(conn.execute(everyone).scalar_one())
    found = sorted(found, key=lambda r: [(v is None, "" if v is None else v) for v in r[:-1]])
    groups = [{**dict(zip(keys, r[:-1], strict=True)), "count": int(r[-1])} for r in found]
    return {"group_by": list(keys), "groups": groups, "total": total}


def month_of(
    conn: Any, condition: ColumnElement[bool], at: Any, zone: ZoneInfo = ZONE
) -> ColumnElement[Any]:
    """``YYYY-MM`` of the instant ``at`` (a column) in ``zone`` (D.C.'s unless named): a
    CASE over the months the rows span, each month's bounds as UTC instants (daylight
    saving time included)."""
    low, high = conn.execute(select(func.min(at), func.max(at)).where(condition)).one()
    if low is None:
        return literal(None)
    first, last = instant(low).astimezone(zone), instant(high).astimezone(zone)  # type: ignore[union-attr]
    whens = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        after = (year + month // 12, month % 12 + 1)
        bound = datetime(*after, 1, tzinfo=zone)
        whens.append((at < bound, literal(f"{year:04d}-{month:02d}")))
        year, month = after
    return case(*whens, else_=literal(None))


_CITED = Side(
    tables.decision_citations,
    tables.decision_citations.c.ledger_index == decisions.c.ledger_index,
    tables.decision_citations.c.directive,
)
DECISIONS = Listing(
    DECISION_FILTERS,
    ("ledger_index",),
    verified_records("decisions", "decision"),
    item,
    {
        **{
            k: decisions.c[k]
            for k in ("action", "decision", "basis", "view", "unit", "recipient_type")
        },
        **{k: decisions.c[k] for k in ("recipient_agency", "database", "custody")},
        **{k: decisions.c[k] for k in ("initiative", "legal_process", "federal_charge")},
        **{k: decisions.c[k] for k in ("arrest_basis", "passengers", "operation_kind")},
        "purpose": Side(
            tables.decision_purposes,
            tables.decision_purposes.c.ledger_index == decisions.c.ledger_index,
            tables.decision_purposes.c.purpose,
        ),
        "directive": _CITED,
        "section": Side(
            _CITED.table,
            _CITED.on,
            _CITED.value + literal(" ") + tables.decision_citations.c.section,
        ),
        "data_class": Side(
            tables.decision_data_classes,
            tables.decision_data_classes.c.ledger_index == decisions.c.ledger_index,
            tables.decision_data_classes.c.data_class,
        ),
        "month": None,
    },
    CSV_COLUMNS,
)
