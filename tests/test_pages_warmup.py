"""Pages ready before their first reader (issue 11, item 5): after a checkpoint is signed,
the warm-up (``liaison.web.warmup``) computes what the default pages show, so their first
readers compute nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from liaison.gateway.roles import KeyRole
from liaison.web import warmup
from liaison.web.cache import CACHE
from site_fixture import Site, demo_site

HTML = {"Accept": "text/html"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with demo_site(tmp_path_factory.mktemp("pages-warmup")) as built:
        yield built


def test_the_default_pages_compute_nothing_after_the_warm_up(site: Site) -> None:
    CACHE.clear()
    stored = site.services.gateway.ledger.latest_checkpoint()
    assert stored is not None
    assert warmup.warm(site.services, stored) == []
    kept = len(CACHE)
    assert kept >= 4  # the two start-page sheets, the public figures, the chart
    auditor = {**HTML, **site.bearer(KeyRole.AUDITOR)}
    for path, headers in [("/", HTML), ("/public", HTML), ("/", auditor), ("/charts", auditor)]:
        assert site.client.get(path, headers=headers).status_code == 200, path
    assert len(CACHE) == kept  # every page found its values kept


def test_without_the_warm_up_the_first_reader_computes(site: Site) -> None:
    CACHE.clear()
    assert site.client.get("/public", headers=HTML).status_code == 200
    assert len(CACHE) >= 1
