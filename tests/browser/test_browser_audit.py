"""The audit pages in a real browser (issue 13, item 4), as the browser tests check every
page (``test_browser_pages.py``): over the demo with the audit fixture's rows
(tests/audit_report_fixture.py) loaded, the public's ``/audit`` (suppressed counts) and an
auditor's ``/audit``, a filtered ``/audit`` and an import's page, at desktop and phone
width: no serious or critical WCAG 2.1 A/AA violation (axe-core), no sideways scroll, a
screenshot of each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Browser

import audit_report_fixture as fx
from browser_checks import (
    VIEWPORTS,
    assert_accessible,
    assert_no_sideways_scroll,
    context_at,
    screenshot,
)
from browser_fixtures import Live
from liaison.gateway.roles import KeyRole

PAGES = [
    ("audit-public", "/audit", None),
    ("audit", "/audit", KeyRole.AUDITOR),
    ("audit-findings", "/audit?import=imp-oakland&finding=yes", KeyRole.AUDITOR),
    ("audit-import", "/audit/imports/imp-eugene", KeyRole.AUDITOR),
]


@pytest.fixture(scope="module")
def audited(live: Live) -> Live:
    fx.load(live.site.services.gateway.db)
    return live


@pytest.mark.parametrize(("name", "path", "reader"), PAGES, ids=[p[0] for p in PAGES])
def test_audit_page_is_accessible(
    browser: Browser,
    audited: Live,
    sessions: Callable[[KeyRole], Any],
    name: str,
    path: str,
    reader: KeyRole | None,
) -> None:
    session = sessions(reader) if reader is not None else None
    for viewport in VIEWPORTS:
        context = context_at(browser, viewport, session)
        try:
            page = context.new_page()
            response = page.goto(audited.at(path))
            assert response is not None
            assert response.status == 200, (path, response.status)
            screenshot(page, name, viewport)
            assert_no_sideways_scroll(page, viewport)
            assert_accessible(page)
        finally:
            context.close()
