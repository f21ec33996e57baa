"""A report as CSV (RFC 4180; docs/reports.md, "Formats"): one table per report, so that any
CSV reader takes it whole. Its first column ``table`` names which of the report's tables
(``ReportDocument.tables``) a row belongs to; the other columns are those tables' columns,
in the order they first appear, empty where a row's table has no such column. Lists are
joined with ``;``, booleans are ``true``/``false``, nothing is empty. CRLF line ends."""

from __future__ import annotations

import csv
import io
from typing import Any, Protocol

from liaison.reports.report_document import Table


class Tabled(Protocol):
    """A report that lays itself out as tables (``ReportDocument``, ``AuditReport``)."""

    def tables(self) -> list[Table]: ...


def csv_text(doc: Tabled) -> str:
    """``doc``'s tables stacked in one CSV table with a header row."""
    tables = doc.tables()
    columns: list[str] = []
    for table in tables:
        columns += [c for c in table.columns if c not in columns]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["table", *columns])
    for table in tables:
        for row in table.rows:
            cells = dict(zip(table.columns, row, strict=True))
            writer.writerow([table.id, *(cell(cells.get(c)) for c in columns)])
    return out.getvalue()


def cell(value: Any) -> str:
    """A value as a person reads it in a cell (CSV, HTML, PDF)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(cell(v) for v in value)
    return str(value)
