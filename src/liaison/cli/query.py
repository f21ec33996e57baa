"""``liaison query decisions``: the recorded decisions a filter selects, or their counts
(issue 10, item 1; docs/api.md, "Querying decisions"): what ``GET /v1/decisions`` and
``GET /v1/stats/decisions`` answer, read from the deployment's database as an auditor
reads it, each row checked against its ledger entry. A bad filter exits 2, naming it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

from liaison.cli.common import fail, fail_on, open_ledger
from liaison.errors import InvalidRequest, LiaisonError

if TYPE_CHECKING:
    from liaison.gateway.auth import Principal
    from liaison.ledger.log import Ledger
    from liaison.reports.query_filter import DecisionFilter

query_app = typer.Typer(
    help="Query the records: decisions by time, action, outcome, directive cited, ...",
    no_args_is_help=True,
)
WhereOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--where",
        help="A filter KEY=VALUE[,VALUE...] (repeatable; several values: any of them): "
        "from, to (RFC 3339 with an offset), action, "
        "decision, basis, view, directive, section, recipient_type, recipient_agency, "
        "database, custody, purpose, unit, actor, district, encounter, initiative, "
        "legal_process, federal_charge (true/false), arrest_basis, passengers, "
        "operation_kind, data_class, encounter_kind.",
    ),
]


def _where(given: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for text in given:
        key, sep, value = text.partition("=")
        if not sep:
            raise InvalidRequest("where", f"where: {text!r} is not KEY=VALUE")
        if key in out:
            raise InvalidRequest(key, f"{key}: given more than once")
        out[key] = value
    return out


@query_app.command("decisions")
def query_decisions(
    where: WhereOpt = None,
    group_by: Annotated[
        str | None,
        typer.Option("--group-by", help="Count per these keys instead, e.g. action,month."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="json, csv or jsonl.")] = "json",
    limit: Annotated[
        int | None, typer.Option("--limit", help="One page of at most this many (1-1000).")
    ] = None,
    cursor: Annotated[
        str | None, typer.Option("--cursor", help="The page after this one's next_cursor.")
    ] = None,
) -> None:
    """The recorded decisions the filters select (all of them, or one page with --limit),
    oldest first, or with --group-by how many there are per group (month: in D.C.'s zone)."""
    from liaison.gateway.auth import Principal
    from liaison.gateway.roles import KeyRole
    from liaison.reports.query import parse_group_by
    from liaison.reports.query_filter import parse_filter
    from liaison.reports.query_formats import FORMATS

    if fmt not in FORMATS:
        raise fail(f"format: must be one of {', '.join(FORMATS)}", 2)
    try:
        wanted = parse_filter(_where(where or []))
        keys = parse_group_by(group_by) if group_by is not None else None
    except InvalidRequest as exc:
        raise fail_on(exc, 2) from None
    who = Principal("cli", KeyRole.AUDITOR, "cli", None)  # the database's own reader
    ledger = open_ledger()
    try:
        if keys is not None:
            _counts(ledger, who, wanted, keys, fmt)
        else:
            _decisions(ledger, who, wanted, fmt, limit, cursor)
    except InvalidRequest as exc:
        raise fail_on(exc, 2) from None
    except LiaisonError as exc:
        raise fail_on(exc) from None


def _counts(
    ledger: Ledger, who: Principal, wanted: DecisionFilter, keys: Sequence[str], fmt: str
) -> None:
    from liaison.reports.query import counts
    from liaison.reports.query_formats import counts_text

    answer = counts(ledger.engine, who, wanted, keys)
    if fmt == "json":
        typer.echo(json.dumps(answer, indent=2, ensure_ascii=False))
    else:
        typer.echo(counts_text(answer, fmt), nl=False)


def _decisions(
    ledger: Ledger,
    who: Principal,
    wanted: DecisionFilter,
    fmt: str,
    limit: int | None,
    cursor: str | None,
) -> None:
    from liaison.gateway.index_reads import IndexReader
    from liaison.reports.query import MAX_LIMIT, page
    from liaison.reports.query_formats import decisions_text

    reader = IndexReader(ledger)
    items: list[dict[str, Any]] = []
    while True:
        found = page(ledger.engine, reader, who, wanted, limit or MAX_LIMIT, cursor)
        items.extend(found.items)
        cursor = found.next_cursor
        if limit is not None or cursor is None:
            break
    if fmt == "json":
        body = {"items": items, "total": found.total, "next_cursor": cursor}
        typer.echo(json.dumps(body, indent=2, ensure_ascii=False))
        return
    typer.echo(decisions_text(items, fmt), nl=False)
    if cursor is not None:
        typer.echo(f"next cursor: {cursor}", err=True)
