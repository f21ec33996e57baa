"""Shared fixtures: a migrated database on each backend (SQLite file, PostgreSQL).

PostgreSQL comes from ``scripts/ensure-postgres.sh``, which ``make test`` runs and
which exports ``LIAISON_TEST_PG_URL``. Without it the PostgreSQL tests are skipped,
except under CI=true, where a missing service is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from liaison.storage.database import open_engine
from liaison.storage.migrate import upgrade

BACKENDS = ["sqlite", "postgresql"]


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
    name = f"liaison_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


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
