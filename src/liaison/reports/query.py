"""Querying recorded decisions (issue 10, item 1; docs/api.md, "Querying decisions"):
pages of the rows a filter (``liaison.reports.query_filter``) selects within what the
reader may read, a ``total``, and counts grouped by columns and month. SQLAlchemy Core
over the index's real columns; not served itself (``GET /v1/decisions``,
``GET /v1/stats/decisions`` and ``liaison query decisions`` are).

Pages are in (``at``, ``ledger_index``) order with a keyset cursor: the next page starts
after the last row of this one, so a row is returned once however many are recorded
between pages. Every row returned is first checked against its ledger entry
(``IndexReader.verified_many``): what is served is what the entry determines. Months are
calendar months in D.C.'s zone (America/New_York), their bounds computed here as UTC
instants, so both backends count alike.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Engine, and_, case, func, literal, or_, select

from liaison.errors import IntegrityFailure, InvalidRequest
from liaison.gateway.auth import Principal
from liaison.gateway.index_reads import IndexReader
from liaison.gateway.index_rows import decision_citations, decision_purposes, instant
from liaison.reports.query_filter import DecisionFilter, where
from liaison.storage.tables import decisions

ZONE = ZoneInfo("America/New_York")
MAX_LIMIT = 1000
GROUP_KEYS = (
    "action",
    "decision",
    "basis",
    "view",
    "unit",
    "recipient_type",
    "recipient_agency",
    "database",
    "custody",
    "initiative",
    "legal_process",
    "federal_charge",
    "arrest_basis",
    "passengers",
    "operation_kind",
    "month",
)


@dataclass(frozen=True, slots=True)
class Page:
    """One page: its items, the total the filter selects, and the cursor of the next
    page (``None`` on the last)."""

    items: list[dict[str, Any]]
    total: int
    next_cursor: str | None


def encode_cursor(at: datetime, ledger_index: int) -> str:
    """An opaque cursor: where the next page starts (after this row)."""
    raw = json.dumps([instant(at).isoformat(), ledger_index])  # type: ignore[union-attr]
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The row a cursor names; ``InvalidRequest`` (field ``cursor``) for any other text."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, index = json.loads(raw)
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None or type(index) is not int:
            raise ValueError(cursor)
        return moment, index
    except (ValueError, TypeError) as exc:
        raise InvalidRequest("cursor", "cursor: not a cursor this service gave") from exc


def page(
    engine: Engine,
    reader: IndexReader,
    who: Principal,
    wanted: DecisionFilter,
    limit: int = 100,
    cursor: str | None = None,
) -> Page:
    """The rows after ``cursor`` (or from the first) that ``wanted`` selects and ``who``
    may read, at most ``limit``, each verified against its ledger entry."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidRequest("limit", f"limit: must be 1 to {MAX_LIMIT}")
    condition = where(wanted, who)
    query = select(decisions).where(condition)
    if cursor is not None:
        at, index = decode_cursor(cursor)
        c = decisions.c
        query = query.where(or_(c.at > at, and_(c.at == at, c.ledger_index > index)))
    query = query.order_by(decisions.c.at, decisions.c.ledger_index).limit(limit + 1)
    with engine.connect() as conn:
        found = [dict(r._mapping) for r in conn.execute(query)]
        total = conn.execute(select(func.count()).select_from(decisions).where(condition))
        count = int(total.scalar_one())
    more = len(found) > limit
    found = found[:limit]
    rows = reader.verified_many("decisions", found)
    if not all(who.may_read(r["actor_id"], r["unit"]) for r in rows):
        # The scope is part of the query, and actor and unit are verified columns: a row the
        # reader may not read here means the query and the ledger disagree. Refuse the page
        # (never serve it short while its total and cursor count the row).
        raise IntegrityFailure("a listed decision is outside the reader's scope")
    items = [item(r) for r in rows]
    last = found[-1] if more else None
    return Page(items, count, encode_cursor(last["at"], last["ledger_index"]) if last else None)


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
        "request": record["request"],
        "outcome": record["decision"],
    }


def parse_group_by(text: str) -> tuple[str, ...]:
    """``action,decision,month`` as keys; ``InvalidRequest`` (field ``group_by``)."""
    keys = tuple(k.strip() for k in text.split(",") if k.strip())
    bad = [k for k in keys if k not in GROUP_KEYS]
    if not keys or bad or len(set(keys)) != len(keys):
        raise InvalidRequest(
            "group_by", f"group_by: a comma-separated list of distinct {', '.join(GROUP_KEYS)}"
        )
    return keys


def counts(
    engine: Engine, who: Principal, wanted: DecisionFilter, keys: Sequence[str]
) -> dict[str, Any]:
    """The number of rows ``wanted`` selects within ``who``'s scope, per combination of
    ``keys`` (each group once, ordered by its keys), and the total."""
    condition = where(wanted, who)
    with engine.connect() as conn:
        columns: list[ColumnElement[Any]] = []
        for key in keys:
            columns.append(_month(conn, condition) if key == "month" else decisions.c[key])
        # Grouped over a subquery: PostgreSQL matches a GROUP BY expression to the select
        # list only without bound parameters, and the month's CASE has some.
        inner = select(*(c.label(k) for c, k in zip(columns, keys, strict=True)))
        rows = inner.where(condition).subquery()
        grouped = [rows.c[k] for k in keys]
        query = select(*grouped, func.count().label("count")).group_by(*grouped)
        found = conn.execute(query).all()
    found = sorted(found, key=lambda r: [(v is None, "" if v is None else v) for v in r[:-1]])
    groups = [{**dict(zip(keys, r[:-1], strict=True)), "count": int(r[-1])} for r in found]
    return {"group_by": list(keys), "groups": groups, "total": sum(g["count"] for g in groups)}


def _month(conn: Any, condition: ColumnElement[bool]) -> ColumnElement[Any]:
    """``YYYY-MM`` of ``at`` in D.C.'s zone: a CASE over the months the rows span, each
    month's bounds as UTC instants (daylight saving time included)."""
    low, high = conn.execute(
        select(func.min(decisions.c.at), func.max(decisions.c.at)).where(condition)
    ).one()
    if low is None:
        return literal(None)
    first, last = instant(low).astimezone(ZONE), instant(high).astimezone(ZONE)  # type: ignore[union-attr]
    whens = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        after = (year + month // 12, month % 12 + 1)
        bound = datetime(*after, 1, tzinfo=ZONE)
        whens.append((decisions.c.at < bound, literal(f"{year:04d}-{month:02d}")))
        year, month = after
    return case(*whens, else_=literal(None))
