"""API keys that cannot be used against the service (issue 8, item 6), on each backend.

Before: a live key id with a wrong secret cost an argon2id verification (285 ms, 64 MiB)
per request, and 40 concurrent ones took the server from 107 MiB to 2.5 GB; the answer
told a malformed key from an unknown one; bad keys were never limited and their cache
grew without bound. Now a key is checked with HMAC-SHA256 under the server secret
(``api-keys.secret``, 0600): every bad key costs the same work and gets the same answer;
bad keys are rate-limited per client address (429, ``Retry-After``); both key caches are
bounded; keys made with argon2 keep working and become MACs on first use.
"""

from __future__ import annotations

import stat
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, insert, select
from typer.testing import CliRunner

from conftest import BACKENDS, database_url, running_services
from liaison.api.app import create_app
from liaison.api.deps import Services
from liaison.cli import app as cli_app
from liaison.errors import SigningKeyError, Unauthenticated
from liaison.gateway import auth
from liaison.gateway.auth import KeyStore
from liaison.gateway.key_secret import API_KEY_SECRET_FILE, api_key_secret
from liaison.gateway.roles import KeyRole
from liaison.storage.database import open_engine
from liaison.storage.migrate import upgrade
from liaison.storage.tables import api_keys

BURST = 3  # bad keys a client may send before 429
CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)  # legacy rows, made fast


@dataclass
class World:
    app: FastAPI
    services: Services

    def client(self, address: str) -> TestClient:
        """A client calling from ``address`` (the rate limit is per address)."""
        return TestClient(self.app, client=(address, 50000))

    def key(self) -> str:
        return self.services.keys.create(KeyRole.AUDITOR, "auditor-1")[0]


