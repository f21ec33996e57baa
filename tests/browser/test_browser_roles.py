"""Signing in and out in a real browser, and the role rules on pages (issue 11, items 2
and 4): a page that needs a reader sends to the form, which goes back to it once signed
in; the form gives an HttpOnly, SameSite=Strict session cookie and says why a bad key is
refused; after signing out a record's page sends the reader back to sign in; the public
and anonymous readers get the sign-in or a 403 page for records and reports; an officer
reads only their own decisions; auditors read the reports."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from browser_checks import DESKTOP, context_at, numbers_in, sign_in
from browser_fixtures import Live
from liaison.gateway.roles import KeyRole

SIGN_IN = "sign in"
# What each reader gets from each page: its status, or SIGN_IN (sent to the form).
RULES: list[tuple[KeyRole | None, str, int | str]] = [
    *[
        (None, path, SIGN_IN)
        for path in (
            "/decisions",
            "/events",
            "/encounters",
            "/charts",
            "/decisions/{decision}",
            "/encounters/{encounter}",
            "/reports",
            "/reports/council",
        )
    ],
    (None, "/public", 200),
    (None, "/directives", 200),
    (KeyRole.PUBLIC, "/decisions", 403),
    (KeyRole.PUBLIC, "/decisions/{decision}", 403),
    (KeyRole.PUBLIC, "/reports", 403),
    (KeyRole.PUBLIC, "/public", 200),
    (KeyRole.OFFICER, "/reports", 403),
    (KeyRole.OFFICER, "/reports/council", 403),
    (KeyRole.SUPERVISOR, "/reports", 403),
    (KeyRole.SUPERVISOR, "/decisions", 200),
    (KeyRole.AUDITOR, "/reports", 200),
    (KeyRole.AUDITOR, "/reports/council", 200),
    (KeyRole.AUDITOR, "/encounters/{encounter}", 200),
]


def _id(rule: tuple[KeyRole | None, str, int | str]) -> str:
    reader, path, _ = rule
    return f"{reader.value if reader else 'anonymous'}:{path}"


@pytest.mark.parametrize(("reader", "path", "expected"), RULES, ids=[_id(r) for r in RULES])
def test_the_role_rules_on_pages(
    browser: Browser,
    live: Live,
    demo_records: dict[str, str],
    sessions: Callable[[KeyRole], Any],
    reader: KeyRole | None,
    path: str,
    expected: int | str,
) -> None:
    target = path.format(**demo_records)
    context = context_at(browser, DESKTOP, sessions(reader) if reader else None)
    try:
        page = context.new_page()
        response = page.goto(live.at(target))
        assert response is not None
        if expected == SIGN_IN:
            landed = urlsplit(page.url)
            assert landed.path == "/signin", page.url
            assert parse_qs(landed.query)["next"] == [target], page.url
            expect(page.locator("form#signin")).to_be_visible()
        else:
            assert response.status == expected, (target, response.status)
            assert urlsplit(page.url).path == target.partition("?")[0]
        if reader is KeyRole.AUDITOR and target == "/reports":
            expect(page.locator("main a[href='/reports/council']").first).to_be_visible()
    finally:
        context.close()


def test_signing_in_gives_an_httponly_cookie_and_signing_out_ends_the_session(
    browser: Browser, live: Live
) -> None:
    context = context_at(browser, DESKTOP)
    try:
        page = context.new_page()
        page.goto(live.at("/signin"))
        before = {c["name"] for c in context.cookies()}
        sign_in(page, live.url, live.site.keys[KeyRole.AUDITOR], then="/decisions")
        assert urlsplit(page.url).path == "/decisions", page.url
        session = [c for c in context.cookies() if c["name"] not in before]
        assert session, f"no cookie set by signing in: {context.cookies()}"
        assert all(c["httpOnly"] for c in session), session
        assert all(c["sameSite"] == "Strict" for c in session), session
        header = page.locator("header.site")
        expect(header).to_contain_text("Signed in")

        with page.expect_navigation():
            header.get_by_role("button", name="Sign out").click()
        expect(page.locator("header.site")).not_to_contain_text("Signed in")
        page.goto(live.at("/decisions"))
        assert urlsplit(page.url).path == "/signin", page.url
    finally:
        context.close()


def signed_in_from(page: Page, live: Live, path: str) -> None:
    """Sent from ``path`` to the form, the auditor signs in and is back on ``path``."""
    page.goto(live.at(path))
    expect(page).to_have_url(live.at(f"/signin?next={path.replace('/', '%2F')}"))
    page.get_by_label("API key").fill(live.site.keys[KeyRole.AUDITOR])
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(live.at(path))


def test_sign_in_reads_a_report_then_sign_out(page: Page, live: Live) -> None:
    signed_in_from(page, live, "/reports/council")
    expect(page.get_by_role("heading", level=1)).to_contain_text("The Council's questions")
    expect(page.locator("#answers")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(live.at("/"))
    page.goto(live.at("/reports"))
    expect(page.locator("form#signin")).to_be_visible()


def test_a_wrong_key_does_not_sign_in(browser: Browser, live: Live) -> None:
    context = context_at(browser, DESKTOP)
    try:
        page = context.new_page()
        page.goto(live.at("/signin?next=/decisions"))
        page.locator("form#signin").get_by_label("API key").fill("lsn_not_a_key")
        with page.expect_navigation():
            page.locator("form#signin button[type=submit]").click()
        assert urlsplit(page.url).path == "/signin", page.url
        expect(page.get_by_role("alert")).to_contain_text("unknown, revoked or malformed API key")
        page.goto(live.at("/decisions"))
        assert urlsplit(page.url).path == "/signin", page.url
    finally:
        context.close()


def test_an_officer_reads_only_their_own_decisions(
    browser: Browser, live: Live, demo_records: dict[str, str]
) -> None:
    client, services = live.site.client, live.site.services
    everyone = client.get("/v1/decisions?limit=200", headers=live.site.bearer(KeyRole.AUDITOR))
    mine = everyone.json()["items"][0]
    other = next(d for d in everyone.json()["items"] if d["actor_id"] != mine["actor_id"])
    key, _ = services.keys.create(KeyRole.OFFICER, mine["actor_id"], mine["unit"])
    own = client.get("/v1/decisions?limit=1", headers={"Authorization": f"Bearer {key}"})
    own_total = own.json()["total"]
    assert 0 < own_total < everyone.json()["total"]

    context = context_at(browser, DESKTOP)
    try:
        page = context.new_page()
        sign_in(page, live.url, key, then="/decisions")
        expect(page.locator("#records")).to_be_visible()
        total = page.locator("#total").inner_text()
        assert own_total in numbers_in(total), (own_total, total)
        hrefs = page.locator("#records a[href^='/decisions/']").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))"
        )
        assert hrefs, "no decision linked from the officer's list"
        strangers = [h for h in hrefs if f"actor={mine['actor_id']}" not in h]
        assert strangers == [], strangers
        response = page.goto(live.at(f"/decisions/{other['id']}?actor={other['actor_id']}"))
        assert response is not None
        assert response.status in (403, 404), response.status
        expect(page.locator("main")).not_to_contain_text(other["actor_id"])
    finally:
        context.close()
