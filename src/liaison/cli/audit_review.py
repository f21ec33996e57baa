"""``liaison audit review IMPORT ROW`` and ``liaison audit queue [IMPORT]``: the review
queue of imported rows whose purpose the classifier could not tell (issue 13, item 2;
docs/audit.md, "The review queue").

``review`` exits 0 once the review is in the ledger and the row judged again; 2 for bad
input (an unknown purpose, a purpose contradicting ``--immigration``, an empty reviewer or
note, a row the classifier decided reviewed without ``--override``); 1 when the row is not
imported or its row disagrees with the ledger.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from liaison.cli.common import emit, fail, fail_on

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from liaison.audit.judgement import Judge

ImportArg = Annotated[str, typer.Argument(help="The import id (`liaison audit import` prints it).")]
RowArg = Annotated[int, typer.Argument(help="The 1-based data row number.", min=1)]


def audit_review(
    import_id: ImportArg,
    row: RowArg,
    immigration: Annotated[
        str, typer.Option("--immigration", help="Was the row's purpose immigration: yes or no.")
    ],
    reviewer: Annotated[str, typer.Option("--reviewer", help="Who reviewed it.")],
    note: Annotated[str, typer.Option("--note", help="Why (kept apart, erasable).")],
    purpose: Annotated[
        list[str] | None,
        typer.Option("--purpose", help="A purpose of the row (request-schema.md); repeatable."),
    ] = None,
    override: Annotated[
        bool,
        typer.Option(
            "--override",
            help="Overrule the classifier on a row it decided (not in the queue); the review "
            "entry records what it overrules.",
        ),
    ] = False,
) -> None:
    """Record an auditor's review of a row in the ledger and judge the row again.

    A row the classifier decided (not in `liaison audit queue`) needs --override.

    Exit 0 once recorded; 2 for bad input; 1 for a row not imported or not as in the ledger.
    """
    from liaison.audit.review import Review, review_row
    from liaison.cli.common import open_ledger
    from liaison.errors import InvalidRequest, LiaisonError
    from liaison.model.vocabulary import Purpose

    if immigration not in ("yes", "no"):
        raise fail(f"--immigration: {immigration!r} is not yes or no", 2)
    try:
        purposes = tuple(Purpose(p) for p in purpose or ())
    except ValueError:
        known = ", ".join(p.value for p in Purpose)
        raise fail(f"--purpose: {purpose!r} names an unknown purpose (known: {known})", 2) from None
    review = Review(import_id, row, immigration == "yes", purposes, reviewer, note, override)
    try:
        done = review_row(open_ledger(), review, _judge_for, _digest_of)
    except InvalidRequest as exc:
        raise fail_on(exc, 2) from None
    except LiaisonError as exc:
        raise fail_on(exc) from None
    judged = done.judged
    cited = f" ({', '.join(judged.citations)})" if judged.citations else ""
    why = f": {judged.reason}" if judged.reason and judged.decision != "permit" else ""
    typer.echo(
        f"review recorded at entry {done.ledger_index}; row {row} of {import_id}: "
        f"{judged.decision}{'' if judged.basis is None else ' (' + judged.basis + ')'}"
        f"{cited}{why}"
    )


def _judge_for(pack: str | None, view: str | None) -> Judge:
    """The judge of the pack an import was judged with (its shipped folder), in its view."""
    from liaison.audit.judgement import Judge
    from liaison.policy import Engine, load_pack, shipped_pack_path

    if pack is None:
        return Judge(None)
    return Judge(Engine(load_pack(shipped_pack_path(pack))), view=view, name=pack)


def _digest_of(pack: str) -> str:
    """The digest of the shipped pack ``pack``'s files now (``records.OPTIONS``'s)."""
    from liaison.policy import shipped_pack_path
    from liaison.policy.pack_files import pack_digest, read_pack_files

    return pack_digest(read_pack_files(shipped_pack_path(pack)))


def audit_queue(
    import_id: Annotated[str | None, typer.Argument(help="Only this import's rows.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="One JSON line per row.")] = False,
    limit: Annotated[int, typer.Option("--limit", help="At most this many rows.", min=1)] = 1000,
) -> None:
    """List the imported rows waiting for an auditor's review, each with the reason it gave
    (checked against its ledger entry)."""
    from liaison.audit.review import waiting
    from liaison.cli.common import open_ledger
    from liaison.errors import IntegrityFailure

    ledger = open_ledger()
    rows = waiting(ledger, import_id, limit)
    try:
        shown = _as_read(ledger.engine, rows)
    except IntegrityFailure as exc:
        raise fail_on(exc) from None
    for item in rows:
        item["at"], item["stated_reason"] = shown[(item["import_id"], item["row"])]
        if json_out:
            emit(item)
            continue
        typer.echo(
            f"{item['import_id']} row {item['row']} (line {item['line']}): {item['at'] or '-'} "
            f"{item['agency'] or '-'}"
            f"{' searched by ' + item['organisation'] if item['organisation'] else ''} "
            f"[rule {item['rule']}]: {json.dumps(item['stated_reason'], ensure_ascii=False)}"
        )
    if not json_out:
        typer.echo(f"{len(rows)} row(s) waiting for review")


def _as_read(engine: Engine, rows: list[dict[str, Any]]) -> dict[tuple[str, int], Any]:
    """Each row's time in its agency's zone with its offset, and the reason it gave as
    exported (its entry's personal part), each row checked against its ledger entry first
    (``reports.audit_verified``)."""
    from sqlalchemy import select, tuple_

    from liaison.model.timestamps import render
    from liaison.reports.audit_filter import import_zone, zone_of
    from liaison.reports.audit_verified import verified
    from liaison.storage.tables import audit_imports, audit_rows

    if not rows:
        return {}
    keys = [(r["import_id"], r["row"]) for r in rows]
    c, i = audit_rows.c, audit_imports.c
    with engine.connect() as conn:
        found = conn.execute(
            select(audit_rows, import_zone().label("zone"))
            .outerjoin(audit_imports, i.id == c.import_id)
            .where(tuple_(c.import_id, c.row).in_(keys))
        )
        checked = verified(conn, [dict(f._mapping) for f in found])
    return {
        (r["import_id"], r["row"]): (
            None if r["at"] is None else render(r["at"], zone_of(r["zone"])),
            r["exported"]["stated_reason"],
        )
        for r in checked
    }
