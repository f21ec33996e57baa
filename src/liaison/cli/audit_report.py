"""``liaison audit report``: the report of audited rows (issue 13, item 4; docs/audit.md,
"Reports") as JSON (standard output by default; its schema is
docs/schemas/audit-report.schema.json), HTML or CSV: the imports, the rows counted by
purpose class, agency, searching organisation and month, every finding with its source row
and citations, the review queue, and the rows not judged with why. It reads only the
deployment's database (no network, no signer). A bad option exits 2, naming it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from liaison.cli.common import fail, fail_on, open_ledger
from liaison.errors import IntegrityFailure, InvalidRequest

FORMATS = ("json", "html", "csv")
OrganisationOpt = Annotated[
    str | None,
    typer.Option(
        "--organisation", help="Only rows searched by this organisation (comma-separated)."
    ),
]


def report(
    import_id: Annotated[
        str | None, typer.Option("--import", help="Only this import's rows (ids: comma-separated).")
    ] = None,
    agency: Annotated[
        str | None, typer.Option("--agency", help="Only this agency's rows (comma-separated).")
    ] = None,
    organisation: OrganisationOpt = None,
    finding: Annotated[
        str | None, typer.Option("--finding", help="yes: only findings; no: only the others.")
    ] = None,
    decision: Annotated[
        str | None,
        typer.Option("--decision", help="permit, deny, not_judged or review (comma-separated)."),
    ] = None,
    purpose_class: Annotated[
        str | None,
        typer.Option("--purpose-class", help="immigration, other, review or unknown."),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option("--from", help="From this instant (RFC 3339 with offset) or month YYYY-MM."),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option("--to", help="Before this instant or month (YYYY-MM: before it starts)."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="json, html or csv.")] = "json",
    output: Annotated[
        Path | None, typer.Option("--output", help="Write to this file (default: stdout).")
    ] = None,
) -> None:
    """The audited rows of every complete import (or those the options select): counts by
    purpose class, agency, organisation and month (in each agency's zone, with offset),
    every finding with its source row and citations, the review queue, the rows not
    judged and why. Only the database is read; each row listed is checked against its
    ledger entry first (a row that differs: exit 1, nothing written)."""
    if fmt not in FORMATS:
        raise fail(f"format: must be one of {', '.join(FORMATS)}", 2)
    asked = {
        "import": import_id,
        "agency": agency,
        "organisation": organisation,
        "finding": finding,
        "decision": decision,
        "purpose_class": purpose_class,
        "from": start,
        "to": end,
    }
    given = {k: v for k, v in asked.items() if v is not None}
    body = _render(given, fmt)
    if output is not None:
        output.write_text(body, encoding="utf-8", newline="")
    else:
        sys.stdout.write(body)
        sys.stdout.flush()


def _render(given: dict[str, str], fmt: str) -> str:
    """The report over the rows ``given`` selects, in ``fmt``; a bad filter exits 2."""
    from liaison.gateway.auth import Principal
    from liaison.gateway.index_reads import IndexReader
    from liaison.gateway.roles import KeyRole
    from liaison.reports import audit_filter, audit_report
    from liaison.reports.render_csv import csv_text
    from liaison.reports.render_html import html

    ledger = open_ledger()  # with its signer: listed rows proven in the signed tree
    db = ledger.engine
    who = Principal("cli", KeyRole.AUDITOR, "cli", None)  # the database's own reader
    try:
        with db.connect() as conn:
            wanted = audit_filter.parse(given, audit_filter.imports_zones(conn))
        doc = audit_report.build(db, wanted, who, given, signed=IndexReader(ledger))
    except InvalidRequest as exc:
        raise fail_on(exc, 2) from None
    except IntegrityFailure as exc:  # a row differs from its ledger entry: nothing shown
        raise fail_on(exc, 1) from None
    finally:
        db.dispose()
    if fmt == "json":
        return doc.model_dump_json(by_alias=True, indent=2) + "\n"
    return html(doc, "audit_report.html.j2") if fmt == "html" else csv_text(doc)
