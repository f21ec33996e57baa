"""The charts page in a real browser (issue 11, items 1, 3 and 4): the chart is drawn from
the server's SVG with its colours (no style is refused by the page's
Content-Security-Policy), its bars are links to the records behind them, and axe-core finds
no serious or critical violation, at desktop and phone width."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from browser_checks import VIEWPORTS, Viewport, assert_accessible, assert_no_sideways_scroll
from browser_fixtures import Live
from liaison.gateway.roles import KeyRole

PERIOD = "/charts?from=2025-08-01&to=2025-09-30"


def signed_in(page: Page, live: Live) -> None:
    """The auditor's key on every request (sign-in by form is another page's)."""
    page.set_extra_http_headers(live.site.bearer(KeyRole.AUDITOR))


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=[v.name for v in VIEWPORTS])
def test_the_chart_is_drawn_and_accessible(page: Page, live: Live, viewport: Viewport) -> None:
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    page.set_viewport_size({"width": viewport.width, "height": viewport.height})
    signed_in(page, live)
    page.goto(live.at(PERIOD))
    chart = page.locator("#chart svg")
    expect(chart).to_be_visible()
    assert chart.get_attribute("role") == "graphics-document"
    box = chart.bounding_box()
    assert box is not None
    assert box["width"] <= viewport.width
    assert_no_sideways_scroll(page, viewport)
    # a bar's fill is the colour the SVG gives it as an attribute, not a refused style
    fill = page.locator("#chart svg a path").first.evaluate("e => getComputedStyle(e).fill")
    assert fill == "rgb(31, 95, 139)"
    assert refused == []
    assert_accessible(page)


def test_a_bar_leads_to_the_decisions_behind_it(page: Page, live: Live) -> None:
    signed_in(page, live)
    page.goto(live.at(PERIOD))
    bar = page.locator("#chart svg a").first
    href = bar.get_attribute("xlink:href") or bar.get_attribute("href") or ""
    assert href.startswith("/decisions?from=2025-08-01T00%3A00%3A00-04%3A00")
    bar.dispatch_event("click")
    page.wait_for_url("**/decisions?**")
    assert "decision=permit" in page.url
