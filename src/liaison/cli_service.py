"""``liaison serve`` and ``liaison keys``: the HTTP service and its API keys."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:  # imported where used: `liaison decide` must start fast
    from liaison.gateway.auth import KeyStore
    from liaison.settings import Settings

from liaison.gateway.roles import KeyRole

keys_app = typer.Typer(help="API keys: create (shown once), revoke.", no_args_is_help=True)


def _keys(*, verifying: bool = True) -> KeyStore:
    """The deployment's key store; with the server secret (made if missing) when it must
    make or check keys (revoking needs none, so it works without the key directory)."""
    import secrets

    from liaison.cli_ledger import _fail
    from liaison.errors import LiaisonError
    from liaison.gateway.auth import KeyStore
    from liaison.gateway.key_secret import api_key_secret
    from liaison.settings import Settings
    from liaison.storage.database import open_engine

    settings = Settings()
    try:
        secret = api_key_secret(settings.key_dir) if verifying else secrets.token_bytes(32)
    except LiaisonError as exc:
        raise _fail(exc) from None
    return KeyStore(open_engine(settings.database_url), secret)


@keys_app.command("create")
def keys_create(
    role: Annotated[
        KeyRole, typer.Option("--role", help="officer, supervisor, auditor, admin or public.")
    ],
    actor: Annotated[
        str, typer.Option("--actor", help="Who the key speaks for (e.g. officer-1234).")
    ],
    unit: Annotated[
        str | None, typer.Option("--unit", help="Unit (district) of the actor.")
    ] = None,
) -> None:
    """Create an API key; it is printed once and only its MAC is stored (HMAC-SHA256 under
    LIAISON_KEY_DIR/api-keys.secret, made if missing)."""
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
    if not _keys(verifying=False).revoke(key_id):
        typer.echo(f"error: no active key {key_id!r}", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked {key_id}")


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port.")] = 8000,
    workers: Annotated[
        int, typer.Option("--workers", help="Processes (use PostgreSQL for >1).")
    ] = 1,
    access_log: Annotated[
        bool,
        typer.Option(
            "--access-log/--no-access-log",
            help="Log every HTTP request (structured, with its request id).",
        ),
    ] = False,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            "--forwarded-allow-ips",
            help="Reverse proxies (comma-separated addresses, or *) whose X-Forwarded-For "
            "names the client; default LIAISON_FORWARDED_ALLOW_IPS, else none: the client "
            "is the address that connects (failed API keys are limited per client).",
        ),
    ] = None,
) -> None:
    """Serve the HTTP API with uvicorn (logs: structlog JSON on stderr; LIAISON_LOG_FORMAT)."""
    import os

    import uvicorn

    from liaison.settings import Settings

    s = Settings()
    _refuse_exposed_key(s)
    if workers > 1 and s.database_url.startswith("sqlite"):
        typer.echo(
            "note: several workers on SQLite serialise on its write lock; "
            "use LIAISON_DATABASE_URL=postgresql+psycopg://... to scale",
            err=True,
        )
    # The ledger is the record of what was decided; the per-request log (structlog, with
    # request ids) is off by default because it is a write on the event loop per request.
    # Workers are processes: the environment carries the choice to them.
    if access_log:
        os.environ["LIAISON_ACCESS_LOG"] = "true"
    # uvicorn trusts X-Forwarded-For from 127.0.0.1 unless told otherwise: any local
    # client could then name a new address per request and never be rate-limited.
    proxies = s.forwarded_allow_ips if forwarded_allow_ips is None else forwarded_allow_ips
    uvicorn.run(
        "liaison.api.main:app",
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=False,
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or None,
    )


def _refuse_exposed_key(settings: Settings) -> None:
    """Exit 1 before starting when the signing key is readable by group or others."""
    from liaison.cli_ledger import _fail
    from liaison.errors import LiaisonError
    from liaison.ledger.keys import load_signer

    try:
        load_signer(settings.key_dir)
    except LiaisonError as exc:
        raise _fail(exc) from None


def demo(
    per_day: Annotated[int, typer.Option("--per-day", help="Traffic stops per day.")] = 30,
    key_file: Annotated[
        str, typer.Option("--key-file", help="Where to keep the demo auditor key.")
    ] = "var/demo-auditor.key",
) -> None:
    """Load the demo history (Aug-Sep 2025) through the gateway; print a demo auditor key."""
    import os
    from pathlib import Path

    from rich.progress import Progress

    from liaison.api.deps import build_services
    from liaison.demo import _stops, load_demo
    from liaison.files import private_dir
    from liaison.logs import configure as configure_logs
    from liaison.settings import Settings

    settings = Settings()
    configure_logs(settings.log_format, settings.log_level)
    _refuse_exposed_key(settings)
    services = build_services(settings)
    total = len(_stops(2025, per_day)) + 1
    try:
        with Progress(transient=True) as bar:
            task = bar.add_task("loading the demo history", total=total)
            result = load_demo(
                services.gateway,
                per_day=per_day,
                progress=lambda n: bar.advance(task, n),
            )
    finally:
        services.gateway.close()
    if result.skipped:
        typer.echo("demo history already loaded")
    else:
        typer.echo(f"demo history loaded: {result.decisions} decisions, {result.events} events")
    path = Path(key_file)
    if not path.exists():
        key, _ = services.keys.create(KeyRole.AUDITOR, "demo-auditor")
        private_dir(path.parent)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key + "\n")
    typer.echo(f"demo auditor key (in {path}): {path.read_text().strip()}")
