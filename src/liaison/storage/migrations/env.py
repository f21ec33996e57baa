"""Alembic environment: migrations run on the connection liaison hands over (storage.migrate)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from liaison.storage.tables import metadata


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - liaison always passes a connection
    raise RuntimeError("run migrations through `liaison db upgrade` (liaison.storage.migrate)")
_run(connection)
