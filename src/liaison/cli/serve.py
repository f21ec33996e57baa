"""``liaison serve``: the HTTP API with uvicorn (docs/api.md; logs: "Logs")."""

from __future__ import annotations

from typing import Annotated

import typer

from liaison.cli.common import refuse_exposed_key


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
    refuse_exposed_key(s)
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
