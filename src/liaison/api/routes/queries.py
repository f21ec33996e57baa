"""Querying recorded decisions (docs/api.md, "Querying decisions"; issue 10, item 1):
``GET /v1/decisions`` lists them and ``GET /v1/stats/decisions`` counts them, over the same
filters (``liaison.reports.query_filter``), within what the key may read."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from liaison.api.deps import RECORD_READERS, Svc, Who
from liaison.api.errors import error_responses
from liaison.errors import (
    Forbidden,
    IntegrityFailure,
    InvalidRequest,
    LedgerError,
    Unauthenticated,
)
from liaison.reports.query import GROUP_KEYS, MAX_LIMIT, counts, page, parse_group_by
from liaison.reports.query_filter import FILTER_KEYS, MAX_TEXT, DecisionFilter, parse_filter
from liaison.reports.query_formats import MEDIA_TYPES, counts_text, decisions_text

router = APIRouter(tags=["queries"])
Format = Literal["json", "csv", "jsonl"]
_OWN = frozenset({"format", "limit", "cursor", "group_by"})
_FILTER_DOC = {
    "from": "decided at or after this instant (RFC 3339, with an offset)",
    "to": "decided before this instant (RFC 3339, with an offset)",
    "directive": "cites this directive (with `section`: this section of it)",
    "section": "cites this section",
    "purpose": "one of the request's purposes",
    "actor": "the actor's id",
    "district": "under an encounter in this district",
    "encounter": "under the encounter of this id",
    "encounter_kind": "under an encounter of this kind (traffic_stop, checkpoint, ...)",
}
FILTER_PARAMETERS = [
    {
        "name": key,
        "in": "query",
        "required": False,
        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT},
        "description": _FILTER_DOC.get(key, f"the decision's `{key}` is this value")
        + ("" if key in ("from", "to") else " (comma-separated: any of them)"),
    }
    for key in FILTER_KEYS
]
_ERRORS = error_responses(Unauthenticated, Forbidden, InvalidRequest, IntegrityFailure, LedgerError)


def request_filter(request: Request) -> DecisionFilter:
    """The filter in the query string: every parameter but the route's own; a key given
    twice is refused, naming it."""
    given: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        if key in _OWN:
            continue
        if key in given:
            raise InvalidRequest(key, f"{key}: given more than once")
        given[key] = value
    return parse_filter(given)


@router.get(
    "/v1/decisions",
    openapi_extra={"parameters": FILTER_PARAMETERS},
    responses={200: {"description": "A page of the decisions the filter selects"}, **_ERRORS},
)
def list_decisions(
    request: Request,
    svc: Svc,
    who: Who,
    format: Format = "json",
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    cursor: Annotated[str | None, Query(min_length=1, max_length=512)] = None,
) -> Response:
    """The recorded decisions the filter selects that the key may read (auditors: all;
    supervisors: their own and their unit's; officers: their own), in the order they were
    decided, `limit` to a page. `next_cursor` (JSON) or the `Liaison-Next-Cursor` header
    (CSV, JSON lines) continues after the page; `total` (or `Liaison-Total`) counts them
    all. Each row is checked against its ledger entry before it is served."""
    who.require(*RECORD_READERS)
    wanted = request_filter(request)
    gw = svc.gateway
    found = page(gw.db, gw.index, who, wanted, limit, cursor)
    if format == "json":
        body: dict[str, Any] = {
            "items": found.items,
            "total": found.total,
            "next_cursor": found.next_cursor,
        }
        return JSONResponse(body)
    headers = {"Liaison-Total": str(found.total)}
    if found.next_cursor is not None:
        headers["Liaison-Next-Cursor"] = found.next_cursor
    text = decisions_text(found.items, format)
    return Response(text, media_type=MEDIA_TYPES[format], headers=headers)


@router.get(
    "/v1/stats/decisions",
    openapi_extra={"parameters": FILTER_PARAMETERS},
    responses={200: {"description": "The counts per group"}, **_ERRORS},
)
def decision_stats(
    request: Request,
    svc: Svc,
    who: Who,
    group_by: Annotated[
        str, Query(min_length=1, max_length=256, description=", ".join(GROUP_KEYS))
    ],
    format: Format = "json",
) -> Response:
    """How many recorded decisions the filter selects, within what the key may read,
    per combination of the `group_by` keys (comma-separated; `month` is the calendar
    month in D.C.'s zone, America/New_York), and the total. Counts come from the index
    (which `liaison ledger verify` checks row by row), not from each entry: while the
    service knows its database disagrees with the ledger, none are served (503)."""
    who.require(*RECORD_READERS)
    wanted = request_filter(request)
    fault = svc.gateway.rules.fault
    if fault is not None:
        raise IntegrityFailure(f"no counts while the database disagrees with the ledger: {fault}")
    answer = counts(svc.gateway.db, who, wanted, parse_group_by(group_by))
    if format == "json":
        return JSONResponse(answer)
    headers = {"Liaison-Total": str(answer["total"])}
    return Response(counts_text(answer, format), media_type=MEDIA_TYPES[format], headers=headers)
