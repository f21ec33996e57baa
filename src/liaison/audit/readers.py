"""Reading a log to audit: the one entry point of the readers (issue 13, item 1).

``open_rows(path, fmt, options)`` hashes the file (SHA-256, one streaming pass), opens it,
reads and checks its header and first rows, and only then returns a ``RowStream``: a file
that cannot be read at all (unknown or undetectable format, no header, a required column
missing, not UTF-8, empty, a bad mapping, times without an offset and no ``--timezone``)
raises ``AuditInputError`` naming the file (and line) before any row is yielded, so an
import of it changes nothing. Iterating the stream then yields one ``AuditRow`` or one
``RowProblem`` per data row, in input order, streaming: a bad row is reported at its file
and line and reading goes on. The formats and their quirks: docs/audit.md, "Formats".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

from liaison.audit.csv_rows import TextSource, csv_records
from liaison.audit.detect import detect_format, is_workbook
from liaison.audit.file_bytes import scan
from liaison.audit.flock_audit import AuditPlan
from liaison.audit.flock_portal import PortalPlan
from liaison.audit.mapped import mapped_rows
from liaison.audit.mapping import load_mapping
from liaison.audit.nlets import nlets_rows
from liaison.audit.options import ReadOptions, Source
from liaison.audit.rows import FORMATS, AuditRow, RowProblem
from liaison.audit.table import PlanMaker, open_table
from liaison.audit.xlsx_rows import XlsxSource
from liaison.errors import AuditInputError

__all__ = ["ReadOptions", "RowStream", "open_rows"]

_PLANS: dict[str, PlanMaker] = {
    "flock-portal": PortalPlan,
    "flock-org": AuditPlan,
    "flock-network": AuditPlan,
}


class RowStream:
    """The rows of one file, read once, in input order. ``skipped`` counts what was not a
    data row (``repeated header``, ``blank line``, an Nlets message that is not a query);
    ``notes`` says what of the file was not read (an XLSX workbook's other sheets). A
    context manager: leaving it closes the file."""

    def __init__(
        self,
        path: Path,
        format: str,
        sha256: str,
        rows: Iterator[AuditRow | RowProblem],
        skipped: Counter[str],
        notes: list[str],
        source: TextSource | XlsxSource,
    ) -> None:
        self.path = path
        self.format = format
        self.sha256 = sha256
        self.skipped = skipped
        self.notes = notes
        self._rows = rows
        self._source = source

    def __iter__(self) -> Iterator[AuditRow | RowProblem]:
        return self._rows

    def close(self) -> None:
        self._source.close()

    def __enter__(self) -> RowStream:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def open_rows(path: Path, fmt: str | None, options: ReadOptions) -> RowStream:
    """The rows of ``path`` in format ``fmt`` (one of ``rows.FORMATS``; None: ``mapped``
    when a mapping is given, else detected). Raises ``AuditInputError`` before yielding
    anything when the file cannot be read at all."""
    if fmt is None:
        fmt = "mapped" if options.mapping is not None else detect_format(path)
    if fmt not in FORMATS:
        raise AuditInputError(
            f"unknown format {fmt!r}: one of {', '.join(FORMATS)}", field="format"
        )
    if fmt == "mapped" and options.mapping is None:
        raise AuditInputError(f"{path}: --format mapped needs --mapping FILE", field="mapping")
    mapping = load_mapping(options.mapping) if fmt == "mapped" and options.mapping else None
    workbook = fmt != "mapped" and fmt != "nlets-iaq" and is_workbook(path)
    sha256 = scan(path, text=not workbook)
    source = Source(str(path), sha256, fmt, options)
    opened: TextSource | XlsxSource = (
        XlsxSource(path, sha256) if workbook else TextSource(path, sha256)
    )
    skipped: Counter[str] = Counter()
    try:
        if isinstance(opened, XlsxSource):
            rows, skipped = open_table(source, opened.records(), _PLANS[fmt], pad=True)
        elif mapping is not None:
            rows, skipped = mapped_rows(source, mapping, opened)
        elif fmt == "nlets-iaq":
            rows = nlets_rows(source, opened, skipped)
        else:
            rows, skipped = open_table(source, csv_records(opened), _PLANS[fmt], pad=False)
    except BaseException:
        opened.close()
        raise
    notes = opened.notes if isinstance(opened, XlsxSource) else []
    return RowStream(path, fmt, sha256, rows, skipped, notes, opened)
