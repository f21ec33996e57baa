"""The shared layout in a real browser (issue 11, item 3: keyboard navigable, readable on a
phone): the first Tab reaches the skip link, which moves focus to the content; every link
of the navigation is reached by Tab, each with a visible focus outline; on a phone the
header wraps inside the screen with links large enough to tap. And the checks the page
tests rely on catch what they look for (axe-core, sideways scrolling)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from browser_checks import (
    DESKTOP,
    PHONE,
    assert_accessible,
    assert_no_sideways_scroll,
    context_at,
)
from browser_fixtures import Live
from liaison.gateway.roles import KeyRole

# Every page has the layout: the error page and the start page.
LAYOUT_PAGES = ["/no-such-page", "/"]
ACTIVE = """() => {
  const e = document.activeElement, s = getComputedStyle(e), r = e.getBoundingClientRect();
  return {tag: e.tagName.toLowerCase(), id: e.id, cls: String(e.className || ''),
          href: e.getAttribute('href'), nav: !!e.closest('header nav'),
          outline: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth),
          left: r.left, right: r.right, top: r.top, bottom: r.bottom};
}"""


def active(page: Page) -> dict[str, Any]:
    """What has the keyboard focus, its outline and where it is."""
    found: dict[str, Any] = page.evaluate(ACTIVE)
    return found


def assert_focus_visible(focused: dict[str, Any]) -> None:
    assert focused["outline"] != "none", focused
    assert focused["outlineWidth"] >= 2, focused


@pytest.mark.parametrize("path", LAYOUT_PAGES)
def test_the_first_tab_reaches_the_skip_link_which_moves_focus_to_main(
    page: Page, live: Live, path: str
) -> None:
    page.set_viewport_size({"width": DESKTOP.width, "height": DESKTOP.height})
    page.goto(live.at(path))
    page.keyboard.press("Tab")
    skip = active(page)
    assert skip["tag"] == "a", skip
    assert "skip" in skip["cls"].split(), skip
    assert skip["href"] == "#main", skip
    assert skip["left"] >= 0, f"the focused skip link is off screen: {skip}"
    assert skip["top"] >= 0, f"the focused skip link is off screen: {skip}"
    assert_focus_visible(skip)
    page.keyboard.press("Enter")
    content = active(page)
    assert content["tag"] == "main", content
    assert content["id"] == "main", content
    assert_focus_visible(content)


@pytest.mark.parametrize("path", LAYOUT_PAGES)
def test_tab_reaches_every_navigation_link_with_a_visible_focus(
    page: Page, live: Live, path: str
) -> None:
    page.goto(live.at(path))
    links = page.locator("header.site nav a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    assert len(links) >= 3, links
    reached: list[str] = []
    for _ in range(len(links) + 6):
        page.keyboard.press("Tab")
        focused = active(page)
        if focused["nav"]:
            assert_focus_visible(focused)
            reached.append(focused["href"])
    assert reached == links


@pytest.mark.parametrize("reader", [None, KeyRole.AUDITOR], ids=["anonymous", "auditor"])
def test_the_header_wraps_inside_a_phone_screen_with_links_to_tap(
    browser: Browser,
    live: Live,
    sessions: Callable[[KeyRole], Any],
    reader: KeyRole | None,
) -> None:
    context = context_at(browser, PHONE, sessions(reader) if reader else None)
    try:
        page = context.new_page()
        page.goto(live.at("/no-such-page"))
        assert_no_sideways_scroll(page, PHONE)
        boxes = page.locator("header.site a, header.site button").evaluate_all(
            """els => els.filter(e => !e.classList.contains('skip')).map(e => {
                 const r = e.getBoundingClientRect();
                 return {text: e.textContent.trim(), left: r.left, right: r.right,
                         width: r.width, height: r.height}; })"""
        )
        assert boxes, "no link in the header"
        outside = [b for b in boxes if b["left"] < 0 or b["right"] > PHONE.width]
        assert outside == [], outside
        small = [b for b in boxes if b["height"] < 24 or b["width"] < 24]
        assert small == [], f"links smaller than 24x24 CSS px: {small}"
    finally:
        context.close()


def test_the_axe_check_lists_a_serious_violation(page: Page, live: Live) -> None:
    page.goto(live.at("/no-such-page"))
    page.evaluate(
        """() => { const p = document.createElement('p');
           p.innerHTML = '<img src="/static/favicon.svg"><input id="nameless">';
           document.querySelector('main').append(p); }"""
    )
    with pytest.raises(AssertionError) as failed:
        assert_accessible(page)
    assert "image-alt" in str(failed.value)
    assert "#nameless" in str(failed.value)


def test_the_sideways_check_names_what_sticks_out(browser: Browser, live: Live) -> None:
    context = context_at(browser, PHONE)
    try:
        page = context.new_page()
        page.goto(live.at("/no-such-page"))
        page.evaluate(
            """() => { const d = document.createElement('div'); d.id = 'wide';
               d.style.width = '600px'; d.textContent = 'wide';
               document.querySelector('main').append(d); }"""
        )
        with pytest.raises(AssertionError) as failed:
            assert_no_sideways_scroll(page, PHONE)
        assert "div#wide" in str(failed.value)
        # clipped by its parent, so the document does not scroll: it still sticks out
        page.evaluate("() => { document.querySelector('main').style.overflow = 'hidden'; }")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE.width
        with pytest.raises(AssertionError) as clipped:
            assert_no_sideways_scroll(page, PHONE)
        assert "div#wide" in str(clipped.value)
    finally:
        context.close()
