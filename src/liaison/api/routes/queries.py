"""Querying the records (docs/api.md, "Querying the records"; issue 10, item 1):
``GET /v1/decisions``, ``/v1/events`` and ``/v1/encounters`` list them and
``GET /v1/stats/decisions`` (``events``, ``encounters``) counts them, over the same filters
(``liaison.reports.query_filter``), within what the key may read."""

from collections.abc import Callable
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
from liaison.reports.query import DECISIONS, MAX_LIMIT, Listing, counts, page, parse_group_by
from liaison.reports.query_encounters import ENCOUNTERS
from liaison.reports.query_events import EVENTS
from liaison.reports.query_filter import MAX_TEXT, Filter, parse_filter
from liaison.reports.query_formats import MEDIA_TYPES, counts_text, items_text

router = APIRouter(tags=["queries"])
Format = Literal["json", "csv", "jsonl"]
_OWN = frozenset({"format", "limit", "cursor", "group_by"})
_FILTER_DOC = {
    "from": "at or after this instant (RFC 3339, with an offset; encounters: started)",
    "to": "before this instant (RFC 3339, with an offset; encounters: started)",
    "directive": "cites this directive (with `section`: this section of it)",
    "section": "cites this section",
    "purpose": "one of the request's purposes",
    "actor": "the actor's id",
    "district": "under an encounter in this district (encounters: in this district)",
    "encounter": "under the encounter of this id",
    "encounter_kind": "under an encounter of this kind (traffic_stop, checkpoint, ...)",
    "decision": "citing the decision of this id",
    "flag": "flagged so (`any`: flagged at all; `none`: not flagged)",
    "unit": "by this unit (encounters: opened by it or naming it as a participant)",
    "agency_type": "declaring an agency of this type",
    "agency": "declaring this agency",
}
_ERRORS = error_responses(Unauthenticated, Forbidden, InvalidRequest, IntegrityFailure, LedgerError)


def filter_parameters(listing: Listing) -> list[dict[str, Any]]:
    """The OpenAPI parameters of ``listing``'s filters."""
    return [
        {
            "name": key,
            "in": "query",
            "required": False,
            "schema": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT},
            "description": _FILTER_DOC.get(key, f"the `{key}` is this value")
            + ("" if key in ("from", "to") else " (comma-separated: any of them)"),
        }
        for key in listing.filters.filter_keys
    ]


def request_filter(request: Request, listing: Listing) -> Filter:
    """The filter in the query string (``filter_values``)."""
    return parse_filter(listing.filters, filter_values(request))


def filter_values(request: Request, own: frozenset[str] = _OWN) -> dict[str, str]:
    """Every parameter of the query string but the route's ``own``; a key given twice is
    refused, naming it."""
    given: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        if key in own:
            continue
        if key in given:
            raise InvalidRequest(key, f"{key}: given more than once")
        given[key] = value
    return given


def list_records(
    listing: Listing,
    request: Request,
    svc: Svc,
    who: Who,
    format: Format,
    limit: int,
    cursor: str | None,
) -> Response:
    """A page of ``listing``'s records, in ``format``."""
    who.require(*RECORD_READERS)
    wanted = request_filter(request, listing)
    gw = svc.gateway
    found = page(gw.db, gw.index, who, wanted, limit, cursor, listing)
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
    text = items_text(found.items, format, listing.csv_columns)
    return Response(text, media_type=MEDIA_TYPES[format], headers=headers)


def record_stats(
    listing: Listing, request: Request, svc: Svc, who: Who, group_by: str, format: Format
) -> Response:
    """The counts of ``listing``'s records per group, in ``format``; none while the
    service knows its database disagrees with the ledger."""
    who.require(*RECORD_READERS)
    wanted = request_filter(request, listing)
    svc.gateway.refuse_untrusted_index("counts")
    answer = counts(svc.gateway.db, who, wanted, parse_group_by(group_by, listing), listing)
    if format == "json":
        return JSONResponse(answer)
    headers = {"Liaison-Total": str(answer["total"])}
    return Response(counts_text(answer, format), media_type=MEDIA_TYPES[format], headers=headers)


Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, Query(min_length=1, max_length=512)]
_ORDER = {
    "decisions": "in the order they were decided",
    "events": "in the order they happened",
    "encounters": "in the order they started (never started: last)",
}


def _routes(listing: Listing) -> None:
    """``GET /v1/<name>`` and ``GET /v1/stats/<name>`` for ``listing``."""
    name = listing.filters.name
    parameters = {"parameters": filter_parameters(listing)}

    def listed(
        request: Request, svc: Svc, who: Who, format: Format = "json", limit: Limit = 100,
        cursor: Cursor = None,
    ) -> Response:  # fmt: skip
        return list_records(listing, request, svc, who, format, limit, cursor)

    keys = Annotated[
        str, Query(min_length=1, max_length=256, description=", ".join(listing.group_keys))
    ]

    def stats(
        request: Request, svc: Svc, who: Who, group_by: keys, format: Format = "json"
    ) -> Response:
        return record_stats(listing, request, svc, who, group_by, format)

    listed.__doc__ = _LIST_DOC.format(name=name, order=_ORDER[name])
    stats.__doc__ = _STATS_DOC.format(name=name)
    _add(f"/v1/{name}", f"list_{name}", listed, parameters, f"A page of the {name}")
    _add(f"/v1/stats/{name}", f"{name}_stats", stats, parameters, "The counts per group")


def _add(
    path: str, name: str, endpoint: Callable[..., Response], extra: dict[str, Any], said: str
) -> None:
    endpoint.__name__ = name
    responses: dict[int | str, dict[str, Any]] = {200: {"description": said}, **_ERRORS}
    router.add_api_route(path, endpoint, methods=["GET"], openapi_extra=extra, responses=responses)


_LIST_DOC = """The recorded {name} the filter selects that the key may read (auditors: all;
    supervisors: their own and their unit's; officers: their own), {order}, `limit` to a
    page. `next_cursor` (JSON) or the `Liaison-Next-Cursor` header (CSV, JSON lines)
    continues after the page; `total` (or `Liaison-Total`) counts them all. Each row is
    checked against its ledger entry before it is served."""
_STATS_DOC = """How many recorded {name} the filter selects, within what the key may read,
    per combination of the `group_by` keys (comma-separated; `month` is the calendar month
    in D.C.'s zone, America/New_York), and the total. Counts come from the index (which
    `liaison ledger verify` checks row by row), not from each entry: while the service
    knows its database disagrees with the ledger, none are served (503)."""

for _listing in (DECISIONS, EVENTS, ENCOUNTERS):
    _routes(_listing)
