"""The rows of an XLSX export (Flock's organization and network audits are also released
as workbooks), read with openpyxl in read-only mode: streamed, never loaded whole (ECMA-376;
issue 13).

Only the first worksheet is read; the names of any others are given back as a note for the
person importing, so that nothing is skipped unseen. Each row is numbered by its sheet row
(the number a spreadsheet shows; a row shorter than the header is padded with empty cells,
as a sheet leaves trailing cells out) and its cells turned into the text a CSV export of the
same sheet would hold: numbers without a spurious ``.0``, dates and times in ISO 8601.
The file's hash is taken again once its last row has been read, so a workbook changed
while it was read is refused.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from liaison.audit.csv_rows import Record
from liaison.audit.file_bytes import scan
from liaison.errors import AuditInputError


class XlsxSource:
    """A workbook opened read-only; ``notes`` says what of it is not read."""

    def __init__(self, path: Path, sha256: str) -> None:
        import openpyxl  # type: ignore[import-untyped]  # heavy: only for workbooks

        self.path = path
        self.sha256 = sha256
        try:
            self.book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
            raise AuditInputError(f"{path}: not a readable XLSX workbook ({error})") from None
        sheets = self.book.worksheets
        if not sheets:
            raise AuditInputError(f"{path}: the workbook has no worksheet")
        self.sheet = sheets[0]
        self.notes = (
            [
                f"{path}: only the first worksheet, {self.sheet.title!r}, was read; not read: "
                + ", ".join(repr(other.title) for other in sheets[1:])
            ]
            if len(sheets) > 1
            else []
        )

    def records(self, *, verify: bool = True) -> Iterator[Record]:
        """Each sheet row (1-based) with its cells as text; empty rows yield ``[]``; at the
        end (with ``verify``) the file's hash is checked again."""
        for number, values in enumerate(self.sheet.iter_rows(values_only=True), start=1):
            cells = [cell_text(value) for value in values]
            yield number, cells if any(cells) else []
        if verify and scan(self.path, text=False) != self.sha256:
            raise AuditInputError(f"{self.path}: the file changed while it was read")

    def close(self) -> None:
        self.book.close()


def cell_text(value: Any) -> str:
    """A cell's value as the text of a CSV export of the sheet."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)
