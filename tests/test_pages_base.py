"""The pages' shared parts (issue 11): the API docs offline, the static assets, errors as
pages for a browser and as the JSON shape for the API, instants and numbers for a person."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from liaison.gateway.roles import KeyRole
from liaison.ledger.signing import StoredCheckpoint
from liaison.web.formatting import local_text, number, when
from site_fixture import Site, demo_site

HTML = {"Accept": "text/html,application/xhtml+xml"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with demo_site(tmp_path_factory.mktemp("pages-base")) as built:
        yield built


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_api_docs_load_nothing_from_elsewhere(site: Site, path: str) -> None:
    page = site.client.get(path)
    assert page.status_code == 200
    assert not re.search(r"(src|href)=[\"']?(https?:)?//", page.text), page.text
    assert "fonts.googleapis" not in page.text
    for asset in re.findall(r"(?:src|href)=[\"']?(/static/[^\"' >]+)", page.text):
        assert site.client.get(asset).status_code == 200, asset


def test_swagger_ui_and_redoc_assets_are_the_real_scripts(site: Site) -> None:
    js = site.client.get("/static/docs/swagger-ui-bundle.js")
    assert js.status_code == 200
    assert len(js.content) > 500_000
    assert "javascript" in js.headers["content-type"]
    assert len(site.client.get("/static/docs/redoc.standalone.js").content) > 500_000


def test_an_unknown_page_is_a_page_for_a_browser_and_json_for_the_api(site: Site) -> None:
    page = site.client.get("/no-such-page", headers=HTML)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "<h1>404: not found</h1>" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    api = site.client.get("/no-such-page")
    assert api.json()["error"]["code"] == "not_found"
    asked = site.client.get("/no-such-page?format=json", headers=HTML)
    assert asked.json()["error"]["code"] == "not_found"


def test_the_footer_names_the_latest_checkpoint(site: Site) -> None:
    latest = site.services.gateway.ledger.latest_checkpoint()
    assert latest is not None
    page = site.client.get("/no-such-page", headers=HTML).text
    assert f"Latest signed checkpoint: {latest.size:,} records" in page


def test_site_css_is_served() -> None:
    css = Path(__file__).parents[1] / "src/liaison/web/static/site.css"
    assert "@media" in css.read_text()


@pytest.mark.parametrize(
    ("instant", "shown"),
    [
        ("2025-08-14T15:53:00Z", "2025-08-14 11:53 -04:00"),
        ("2025-08-14T11:53:00-04:00", "2025-08-14 11:53 -04:00"),
        ("2025-12-01T17:00:00+00:00", "2025-12-01 12:00 -05:00"),
        (datetime(2025, 11, 2, 6, 30, tzinfo=UTC), "2025-11-02 01:30 -05:00"),
        (datetime(2025, 11, 2, 5, 30, tzinfo=UTC), "2025-11-02 01:30 -04:00"),
    ],
)
def test_instants_are_eastern_with_their_offset(instant: str | datetime, shown: str) -> None:
    assert local_text(instant) == shown
    assert f">{shown}</time>" in when(instant)


def test_when_keeps_the_utc_instant_machine_readable() -> None:
    assert 'datetime="2025-08-14T15:53:00Z"' in when("2025-08-14T11:53:00-04:00")


def test_numbers_have_separators_and_text_stays_text() -> None:
    assert number(1234567) == "1,234,567"
    assert number(0) == "0"
    assert number("<11") == "<11"
    assert number(None) == ""


@pytest.mark.parametrize("path", ["/", "/public", "/charts", "/checkpoint", "/decisions"])
def test_a_page_reads_the_latest_checkpoint_once(
    site: Site, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = site.services.gateway.ledger
    read = ledger.latest_checkpoint
    calls: list[int] = []

    def counted() -> StoredCheckpoint | None:
        calls.append(1)
        return read()

    monkeypatch.setattr(ledger, "latest_checkpoint", counted)
    page = site.client.get(path, headers={**HTML, **site.bearer(KeyRole.AUDITOR)})
    assert page.status_code == 200
    assert len(calls) == 1


def test_the_public_page_never_signs_a_checkpoint(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = site.services.gateway.ledger

    def refused() -> None:
        raise AssertionError("a public page made the service sign")

    monkeypatch.setattr(ledger, "latest_checkpoint", lambda: None)
    monkeypatch.setattr(ledger, "checkpoint", refused)
    got = site.client.get("/public?format=json")
    assert got.status_code == 503
    assert got.json()["error"]["message"].startswith("no public figures yet: no checkpoint yet")
