"""Signing in to the pages in tests (issue 11, item 2): a client of an app, the sign-in
form's CSRF token, a key exchanged for a session as a browser would."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from httpx import Response

from liaison.api.app import create_app
from liaison.api.deps import Services

HTML = {"Accept": "text/html,application/xhtml+xml"}


def page_client(
    services: Services, *, https: bool = False, address: str = "testclient"
) -> TestClient:
    """A browser-like client (asks for HTML, keeps cookies, follows no redirect) of a new
    app on ``services`` (as another process of the deployment would be)."""
    base = "https://testserver" if https else "http://testserver"
    app = create_app(services=services)
    return TestClient(
        app, base_url=base, client=(address, 50000), follow_redirects=False, headers=HTML
    )


def form_token(text: str) -> str:
    """The CSRF token of the form in a page."""
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', text)
    assert found, text
    return found.group(1)


def sign_in(client: TestClient, key: str, next_path: str = "/") -> Response:
    """GET the form, POST the key with its token; the answer (303 when it worked)."""
    form = client.get("/signin", params={"next": next_path})
    assert form.status_code == 200, form.text
    fields = {"key": key, "next": next_path, "csrf": form_token(form.text)}
    return client.post("/signin", data=fields)
