"""The issue's path through the pages in a real browser (issue 11, item 4 and "done when"):
the Council's sheet on ``/``, each answer a link; from a count of the sheet, the records
behind it, one decision, its inclusion proof checked by the page's own script, and the
proof downloaded; and the public page, which shows no count from 1 to 10 and says what
its hidden counts are."""

from __future__ import annotations

import json
import re
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from browser_checks import DESKTOP, context_at, numbers_in, session_of
from browser_fixtures import Live
from liaison.gateway.roles import KeyRole

_COUNT = re.compile(r"\d{1,3}(,\d{3})*")


def test_the_councils_answers_are_on_the_start_page(page: Page, live: Live) -> None:
    page.goto(live.at("/"))
    sheet = page.locator("table#council")
    expect(sheet).to_be_visible()
    expect(sheet.locator("tbody tr")).to_have_count(13)
    first = sheet.locator("tbody tr").first
    expect(first.get_by_role("cell", name="Yes")).to_be_visible()
    first.get_by_role("link").click()
    assert page.url == live.at("/public")


def test_from_a_count_to_its_records_to_a_decision_and_its_proof_checked_in_the_page(
    browser: Browser, live: Live
) -> None:
    auditor = session_of(browser, live.url, live.site.keys[KeyRole.AUDITOR])
    context = context_at(browser, DESKTOP, auditor)
    try:
        page = context.new_page()
        page.goto(live.at("/"))
        count_link = (
            page.locator("#council a[href^='/decisions']")
            .filter(has_text=re.compile(r"^\s*[1-9][\d,]*\s*$"))
            .first
        )
        (count,) = numbers_in(count_link.inner_text())
        count_link.click()
        expect(page.locator("#records")).to_be_visible()
        assert page.url.startswith(live.at("/decisions"))
        total = page.locator("#total").inner_text()
        assert count in numbers_in(total), (count, total, page.url)

        record_link = page.locator("#records a[href^='/decisions/']").first
        record_link.click()
        expect(page.locator("#proof")).to_be_visible()
        status = page.locator("#proof-status")
        expect(status).to_have_attribute("data-status", "verified", timeout=15_000)

        with page.expect_download() as download:
            page.locator("#download-proof").click()
        proof = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
        latest = live.site.services.gateway.ledger.latest_checkpoint()
        assert latest is not None
        assert proof["format"].startswith("liaison-inclusion-proof/")
        assert 0 <= proof["index"] < proof["size"] <= latest.size
        assert proof["proof"], proof
        assert proof["root"], proof
    finally:
        context.close()


def test_the_public_page_shows_no_count_from_1_to_10(browser: Browser, live: Live) -> None:
    context = context_at(browser, DESKTOP)
    try:
        page = context.new_page()
        response = page.goto(live.at("/public"))
        assert response is not None
        assert response.status == 200
        expect(page.locator("table.public-table")).to_have_count(6)
        cells = page.locator("table.public-table td").all_inner_texts()
        assert cells, "the public tables have no cells"
        counts = [c.strip() for c in cells if _COUNT.fullmatch(c.strip())]
        assert counts, f"no count on /public: {cells[:20]}"
        small = [c for c in counts if 1 <= int(c.replace(",", "")) <= 10]
        assert small == [], f"counts from 1 to 10 shown on /public: {small}"
        hidden = page.locator("table.public-table td.suppressed").all_inner_texts()
        assert hidden, "no suppressed cell on /public: the demo has small counts"
        odd = [c for c in hidden if c.strip() != "<11" and "withheld" not in c.lower()]
        assert odd == [], f"suppressed cells saying something else than <11 or withheld: {odd}"
        legend = page.locator("td.suppressed").first.get_attribute("aria-describedby")
        assert legend in ("legend-small", "legend-withheld")
        expect(page.locator(f"#{legend}")).to_contain_text("count")
    finally:
        context.close()
