"""Query answers written out (docs/api.md, "Querying the records"): a page of records or
the counts of a grouping as JSON, CSV (RFC 4180, a header row) or JSON lines, one way for
the API and the CLI (``liaison query decisions|events|encounters``)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

from liaison.gateway.index_rows import DECISION_COLUMNS

FORMATS = ("json", "csv", "jsonl")
MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/jsonl",
}
# The columns of a decision in CSV: the columns its entry determines (``DECISION_COLUMNS``)
# but when it was recorded and its document, then the purposes and the citations
# (``EO-25-005 E3``), each joined with ``;``.
CSV_COLUMNS = (
    *(c for c in DECISION_COLUMNS if c not in ("recorded_at", "document")),
    "purposes",
    "citations",
)


def csv_text(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[str], *, header: bool = True
) -> str:
    """``rows`` as CSV with a header of ``columns`` (``header``: the rows alone, to follow
    others); lists joined with ``;``, None empty."""
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    return table_csv(columns if header else None, cells)


def table_csv(columns: Sequence[str] | None, rows: Sequence[Sequence[Any]]) -> str:
    """RFC 4180 CSV (CRLF): a header line of ``columns`` (none: the rows alone), then the
    rows, ``None`` as an empty field (the pages' tables, the public files)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if columns is not None:
        writer.writerow(columns)
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    return out.getvalue()


def jsonl_text(rows: Sequence[Mapping[str, Any]]) -> str:
    """One JSON object per line (each line ends with a newline)."""
    return "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows)


def items_text(items: Sequence[Mapping[str, Any]], fmt: str, columns: Sequence[str]) -> str:
    """A page's items in ``fmt`` (CSV of ``columns`` or JSON lines; JSON is the page
    object itself)."""
    return csv_text(items, columns) if fmt == "csv" else jsonl_text(items)


def counts_text(answer: Mapping[str, Any], fmt: str) -> str:
    """The groups of ``query.counts`` in ``fmt`` (CSV or JSON lines)."""
    groups = answer["groups"]
    if fmt == "csv":
        return csv_text(groups, [*answer["group_by"], "count"])
    return jsonl_text(groups)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return str(value)
