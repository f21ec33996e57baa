"""The lists of records (issue 11, item 1: "lists of decisions, events and encounters with
the oversight issue's filters, pagination and CSV download; a click from any count to the
records behind it"): ``/decisions``, ``/events``, ``/encounters``.

Each is ``GET /v1/decisions`` (``events``, ``encounters``) as a page: the same filters
under the same names (``record_filters``), the same page of the same query
(``reports.query.page``) within what the reader may read, the same keyset cursor for the
next page. ``?format=csv`` downloads every row the filter selects, streamed page by page
through that query (``reports.query.every_page``; no cap), in the API's CSV columns;
``?format=json`` is the page's data. Records readers only (officers, supervisors,
auditors), each within ``Principal.may_read``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from liaison.api.deps import RECORD_READERS, Svc
from liaison.errors import InvalidRequest
from liaison.gateway.auth import Principal
from liaison.gateway.service import Gateway
from liaison.reports.query import DECISIONS, Listing, every_page, page
from liaison.reports.query_encounters import ENCOUNTERS
from liaison.reports.query_events import EVENTS
from liaison.reports.query_filter import Filter
from liaison.reports.query_formats import csv_text
from liaison.web import links, render
from liaison.web.error_pages import is_page
from liaison.web.formatting import DEFAULT_ZONE
from liaison.web.record_filters import (
    Asked,
    form_fields,
    limit_options,
    parse,
    read_asked,
    shown_limit,
)
from liaison.web.record_words import HELPERS
from liaison.web.viewer import Viewer, require_reader

router = APIRouter()
TEMPLATE = "lists.html.j2"
TITLES = {"decisions": "Decisions", "events": "Events", "encounters": "Encounters"}
# An event flagged so cites a decision that is not its actor's own.
NOT_OWN = ("decision_by_another_actor", "decision_not_found")


LISTINGS: dict[str, Listing] = {"decisions": DECISIONS, "events": EVENTS, "encounters": ENCOUNTERS}


@router.get("/decisions")
def decisions_page(request: Request, who: Viewer, svc: Svc) -> Response:
    """The decisions the filter selects (``GET /v1/decisions``), a page at a time."""
    return records_page(request, who, svc.gateway, "decisions")


@router.get("/events")
def events_page(request: Request, who: Viewer, svc: Svc) -> Response:
    """The recorded events the filter selects (``GET /v1/events``), a page at a time."""
    return records_page(request, who, svc.gateway, "events")


@router.get("/encounters")
def encounters_page(request: Request, who: Viewer, svc: Svc) -> Response:
    """The encounters the filter selects (``GET /v1/encounters``), a page at a time."""
    return records_page(request, who, svc.gateway, "encounters")


def records_page(request: Request, who: Principal | None, gw: Gateway, kind: str) -> Response:
    """The page of ``kind`` records asked, its data (JSON) or all its rows (CSV); a bad
    filter is the form again, naming it (422)."""
    reader = require_reader(who, *RECORD_READERS)
    listing = LISTINGS[kind]
    asked = read_asked(request)
    try:
        wanted, limit = parse(asked, listing, _zone(gw))
        if request.query_params.get("format") == "csv":
            return download(gw, reader, wanted, listing)
        found = page(gw.db, gw.index, reader, wanted, limit, asked.cursor, listing)
    except InvalidRequest as error:
        if not is_page(request):
            raise
        body = render.render_template(request, TEMPLATE, _context(gw, kind, asked, error=error))
        return HTMLResponse(body, status_code=422, headers=render.HEADERS)
    path = f"/{kind}"
    hrefs = {
        "first": asked.href(path) if asked.cursor else None,
        "next": asked.href(path, cursor=found.next_cursor) if found.next_cursor else None,
        "csv": asked.href(path, limit=None, format="csv"),
        "json": asked.href(path, cursor=asked.cursor, format="json"),
    }
    context = _context(gw, kind, asked, items=found.items, total=found.total, hrefs=hrefs)
    data = {
        "kind": kind,
        "filters": asked.given,
        "total": found.total,
        "items": found.items,
        "next_cursor": found.next_cursor,
        "links": hrefs,
    }
    return render.page(request, TEMPLATE, context, data)


def _context(gw: Gateway, kind: str, asked: Asked, **more: Any) -> dict[str, Any]:
    policy = gw.rules.engine  # none while the service refuses to decide: lists are still read
    views = sorted(policy.pack.views) if policy is not None else []
    fields = form_fields(LISTINGS[kind], asked, views)
    return {
        "kind": kind,
        "title": TITLES[kind],
        "fields": [f for f in fields if not f.more],
        "more_fields": [f for f in fields if f.more],
        "limit": shown_limit(asked),
        "limits": limit_options(asked),
        "error": None,
        "cited_decision_href": cited_decision_href,
        **HELPERS,
        **more,
    }


def cited_decision_href(decision_id: str | None, actor: str, flagged: str | None) -> str | None:
    """The page of the decision an event cites: its actor's own (decision ids are per
    actor), unless the event was flagged as citing another's or one not found."""
    if decision_id is None:
        return None
    return links.decision_href(decision_id, None if flagged in NOT_OWN else actor)


def download(gw: Gateway, who: Principal, wanted: Filter, listing: Listing) -> Response:
    """Every row ``wanted`` selects as CSV in the API's columns, streamed a page at a time
    (the first page is read before the answer starts, so a refusal is still an error)."""
    pages = every_page(gw.db, gw.index, who, wanted, listing)
    first = next(pages, [])
    columns = listing.csv_columns

    def chunks() -> Iterator[str]:
        yield csv_text(first, columns)
        for items in pages:
            yield csv_text(items, columns, header=False)

    name = listing.filters.name
    headers = {**render.HEADERS, "Content-Disposition": f'attachment; filename="{name}.csv"'}
    return StreamingResponse(chunks(), media_type="text/csv; charset=utf-8", headers=headers)


def _zone(gw: Gateway) -> ZoneInfo:
    policy = gw.rules.engine
    return policy.pack.timezone if policy is not None else ZoneInfo(DEFAULT_ZONE)
