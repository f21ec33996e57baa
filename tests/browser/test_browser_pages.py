"""Every page in a real browser (issue 11, items 3 and 4): as the reader who may see it
(the public, or an auditor signed in through the form), at desktop (1280x800) and phone
(390x844) width, axe-core finds no serious or critical WCAG 2.1 A/AA violation (at both
widths: a table that fits a desktop scrolls on a phone, and a scrolling region must be
reachable by keyboard), the document does not scroll sideways at either width, and a
full-page screenshot of each is kept under
``test-artifacts/screenshots/<page>-<desktop|phone>.png``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Browser

from browser_checks import (
    VIEWPORTS,
    assert_accessible,
    assert_no_sideways_scroll,
    context_at,
    screenshot,
)
from browser_fixtures import Live
from liaison.gateway.roles import KeyRole

# (page name, path, reader, the status it answers). Paths may name a record the demo
# holds: {decision} and {encounter} are filled in from the API.
PAGES = [
    ("home", "/", None, 200),
    ("public", "/public", None, 200),
    ("directives", "/directives", None, 200),
    ("directive-eo", "/directives/EO-25-005", None, 200),
    ("directive-ag", "/directives/AG-DIRECTIVE-2025-08-15", None, 200),
    ("charts", "/charts", KeyRole.AUDITOR, 200),
    ("decisions", "/decisions", KeyRole.AUDITOR, 200),
    ("events", "/events", KeyRole.AUDITOR, 200),
    ("encounters", "/encounters", KeyRole.AUDITOR, 200),
    ("decision", "/decisions/{decision}", KeyRole.AUDITOR, 200),
    ("encounter", "/encounters/{encounter}", KeyRole.AUDITOR, 200),
    ("reports", "/reports", KeyRole.AUDITOR, 200),
    ("report", "/reports/council", KeyRole.AUDITOR, 200),
    ("report-review", "/reports/review", KeyRole.AUDITOR, 200),
    ("signin", "/signin", None, 200),
    ("error", "/no-such-page", None, 404),
]


@pytest.mark.parametrize(("name", "path", "reader", "status"), PAGES, ids=[p[0] for p in PAGES])
def test_page_is_accessible_on_desktop_and_phone(
    browser: Browser,
    live: Live,
    demo_records: dict[str, str],
    sessions: Callable[[KeyRole], Any],
    name: str,
    path: str,
    reader: KeyRole | None,
    status: int,
) -> None:
    target = path.format(**demo_records)
    session = sessions(reader) if reader is not None else None
    for viewport in VIEWPORTS:
        context = context_at(browser, viewport, session)
        try:
            page = context.new_page()
            response = page.goto(live.at(target))
            assert response is not None, target
            assert response.status == status, (target, response.status)
            assert page.url.startswith(live.at(target.partition("?")[0])), page.url
            screenshot(page, name, viewport)
            assert_no_sideways_scroll(page, viewport)
            assert_accessible(page)
        finally:
            context.close()
