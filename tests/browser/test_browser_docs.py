"""The API's documentation works offline in a real browser (issue 11, "done when"): all it
loads comes from the server (or the page: ``blob:``, ``data:``; ReDoc's attempt at its
vendor's logo is blocked by the page's Content-Security-Policy), and Swagger UI and ReDoc
draw the operations."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, expect

from browser_fixtures import Live

# (path, what shows once the viewer has drawn, what it draws and more than how many)
VIEWERS = [
    ("/docs", lambda page: page.locator(".opblock").first, ".opblock", 20),
    (
        "/redoc",
        lambda page: page.get_by_role("heading", name=re.compile(r"^liaison")),
        "[data-section-id^='tag/']",
        5,
    ),
]


@pytest.mark.parametrize(("path", "ready", "drawn", "more_than"), VIEWERS, ids=["swagger", "redoc"])
def test_the_docs_render_offline(
    page: Page, live: Live, path: str, ready: Callable[[Page], Locator], drawn: str, more_than: int
) -> None:
    elsewhere: list[str] = []
    page.on(
        "response",
        lambda r: (
            None if r.url.startswith((live.url, "blob:", "data:")) else elsewhere.append(r.url)
        ),
    )
    page.goto(live.at(path))
    expect(ready(page)).to_be_visible(timeout=15_000)
    assert page.locator(drawn).count() > more_than
    assert elsewhere == [], elsewhere
