"""The role rules on pages (issue 11, item 2): the API's (tests/test_api_roles.py), for a
reader signed in with a session (``/signin``).

==========================================  =========  ======  =====  =======  ==========  =======
page                                        anonymous  public  admin  officer  supervisor  auditor
==========================================  =========  ======  =====  =======  ==========  =======
/ /public /public/{table}.csv /directives  200        200     200    200      200         200
/directives/{id}                            200        200     200    200      200         200
/checkpoint /docs /redoc /signin            200        200     200    200      200         200
/charts /charts/actions.svg                 303        403     403    200      200         200
/decisions /events /encounters (lists)      303        403     403    200      200         200
/decisions/{id} /decisions/{id}/proof.json  303        403     403    200      200         200
/encounters/{id}                            303        403     403    200      200         200
/reports /reports/{name}                    303        403     403    403      403         200
/audit (auditors: the rows; others: counts)  200        200     200    200      200         200
/audit/imports/{id} (none in the demo)      303        403     403    403      403         404
==========================================  =========  ======  =====  =======  ==========  =======

303: sent to ``/signin?next=`` the page. The record pages name a record of the officer's own
(the officer and supervisor keys are of its actor's unit). Every page route is in the
table, and every route of the table is registered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from liaison.gateway.roles import KeyRole
from signin_helpers import page_client, sign_in
from site_fixture import Site, demo_site

READERS = ["anonymous", "public", "admin", "officer", "supervisor", "auditor"]
EVERYONE = [200] * 6
RECORDS = [303, 403, 403, 200, 200, 200]
AUDITORS = [303, 403, 403, 403, 403, 200]
# A record of the demo (``liaison demo``): officer-1392's decision in 5D, and its stop.
DECISION, ACTOR, UNIT = "stop-20250801-00001-r1", "officer-1392", "5D"
ENCOUNTER = "stop-20250801-00001"

#: (route as registered, the URL asked for, expected status per reader in READERS order)
MATRIX: list[tuple[str, str, list[int]]] = [
    ("/", "/", EVERYONE),
    ("/public", "/public", EVERYONE),
    ("/public/{}.csv", "/public/decisions_permitted.csv", EVERYONE),
    ("/directives", "/directives", EVERYONE),
    ("/directives/{id}", "/directives/EO-25-005", EVERYONE),
    ("/checkpoint", "/checkpoint", EVERYONE),
    ("/docs", "/docs", EVERYONE),
    ("/redoc", "/redoc", EVERYONE),
    ("/signin", "/signin", EVERYONE),
    ("/charts", "/charts", RECORDS),
    ("/charts/actions.svg", "/charts/actions.svg", RECORDS),
    ("/decisions", "/decisions", RECORDS),
    ("/events", "/events", RECORDS),
    ("/encounters", "/encounters", RECORDS),
    ("/decisions/{id}", f"/decisions/{DECISION}?actor={ACTOR}", RECORDS),
    ("/decisions/{id}/proof.json", f"/decisions/{DECISION}/proof.json?actor={ACTOR}", RECORDS),
    ("/encounters/{id}", f"/encounters/{ENCOUNTER}?unit={UNIT}", RECORDS),
    ("/reports", "/reports", AUDITORS),
    ("/reports/{name}", "/reports/council", AUDITORS),
    ("/audit", "/audit", EVERYONE),
    ("/audit/imports/{id}", "/audit/imports/no-such-import", [303, 403, 403, 403, 403, 404]),
]


@dataclass
class Readers:
    site: Site
    clients: dict[str, TestClient] = field(default_factory=dict)
    routes: set[str] = field(default_factory=set)


@pytest.fixture(scope="module")
def readers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Readers]:
    with demo_site(Path(tmp_path_factory.mktemp("pages-roles"))) as site:
        keys = site.services.keys
        made = {
            "public": keys.create(KeyRole.PUBLIC, "public-9")[0],
            "admin": keys.create(KeyRole.ADMIN, "admin-9")[0],
            "officer": keys.create(KeyRole.OFFICER, ACTOR, UNIT)[0],
            "supervisor": keys.create(KeyRole.SUPERVISOR, "sergeant-9", UNIT)[0],
            "auditor": keys.create(KeyRole.AUDITOR, "auditor-9")[0],
        }
        found = Readers(site)
        found.clients["anonymous"] = page_client(site.services)
        for reader, key in made.items():
            client = page_client(site.services, address=f"10.9.0.{len(found.clients)}")
            assert sign_in(client, key).status_code == 303, reader
            found.clients[reader] = client
        found.routes = {_shape(p) for p in _paths(found.clients["anonymous"].app.routes)}  # type: ignore[attr-defined]
        yield found


def _paths(routes: Iterable[Any]) -> Iterator[str]:
    """The paths of the app's routes, those of included routers too."""
    for route in routes:
        if getattr(route, "path", None):
            yield route.path
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _paths(inner.routes)


def _shape(path: str) -> str:
    """A route's path with its parameters unnamed (``/decisions/{}``)."""
    return re.sub(r"\{[^}]*\}", "{}", path)


CASES = [
    pytest.param(route, url, reader, want, id=f"{url} {reader}")
    for route, url, statuses in MATRIX
    for reader, want in zip(READERS, statuses, strict=True)
]


@pytest.mark.parametrize(("route", "url", "reader", "want"), CASES)
def test_who_may_read_each_page(
    readers: Readers, route: str, url: str, reader: str, want: int
) -> None:
    assert _shape(route) in readers.routes, f"{route} is not a registered page"
    got = readers.clients[reader].get(url)
    assert got.status_code == want, (url, reader, got.text[:400])
    if want == 303:
        assert got.headers["location"] == f"/signin?next={quote(url, safe='')}"
    if want == 403:
        assert "<h1>403: forbidden</h1>" in got.text


def test_the_matrix_names_every_page_route(readers: Readers) -> None:
    """Every page registered on the app is in the matrix (a new page needs its row)."""
    named = {_shape(route) for route, _, _ in MATRIX}
    pages = {
        r
        for r in readers.routes
        if r
        and not r.startswith(("/v1/", "/static", "/openapi", "/healthz", "/livez"))
        and r not in ("/readyz", "/metrics", "/signout", "/docs/oauth2-redirect")
    }
    assert pages <= named, sorted(pages - named)
