"""The pages while the service knows its database disagrees with the ledger
(``gateway.rules.fault``; docs/architecture.md, fail closed): the pages that show counts
from the index refuse them (``/public``, ``/charts``) or withhold them (``/``), as the API's
stats and reports refuse; the error pages still render; the warm-up computes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from liaison.gateway.roles import KeyRole
from liaison.web import warmup
from liaison.web.cache import CACHE
from site_fixture import Site, demo_site

HTML = {"Accept": "text/html"}
FAULT = "the pack row of version 1 was edited"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with demo_site(tmp_path_factory.mktemp("pages-fault")) as built:
        yield built


@pytest.fixture
def faulty(site: Site) -> Iterator[Site]:
    """The site while its gateway refuses (as ``Gateway.reload`` leaves it on a difference)."""
    gateway = site.services.gateway
    sound = gateway.rules
    gateway.rules = replace(sound, engine=None, fault=FAULT)
    try:
        yield site
    finally:
        gateway.rules = sound


@pytest.mark.parametrize("path", ["/public", "/public/decisions_permitted.csv", "/charts"])
def test_pages_of_counts_refuse_them_as_a_page(faulty: Site, path: str) -> None:
    CACHE.clear()
    page = faulty.client.get(path, headers={**faulty.bearer(KeyRole.AUDITOR), **HTML})
    assert page.status_code == 503
    assert page.headers["content-type"].startswith("text/html")
    assert "disagrees with the ledger" in page.text
    assert FAULT in page.text
    assert len(CACHE) == 0  # nothing was counted


@pytest.mark.parametrize(
    "path", ["/public?format=json", "/charts?format=json", "/charts/actions.svg"]
)
def test_pages_of_counts_refuse_their_data(faulty: Site, path: str) -> None:
    got = faulty.client.get(path, headers=faulty.bearer(KeyRole.AUDITOR))
    assert got.status_code == 503
    assert got.json()["error"]["code"] == "integrity"
    assert FAULT in got.json()["error"]["message"]


def test_the_start_page_withholds_the_sheet(faulty: Site) -> None:
    page = faulty.client.get("/", headers={**faulty.bearer(KeyRole.AUDITOR), **HTML})
    assert page.status_code == 200
    assert 'id="council"' not in page.text
    data = faulty.client.get("/?format=json").json()
    assert data["sheet"] is None
    assert data["withheld"] == f"the database disagrees with the ledger: {FAULT}"


def test_lists_still_serve_verified_rows_as_the_api_does(faulty: Site) -> None:
    page = faulty.client.get("/decisions", headers={**faulty.bearer(KeyRole.AUDITOR), **HTML})
    api = faulty.client.get("/v1/decisions", headers=faulty.bearer(KeyRole.AUDITOR))
    assert (page.status_code, api.status_code) == (200, 200)
    assert 'id="records"' in page.text


def test_an_unknown_page_is_still_a_404_page(faulty: Site) -> None:
    page = faulty.client.get("/no-such-page", headers=HTML)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")


def test_the_warm_up_computes_nothing(faulty: Site) -> None:
    CACHE.clear()
    stored = faulty.services.gateway.ledger.latest_checkpoint()
    assert stored is not None
    assert warmup.warm(faulty.services, stored) == []
    assert len(CACHE) == 0
