"""Signing in to the pages with an API key (issue 11, item 2; docs/pages.md, "Who sees
what"): the session cookie's flags, CSRF on both forms, no open redirect, expiry (idle and
absolute), a revoked key ending its sessions, signing out in the database, bad keys counted
against the client's allowance (429 over it), bounded form bodies. On each backend: a
session opened by one app (process) is live in another."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from conftest import BACKENDS, database_url, running_services
from liaison.api.deps import Services
from liaison.gateway.auth import KeyStore, key_mac
from liaison.gateway.key_secret import api_key_secret
from liaison.gateway.roles import KeyRole
from liaison.storage.tables import web_sessions
from liaison.web.sessions import SESSION_COOKIE, SessionStore, store_of
from signin_helpers import HTML, form_token, page_client, sign_in

BURST = 3  # bad keys a client address may send (LIAISON_AUTH_FAILURE_BURST)
HOURS = 2.0  # LIAISON_SESSION_HOURS
IDLE = 10.0  # LIAISON_SESSION_IDLE_MINUTES
ADDRESSES = count(1)


@dataclass
class World:
    services: Services
    keys: dict[KeyRole, str] = field(default_factory=dict)


@pytest.fixture(scope="module", params=BACKENDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("signin")
    for url in database_url(request.param, folder):
        settings = {
            "auth_failure_burst": BURST,
            "auth_failures_per_minute": 0.01,
            "session_hours": HOURS,
            "session_idle_minutes": IDLE,
        }
        with running_services(url, folder, **settings) as services:
            built = World(services)
            for role in KeyRole:
                built.keys[role], _ = services.keys.create(role, f"{role.value}-1", None)
            yield built


def client_of(world: World, *, https: bool = False) -> TestClient:
    """A client of its own address, so that each test has its own failure allowance."""
    return page_client(world.services, https=https, address=f"10.0.0.{next(ADDRESSES)}")


def signed_in(world: World, role: KeyRole = KeyRole.AUDITOR, **kw: bool) -> TestClient:
    client = client_of(world, **kw)
    assert sign_in(client, world.keys[role]).status_code == 303
    return client


def who(client: TestClient) -> str | None:
    """Whom the session speaks for: the actor the header names, or None (the public)."""
    text = client.get("/signin").text
    marker = "Signed in: "
    if marker not in text:
        return None
    return text.split(marker, 1)[1].split(" ", 1)[0]


def clock_of(client: TestClient, start: datetime) -> list[datetime]:
    """Make the app's sessions read the time from a list the test moves (``now[0]``)."""
    now = [start]
    store_of(client.app).clock = lambda: now[0]  # type: ignore[arg-type]
    return now


def test_the_form_is_labelled_and_names_where_to_go_next(world: World) -> None:
    page = client_of(world).get("/signin", params={"next": "/reports"})
    assert page.status_code == 200
    text = page.text
    assert '<form id="signin" method="post"' in text
    assert '<label for="key">API key</label>' in text
    assert 'name="key" id="key" type="password" autocomplete="off"' in text
    assert '<input type="hidden" name="next" value="/reports">' in text
    assert "liaison_signin=" in page.headers["set-cookie"]


@pytest.mark.parametrize("https", [False, True])
def test_the_session_cookie_is_httponly_strict_and_secure_over_tls(
    world: World, https: bool
) -> None:
    client = client_of(world, https=https)
    answer = sign_in(client, world.keys[KeyRole.AUDITOR], "/reports")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/reports"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))
    flags = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in flags
    assert "samesite=strict" in flags
    assert "path=/" in flags
    assert f"max-age={int(HOURS * 3600)}" in flags
    assert ("secure" in flags) is https
    assert who(client) == "auditor-1"


def test_only_a_keyed_hash_of_the_token_is_stored(world: World) -> None:
    client = signed_in(world)
    token = client.cookies[SESSION_COOKIE]
    with world.services.keys.engine.connect() as conn:
        ids = set(conn.execute(select(web_sessions.c.id)).scalars())
    assert token not in ids
    secret = api_key_secret(world.services.settings.key_dir)  # type: ignore[union-attr]
    assert key_mac(secret, f"session:{token}").hex() in ids


def test_a_session_is_live_in_another_process(world: World) -> None:
    first = signed_in(world, KeyRole.OFFICER)
    other = client_of(world)  # another app: nothing shared but the database
    other.cookies.set(SESSION_COOKIE, first.cookies[SESSION_COOKIE])
    assert who(other) == "officer-1"


def test_signed_in_pages_carry_the_sign_out_forms_token(world: World) -> None:
    client = signed_in(world)
    text = client.get("/signin").text
    assert '<form method="post" action="/signout"' in text
    token = form_token(text.split('action="/signout"', 1)[1])
    store = store_of(client.app)
    assert token == store.csrf(client.cookies[SESSION_COOKIE])


@pytest.mark.parametrize("given", [None, "", "0" * 64, "not-hex"])
def test_sign_in_without_the_forms_token_is_refused(world: World, given: str | None) -> None:
    client = client_of(world)
    client.get("/signin")  # the form's cookie
    fields = {"key": world.keys[KeyRole.AUDITOR], "next": "/"}
    if given is not None:
        fields["csrf"] = given
    answer = client.post("/signin", data=fields)
    assert answer.status_code == 403
    assert "did not come from this site" in answer.text
    assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")


