"""``/public`` in a real browser (issue 11, item 4: "the public page shows no suppressed
cell"): no count from 1 to 10 is rendered in any public table, the hidden counts say what
they are, the page has no serious or critical accessibility violation (axe-core), and at
phone width nothing overflows except inside ``.table-wrap``. Screenshots at desktop and
phone width are saved under the test's output folder."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from browser_fixtures import Live

SIZES = {"desktop": (1280, 900), "phone": (390, 844)}


def test_no_small_count_is_shown(page: Page, live: Live) -> None:
    page.goto(live.at("/public"))
    expect(page.locator("table.public-table")).to_have_count(6)
    texts = page.locator("table.public-table td").all_inner_texts()
    for text in texts:
        if re.fullmatch(r"[\d,]+", text.strip()):
            assert not 1 <= int(text.replace(",", "")) <= 10, text
    hidden = page.locator("td.suppressed")
    assert hidden.count() > 0
    described = hidden.first.get_attribute("aria-describedby")
    assert described in ("legend-small", "legend-withheld")
    expect(page.locator(f"#{described}")).to_contain_text("count")


@pytest.mark.parametrize("size", SIZES)
def test_accessible_and_fits_a_phone(page: Page, live: Live, size: str, output_path: str) -> None:
    page.set_viewport_size(dict(zip(("width", "height"), SIZES[size], strict=True)))
    page.goto(live.at("/public"))
    found = Axe().run(page)
    serious = [
        v["id"] for v in found.response["violations"] if v.get("impact") in ("serious", "critical")
    ]
    assert serious == [], found.generate_report()
    overflow = page.evaluate(
        """() => [...document.querySelectorAll('body *')].filter(e => {
            if (e.closest('.table-wrap')) return false;
            return e.getBoundingClientRect().right > document.documentElement.clientWidth + 1;
        }).map(e => e.tagName + '.' + e.className)"""
    )
    assert overflow == [], overflow
    shots = Path(output_path)
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / f"public-{size}.png"), full_page=True)
