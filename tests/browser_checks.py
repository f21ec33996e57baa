"""What the browser tests check on a page (issue 11, items 3 and 4): axe-core's WCAG 2.1
A/AA rules and best practices (no serious or critical violation), screenshots at desktop
and phone width kept under ``test-artifacts/screenshots/``, no sideways scrolling on a
phone, nothing sticking out of the screen (tables may scroll inside ``.table-wrap``), and
signing in through the sign-in form.

axe-core is the ``axe.min.js`` the ``axe_playwright_python`` package bundles, evaluated in
the page (through the DevTools protocol, so the pages' Content-Security-Policy, which
allows only the site's own scripts, need not be loosened). Nothing is downloaded."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page

SCREENSHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
FAILING_IMPACTS = ("serious", "critical")
_NUMBER = re.compile(r"\d[\d,]*")


@dataclass(frozen=True)
class Viewport:
    name: str  # desktop | phone
    width: int
    height: int
    mobile: bool

    def options(self) -> dict[str, Any]:
        """``Browser.new_context`` options emulating this screen."""
        return {
            "viewport": {"width": self.width, "height": self.height},
            "is_mobile": self.mobile,
            "has_touch": self.mobile,
            "device_scale_factor": 1,
        }


DESKTOP = Viewport("desktop", 1280, 800, mobile=False)
PHONE = Viewport("phone", 390, 844, mobile=True)
VIEWPORTS = (DESKTOP, PHONE)


@cache
def axe_source() -> str:
    """The axe-core bundle shipped in the ``axe_playwright_python`` package."""
    return (files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A/AA and best-practice violations on ``page`` as it is now."""
    page.evaluate(axe_source())
    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    results: dict[str, Any] = page.evaluate("options => axe.run(document, options)", options)
    violations: list[dict[str, Any]] = results["violations"]
    return violations


def describe(violations: list[dict[str, Any]]) -> str:
    """One line per violation: impact, rule id, help, and the first nodes' selectors."""
    lines = []
    for v in violations:
        nodes = ", ".join(" ".join(map(str, n["target"])) for n in v["nodes"][:3])
        more = f" (+{len(v['nodes']) - 3} more)" if len(v["nodes"]) > 3 else ""
        lines.append(f"{v['impact']}: {v['id']}: {v['help']}: {nodes}{more}")
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    """No serious or critical axe-core violation on ``page``; all of them listed if any."""
    bad = [v for v in axe_violations(page) if v["impact"] in FAILING_IMPACTS]
    assert not bad, f"axe-core on {page.url}:\n{describe(bad)}"


def screenshot(page: Page, name: str, viewport: Viewport) -> Path:
    """The whole page saved as ``test-artifacts/screenshots/<name>-<viewport>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}-{viewport.name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# The innermost elements that stick out to the right of a screen ``width`` wide or whose
# content overflows them visibly, outside any .table-wrap (which may scroll).
_OVERFLOWING = """width => {
  const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
    + (typeof e.className === 'string' && e.className.trim()
       ? '.' + e.className.trim().split(/\\s+/).join('.') : '');
  const wrapped = e => e.parentElement && e.parentElement.closest('.table-wrap');
  const wide = [...document.body.querySelectorAll('*')].filter(e => !wrapped(e)
    && (e.getBoundingClientRect().right > width + 0.5
        || (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === 'visible'
            && !['INPUT', 'TEXTAREA', 'SELECT'].includes(e.tagName))));
  return wide.filter(e => !wide.some(o => o !== e && e.contains(o))).slice(0, 5).map(name);
}"""


# Whether an element outside any .table-wrap sticks out to the right of ``width`` (even
# where an ancestor clips or scrolls it, so the document itself does not widen).
_STICKS_OUT = """width => [...document.body.querySelectorAll('*')].some(e =>
  !e.closest('.table-wrap') && e.getBoundingClientRect().right > width + 1)"""


def assert_no_sideways_scroll(page: Page, viewport: Viewport) -> None:
    """The document is no wider than the screen and nothing sticks out of it but inside a
    ``.table-wrap`` (which may scroll). A phone widens its layout viewport
    (``innerWidth``) to fit content that sticks out, so both widths are compared with the
    screen's."""
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    scroll_width, inner_width = widths
    fits = scroll_width <= inner_width and inner_width <= viewport.width
    if fits and not page.evaluate(_STICKS_OUT, viewport.width):
        return
    culprits = page.evaluate(_OVERFLOWING, viewport.width)
    raise AssertionError(
        f"{page.url} scrolls sideways at {viewport.width}px: scrollWidth {scroll_width}, "
        f"innerWidth {inner_width}; sticking out: {culprits}"
    )


def numbers_in(text: str) -> list[int]:
    """The whole numbers written in ``text`` (with or without thousands separators)."""
    return [int(n.replace(",", "")) for n in _NUMBER.findall(text)]


def sign_in(page: Page, base_url: str, key: str, then: str = "/") -> None:
    """Sign in with the sign-in form (``/signin``, ``#signin``, the field labelled
    "API key") and wait until the browser has left the form for ``then``."""
    page.goto(f"{base_url}/signin?next={then}")
    form = page.locator("form#signin")
    form.get_by_label("API key").fill(key)
    with page.expect_navigation():
        form.locator("button[type=submit], input[type=submit]").first.click()
    assert "/signin" not in page.url, f"still on the sign-in page: {page.url}"


def session_of(browser: Browser, base_url: str, key: str) -> Any:
    """The cookies of a session signed in with ``key`` through the form (Playwright's
    storage state), to open contexts at any screen size as that reader."""
    context = browser.new_context()
    try:
        sign_in(context.new_page(), base_url, key)
        return context.storage_state()
    finally:
        context.close()


def context_at(browser: Browser, viewport: Viewport, session: Any = None) -> BrowserContext:
    """A browser context at ``viewport``, in ``session`` (``None``: the public)."""
    return browser.new_context(**viewport.options(), storage_state=session)
