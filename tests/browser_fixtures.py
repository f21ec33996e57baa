"""Browser tests (issue 11, item 4): Playwright drives Debian's chromium, launched by its
path (``LIAISON_CHROMIUM``, which ``make test`` sets from ``scripts/ensure-chromium.sh``;
else ``chromium`` on the PATH). Never a downloaded browser. Without chromium the tests are
skipped, except under ``CI=true``, where that is a failure.

``live`` serves the demo deployment (``site_fixture.demo_site``) with uvicorn on a free
port of 127.0.0.1 for the module's tests. ``demo_records`` names a
decision and an encounter of the demo; ``sessions(role)`` signs in through
the sign-in form once per module and role."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser

from browser_checks import session_of
from liaison.api.app import create_app
from liaison.gateway.roles import KeyRole
from site_fixture import Site, demo_site

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def chromium_path() -> str:
    """Debian's chromium; skipped when missing, a failure under CI=true."""
    found = os.environ.get("LIAISON_CHROMIUM") or shutil.which("chromium")
    if found and os.path.exists(found):
        return found
    message = "chromium is missing: scripts/ensure-chromium.sh installs it (make test runs it)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    """pytest-playwright's launch options: Debian's chromium, headless, no network of its own."""
    return {"executable_path": chromium_path(), "args": FLAGS, "headless": True}


@dataclass
class Live:
    site: Site
    url: str  # http://127.0.0.1:PORT

    def at(self, path: str) -> str:
        return self.url + path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """The demo deployment served over HTTP on 127.0.0.1 while the module's tests run."""
    with demo_site(tmp_path_factory.mktemp("browser")) as site:
        port = _free_port()
        app = create_app(services=site.services)
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        try:
            yield Live(site, f"http://127.0.0.1:{port}")
        finally:
            server.should_exit = True
            thread.join(10)


@pytest.fixture(scope="module")
def demo_records(live: Live) -> dict[str, str]:
    """A decision (a denial if any) and an encounter (a flagged one if any) of the demo, as
    the path parts of their pages."""
    client, auditor = live.site.client, live.site.bearer(KeyRole.AUDITOR)

    def first(query: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = client.get(query, headers=auditor).json()["items"]
        return items

    decision = (first("/v1/decisions?limit=1&decision=deny") or first("/v1/decisions?limit=1"))[0]
    encounter = (first("/v1/encounters?limit=1&flag=any") or first("/v1/encounters?limit=1"))[0]
    return {
        "decision": f"{decision['id']}?actor={decision['actor_id']}",
        "encounter": f"{encounter['id']}?unit={encounter['unit']}",
    }


@pytest.fixture(scope="module")
def sessions(browser: Browser, live: Live) -> Callable[[KeyRole], Any]:
    """Each reader's session, signed in through the form once for the module."""
    made: dict[KeyRole, Any] = {}

    def of(role: KeyRole) -> Any:
        if role not in made:
            made[role] = session_of(browser, live.url, live.site.keys[role])
        return made[role]

    return of
