"""Audits of other systems' logs (issue 13, item 4; docs/api.md, "Audits"):
``GET /v1/audit/imports`` and ``/v1/audit/imports/{id}`` (what was imported, with its
provenance), ``GET /v1/audit/rows`` (the audited rows a filter selects, a page at a time)
and ``GET /v1/audit/summary`` (the counts). Audited rows carry personal data (user ids,
plates, free-text reasons): only auditors read imports and rows; every other key reads the
summary's public form, counts with small cells suppressed (``reports.audit_public``). Nothing
is served while the service knows its database disagrees with the ledger (503)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from liaison.api.deps import Svc, Who
from liaison.api.errors import error_responses
from liaison.api.routes.queries import filter_values
from liaison.errors import Forbidden, IntegrityFailure, InvalidRequest, NotFound, Unauthenticated
from liaison.gateway.auth import Principal
from liaison.gateway.roles import KeyRole
from liaison.reports import audit_filter, audit_query
from liaison.reports.audit_listing import AUDIT_ROWS
from liaison.reports.audit_report import build
from liaison.reports.query import MAX_LIMIT, page
from liaison.reports.query_filter import MAX_TEXT, Filter
from liaison.reports.query_formats import MEDIA_TYPES, items_text
from liaison.web.audit_pages import kept_summary

router = APIRouter(tags=["audit"])
Format = Literal["json", "csv", "jsonl"]
_OWN = frozenset({"format", "limit", "cursor"})
_ERRORS = error_responses(Unauthenticated, Forbidden, InvalidRequest, IntegrityFailure)
_FILTER_DOC = {
    "import": "of this import (its id)",
    "agency": "of this agency",
    "organisation": "searched by this organisation",
    "finding": "`yes`: findings (denied); `no`: the other rows",
    "decision": "permit, deny, not_judged or review",
    "purpose_class": "immigration, other, review or unknown",
    "from": "at or after this instant (RFC 3339, with offset), or from this month (YYYY-MM, "
    "in each agency's zone)",
    "to": "before this instant, or before this month (YYYY-MM) starts",
}
PARAMETERS = [
    {
        "name": key,
        "in": "query",
        "required": False,
        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT},
        "description": doc + ("" if key in ("from", "to") else " (comma-separated: any of them)"),
    }
    for key, doc in _FILTER_DOC.items()
]


def wanted_filter(svc: Svc, given: dict[str, str]) -> Filter:
    """The filter ``given`` asks for; ``InvalidRequest`` naming a bad key or value."""
    with svc.gateway.db.connect() as conn:
        return audit_filter.parse(given, audit_filter.imports_zones(conn))


def _auditor(svc: Svc, who: Principal) -> None:
    who.require(KeyRole.AUDITOR)
    svc.gateway.refuse_untrusted_index("audit")


@router.get("/v1/audit/imports", responses=_ERRORS)
def list_imports(svc: Svc, who: Who) -> dict[str, Any]:
    """Every complete import, newest first: the file's name, SHA-256 and format, the agency,
    pack and zone, the options and the rows that could not be read, its ledger entry, how
    many rows and findings (auditors)."""
    _auditor(svc, who)
    with svc.gateway.db.connect() as conn:
        return {"imports": audit_query.imports(conn, signed=svc.gateway.index)}


@router.get("/v1/audit/imports/{ident}", responses={**_ERRORS, **error_responses(NotFound)})
def get_import(
    ident: Annotated[str, Path(min_length=1, max_length=80)], svc: Svc, who: Who
) -> dict[str, Any]:
    """One import (as listed), its rows counted by purpose class and decision, and its
    findings (auditors); 404 for an id no complete import has."""
    _auditor(svc, who)
    with svc.gateway.db.connect() as conn:
        found = audit_query.one_import(conn, ident, svc.gateway.index)
        zones = audit_filter.imports_zones(conn)
        wanted = audit_filter.parse({"import": ident}, zones)
        where = audit_query.condition(wanted, who)
        counts = audit_query.tallies(conn, where, ("purpose_class", "decision"))
        chosen = audit_filter.parse({"import": ident, "finding": "yes"}, zones)
        finds = audit_query.condition(chosen, who)
        findings = audit_query.source_rows(conn, finds, signed=svc.gateway.index)
    return {"import": found, "counts": counts, "findings": findings}


@router.get("/v1/audit/rows", openapi_extra={"parameters": PARAMETERS}, responses=_ERRORS)
def list_rows(
    request: Request,
    svc: Svc,
    who: Who,
    format: Format = "json",
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    cursor: Annotated[str | None, Query(min_length=1, max_length=512)] = None,
) -> Response:
    """The audited rows the filter selects (auditors), by time (in each agency's zone, with
    offset; a row without a time last), then import and row, `limit` to a page;
    `next_cursor` (JSON) or `Liaison-Next-Cursor` (CSV, JSON lines) continues after it and
    `total` (or `Liaison-Total`) counts them all."""
    _auditor(svc, who)
    given = filter_values(request, _OWN)
    gw = svc.gateway
    found = page(gw.db, gw.index, who, wanted_filter(svc, given), limit, cursor, AUDIT_ROWS)
    if format == "json":
        body = {"items": found.items, "total": found.total, "next_cursor": found.next_cursor}
        return JSONResponse(body)
    headers = {"Liaison-Total": str(found.total)}
    if found.next_cursor is not None:
        headers["Liaison-Next-Cursor"] = found.next_cursor
    text = items_text(found.items, format, AUDIT_ROWS.csv_columns)
    return Response(text, media_type=MEDIA_TYPES[format], headers=headers)


@router.get("/v1/audit/summary", responses=error_responses(Unauthenticated, IntegrityFailure))
def summary(svc: Svc, who: Who) -> JSONResponse:
    """The counts of every complete import's rows. An auditor reads them exactly (the
    `liaison audit report` JSON without its rows: by purpose class, agency, organisation,
    month and decision, and the rows not judged by why); every other key reads the public
    tables, small counts suppressed (`<11`, `withheld`)."""
    svc.gateway.refuse_untrusted_index("audit")
    if who.role is not KeyRole.AUDITOR:
        return JSONResponse({"public": True, **kept_summary(svc.gateway.db, svc.gateway.ledger)})
    doc = build(svc.gateway.db, wanted_filter(svc, {}), who, {}, 0)
    listed = {"findings", "review_queue", "not_judged_rows"}
    counts = doc.model_dump(mode="json", by_alias=True, exclude=listed)
    return JSONResponse({"public": False, **counts})
