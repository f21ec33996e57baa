"""``liaison replay``: every decision recorded in a range decided again under another view
of the pack in force, or under a draft pack, and what would have changed (issue 10,
item 3; ``liaison.reports.replay``). What ``POST /v1/replays`` answers, read from the
deployment's database, each record checked against its ledger entry.

Exits 0 with the report; 2 for bad input (``--from``/``--to``, an unknown ``--view``, a
bad ``--format`` or ``--limit-records``), naming it; 1 when the draft pack is invalid
(every problem with its file and line, as ``liaison decide --pack`` does) or the records
disagree with the ledger.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from liaison.cli.common import fail, fail_on, open_ledger
from liaison.errors import InvalidRequest, LiaisonError

if TYPE_CHECKING:
    from datetime import datetime

    from liaison.ledger.log import Ledger
    from liaison.policy.engine import Engine
    from liaison.policy.pack_files import PackFiles
    from liaison.reports.replay import ReplayPlan

FORMATS = ("text", "json", "csv")


def _instant(text: str, field: str) -> datetime:
    from liaison.model.timestamps import parse_instant

    try:
        return parse_instant(text)
    except ValueError as exc:
        raise InvalidRequest(field, f"{field}: {exc}") from None


def _pack(ledger: Ledger, folder: Path | None) -> tuple[Engine, dict[str, Any], PackFiles]:
    from liaison.gateway.pack_ledger import verified_pack
    from liaison.policy.pack_files import read_pack_files
    from liaison.reports.replay import draft_pack, pack_in_force

    if folder is not None:
        files = read_pack_files(folder)
        return (*draft_pack(files, root=folder), files)
    stored = verified_pack(ledger)
    if stored is None:
        raise fail("no pack is recorded in the database; replay under a folder with --pack")
    return (*pack_in_force(stored), stored.files)


def _replayed(
    plan: ReplayPlan, ledger: Ledger, files: PackFiles, folder: Path | None, workers: int
) -> dict[str, Any]:
    from liaison.gateway.index_reads import IndexReader
    from liaison.reports.replay_workers import Source, replay_in_parts
    from liaison.settings import Settings

    settings = Settings()
    source = Source(
        settings.database_url,
        settings.log_origin,
        settings.key_dir,
        files,
        folder,
        settings.signer_socket,
    )
    return replay_in_parts(IndexReader(ledger), plan, source, workers)


def replay_command(
    start: Annotated[
        str, typer.Option("--from", help="Decisions made at or after this RFC 3339 instant.")
    ],
    stop: Annotated[str, typer.Option("--to", help="... and before this one (RFC 3339).")],
    view: Annotated[
        str | None,
        typer.Option("--view", help="Decide under this view (default: each decision's own)."),
    ] = None,
    pack: Annotated[
        Path | None,
        typer.Option(
            "--pack",
            help="A draft pack folder to decide under (default: the pack in force).",
            file_okay=False,
        ),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="text (a summary), json, or csv (flipped records).")
    ] = "text",
    limit: Annotated[
        int, typer.Option("--limit-records", help="List at most this many records (0-1000).")
    ] = 100,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            max=16,
            help="Processes to replay with (default: the CPUs, up to 4).",
        ),
    ] = min(os.cpu_count() or 1, 4),
) -> None:
    """Decide every recorded request in [--from, --to) again, under --view or a draft
    --pack, and report what would have changed: flips by action, directive and month (in
    D.C.'s zone), and the flipped records. Records that cannot be decided again (erased
    personal data the outcome depends on, ...) are counted apart, with why."""
    from liaison.reports.replay import make_plan
    from liaison.reports.replay_tally import flipped_csv

    if fmt not in FORMATS:
        raise fail(f"format: must be one of {', '.join(FORMATS)}", 2)
    try:
        start_at, stop_at = _instant(start, "from"), _instant(stop, "to")
        ledger = open_ledger()
        engine, described, files = _pack(ledger, pack)
        plan = make_plan(start_at, stop_at, view, engine, described, limit)
        report = _replayed(plan, ledger, files, pack, workers)
    except InvalidRequest as exc:
        raise fail_on(exc, 2) from None
    except LiaisonError as exc:
        raise fail_on(exc) from None
    if fmt == "json":
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False))
    elif fmt == "csv":
        typer.echo(flipped_csv(report), nl=False)
    else:
        print_summary(report)


def print_summary(report: dict[str, Any]) -> None:
    """The report for a person: its totals, flips by action, directive and month, and the
    first flipped and unreplayable records (rich tables)."""
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(Console().width, 120))
    pack = report["pack"]
    digest = f", {pack['digest'][:19]}" if "digest" in pack else ""
    view = f"view {report['view']}" if report["view"] else "each decision's own view"
    console.print(
        f"Replay of decisions from {report['from']} to {report['to']}, under {view}, "
        f"pack {pack['id']} ({pack['source']}{digest})"
    )
    flips = report["flips"]
    totals = Table("", "count")
    for label, value in (
        ("records in range", report["records"]),
        ("replayed", report["replayed"]),
        ("unchanged", report["unchanged"]),
        ("same outcome, other citations", report["same_outcome_other_citations"]),
        ("flipped", flips["total"]),
        ("  permit → deny", flips["permit_to_deny"]),
        ("  deny → permit", flips["deny_to_permit"]),
        ("not replayable", report["not_replayable"]["total"]),
    ):
        totals.add_row(label, str(value))
    console.print(totals)
    for key, title in (("action", "action"), ("directive", "directive"), ("month", "month")):
        rows = flips[f"by_{key}"]
        if rows:
            table = Table(f"flips by {title}", "total", "permit→deny", "deny→permit")
            for row in rows:
                table.add_row(
                    row[key], *(str(row[k]) for k in ("total", "permit_to_deny", "deny_to_permit"))
                )
            console.print(table)
    _records_table(console, report)


def _records_table(console: Any, report: dict[str, Any]) -> None:
    from rich.table import Table

    if report["flipped"]:
        table = Table("id", "ledger", "at (Eastern)", "action", "was", "now", title="flipped")
        for column in table.columns[:4]:
            column.no_wrap = True
        for item in report["flipped"]:
            old, new = item["old"], item["new"]
            table.add_row(
                item["id"],
                str(item["ledger_index"]),
                item["at"],
                item["action"],
                f"{old['decision']} ({', '.join(old['citations']) or old['basis']})",
                f"{new['decision']} ({', '.join(new['citations']) or new['basis']})",
            )
        console.print(table)
    for reason in report["not_replayable"]["by_reason"]:
        console.print(f"not replayable ({reason['count']}): {reason['reason']}")
