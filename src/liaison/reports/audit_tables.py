"""The report of audited rows laid out as tables (issue 13, item 4; docs/audit.md,
"Reports"), for the HTML and CSV renderings (``render_html``, ``render_csv``) and the
``/audit`` pages: the imports, the count tables, the rows not judged, the findings with
their source rows and citations, and the review queue."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from liaison.reports.audit_query import COUNTS
from liaison.reports.report_document import Table

if TYPE_CHECKING:
    from liaison.reports.audit_report import AuditReport, KeyedCounts, SourceRow

IMPORT_COLUMNS = [
    "import",
    "file_name",
    "file_sha256",
    "format",
    "agency",
    "pack",
    "view",
    "zone",
    "rows",
    "bad_rows",
    "findings",
    "imported_at",
    "ledger_index",
]
ROW_COLUMNS = [
    "import",
    "file_name",
    "row",
    "line",
    "source_id",
    "at",
    "agency",
    "organisation",
    "org_type",
    "stated_reason",
    "purposes",
    "rule",
    "decision",
    "basis",
    "citations",
    "judgement_note",
]
# (id, title, the key's column(s), the report's field)
COUNT_TABLES = (
    ("by-purpose-class", "Rows by purpose class", ["purpose_class"], "by_purpose_class"),
    ("by-agency", "Rows by agency", ["agency"], "by_agency"),
    (
        "by-organisation",
        "Rows by searching organisation (and its type)",
        ["organisation", "org_type"],
        "by_organisation",
    ),
    ("by-month", "Rows by month (in each agency's zone)", ["month"], "by_month"),
    ("by-decision", "Rows by decision", ["decision"], "by_decision"),
)
NOTES = {
    "by-purpose-class": "immigration: an immigration purpose; other: a purpose, none of them "
    "immigration; review: ambiguous, waiting for an auditor; unknown: no purpose found",
    "findings": "rows a directive in force forbade, or that nothing in force authorised",
    "review-queue": "ambiguous rows: no verdict until an auditor's review is recorded",
    "not-judged": "no_pack: no pack for the agency's jurisdiction (the whole import); "
    "no_time: the row has no usable time; no_purpose: no purpose could be formed from the "
    'row (an empty reason, "test", a case number alone); unknown_organisation: the '
    "searching organisation's type is unknown; never counted as permitted",
    "not-judged-rows": "the rows not judged for a reason of their own, with the reason "
    "they gave (an import with no pack: counted above, its rows not listed)",
}


def tables(report: AuditReport) -> list[Table]:
    """Every table of ``report``, in the order a reader meets them."""
    out = [
        Table(
            id="imports",
            title="Imports",
            columns=IMPORT_COLUMNS,
            rows=[
                _cells({"import": m.id, **m.model_dump()}, IMPORT_COLUMNS) for m in report.imports
            ],
        )
    ]
    for ident, title, keys, field in COUNT_TABLES:
        out.append(count_table(ident, title, keys, getattr(report, field)))
    out.append(
        Table(
            id="not-judged",
            title="Rows not judged, by why",
            note=NOTES["not-judged"],
            columns=["why", "meaning", "rows"],
            rows=[[n.why, n.meaning, n.rows] for n in report.not_judged],
        )
    )
    out.append(row_table("not-judged-rows", "Rows not judged", report.not_judged_rows))
    out.append(row_table("findings", "Findings", report.findings))
    out.append(row_table("review-queue", "The review queue", report.review_queue))
    return out


def count_table(ident: str, title: str, keys: list[str], groups: list[KeyedCounts]) -> Table:
    """A count table: the key column(s), then ``COUNTS``."""
    rows: list[list[Any]] = []
    for g in groups:
        head: list[Any] = [g.key, g.org_type] if len(keys) == 2 else [g.key]
        rows.append(head + [getattr(g, c) for c in COUNTS])
    return Table(
        id=ident, title=title, note=NOTES.get(ident, ""), columns=[*keys, *COUNTS], rows=rows
    )


def row_table(ident: str, title: str, found: list[SourceRow]) -> Table:
    """Source rows: provenance, time in the agency's zone, what was made of them."""
    rows = [_cells(_shown(s.model_dump(by_alias=True)), ROW_COLUMNS) for s in found]
    return Table(id=ident, title=title, note=NOTES.get(ident, ""), columns=ROW_COLUMNS, rows=rows)


def _shown(values: dict[str, Any]) -> dict[str, Any]:
    """A row's cells: an erased row says so where its stated reason was."""
    if values["erased"]:
        return {**values, "stated_reason": "(erased)"}
    return values


def _cells(values: dict[str, Any], columns: list[str]) -> list[Any]:
    return [values[c] for c in columns]
