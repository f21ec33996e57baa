"""The API's documentation pages, offline (issue 11, item 1): Swagger UI at ``/docs`` and
ReDoc at ``/redoc``, their scripts and styles served from the ``fastapi-offline`` package
under ``/static/docs/`` (never a CDN; ReDoc without Google's fonts)."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse

ASSETS = Path(fastapi_offline.__file__).parent / "static"
PREFIX = "/static/docs"
router = APIRouter(include_in_schema=False)
# Their pages run inline scripts and styles of their own; everything else only from here
# (ReDoc's sidebar would otherwise fetch a logo from Redocly's CDN).
CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


def _offline(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = CSP
    page.headers["X-Content-Type-Options"] = "nosniff"
    return page


@router.get("/docs")
def swagger_ui() -> HTMLResponse:
    """Swagger UI over ``/openapi.json``."""
    return _offline(
        get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="liaison API",
            swagger_js_url=f"{PREFIX}/swagger-ui-bundle.js",
            swagger_css_url=f"{PREFIX}/swagger-ui.css",
            swagger_favicon_url=f"{PREFIX}/favicon.png",
        )
    )


@router.get("/redoc")
def redoc() -> HTMLResponse:
    """ReDoc over ``/openapi.json``."""
    return _offline(
        get_redoc_html(
            openapi_url="/openapi.json",
            title="liaison API",
            redoc_js_url=f"{PREFIX}/redoc.standalone.js",
            redoc_favicon_url=f"{PREFIX}/favicon.png",
            with_google_fonts=False,
        )
    )
