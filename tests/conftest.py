"""Shared fixtures: a migrated database on each backend (SQLite file, PostgreSQL).

PostgreSQL comes from ``scripts/ensure-postgres.sh``, which ``make test`` runs and
which exports ``LIAISON_TEST_PG_URL``. Without it the PostgreSQL tests are skipped,
except under CI=true, where a missing service is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import Engine

from liaison.storage.database import open_engine
from liaison.storage.migrate import upgrade
from scratch_db import scratch_database

if TYPE_CHECKING:
    from typer.testing import Result

    from liaison.api.deps import Services
    from liaison.gateway.service import Gateway
    from liaison.policy import Engine as PolicyEngine

BACKENDS = ["sqlite", "postgresql"]
# The browser tests' fixtures (Debian's chromium, the demo served on 127.0.0.1).
pytest_plugins = ["browser_fixtures"]


# A deployment's settings a developer's shell may hold: no test reads them.
_DEPLOYMENT = (
    "LIAISON_SIGNER_SOCKET",
    "LIAISON_PACK_DIR",
    "LIAISON_LOG_ORIGIN",
    "LIAISON_WITNESSES",
    "LIAISON_CHECKPOINT_INTERVAL",
)


@pytest.fixture(autouse=True)
def _no_deployment_of_the_developer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts without the checkout's own deployment: its default database and
    keys (``var/``, made by ``make run``) and any ``LIAISON_*`` setting in the shell would
    otherwise be found by a command a test runs without them (a clean clone has none, so a
    test passing here must pass there). A test that needs them sets its own."""
    monkeypatch.setenv("LIAISON_KEY_DIR", str(tmp_path / ".default-keys"))
    monkeypatch.setenv("LIAISON_DATABASE_URL", f"sqlite:///{tmp_path / '.default.db'}")
    for name in _DEPLOYMENT:
        monkeypatch.delenv(name, raising=False)


def _pg_url() -> str | None:
    url = os.environ.get("LIAISON_TEST_PG_URL")
    if url is None and os.environ.get("CI") == "true":
        pytest.fail("CI=true and LIAISON_TEST_PG_URL is unset: PostgreSQL is required in CI")
    return url


def database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL for ``backend``; dropped afterwards (PostgreSQL)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'liaison.db'}"
        return
    base = _pg_url()
    if base is None:
        pytest.skip("PostgreSQL not available (run through `make test`)")
    with scratch_database(base, "liaison_test") as url:
        yield url


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database URL, once per backend."""
    for url in database_url(request.param, tmp_path):
        engine = open_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = open_engine(db_url)
    yield eng
    eng.dispose()


@contextmanager
def running_services(
    url: str, folder: Path, *, migrate: bool = True, signing_key: bool = True, **settings: Any
) -> Iterator[Services]:
    """A deployment's services on ``url`` as ``liaison serve`` builds them (no scheduled
    checkpoints), with a signing key made in ``folder/keys``; closed afterwards."""
    from liaison.api.deps import build_services
    from liaison.ledger.keys import keygen
    from liaison.settings import Settings

    if migrate:
        engine = open_engine(url)
        upgrade(engine)
        engine.dispose()
    config = Settings(database_url=url, key_dir=folder / "keys", checkpoint_interval=0, **settings)
    if signing_key:
        keygen(config.key_dir, config.log_origin)
    services = build_services(config)
    try:
        yield services
    finally:
        services.gateway.close()
        services.gateway.db.dispose()


def cli_runner(url: str, folder: Path, origin: str) -> Callable[..., Result]:
    """``liaison ARGS`` run in-process against the deployment on ``url`` that
    ``running_services(url, folder, log_origin=origin)`` built (its keys in ``folder/keys``)."""
    from typer.testing import CliRunner

    from liaison.cli import app as cli_app

    def cli(*args: str) -> Result:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("LIAISON_DATABASE_URL", url)
            env.setenv("LIAISON_KEY_DIR", str(folder / "keys"))
            env.setenv("LIAISON_LOG_ORIGIN", origin)
            return CliRunner().invoke(cli_app, list(args), prog_name="liaison")

    return cli


# -- a gateway on the shipped D.C. pack, signing under the requesting module's ``ORIGIN`` ----


@pytest.fixture(scope="module")
def policy() -> PolicyEngine:
    from liaison.policy import Engine as PolicyEngine
    from liaison.policy import load_pack, shipped_pack_path

    return PolicyEngine(load_pack(shipped_pack_path("dc")))


@pytest.fixture(scope="module")
def keypair(request: pytest.FixtureRequest) -> tuple[str, str]:
    """(signer, verifier) keys named for the module's ``ORIGIN``."""
    from liaison.ledger.note_keys import generate_signer

    return generate_signer(request.module.ORIGIN)


@pytest.fixture
def gateway(
    request: pytest.FixtureRequest,
    engine: Engine,
    policy: PolicyEngine,
    keypair: tuple[str, str],
) -> Iterator[Gateway]:
    from liaison.gateway.service import Gateway
    from liaison.ledger.log import Ledger
    from liaison.ledger.note_keys import parse_signer

    origin = request.module.ORIGIN
    gw = Gateway(policy, Ledger(engine, origin, parse_signer(keypair[0])), engine)
    yield gw
    gw.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The browser tests run last: pytest-playwright's sync API keeps an event loop running
    in the main thread for the rest of the session, and ``asyncio.run`` (used by tests of
    the API's body limits) refuses to start inside one."""
    items.sort(key=lambda item: item.path.parent.name == "browser")  # stable: order kept
