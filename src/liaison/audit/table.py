"""A tabular export (CSV or XLSX) turned into rows by a format's plan: the header found and
checked, repeated headers and blank lines skipped, each data row numbered and handed to the
plan, each row of the wrong width reported (issue 13).

A format's plan (``flock_portal``, ``flock_audit``, ``mapped``) is made from the header and
refuses it (``AuditInputError``) when a required column is missing. Data rows are numbered
from 1, counting only data rows (a bad row is a data row; a repeated header, as when
monthly exports are pasted together, or a blank line is not). ``open_table`` reads the
header and the first rows eagerly, so that a file that cannot be read at all is refused
before anything is yielded.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from itertools import chain
from typing import Protocol

from liaison.audit.cells import column_key
from liaison.audit.csv_rows import Record
from liaison.audit.options import Source
from liaison.audit.rows import AuditRow, RowProblem
from liaison.audit.times import TimeReader
from liaison.errors import AuditInputError

Item = AuditRow | RowProblem
# How many data rows are read ahead for the first time with a value (the zone check).
PEEK = 64
_DIGITS = frozenset("0123456789")


class TablePlan(Protocol):
    """What a format makes of one header: the header's width, the time reader (to tell a
    file whose times have no offset), the time column (to spot repeated headers cheaply)
    and the row builder."""

    width: int
    times: TimeReader
    time_index: int
    time_column: str

    def build(self, cells: list[str], row: int, line: int) -> Item: ...


PlanMaker = Callable[[Source, list[str], int], TablePlan]


def open_table(
    source: Source, records: Iterator[Record], make_plan: PlanMaker, *, pad: bool
) -> tuple[Iterator[Item], Counter[str]]:
    """The rows of a table, its header read and checked and its first rows read ahead; the
    counter says what was skipped (``repeated header``, ``blank line``)."""
    skipped: Counter[str] = Counter()
    for line, cells in records:
        if isinstance(cells, str):
            raise AuditInputError(f"{source.file}:{line}: the header {cells}")
        if any(cell.strip() for cell in cells):
            plan = make_plan(source, cells, line)
            header = [column_key(cell) for cell in cells]
            break
        skipped["blank line"] += 1
    else:
        raise AuditInputError(f"{source.file}: no header (the file has no non-blank line)")
    rows = _data_rows(source, records, plan, header, skipped, pad)
    return peek(source, rows, plan.times, plan.time_column), skipped


def peek(source: Source, rows: Iterator[Item], times: TimeReader, column: str) -> Iterator[Item]:
    """``rows`` with its first rows read now: refused (``AuditInputError``) when the first
    time given has no offset and there is no zone to read it in."""
    ahead: list[Item] = []
    for item in rows:
        ahead.append(item)
        if times.zone_missing:
            line = item.provenance.line if isinstance(item, AuditRow) else item.line
            raise AuditInputError(
                f"{source.file}:{line}: {column}: the times have no UTC offset; give "
                "--timezone (the zone they are local to, e.g. America/Los_Angeles)"
            )
        if (isinstance(item, AuditRow) and item.at is not None) or len(ahead) >= PEEK:
            break
    return chain(ahead, rows)


def _data_rows(
    source: Source,
    records: Iterator[Record],
    plan: TablePlan,
    header: list[str],
    skipped: Counter[str],
    pad: bool,
) -> Iterator[Item]:
    file, width, build = source.file, plan.width, plan.build
    probe, probe_key = plan.time_index, header[plan.time_index]
    row = 0
    for line, cells in records:
        # The common case first: a row of the header's width whose time starts with a digit.
        if type(cells) is list and len(cells) == width and cells[probe][:1] in _DIGITS:
            row += 1
            yield build(cells, row, line)
            continue
        if isinstance(cells, str):
            row += 1
            yield RowProblem(file, line, row, None, cells)
            continue
        count = len(cells)
        if not any(cells):
            skipped["blank line"] += 1
            continue
        if count != width:
            if count > width and not any(cell.strip() for cell in cells[width:]):
                cells = cells[:width]
            elif count < width and pad:
                cells = cells + [""] * (width - count)
            else:
                row += 1
                message = f"has {count} cells where the header has {width}"
                yield RowProblem(file, line, row, None, message)
                continue
        if column_key(cells[probe]) == probe_key and [column_key(c) for c in cells] == header:
            skipped["repeated header"] += 1
            continue
        row += 1
        yield build(cells, row, line)
