"""``liaison serve`` and ``liaison keys``: the HTTP service and its API keys."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from liaison.gateway.auth import KeyStore, Role
from liaison.settings import Settings
from liaison.storage.database import open_engine

keys_app = typer.Typer(help="API keys: create (shown once), revoke.", no_args_is_help=True)


def _keys() -> KeyStore:
    return KeyStore(open_engine(Settings().database_url))


@keys_app.command("create")
def keys_create(
    role: Annotated[
        Role, typer.Option("--role", help="officer, supervisor, auditor, admin or public.")
    ],
    actor: Annotated[
        str, typer.Option("--actor", help="Who the key speaks for (e.g. officer-1234).")
    ],
    unit: Annotated[
        str | None, typer.Option("--unit", help="Unit (district) of the actor.")
    ] = None,
) -> None:
    """Create an API key; it is printed once and only its argon2id hash is stored."""
    key, principal = _keys().create(role, actor, unit)
    typer.echo(
        json.dumps(
            {
                "key": key,
                "key_id": principal.key_id,
                "role": principal.role.value,
                "actor": principal.actor_id,
                "unit": principal.unit,
            }
        )
    )


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key id (the part after lsn_).")],
) -> None:
    """Revoke a key (effective within 30 seconds in every running process)."""
    if not _keys().revoke(key_id):
        typer.echo(f"error: no active key {key_id!r}", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked {key_id}")


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port.")] = 8000,
    workers: Annotated[
        int, typer.Option("--workers", help="Processes (use PostgreSQL for >1).")
    ] = 1,
) -> None:
    """Serve the HTTP API (and the dashboard) with uvicorn."""
    import uvicorn

    s = Settings()
    if workers > 1 and s.database_url.startswith("sqlite"):
        typer.echo(
            "note: several workers on SQLite serialise on its write lock; "
            "use LIAISON_DATABASE_URL=postgresql+psycopg://... to scale",
            err=True,
        )
    uvicorn.run("liaison.api.main:app", host=host, port=port, workers=workers, log_level="info")
