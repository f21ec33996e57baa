"""Running a report, one way for the CLI (``liaison report``) and the API
(``GET /v1/reports/NAME``): the checkpoint it counts up to, the scope read from the
options (``from``, ``to``, ``view``, ``checkpoint``), the document built, and rendered in
one of the formats (docs/reports.md, "Running a report").

The checkpoint is the newest kept signed checkpoint, signed first when the tree grew and
a key is available (as ``GET /v1/ledger/checkpoint`` does); or, asked by its size, a kept
one: a report is only ever computed against a tree that was signed, never past it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from liaison.errors import InvalidRequest, LedgerError, NotFound, SignerUnavailable
from liaison.gateway.index_reads import IndexReader
from liaison.ledger.log import Ledger
from liaison.policy.engine import Engine as PolicyEngine
from liaison.reports import render_csv, render_html, render_pdf
from liaison.reports.catalog import entry
from liaison.reports.query_filter import DECISION_FILTERS, parse_filter
from liaison.reports.report_document import ReportDocument
from liaison.reports.report_scope import CheckpointRef, ReportScope

FORMATS = ("json", "html", "csv", "pdf")
MEDIA_TYPES = {
    "json": "application/json",
    "html": "text/html; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
}
NO_CHECKPOINT = "no checkpoint yet: run `liaison ledger checkpoint`"


def checkpoint(ledger: Ledger, size: int | None = None) -> CheckpointRef:
    """The signed checkpoint a report counts up to: the kept one of ``size``, or the
    newest (signed now when the tree grew and the deployment has a key; the newest kept
    while the signer process is down)."""
    if size is not None:
        kept = [c for c in ledger.checkpoints() if c.size == size]
        if not kept:
            latest = ledger.latest_checkpoint()
            newest = "none" if latest is None else str(latest.size)
            raise InvalidRequest(
                "checkpoint",
                f"checkpoint: no signed checkpoint of size {size} is kept (the newest: {newest})",
            )
        return CheckpointRef.of(kept[0])
    current, _ = ledger.head()
    latest = ledger.latest_checkpoint()
    if (latest is None or latest.size < current) and ledger.signer is not None:
        try:
            latest = ledger.checkpoint()
        except SignerUnavailable:  # the signer process is down: the newest kept one
            if latest is None:
                raise
    if latest is None:
        raise LedgerError(NO_CHECKPOINT)
    return CheckpointRef.of(latest)


def scope(
    ledger: Ledger, policy: PolicyEngine, given: Mapping[str, str | None], size: int | None
) -> ReportScope:
    """The scope the options ask for: ``from``/``to`` (RFC 3339 with offset; ``to`` after
    ``from``), ``view`` (one of the pack's), the checkpoint; ``InvalidRequest`` naming
    a bad one."""
    times = {k: v for k, v in given.items() if k in ("from", "to") and v}
    period = parse_filter(DECISION_FILTERS, times)
    view = given.get("view")
    if view is not None:
        try:
            policy.view_name(view)
        except NotFound as exc:
            raise InvalidRequest("view", f"view: {exc.message}") from None
    found = checkpoint(ledger, size)
    return ReportScope(ledger.engine, policy, found, period.start, period.end, view)


# The options a report may take beside the period and view: (what a person writes, the
# builder's keyword). ``days`` is a whole number of days, 1 to 3660.
OPTIONS = {"decision": "decision_id", "actor": "actor", "directive": "directive", "days": "days"}


def options(name: str, given: Mapping[str, str | None]) -> dict[str, Any]:
    """The builder's keywords for the options ``given`` (None: not given); an option the
    report does not take, or a bad value, is ``InvalidRequest`` naming it."""
    takes = entry(name).options
    out: dict[str, Any] = {}
    for option, value in given.items():
        if value is None:
            continue
        keyword = OPTIONS[option]
        if keyword not in takes:
            which = [o for o, k in OPTIONS.items() if k in takes]
            also = f"; it takes {', '.join(which)}" if which else ""
            raise InvalidRequest(option, f"{option}: the {name} report takes no {option}{also}")
        out[keyword] = _days(value) if option == "days" else value
    return out


def _days(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 3660:
        raise InvalidRequest("days", "days: a whole number of days, 1 to 3660")
    return int(value)


def run(
    name: str,
    where: ReportScope,
    reader: IndexReader | None = None,
    given: Mapping[str, Any] | None = None,
) -> ReportDocument:
    """The report ``name`` over ``where`` with the builder keywords ``given``
    (``options``); ``NotFound`` naming the reports there are."""
    return entry(name).run(where, reader, dict(given or {}))


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise InvalidRequest("format", f"format: must be one of {', '.join(FORMATS)}")
    return fmt


def render(doc: ReportDocument, fmt: str) -> bytes:
    """``doc`` in ``fmt``: JSON (its model, by alias), HTML, CSV or PDF."""
    if fmt == "json":
        return (doc.model_dump_json(by_alias=True, indent=2) + "\n").encode()
    if fmt == "html":
        return render_html.html(doc).encode()
    if fmt == "csv":
        return render_csv.csv_text(doc).encode()
    if fmt == "pdf":
        return render_pdf.pdf(doc)
    raise InvalidRequest("format", f"format: must be one of {', '.join(FORMATS)}")
