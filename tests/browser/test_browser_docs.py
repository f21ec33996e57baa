"""The API's documentation works offline in a real browser (issue 11, "done when"): all it
loads comes from the server (or the page: ``blob:``, ``data:``; ReDoc's attempt at its
vendor's logo is blocked by the page's Content-Security-Policy), and Swagger UI and ReDoc
draw the operations."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from browser_fixtures import Live


def test_docs_render_offline(page: Page, live: Live) -> None:
    elsewhere: list[str] = []
    page.on(
        "response",
        lambda r: (
            None if r.url.startswith((live.url, "blob:", "data:")) else elsewhere.append(r.url)
        ),
    )
    page.goto(live.at("/docs"))
    expect(page.locator(".opblock").first).to_be_visible(timeout=15_000)
    assert page.locator(".opblock").count() > 20
    assert elsewhere == [], elsewhere


def test_redoc_renders_offline(page: Page, live: Live) -> None:
    elsewhere: list[str] = []
    page.on(
        "response",
        lambda r: (
            None if r.url.startswith((live.url, "blob:", "data:")) else elsewhere.append(r.url)
        ),
    )
    page.goto(live.at("/redoc"))
    expect(page.get_by_role("heading", name=re.compile(r"^liaison"))).to_be_visible(timeout=15_000)
    assert page.locator("[data-section-id^='tag/']").count() > 5
    assert elsewhere == [], elsewhere