@pytest.fixture(scope="module", params=BACKENDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    tmp_path = tmp_path_factory.mktemp("keys")
    for url in database_url(request.param, tmp_path):
        with running_services(
            url, tmp_path, auth_failure_burst=BURST, auth_failures_per_minute=1.0
        ) as services:
            yield World(create_app(services=services), services)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def argon2_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every argon2 verification made (whatever hasher instance makes it)."""
    calls: list[str] = []
    real = PasswordHasher.verify

    def counted(self: PasswordHasher, hash: str | bytes, password: str | bytes) -> bool:
        calls.append(str(hash))
        return real(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counted)
    return calls


def _wrong_secret(key: str) -> str:
    return key[: key.rindex("_") + 1] + "x" * 43 if key.count("_") == 2 else key + "x"


# -- the same work and answer for every bad key ----------------------------------------------


def test_wrong_secret_for_a_live_id_costs_no_argon2(world: World, argon2_calls: list[str]) -> None:
    key = world.key()
    client = world.client("10.0.1.1")
    assert client.get("/v1/directives", headers=bearer(_wrong_secret(key))).status_code == 401
    assert client.get("/v1/directives", headers=bearer(key)).status_code == 200
    assert argon2_calls == []


def test_bad_keys_are_indistinguishable(
    world: World, monkeypatch: pytest.MonkeyPatch, argon2_calls: list[str]
) -> None:
    """Unknown id, wrong secret, revoked, malformed: the same status and body, and the same
    work (one MAC, one lookup of api_keys), counted rather than timed."""
    live, revoked = world.key(), world.key()
    client = world.client("10.0.2.1")
    assert client.get("/v1/directives", headers=bearer(revoked)).status_code == 200
    assert world.services.keys.revoke(revoked.split("_")[1])
    macs: list[str] = []
    real_mac = getattr(auth, "key_mac", None)  # (before MACs: no such function)

    def counted_mac(secret: bytes, key: str) -> bytes:
        macs.append(key)
        assert real_mac is not None
        return bytes(real_mac(secret, key))

    monkeypatch.setattr(auth, "key_mac", counted_mac, raising=False)
    lookups = _lookups(world.services.keys.engine)
    bad = {
        "unknown id": "lsn_0123456789ab_" + live.split("_", 2)[2],
        "wrong secret": _wrong_secret(live),
        "revoked": revoked,
        "malformed": "not-a-key",
        "bad id": "lsn_NOT-HEX_" + "y" * 43,
    }
    answers, work = {}, {}
    for n, (name, key) in enumerate(bad.items()):
        macs.clear()
        lookups.clear()
        response = world.client(f"10.0.2.{n + 2}").get("/v1/directives", headers=bearer(key))
        answers[name] = (response.status_code, response.json())
        work[name] = (len(macs), len(lookups))
    assert len(set(map(repr, answers.values()))) == 1, answers
    assert answers["unknown id"][0] == 401
    assert answers["unknown id"][1]["error"]["code"] == "unauthenticated"
    assert set(work.values()) == {(1, 1)}, work
    assert argon2_calls == []


def _lookups(engine: Engine) -> list[str]:
    """The statements on api_keys from now on (for the rest of the test)."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        if "api_keys" in args[2]:
            seen.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    return seen


# -- rate limit -------------------------------------------------------------------------------


def test_bad_keys_are_rate_limited_per_client(world: World) -> None:
    """After BURST bad keys one client gets 429 with Retry-After; another client does not;
    a good key still works from the limited client (many devices may share an address);
    a missing key is not counted."""
    limited, other = world.client("10.0.3.1"), world.client("10.0.3.2")
    good = world.key()  # never used yet: checked, not cached, when the client is limited
    for n in range(BURST):
        response = limited.get("/v1/directives", headers=bearer(f"lsn_{n:012x}_{'z' * 43}"))
        assert response.status_code == 401
    over = limited.get("/v1/directives", headers=bearer("lsn_ffffffffffff_" + "z" * 43))
    assert over.status_code == 429
    assert int(over.headers["retry-after"]) >= 1
    assert set(over.json()) == {"error"}
    assert over.json()["error"]["code"] == "rate_limited"
    repeated = limited.get("/v1/directives", headers=bearer("lsn_000000000000_" + "z" * 43))
    assert repeated.status_code == 429  # a bad key already seen is limited too
    assert limited.get("/v1/directives", headers=bearer(good)).status_code == 200
    assert limited.get("/v1/directives").status_code == 401  # no key: not limited
    assert other.get("/v1/directives", headers=bearer("lsn_x_y")).status_code == 401
    assert other.get("/v1/directives", headers=bearer(good)).status_code == 200


def test_the_client_table_is_bounded() -> None:
    from liaison.api.ratelimit import FailureLimiter
    from liaison.errors import RateLimited

    limiter = FailureLimiter(burst=1, per_minute=60.0, clients=16)
    for n in range(1000):
        limiter.failed(f"10.1.{n // 256}.{n % 256}")
    assert len(limiter) == 16
    with pytest.raises(RateLimited) as caught:
        limiter.failed("10.1.3.231")  # the last one: its one failure is spent
    assert caught.value.retry_after == 1


# -- bounded caches; revocation -------------------------------------------------------------


def test_key_caches_are_bounded(engine: Engine) -> None:
    keys = KeyStore(engine, b"k" * 32, good=4, bad=8)
    made = [keys.create(KeyRole.OFFICER, f"officer-{n}", "1D") for n in range(10)]
    for n in range(200):
        with pytest.raises(Unauthenticated):
            keys.authenticate(f"lsn_{n:012x}_{'q' * 43}")
        assert len(keys._bad) <= 8
    for key, principal in made * 2:
        assert keys.authenticate(key) == principal  # evicted keys are checked again
        assert len(keys._good) <= 4


def test_revocation_reaches_every_process_within_the_cache_period(engine: Engine) -> None:
    one = KeyStore(engine, b"k" * 32, seconds=0.3)
    other = KeyStore(engine, b"k" * 32, seconds=0.3)  # another process of the deployment
    key, principal = one.create(KeyRole.OFFICER, "officer-1", "1D")
    assert other.authenticate(key) == principal
    assert one.revoke(principal.key_id)
    with pytest.raises(Unauthenticated):
        one.authenticate(key)  # at once in the revoking process
    time.sleep(0.35)
    with pytest.raises(Unauthenticated) as caught:
        other.authenticate(key)
    assert caught.value.message == auth.BAD_KEY


# -- keys made with argon2 ------------------------------------------------------------------


def _legacy_key(engine: Engine, key_id: str, role: KeyRole = KeyRole.AUDITOR) -> str:
    """A key as the code before MACs made it: only an argon2id hash of the secret stored."""
    secret = f"legacy-secret-{key_id}"
    with engine.begin() as conn:
        conn.execute(
            insert(api_keys).values(
                id=key_id,
                secret_hash=CHEAP.hash(secret),
                role=role.value,
                actor_id="auditor-9",
                unit=None,
                created_at=datetime.now(UTC),
            )
        )
    return f"lsn_{key_id}_{secret}"


def _stored(engine: Engine, key_id: str) -> tuple[str | None, str | None]:
    with engine.connect() as conn:
        row = conn.execute(select(api_keys).where(api_keys.c.id == key_id)).one()
    return row.secret_mac, row.secret_hash


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_legacy_key_is_migrated_with_the_schema_and_on_first_use(
    backend: str, tmp_path: Path, argon2_calls: list[str]
) -> None:
    for url in database_url(backend, tmp_path):
        engine = open_engine(url)
        upgrade(engine, "0003")  # the schema before MACs
        key = _legacy_key(engine, "01d01d01d01d")
        upgrade(engine)
        key_id = key.split("_")[1]
        engine.dispose()
        with running_services(url, tmp_path) as services:
            app = create_app(services=services)
            client = TestClient(app, client=("10.0.5.1", 50000))
            wrong = client.get("/v1/directives", headers=bearer(key + "x"))
            assert wrong.status_code == 401
            assert client.get("/v1/directives", headers=bearer(key)).status_code == 200
            assert len(argon2_calls) == 2  # the wrong one and the first good use
            mac, argon2_hash = _stored(services.keys.engine, key_id)
            secret = api_key_secret(tmp_path / "keys")
            assert mac == auth.key_mac(secret, key).hex()
            assert argon2_hash is None
            again = KeyStore(services.keys.engine, secret)  # a new process: no cache
            assert again.authenticate(key).key_id == key_id
            assert len(argon2_calls) == 2


def test_legacy_verifications_run_one_at_a_time(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """However many arrive at once, argon2 (64 MiB each at its defaults) runs one at a time."""
    keys = KeyStore(engine, b"k" * 32)
    legacy = [_legacy_key(engine, f"{n:012x}") for n in range(6)]
    running, most = [0], [0]
    lock = threading.Lock()
    real = PasswordHasher.verify

    def slow(self: PasswordHasher, hash: str | bytes, password: str | bytes) -> bool:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.05)
        try:
            return real(self, hash, password)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(PasswordHasher, "verify", slow)
    results: list[object] = []
    calls = [_call(keys.authenticate, k) for k in legacy] + [
        _call(keys.authenticate, k + "x") for k in legacy
    ]
    threads = [threading.Thread(target=lambda c=c: results.append(c())) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most[0] == 1
    assert sum(isinstance(r, Unauthenticated) for r in results) == len(legacy)


def _call(fn: Callable[[str], object], key: str) -> Callable[[], object]:
    def run() -> object:
        try:
            return fn(key)
        except Unauthenticated as exc:
            return exc

    return run


def test_a_limited_client_gets_no_argon2(world: World, argon2_calls: list[str]) -> None:
    key = _legacy_key(world.services.keys.engine, "abcdef012345")
    limited = world.client("10.0.6.1")
    for n in range(BURST):
        limited.get("/v1/directives", headers=bearer(f"lsn_{n:012x}_{'w' * 43}"))
    assert limited.get("/v1/directives", headers=bearer(key)).status_code == 429
    assert argon2_calls == []
    fresh = world.client("10.0.6.2")  # not remembered as bad: works from a client in limits
    assert fresh.get("/v1/directives", headers=bearer(key)).status_code == 200
    assert len(argon2_calls) == 1


# -- the server secret ----------------------------------------------------------------------


def test_the_secret_file_is_owner_only_and_made_once(tmp_path: Path) -> None:
    folder = tmp_path / "keys"
    secrets: list[bytes] = []
    start = threading.Barrier(8)

    def make() -> None:
        start.wait()
        secrets.append(api_key_secret(folder))

    threads = [threading.Thread(target=make) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(secrets) == 8
    assert set(secrets) == {secrets[0]}
    assert len(secrets[0]) == 32
    path = folder / API_KEY_SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert sorted(p.name for p in folder.iterdir()) == [API_KEY_SECRET_FILE]  # no leftovers
    assert api_key_secret(folder) == secrets[0]
    path.chmod(0o640)
    with pytest.raises(SigningKeyError, match="owner-only"):
        api_key_secret(folder)


def test_keygen_and_keys_create_make_the_secret(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for command, folder in [
        (["ledger", "keygen"], "a"),
        (["keys", "create", "--role", "auditor", "--actor", "a-1"], "b"),
    ]:
        monkeypatch.setenv("LIAISON_DATABASE_URL", db_url)
        monkeypatch.setenv("LIAISON_KEY_DIR", str(tmp_path / folder))
        result = CliRunner().invoke(cli_app, command, prog_name="liaison")
        assert result.exit_code == 0, (result.stdout, result.stderr)
        path = tmp_path / folder / API_KEY_SECRET_FILE
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


# -- the client address behind uvicorn -----------------------------------------------------


def _served(world: World, monkeypatch: pytest.MonkeyPatch, *options: str) -> dict[str, Any]:
    """The uvicorn options ``liaison serve`` starts with (uvicorn.run is not called)."""
    import uvicorn

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: seen.update(kwargs))
    settings = world.services.settings
    assert settings is not None
    monkeypatch.setenv("LIAISON_KEY_DIR", str(settings.key_dir))
    result = CliRunner().invoke(cli_app, ["serve", *options])
    assert result.exit_code == 0, result.output
    return {k: v for k, v in seen.items() if k not in ("host", "port", "workers")}


def _statuses_from_loopback(
    world: World, options: dict[str, Any], forwarded: list[str]
) -> list[int]:
    """Statuses of bad keys sent over HTTP from 127.0.0.1 to uvicorn serving the world's
    app as ``liaison serve`` configures it, each request with its X-Forwarded-For."""
    import httpx
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(world.app, host="127.0.0.1", port=0, **options))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        statuses = []
        for n, address in enumerate(forwarded):
            headers = {**bearer(f"lsn_{n:012x}_{'q' * 43}"), "X-Forwarded-For": address}
            statuses.append(
                httpx.get(f"http://127.0.0.1:{port}/v1/directives", headers=headers).status_code
            )
        return statuses
    finally:
        server.should_exit = True
        thread.join()


def test_a_client_cannot_escape_the_limit_with_x_forwarded_for(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """uvicorn trusts X-Forwarded-For from 127.0.0.1 by default: a local client sending a
    new address with every bad key was never limited. ``liaison serve`` trusts no proxy
    unless told (--forwarded-allow-ips); then the forwarded address is the client's."""
    options = _served(world, monkeypatch)
    spoofed = [f"10.9.{n}.1" for n in range(BURST + 2)]
    assert _statuses_from_loopback(world, options, spoofed)[-2:] == [429, 429]
    trusted = _served(world, monkeypatch, "--forwarded-allow-ips", "127.0.0.1")
    behind = ["10.9.99.1"] * BURST + ["10.9.99.2"]
    assert _statuses_from_loopback(world, trusted, behind) == [401] * BURST + [401]
    assert _statuses_from_loopback(world, trusted, ["10.9.99.1"]) == [429]
