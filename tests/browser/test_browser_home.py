"""The start page and the directive pages in a real browser (issue 11, items 3 and 4): the
Council's sheet is on the start page, each count a link; axe-core finds no serious or
critical violation; at a phone's width (390 px) nothing overflows but inside a
``.table-wrap``."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from browser_fixtures import Live

PAGES = ["/", "/directives", "/directives/EO-25-005", "/directives/AG-DIRECTIVE-2025-08-15"]
OVERFLOW = """() => [...document.querySelectorAll('body *')].filter(e => {
  if (e.closest('.table-wrap')) return false;
  const r = e.getBoundingClientRect();
  return r.right > document.documentElement.clientWidth + 1;
}).map(e => e.tagName + '.' + e.className)"""


def test_the_councils_answers_are_on_the_start_page(page: Page, live: Live) -> None:
    page.goto(live.at("/"))
    sheet = page.locator("table#council")
    expect(sheet).to_be_visible()
    expect(sheet.locator("tbody tr")).to_have_count(13)
    first = sheet.locator("tbody tr").first
    expect(first.get_by_role("cell", name="Yes")).to_be_visible()
    first.get_by_role("link").click()
    assert page.url == live.at("/public")


@pytest.mark.parametrize("path", PAGES)
def test_no_serious_accessibility_violation(page: Page, live: Live, path: str) -> None:
    page.goto(live.at(path))
    results = Axe().run(page)
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == [], bad


@pytest.mark.parametrize("path", PAGES)
def test_nothing_overflows_at_a_phones_width(page: Page, live: Live, path: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live.at(path))
    assert page.evaluate(OVERFLOW) == []
