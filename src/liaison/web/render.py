"""Rendering a page (issue 11, items 1 and 3): one Jinja2 environment over the package's
templates (autoescaped), the context every page shares (the reader, the latest signed
checkpoint, the pack's zone, the navigation), and ``page``, which answers a page's route
as HTML, or its data as JSON (``?format=json``) or CSV (``?format=csv``, for a table).

Every page is sent with a Content-Security-Policy that allows only the site's own scripts,
styles and images: nothing is loaded from elsewhere."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from liaison import __version__
from liaison.errors import InvalidRequest
from liaison.ledger.signing import StoredCheckpoint
from liaison.reports.query_formats import table_csv
from liaison.web import links
from liaison.web.formatting import DEFAULT_ZONE, local_text, number, when

ENV = Environment(
    loader=PackageLoader("liaison.web", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.filters["number"] = number
ENV.filters["local"] = local_text
ENV.globals["when"] = when
ENV.globals.update(
    records_href=links.records_href,
    page_of_query=links.page_of_query,
    decision_href=links.decision_href,
    encounter_href=links.encounter_href,
    directive_href=links.directive_href,
)

HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
# (path, label, who sees the link: "all", or the roles that may read the page)
NAV: tuple[tuple[str, str, str], ...] = (
    ("/", "Home", "all"),
    ("/public", "Public figures", "all"),
    ("/directives", "Directives", "all"),
    ("/charts", "Charts", "records"),
    ("/decisions", "Decisions", "records"),
    ("/events", "Events", "records"),
    ("/encounters", "Encounters", "records"),
    ("/reports", "Reports", "auditor"),
    ("/audit", "Audits", "all"),
    ("/docs", "API", "all"),
)
FORMATS = ("html", "json", "csv")


def latest_checkpoint(request: Request) -> StoredCheckpoint | None:
    """The newest kept signed checkpoint, read once per request (the page and the shared
    context both show it); never signed here."""
    if not hasattr(request.state, "kept_checkpoint"):
        services = getattr(request.app.state, "services", None)
        found = None if services is None else services.gateway.ledger.latest_checkpoint()
        request.state.kept_checkpoint = found
    kept: StoredCheckpoint | None = request.state.kept_checkpoint
    return kept


def shared_context(request: Request) -> dict[str, Any]:
    """What every template may use: the reader, the checkpoint, the zone, the navigation.
    The zone is the pack's, or the default while none is in force (``gateway.rules``: an
    error page must render while the service refuses, e.g. its database disagrees with
    the ledger)."""
    services = getattr(request.app.state, "services", None)
    engine = None if services is None else services.gateway.rules.engine
    zone = DEFAULT_ZONE if engine is None else str(engine.pack.timezone)  # its IANA name
    return {
        "request": request,
        "viewer": getattr(request.state, "viewer", None),
        "csrf": getattr(request.state, "csrf", None),
        "checkpoint": latest_checkpoint(request),
        "zone": zone,
        "nav": NAV,
        "path": request.url.path,
        "version": __version__,
    }


def render_template(request: Request, template: str, context: Mapping[str, Any]) -> str:
    """``template`` rendered with the shared context and ``context`` (which wins)."""
    return ENV.get_template(template).render({**shared_context(request), **context})


def page(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    data: Any,
    *,
    table: tuple[Sequence[str], Sequence[Sequence[Any]]] | None = None,
    filename: str = "data",
) -> Response:
    """The page (HTML), or its ``data`` as JSON, or its ``table`` (columns, rows) as CSV,
    as ``?format=`` asks; a format the page has not is refused, naming it."""
    wanted = request.query_params.get("format", "html")
    if wanted not in FORMATS or (wanted == "csv" and table is None):
        offered = "html, json" + (", csv" if table is not None else "")
        raise InvalidRequest("format", f"format: this page offers {offered}")
    if wanted == "json":
        return JSONResponse(data, headers=HEADERS)
    if wanted == "csv":
        assert table is not None
        headers = {**HEADERS, "Content-Disposition": f'attachment; filename="{filename}.csv"'}
        return Response(table_csv(*table), media_type="text/csv; charset=utf-8", headers=headers)
    return HTMLResponse(render_template(request, template, context), headers=HEADERS)
