"""The audits as pages (issue 13, item 4; docs/pages.md, "Audits"): ``/audit`` and
``/audit/imports/{id}``.

An auditor reads ``/audit`` as the report of audited rows (``reports.audit_report``): the
imports (each linked to its page), the counts by purpose class, agency, organisation,
month (in each agency's zone) and decision, the rows not judged and why, every finding
with its source row and citations, the review queue, and the rows themselves a page at a
time (``reports.audit_listing``); the rows are chosen by import, agency, finding, decision,
purpose class and month with query parameters (``?import=&agency=&finding=yes``), as
``GET /v1/audit/rows`` takes them. ``?format=json`` is the report; ``?format=csv`` every
selected row (streamed as the records' lists do). ``/audit/imports/{id}`` is one import:
its provenance (file name, SHA-256, format, options, the rows that could not be read), its
counts and its findings.

Audited rows carry personal data: anyone else (the public included) reads only
``/audit``'s counts, small cells suppressed (``reports.audit_public``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Engine

from liaison.api.deps import Svc
from liaison.gateway.auth import Principal
from liaison.gateway.roles import KeyRole
from liaison.ledger.log import Ledger
from liaison.reports import audit_filter, audit_query
from liaison.reports.audit_filter import DECISIONS, KEYS, PURPOSE_CLASSES
from liaison.reports.audit_listing import AUDIT_ROWS
from liaison.reports.audit_public import public_summary
from liaison.reports.audit_report import build
from liaison.reports.audit_tables import count_table, row_table
from liaison.reports.query import page as rows_page
from liaison.reports.suppression import MEANING, SHOWN, WITHHELD
from liaison.web import render
from liaison.web.cache import CACHE
from liaison.web.lists import download
from liaison.web.viewer import Viewer, require_reader

router = APIRouter()
ASKED = (*KEYS, "from", "to")
ROWS_PER_PAGE = 50
SHOWN_ROWS = 200  # findings and review-queue rows shown on the page (the rest: linked)


def kept_summary(db: Engine, ledger: Ledger) -> dict[str, Any]:
    """The public tables (``audit_public.public_summary``), kept per ledger size
    (``web.cache.CACHE``): every import and review appends to the ledger, so the same size
    means the same tables, and a reader without a key cannot make the server count a large
    import again and again."""
    size, _ = ledger.head()
    return CACHE.get(("audit-public", str(db.url), size), lambda: public_summary(db))


def _asked(request: Request) -> dict[str, str]:
    return {k: v for k in ASKED if (v := request.query_params.get(k, "").strip())}


@router.get("/audit")
def audit_page(request: Request, who: Viewer, svc: Svc) -> Response:
    """The audits: the report for an auditor, suppressed counts for everyone else."""
    gw = svc.gateway
    gw.refuse_untrusted_index("audit")
    if who is None or who.role is not KeyRole.AUDITOR:
        found = kept_summary(gw.db, gw.ledger)
        legend = {"small": (SHOWN, MEANING[SHOWN]), "withheld": (WITHHELD, MEANING[WITHHELD])}
        context = {"public": True, "summary": found, "legend": legend}
        return render.page(request, "audit.html.j2", context, {"public": True, **found})
    asked = _asked(request)
    with gw.db.connect() as conn:
        wanted = audit_filter.parse(asked, audit_filter.imports_zones(conn))
        choices = audit_query.imports(conn, signed=gw.index)
    if request.query_params.get("format") == "csv":
        return download(gw, who, wanted, AUDIT_ROWS)
    fmt = request.query_params.get("format")
    shown = None if fmt == "json" else SHOWN_ROWS
    doc = build(gw.db, wanted, who, asked, shown, gw.index, choices)
    cursor = request.query_params.get("cursor") or None
    rows = rows_page(gw.db, gw.index, who, wanted, ROWS_PER_PAGE, cursor, AUDIT_ROWS)
    context = {
        "public": False,
        "doc": doc,
        "asked": asked,
        "choices": choices,
        "decisions": DECISIONS,
        "classes": PURPOSE_CLASSES,
        "tables": doc.tables()[1:],
        "rows": rows,
        "next_href": _href({**asked, "cursor": rows.next_cursor}) if rows.next_cursor else None,
        "csv_href": _href({**asked, "format": "csv"}),
        "json_href": _href({**asked, "format": "json"}),
        "all_findings": _href({**asked, "finding": "yes", "format": "csv"}),
        "all_review": _href({**asked, "decision": "review"}),
        "shown_rows": SHOWN_ROWS,
    }
    return render.page(
        request, "audit.html.j2", context, doc.model_dump(mode="json", by_alias=True)
    )


@router.get("/audit/imports/{ident}")
def import_page(ident: str, request: Request, who: Viewer, svc: Svc) -> Response:
    """One import: its provenance, counts and findings (auditors)."""
    reader: Principal = require_reader(who, KeyRole.AUDITOR)
    gw = svc.gateway
    gw.refuse_untrusted_index("audit")
    with gw.db.connect() as conn:
        found = audit_query.one_import(conn, ident, gw.index)
        zones = audit_filter.imports_zones(conn)
        where = audit_query.condition(audit_filter.parse({"import": ident}, zones), reader)
        counts = audit_query.tallies(conn, where, ("purpose_class", "decision", "month"))
        finds = audit_filter.parse({"import": ident, "finding": "yes"}, zones)
        where = audit_query.condition(finds, reader)
        findings = audit_query.source_rows(conn, where, signed=gw.index)
    data: dict[str, Any] = {"import": found, "counts": counts, "findings": findings}
    context = {"found": found, "tables": _import_tables(counts, findings)}
    return render.page(request, "audit_import.html.j2", context, data)


def _import_tables(
    counts: dict[str, list[dict[str, Any]]], findings: list[dict[str, Any]]
) -> list[Any]:
    from liaison.reports.audit_report import KeyedCounts, SourceRow

    titles = {
        "purpose_class": "Rows by purpose class",
        "decision": "Rows by decision",
        "month": "Rows by month (in the agency's zone)",
    }
    out = [
        count_table(
            f"by-{k.replace('_', '-')}",
            titles[k],
            [k],
            [KeyedCounts(key=g[k], **{c: g[c] for c in g if c != k}) for g in groups],
        )
        for k, groups in counts.items()
    ]
    out.append(row_table("findings", "Findings", [SourceRow.model_validate(f) for f in findings]))
    return out


def _href(given: dict[str, str | None]) -> str:
    from urllib.parse import urlencode

    return "/audit?" + urlencode({k: v for k, v in given.items() if v})
