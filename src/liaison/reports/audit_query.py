"""The computed queries of a report of audited rows (issue 13, item 4; docs/audit.md,
"Reports"): SQLAlchemy Core over ``audit_imports`` and ``audit_rows`` in the main store
(their indexes on agency, organisation, decision, finding and time), not served itself
(``liaison audit report``, ``GET /v1/audit/...`` and the ``/audit`` pages are).

- ``cube`` and ``tally_of``: the rows a filter selects counted per key (purpose class,
  agency, searching organisation with its type, month in the agency's zone, decision),
  each key's rows split by purpose class and by decision, and its findings: one grouped
  scan for them all, added up per key;
- ``not_judged``: the rows not judged, counted by why (``WHY_NOT``: the reason the
  judgement recorded);
- ``source_rows``: rows as a person reads them, each checked against its ledger entry
  (``audit_verified``): provenance, time in the agency's zone with its offset, agency,
  organisation, the row's stated reason and fields as exported (its personal part), what
  was made of it (purposes, decision, basis, citations, the judgement's note), for the
  findings, the review queue and the rows not judged;
- ``imports`` and ``one_import``: what was imported, with its provenance.

The filter is ``audit_filter``'s; every query is within the reader's scope (auditors).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, func, literal, select

from liaison.audit import judgement
from liaison.errors import NotFound
from liaison.gateway.auth import Principal
from liaison.gateway.index_reads import IndexReader
from liaison.model.timestamps import render
from liaison.reports.audit_filter import (
    AUDIT_FILTERS,
    DECISIONS,
    PURPOSE_CLASS,
    PURPOSE_CLASSES,
    import_zone,
    zone_name,
    zone_of,
)
from liaison.reports.audit_verified import verified, verified_imports
from liaison.reports.query import month_of
from liaison.reports.query_filter import Filter, where
from liaison.storage.tables import audit_imports, audit_rows

r = audit_rows.c
i = audit_imports.c
# What the rows are counted by: each key's columns in a cube cell (``cube``).
KEYS: dict[str, tuple[str, ...]] = {
    "purpose_class": ("purpose_class",),
    "agency": ("agency",),
    "organisation": ("organisation", "org_type"),
    "decision": ("decision",),
    "month": ("month",),
}
# The columns of every tally row after its key(s).
# (a decision of ``review`` is counted as ``review_queue``: the rows waiting for a review).
COUNTS = ("rows", *PURPOSE_CLASSES, "permit", "deny", "not_judged", "review_queue", "findings")
_DECIDED = dict(zip(DECISIONS, ("permit", "deny", "not_judged", "review_queue"), strict=True))
# Why a row was not judged (``not_judged``): the reason the judgement recorded, as a code.
WHY_NOT = {
    judgement.NO_PACK: "no_pack",
    judgement.NO_TIME: "no_time",
    judgement.NO_PURPOSE: "no_purpose",
    judgement.NO_RECIPIENT: "unknown_organisation",
}
Cell = dict[str, Any]


def condition(wanted: Filter, who: Principal) -> ColumnElement[bool]:
    """The rows ``wanted`` selects that ``who`` may read (complete imports only)."""
    return where(AUDIT_FILTERS, wanted, who)


def cube(conn: Connection, where_: ColumnElement[bool]) -> list[Cell]:
    """The selected rows counted per combination of month (in each row's agency zone: its
    import's), purpose class, agency, organisation and its type, decision and finding:
    one scan per zone the imports name, a few hundred cells however many rows (every tally
    is then added up from them: three times faster over 1,000,000 rows than a grouped
    query per key; docs/audit.md, "Reports")."""
    cells: list[Cell] = []
    zone = import_zone()
    for name in conn.execute(select(zone).distinct()).scalars().all():
        named = zone.is_(None) if name is None else zone == name
        mine = and_(where_, r.import_id.in_(select(i.id).where(named)))
        month = month_of(conn, mine, r.at, zone_of(name)).label("month")
        keys = (PURPOSE_CLASS.label("purpose_class"), r.agency, r.organisation, r.org_type)
        inner = select(month, *keys, r.decision, r.finding).where(mine).subquery()
        columns = list(inner.c)
        found = conn.execute(select(*columns, func.count()).group_by(*columns)).all()
        names = [c.name for c in columns]
        cells += [{**dict(zip(names, f[:-1], strict=True)), "count": int(f[-1])} for f in found]
    return cells


def tally_of(cells: Sequence[Cell], key: str) -> list[dict[str, Any]]:
    """The cube's ``cells`` added up per ``key`` (``KEYS``), ordered by it (None last):
    each group's key values and ``COUNTS``."""
    names = KEYS[key]
    groups: dict[tuple[Any, ...], dict[str, int]] = {}
    for cell in cells:
        into = groups.setdefault(tuple(cell[n] for n in names), dict.fromkeys(COUNTS, 0))
        n = cell["count"]
        into["rows"] += n
        into[cell["purpose_class"]] += n
        into[_DECIDED[cell["decision"]]] += n
        into["findings"] += n if cell["finding"] else 0
    ordered = sorted(groups, key=lambda k: [(v is None, "" if v is None else v) for v in k])
    return [{**dict(zip(names, k, strict=True)), **groups[k]} for k in ordered]


def tallies(
    conn: Connection, where_: ColumnElement[bool], keys: Sequence[str] = tuple(KEYS)
) -> dict[str, list[dict[str, Any]]]:
    """The selected rows counted per each of ``keys`` (``tally_of``), from one ``cube``."""
    cells = cube(conn, where_)
    return {k: tally_of(cells, k) for k in keys}


def not_judged(conn: Connection, where_: ColumnElement[bool]) -> list[dict[str, Any]]:
    """The selected rows not judged, counted by why (``WHY_NOT``, from the reason the
    import recorded: no pack for the agency's jurisdiction, no usable time, no purpose
    could be formed, the searching organisation's type unknown), each with that reason."""
    why = case(
        *((r.reason == text, literal(code)) for text, code in WHY_NOT.items()),
        else_=literal("other"),
    ).label("why")
    chosen = and_(where_, r.decision == "not_judged")
    query = select(why, r.reason, func.count()).where(chosen).group_by(why, r.reason)
    found = sorted(conn.execute(query).all(), key=lambda f: (str(f[0]), str(f[1])))
    return [{"why": w, "meaning": m, "rows": int(n)} for w, m, n in found]


def source_rows(
    conn: Connection,
    where_: ColumnElement[bool],
    limit: int | None = None,
    signed: IndexReader | None = None,
) -> list[dict[str, Any]]:
    """The selected rows as a person reads them, by import then row (``limit``: at most)."""
    source = audit_rows.join(audit_imports, i.id == r.import_id)
    query = (
        select(audit_rows, i.file_name, import_zone().label("zone"))
        .select_from(source)
        .where(where_)
        .order_by(r.import_id, r.row)
    )
    if limit == 0:
        return []
    if limit is not None:
        query = query.limit(limit)
    found = [dict(f._mapping) for f in conn.execute(query)]
    return [shown(f) for f in verified(conn, found, signed)]


def shown(row: dict[str, Any]) -> dict[str, Any]:
    """A row of ``audit_rows`` (with its import's ``file_name`` and ``zone``), checked
    against its entry (``audit_verified.verified``: with its ``exported`` part), as served:
    the row's own ``stated_reason`` and fields as exported, and the audit's
    ``judgement_note`` (why it was not judged, waits, or failed: not the row's reason)."""
    at = row["at"]
    exported = row["exported"]
    return {
        "import": row["import_id"],
        "file_name": row["file_name"],
        "row": row["row"],
        "line": row["line"],
        "ledger_index": row["ledger_index"],
        "source_id": row["source_id"],
        "at": None if at is None else render(at, zone_of(row["zone"])),
        "kind": row["kind"],
        "agency": row["agency"],
        "organisation": row["organisation"],
        "org_type": row["org_type"],
        "org_jurisdiction": row["org_jurisdiction"],
        "purposes": json.loads(row["purposes"]),
        "immigration": row["immigration"],
        "rule": row["rule"],
        "reviewed": row["reviewed"],
        "decision": row["decision"],
        "basis": row["basis"],
        "finding": row["finding"],
        "citations": json.loads(row["citations"]),
        "judgement_note": row["reason"],
        "stated_reason": exported["stated_reason"],
        "exported_fields": exported["fields"],
        "redacted": exported["redacted"],
        "erased": exported["erased"],
    }


def imports(
    conn: Connection, only: str | None = None, signed: IndexReader | None = None
) -> list[dict[str, Any]]:
    """Every complete import (or the one ``only`` names), newest first, with its
    provenance and options (its ``document``) and how many of its rows are findings; each
    checked against its ``audit_import`` entry (``audit_verified.verified_imports``)."""
    findings = (
        select(func.count())
        .where(r.import_id == i.id, r.finding.is_(True))
        .scalar_subquery()
        .label("findings")
    )
    query = select(audit_imports, findings).where(i.ledger_index.is_not(None))
    if only is not None:
        query = query.where(i.id == only)
    query = query.order_by(i.imported_at.desc(), i.id)
    found = [dict(f._mapping) for f in conn.execute(query)]
    return [_import(f) for f in verified_imports(conn, found, signed)]


def _import(row: dict[str, Any]) -> dict[str, Any]:
    document = json.loads(row["document"])
    options = document.get("options") or {}
    name = zone_name(row["timezone"], row["pack"])
    zone = zone_of(name)
    return {
        "id": row["id"],
        "file_name": row["file_name"],
        "file_sha256": row["file_sha256"],
        "format": row["format"],
        "pack": row["pack"],
        "view": options.get("view"),
        "agency": row["agency"],
        "timezone": row["timezone"],
        "zone": name or "UTC",
        "rules_version": row["rules_version"],
        "ledger_index": row["ledger_index"],
        "rows": row["rows"],
        "bad_rows": row["bad_rows"],
        "findings": int(row["findings"]),
        "imported_at": render(row["imported_at"], zone),
        "options": options,
        # The import's entry names the first ``records.BAD_ROWS_LISTED`` bad rows
        # (``file:line: field: message``) and counts them all (``bad_rows``).
        "bad_rows_listed": [str(p) for p in document.get("bad_rows_listed") or []],
        "counts": document.get("counts") or {},
    }


def one_import(conn: Connection, ident: str, signed: IndexReader | None = None) -> dict[str, Any]:
    """The complete import ``ident``; ``NotFound`` naming it."""
    found = imports(conn, ident, signed)
    if not found:
        raise NotFound(f"no import {ident!r}", field="id")
    return found[0]
