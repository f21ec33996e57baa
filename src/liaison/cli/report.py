"""``liaison report NAME``: a report over the deployment's records (issue 10, item 2;
docs/reports.md), counted up to a signed checkpoint, as JSON (standard output by default),
HTML, CSV or PDF. A PDF is written to ``--output``, or to standard output only when that
is not a terminal. A bad option exits 2 naming it; an unknown report exits 2 naming the
reports there are; no checkpoint (and no key to sign one) exits 1.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from liaison.cli.common import (
    CheckpointOpt,
    FromOpt,
    ToOpt,
    fail,
    fail_on,
    open_ledger,
    report_scope,
)
from liaison.errors import InvalidRequest, NotFound


def report(
    name: Annotated[str, typer.Argument(help="The report: council, annual-24-211.07d, ...")],
    start: FromOpt = None,
    end: ToOpt = None,
    view: Annotated[
        str | None, typer.Option("--view", help="Only decisions made under this view.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="json, html, csv or pdf.")] = "json",
    output: Annotated[
        Path | None, typer.Option("--output", help="Write to this file (default: stdout).")
    ] = None,
    checkpoint: CheckpointOpt = None,
    decision: Annotated[
        str | None, typer.Option("--decision", help="authority: this decision's chain too.")
    ] = None,
    actor: Annotated[
        str | None, typer.Option("--actor", help="authority: the actor whose --decision.")
    ] = None,
    directive: Annotated[
        str | None,
        typer.Option("--directive", help="before-after: around this directive (EO-25-005)."),
    ] = None,
    days: Annotated[
        str | None, typer.Option("--days", help="before-after: windows of this many days.")
    ] = None,
) -> None:
    """A report over the records up to the newest signed checkpoint (signed first when the
    tree grew), in the period [--from, --to), named at its top."""
    from liaison.reports import report_run
    from liaison.reports.catalog import entry

    wanted = {"decision": decision, "actor": actor, "directive": directive, "days": days}
    try:
        report_run.check_format(fmt)
        entry(name)
        given = report_run.options(name, wanted)
    except (InvalidRequest, NotFound) as exc:
        raise fail_on(exc, 2) from None
    if fmt == "pdf" and output is None and sys.stdout.isatty():
        raise fail("output: a PDF is written to --output FILE, or to a pipe", 2)
    body = _report(name, {"from": start, "to": end, "view": view}, checkpoint, given, fmt)
    if output is not None:
        output.write_bytes(body)
    else:
        sys.stdout.buffer.write(body)
        sys.stdout.flush()


def _report(
    name: str,
    period: dict[str, str | None],
    checkpoint: int | None,
    given: dict[str, Any],
    fmt: str,
) -> bytes:
    """The report rendered, over the deployment's records; a bad option exits 2."""
    from liaison.reports import report_run

    with report_scope(open_ledger(), period, checkpoint) as (where, index):
        return report_run.render(report_run.run(name, where, index, given), fmt)
