"""``liaison audit classify FILE``: each row of a log's purpose, as JSON lines, and nothing
else (issue 13, item 2; docs/audit.md, "Classifying purposes").

One JSON object per data row, in input order, with exactly the keys ``row`` (the 1-based
data row number), ``source_id``, ``purposes``, ``recipient_type``, ``immigration``
(``true``, ``false``, or ``null`` when the row goes to review) and ``rule``. Nothing is
recorded: no database, no ledger. A row that cannot be read is reported on standard error
with its file and line and gets no line of output (its ``row`` number is missing from the
output); the command then exits 1. A file or option that cannot be used at all is reported
and exits 2 before anything is written (a file that changes while it is read: exit 2 after
the lines already written).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO

import typer

from liaison.cli.common import fail, print_error, zone_option

if TYPE_CHECKING:
    from liaison.audit.classifier import RuleSet
    from liaison.audit.readers import RowStream
    from liaison.audit.rows import Classification

_encode = json.encoder.encode_basestring_ascii  # json.dumps of one string, its C speed-up
_TAILS = 65536  # JSON endings remembered
_LINES = 8192  # lines of output held before a write: a file unreadable at once writes none


def classify(
    file: Annotated[
        Path, typer.Argument(help="The log to classify (CSV, XLSX, JSON lines, Nlets).")
    ],
    format: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="flock-portal, flock-org, flock-network, nlets-iaq or mapped (default: detected).",
        ),
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option("--timezone", help="IANA zone of times written without an offset."),
    ] = None,
    agency: Annotated[
        str | None, typer.Option("--agency", help="The agency whose log it is.")
    ] = None,
    mapping: Annotated[
        Path | None, typer.Option("--mapping", help="Mapping file of a `mapped` log.")
    ] = None,
    rules: Annotated[
        Path | None,
        typer.Option("--rules", help="Rule file to classify with (default: the shipped one)."),
    ] = None,
) -> None:
    """Write each row's purposes, recipient type, immigration (true, false, null = review)
    and deciding rule as one JSON line, in input order; record nothing. Exit 0, 1 when some
    rows could not be read (reported on stderr with file:line), 2 when the file or an
    option cannot be used."""
    from liaison.audit.classifier import load_rules
    from liaison.audit.readers import ReadOptions, open_rows
    from liaison.errors import AuditInputError

    options = ReadOptions(timezone=zone_option(timezone), agency=agency, mapping=mapping)
    try:
        rule_set = load_rules(rules)
        stream = open_rows(file, format, options)
    except AuditInputError as exc:
        raise fail(str(exc), 2) from None
    with stream:
        try:
            problems = _write(stream, rule_set, sys.stdout.buffer)
        except AuditInputError as exc:
            raise fail(str(exc), 2) from None
    if problems:
        raise typer.Exit(1)


def _write(stream: RowStream, rule_set: RuleSet, out: BinaryIO) -> int:
    """Classify and write every row of ``stream``, ``_LINES`` lines at a time (one
    encoding and one write per block); the number of rows reported as bad."""
    from liaison.audit.rows import RowProblem

    # the end of each classification's JSON line, by its id (the value keeps it alive)
    tails: dict[int, tuple[Classification, str]] = {}
    classify = rule_set.classify
    problems = 0
    block: list[str] = []
    try:
        for item in stream:
            if isinstance(item, RowProblem):
                problems += 1
                print_error(str(item))
                continue
            found = classify(item)
            known = tails.get(id(found))
            if known is None:
                if len(tails) >= _TAILS:
                    tails.clear()
                known = tails[id(found)] = (found, _tail(found))
            source = "null" if item.source_id is None else _encode(item.source_id)
            block.append(f'{{"row":{item.provenance.row},"source_id":{source},{known[1]}')
            if len(block) >= _LINES:
                out.write("".join(block).encode("utf-8"))
                block.clear()
    finally:
        out.write("".join(block).encode("utf-8"))
        out.flush()
    return problems


def _tail(found: Classification) -> str:
    """The JSON after ``source_id`` of a classification, ending the line."""
    tail = json.dumps(
        {
            "purposes": [str(p) for p in found.purposes],
            "recipient_type": None if found.recipient_type is None else str(found.recipient_type),
            "immigration": found.immigration,
            "rule": found.rule,
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return tail[1:] + "\n"
