"""The pages on the API's app (issue 11): the package's static files under ``/static``
(the API docs' assets under ``/static/docs``), and each page module's router."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from liaison.web import (
    api_docs,
    audit_pages,
    charts,
    checkpoint_page,
    decision_page,
    directives_page,
    encounter_page,
    home,
    lists,
    public_page,
    report_pages,
    signin,
)

STATIC = Path(__file__).parent / "static"
# One router per page module (docs/pages.md); each module holds a module-level ``router``.
PAGE_ROUTERS: tuple[APIRouter, ...] = (
    api_docs.router,
    signin.router,
    home.router,
    checkpoint_page.router,
    directives_page.router,
    charts.router,
    lists.router,
    decision_page.router,
    encounter_page.router,
    report_pages.router,
    audit_pages.router,
    public_page.router,
)


def install_pages(app: FastAPI) -> None:
    """Mount the static files and include every page's routes (not in the OpenAPI
    document: pages are not the API)."""
    app.mount(api_docs.PREFIX, StaticFiles(directory=api_docs.ASSETS), name="docs-assets")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in PAGE_ROUTERS:
        app.include_router(router, include_in_schema=False)
