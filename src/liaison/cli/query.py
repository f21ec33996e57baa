"""``liaison query decisions|events|encounters|audit-rows``: the records a filter selects, or their
counts (issue 10, item 1; docs/api.md, "Querying the records"): what ``GET /v1/decisions``
(``events``, ``encounters``) and ``GET /v1/stats/...`` answer, read from the deployment's
database as an auditor reads it, each row checked against its ledger entry. A bad filter
exits 2, naming it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

from liaison.cli.common import fail, fail_on, open_ledger
from liaison.errors import InvalidRequest, LiaisonError

if TYPE_CHECKING:
    from liaison.gateway.auth import Principal
    from liaison.ledger.log import Ledger
    from liaison.reports.query import Listing
    from liaison.reports.query_filter import Filter

query_app = typer.Typer(
    help="Query the records: decisions, events, encounters and audited rows, listed or counted.",
    no_args_is_help=True,
)
_WHERE = "A filter KEY=VALUE[,VALUE...] (repeatable; several values: any of them): "
GroupByOpt = Annotated[
    str | None,
    typer.Option("--group-by", help="Count per these keys instead, e.g. kind,month."),
]
FormatOpt = Annotated[str, typer.Option("--format", help="json, csv or jsonl.")]
LimitOpt = Annotated[
    int | None, typer.Option("--limit", help="One page of at most this many (1-1000).")
]
CursorOpt = Annotated[
    str | None, typer.Option("--cursor", help="The page after this one's next_cursor.")
]


def _where_option(keys: str) -> Any:
    return typer.Option("--where", help=_WHERE + keys + ".")


DecisionWhere = Annotated[
    list[str] | None,
    _where_option(
        "from, to (RFC 3339 with an offset), action, decision, basis, view, directive, "
        "section, recipient_type, recipient_agency, database, custody, purpose, unit, "
        "actor, district, encounter, initiative, legal_process, federal_charge "
        "(true/false), arrest_basis, passengers, operation_kind, data_class, encounter_kind"
    ),
]
EventWhere = Annotated[
    list[str] | None,
    _where_option(
        "from, to (RFC 3339 with an offset), kind, flag (a flag, any or none), unit, "
        "actor, encounter, district, encounter_kind, decision"
    ),
]
AuditWhere = Annotated[
    list[str] | None,
    _where_option(
        "from, to (RFC 3339 with an offset, or a month YYYY-MM in each agency's zone), "
        "import, agency, organisation, finding (yes/no), decision (permit, deny, "
        "not_judged, review), purpose_class (immigration, other, review, unknown)"
    ),
]
EncounterWhere = Annotated[
    list[str] | None,
    _where_option(
        "from, to (started; RFC 3339 with an offset), kind, district, unit (opened or "
        "taking part), flag (a flag, any or none), agency_type, agency"
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
    where: DecisionWhere = None,
    group_by: GroupByOpt = None,
    fmt: FormatOpt = "json",
    limit: LimitOpt = None,
    cursor: CursorOpt = None,
) -> None:
    """The recorded decisions the filters select (all of them, or one page with --limit),
    oldest first, or with --group-by how many there are per group (month: in D.C.'s zone;
    purpose, directive, section: a decision in each of its groups)."""
    from liaison.reports.query import DECISIONS

    _query(DECISIONS, where, group_by, fmt, limit, cursor)


@query_app.command("events")
def query_events(
    where: EventWhere = None,
    group_by: GroupByOpt = None,
    fmt: FormatOpt = "json",
    limit: LimitOpt = None,
    cursor: CursorOpt = None,
) -> None:
    """The recorded events the filters select (all of them, or one page with --limit),
    oldest first, or with --group-by (kind, flag, unit, actor, month) how many there are."""
    from liaison.reports.query_events import EVENTS

    _query(EVENTS, where, group_by, fmt, limit, cursor)


@query_app.command("encounters")
def query_encounters(
    where: EncounterWhere = None,
    group_by: GroupByOpt = None,
    fmt: FormatOpt = "json",
    limit: LimitOpt = None,
    cursor: CursorOpt = None,
) -> None:
    """The encounters the filters select (all of them, or one page with --limit), by
    when they started, or with --group-by (kind, district, unit, flag, month) how many."""
    from liaison.reports.query_encounters import ENCOUNTERS

    _query(ENCOUNTERS, where, group_by, fmt, limit, cursor)


@query_app.command("audit-rows")
def query_audit_rows(
    where: AuditWhere = None,
    group_by: GroupByOpt = None,
    fmt: FormatOpt = "json",
    limit: LimitOpt = None,
    cursor: CursorOpt = None,
) -> None:
    """The audited rows of complete imports (`liaison audit import`) the filters select (all
    of them, or one page with --limit), by time in each agency's zone, or with --group-by
    (import, agency, organisation, decision, finding, purpose_class) how many there are.
    Months: `liaison audit report`."""
    from liaison.reports import audit_filter
    from liaison.reports.audit_listing import AUDIT_ROWS

    def read(ledger: Ledger, given: dict[str, str]) -> Filter:
        with ledger.engine.connect() as conn:
            return audit_filter.parse(given, audit_filter.imports_zones(conn))

    _query(AUDIT_ROWS, where, group_by, fmt, limit, cursor, read)


def _query(
    listing: Listing,
    where: list[str] | None,
    group_by: str | None,
    fmt: str,
    limit: int | None,
    cursor: str | None,
    read: Callable[[Ledger, dict[str, str]], Filter] | None = None,
) -> None:
    from liaison.gateway.auth import Principal
    from liaison.gateway.roles import KeyRole
    from liaison.reports.query import parse_group_by
    from liaison.reports.query_filter import parse_filter
    from liaison.reports.query_formats import FORMATS

    if fmt not in FORMATS:
        raise fail(f"format: must be one of {', '.join(FORMATS)}", 2)
    try:
        given = _where(where or [])
        wanted = parse_filter(listing.filters, given) if read is None else None
        keys = parse_group_by(group_by, listing) if group_by is not None else None
    except InvalidRequest as exc:
        raise fail_on(exc, 2) from None
    ledger = open_ledger()
    if read is not None:  # a filter read against the database (its zones)
        try:
            wanted = read(ledger, given)
        except InvalidRequest as exc:
            raise fail_on(exc, 2) from None
    assert wanted is not None
    who = Principal("cli", KeyRole.AUDITOR, "cli", None)  # the database's own reader
    try:
        if keys is not None:
            _counts(ledger, who, listing, wanted, keys, fmt)
        else:
            _items(ledger, who, listing, wanted, fmt, limit, cursor)
    except InvalidRequest as exc:
        raise fail_on(exc, 2) from None
    except LiaisonError as exc:
        raise fail_on(exc) from None


def _counts(
    ledger: Ledger,
    who: Principal,
    listing: Listing,
    wanted: Filter,
    keys: Sequence[str],
    fmt: str,
) -> None:
    from liaison.reports.query import counts
    from liaison.reports.query_formats import counts_text

    answer = counts(ledger.engine, who, wanted, keys, listing)
    if fmt == "json":
        typer.echo(json.dumps(answer, indent=2, ensure_ascii=False))
    else:
        typer.echo(counts_text(answer, fmt), nl=False)


def _items(
    ledger: Ledger,
    who: Principal,
    listing: Listing,
    wanted: Filter,
    fmt: str,
    limit: int | None,
    cursor: str | None,
) -> None:
    from liaison.gateway.index_reads import IndexReader
    from liaison.reports.query import MAX_LIMIT, page
    from liaison.reports.query_formats import items_text

    reader = IndexReader(ledger)
    items: list[dict[str, Any]] = []
    while True:
        found = page(ledger.engine, reader, who, wanted, limit or MAX_LIMIT, cursor, listing)
        items.extend(found.items)
        cursor = found.next_cursor
        if limit is not None or cursor is None:
            break
    if fmt == "json":
        body = {"items": items, "total": found.total, "next_cursor": cursor}
        typer.echo(json.dumps(body, indent=2, ensure_ascii=False))
        return
    typer.echo(items_text(items, fmt, listing.csv_columns), nl=False)
    if cursor is not None:
        typer.echo(f"next cursor: {cursor}", err=True)
