"""A deployment with the demo history loaded (``liaison demo --per-day 2``), for the pages'
tests (issue 11): its services, an in-process client of its app, and an API key of each
role. Built the way a user builds one: on the command line, then served."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fastapi.testclient import TestClient

from conftest import cli_runner, running_services
from liaison.api.app import create_app
from liaison.api.deps import Services
from liaison.gateway.roles import KeyRole

ORIGIN = "test.example/pages"


@dataclass
class Site:
    folder: Path
    url: str  # the database's SQLAlchemy URL
    services: Services
    client: TestClient
    keys: dict[KeyRole, str] = field(default_factory=dict)

    def bearer(self, role: KeyRole) -> dict[str, str]:
        """The ``Authorization`` header of the key of ``role``."""
        return {"Authorization": f"Bearer {self.keys[role]}"}


@contextmanager
def demo_site(folder: Path, url: str | None = None) -> Iterator[Site]:
    """The demo (two records a day) on ``url`` (default: a SQLite file in ``folder``),
    served by ``create_app``; a key of each role, and a signed checkpoint of it all."""
    url = url or f"sqlite:///{folder / 'liaison.db'}"
    cli = cli_runner(url, folder, ORIGIN)
    for args in (
        ("db", "upgrade"),
        ("ledger", "keygen"),
        ("demo", "--per-day", "2", "--key-file", str(folder / "demo-auditor.key")),
        ("ledger", "checkpoint"),
    ):
        got = cli(*args)
        assert got.exit_code == 0, (args, got.output)
    with running_services(url, folder, migrate=False, signing_key=False, log_origin=ORIGIN) as svc:
        site = Site(folder, url, svc, TestClient(create_app(services=svc)))
        units = {KeyRole.OFFICER: "1D", KeyRole.SUPERVISOR: "1D"}
        for role in KeyRole:
            site.keys[role], _ = svc.keys.create(role, f"{role.value}-1", units.get(role))
        yield site
