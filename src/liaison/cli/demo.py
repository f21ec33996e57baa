"""``liaison demo``: load the demo history (``liaison.demo``) into this deployment through
its gateway, keep a demo auditor key to look at it with (``make run``), and import the
demo's ALPR search log (``liaison.demo.flock_export``) as ``liaison audit import`` does."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from liaison.cli.common import refuse_exposed_key
from liaison.gateway.roles import KeyRole


def demo(
    per_day: Annotated[int, typer.Option("--per-day", help="Traffic stops per day.")] = 30,
    key_file: Annotated[
        str, typer.Option("--key-file", help="Where to keep the demo auditor key.")
    ] = "var/demo-auditor.key",
) -> None:
    """Load the demo history (Aug-Sep 2025) through the gateway; print a demo auditor key."""
    import os

    from rich.progress import Progress

    from liaison.api.deps import build_services
    from liaison.demo.loader import load_demo
    from liaison.demo.timeline import SEED, stops
    from liaison.files import private_dir
    from liaison.logs import configure as configure_logs
    from liaison.settings import Settings

    settings = Settings()
    configure_logs(settings.log_format, settings.log_level)
    refuse_exposed_key(settings)
    services = build_services(settings)
    total = len(stops(SEED, per_day)) + 2  # the stops, the checkpoint and the patrol
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
    _import_search_log(Path(key_file).parent / "demo-flock-portal.csv")


def _import_search_log(path: Path) -> None:
    """The demo's ALPR search log (``liaison.demo.flock_export``), written and imported as
    ``liaison audit import FILE --jurisdiction-pack dc`` does it (again: nothing changes)."""
    from liaison.cli.audit_import import audit_import
    from liaison.demo.flock_export import write_export

    audit_import(
        [write_export(path)],
        format="flock-portal",
        jurisdiction_pack="dc",
        agency="MPD",
        quiet=True,
        json_out=False,
    )
