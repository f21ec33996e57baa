"""Errors on pages (issue 11): the same ``LiaisonError`` the API answers in its one JSON
shape, shown to a person as a page; an anonymous reader of a page that needs a key is sent
to sign in. A page asked for ``?format=json`` or ``csv``, or by a client that does not
accept HTML (``Accept``), gets the JSON shape."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from liaison.web.render import HEADERS, render_template

API_PREFIXES = ("/v1/", "/healthz", "/livez", "/readyz", "/metrics", "/openapi.json", "/static/")


def is_page(request: Request) -> bool:
    """Whether ``request`` asked for a page (HTML), not the API or a page's data."""
    if request.url.path.startswith(API_PREFIXES):
        return False
    if "text/html" not in request.headers.get("accept", ""):
        return False
    return request.query_params.get("format", "html") == "html"


def error_page(request: Request, status: int, code: str, message: str) -> Response:
    """The page for an error: a redirect to sign in (401), else the error, named."""
    if status == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/signin?next={quote(target, safe='')}", status_code=303)
    body = render_template(
        request, "error.html.j2", {"status": status, "code": code, "message": message}
    )
    return HTMLResponse(body, status_code=status, headers=HEADERS)
