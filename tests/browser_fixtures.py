"""Browser tests (issue 11, item 4): Playwright drives Debian's chromium, launched by its
path (``LIAISON_CHROMIUM``, which ``make test`` sets from ``scripts/ensure-chromium.sh``;
else ``chromium`` on the PATH). Never a downloaded browser. Without chromium the tests are
skipped, except under ``CI=true``, where that is a failure.

``live`` serves the demo deployment (``site_fixture.demo_site``) with uvicorn on a free
port of 127.0.0.1 for the module's tests."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn

from liaison.api.app import create_app
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
        config = uvicorn.Config(
            create_app(services=site.services), host="127.0.0.1", port=port, log_level="warning"
        )
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
