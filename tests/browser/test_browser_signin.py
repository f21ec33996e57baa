"""Signing in and out in a real browser, and the report pages (issue 11, items 2 and 4):
the form takes the key and goes back to the page that asked for it; the header's Sign out
ends the session; the sign-in and report pages have no serious or critical accessibility
violation (axe-core) and do not overflow a phone's width but inside their tables."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from browser_fixtures import Live
from liaison.gateway.roles import KeyRole

PHONE = {"width": 390, "height": 844}


def serious(page: Page) -> list[dict[str, Any]]:
    found = Axe().run(page).response["violations"]
    return [v for v in found if v.get("impact") in ("serious", "critical")]


def sign_in(page: Page, live: Live, path: str) -> None:
    page.goto(live.at(path))
    expect(page).to_have_url(live.at(f"/signin?next={path.replace('/', '%2F')}"))
    page.get_by_label("API key").fill(live.site.keys[KeyRole.AUDITOR])
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(live.at(path))


def test_sign_in_reads_a_report_then_sign_out(page: Page, live: Live) -> None:
    sign_in(page, live, "/reports/council")
    expect(page.get_by_role("heading", level=1)).to_contain_text("The Council's questions")
    expect(page.locator("#answers")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(live.at("/"))  # "/" may not be built yet on this branch
    page.goto(live.at("/reports"))
    expect(page.locator("form#signin")).to_be_visible()


def test_a_bad_key_is_said_on_the_form(page: Page, live: Live) -> None:
    page.goto(live.at("/signin"))
    page.get_by_label("API key").fill("lsn_0000_not-a-key")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("unknown, revoked or malformed API key")


@pytest.mark.parametrize("path", ["/signin", "/reports", "/reports/council", "/reports/review"])
def test_pages_are_accessible_and_fit_a_phone(page: Page, live: Live, path: str) -> None:
    if path != "/signin":
        sign_in(page, live, path)
    else:
        page.goto(live.at(path))
    assert serious(page) == []
    page.set_viewport_size(PHONE)
    overflow = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => !e.closest('.table-wrap'))
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
            .map(e => e.tagName + (e.id ? '#' + e.id : ''))"""
    )
    assert overflow == []