def test_a_token_of_another_browsers_form_is_refused(world: World) -> None:
    """Login CSRF: an attacker's own form token is worth nothing with the victim's cookie."""
    attacker, victim = client_of(world), client_of(world)
    token = form_token(attacker.get("/signin").text)
    victim.get("/signin")
    fields = {"key": world.keys[KeyRole.OFFICER], "next": "/", "csrf": token}
    assert victim.post("/signin", data=fields).status_code == 403
    victim.cookies.clear()  # no cookie at all: refused too
    assert victim.post("/signin", data=fields).status_code == 403


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/x",
        "http://evil.example/",
        "https:evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "/ /evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/%0d%0a" + "x" * 2048,
    ],
)
def test_next_elsewhere_is_refused(world: World, target: str) -> None:
    client = client_of(world)
    assert 'name="next" value="/"' in client.get("/signin", params={"next": target}).text
    answer = sign_in(client, world.keys[KeyRole.AUDITOR], target)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"


def test_next_on_this_site_is_kept(world: World) -> None:
    answer = sign_in(client_of(world), world.keys[KeyRole.AUDITOR], "/reports/council?view=mpd")
    assert answer.headers["location"] == "/reports/council?view=mpd"


def test_sign_out_needs_its_token_and_ends_the_session_in_the_database(world: World) -> None:
    client = signed_in(world)
    token = client.cookies[SESSION_COOKIE]
    store = store_of(client.app)
    for fields in ({"next": "/"}, {"csrf": "0" * 64}, {"csrf": store.signin_csrf(token)}):
        refused = client.post("/signout", data=fields)
        assert refused.status_code == 403, fields
        assert who(client) == "auditor-1"
    done = client.post("/signout", data={"csrf": store.csrf(token)})
    assert done.status_code == 303
    assert done.headers["location"] == "/"
    assert f'{SESSION_COOKIE}=""' in done.headers["set-cookie"]
    assert who(client) is None
    with world.services.keys.engine.connect() as conn:
        stored = conn.execute(
            select(web_sessions.c.id).where(web_sessions.c.id == store._id(token))
        )
        assert stored.first() is None
    replay = client_of(world)
    replay.cookies.set(SESSION_COOKIE, token)
    assert who(replay) is None


def test_a_session_unused_for_the_idle_timeout_ends(world: World) -> None:
    client = signed_in(world)
    now = clock_of(client, datetime.now(UTC))
    now[0] += timedelta(minutes=IDLE - 1)
    assert who(client) == "auditor-1"  # and its idle timer starts again
    now[0] += timedelta(minutes=IDLE - 1)
    assert who(client) == "auditor-1"
    now[0] += timedelta(minutes=IDLE)
    assert who(client) is None


def test_the_idle_timer_is_not_written_on_every_request(world: World) -> None:
    client = signed_in(world)
    store: SessionStore = store_of(client.app)
    ident = store._id(client.cookies[SESSION_COOKIE])
    query = select(web_sessions.c.seen_at).where(web_sessions.c.id == ident)
    engine = world.services.keys.engine
    with engine.connect() as conn:
        first = conn.execute(query).scalar_one()
    now = clock_of(client, first + timedelta(seconds=30))
    assert who(client) == "auditor-1"
    with engine.connect() as conn:
        assert conn.execute(query).scalar_one() == first
    now[0] = first + timedelta(seconds=90)
    assert who(client) == "auditor-1"
    with engine.connect() as conn:
        assert conn.execute(query).scalar_one() == now[0]


def test_a_session_ends_after_its_lifetime_however_used(world: World) -> None:
    client = signed_in(world)
    now = clock_of(client, datetime.now(UTC))
    end = now[0] + timedelta(hours=HOURS)
    while now[0] + timedelta(minutes=IDLE - 1) < end:
        now[0] += timedelta(minutes=IDLE - 1)
        assert who(client) == "auditor-1"
    now[0] = end
    assert who(client) is None


def test_a_revoked_keys_sessions_end(world: World) -> None:
    key, principal = world.services.keys.create(KeyRole.AUDITOR, "auditor-revoked")
    client = client_of(world)
    assert sign_in(client, key).status_code == 303
    assert who(client) == "auditor-revoked"
    # Revoked by another process (its own key store): this one's cache knows nothing of it.
    other = KeyStore(world.services.keys.engine, api_key_secret(world.services.settings.key_dir))  # type: ignore[union-attr]
    assert other.revoke(principal.key_id)
    assert who(client) is None
    assert client.get("/reports").status_code == 303


def test_a_bad_key_is_an_error_on_the_form_and_counted(world: World) -> None:
    client = client_of(world)
    key_id = world.keys[KeyRole.AUDITOR].split("_")[1]
    for bad in (f"lsn_{key_id}_{'x' * 43}", "not-a-key", "lsn_ffff_nothing")[:BURST]:
        answer = sign_in(client, bad)
        assert answer.status_code == 401
        assert "key: unknown, revoked or malformed API key" in answer.text
        assert '<form id="signin"' in answer.text
        assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")
    over = sign_in(client, "lsn_ffff_again")
    assert over.status_code == 429
    assert int(over.headers["retry-after"]) >= 1
    assert "too many failed authentications" in over.text
    assert "<h1>429" in over.text
    # A good key is never limited (a station behind one address), as in the API.
    assert sign_in(client, world.keys[KeyRole.OFFICER]).status_code == 303


def test_an_empty_key_is_not_counted(world: World) -> None:
    client = client_of(world)
    for _ in range(BURST + 2):
        answer = sign_in(client, "")
        assert answer.status_code == 422
        assert "key: enter an API key" in answer.text


def test_the_form_body_is_bounded_and_urlencoded(world: World) -> None:
    client = client_of(world)
    token = form_token(client.get("/signin").text)
    big = client.post("/signin", data={"key": "x" * 5000, "csrf": token})
    assert big.status_code == 413
    json = client.post("/signin", json={"key": "x", "csrf": token})
    assert json.status_code == 415
    twice = client.post(
        "/signin",
        content=f"csrf={token}&key=a&key=b",
        headers={**HTML, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert twice.status_code == 422
    assert "key: given more than once" in twice.text
