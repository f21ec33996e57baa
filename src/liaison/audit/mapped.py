"""Any other system's query log, CSV or JSON lines, read through a mapping file
(``--format mapped --mapping FILE``; ``mapping``; issue 13).

For CSV the header names the columns; for JSON lines (one object per line) the keys of the
first object do, and a key a later object leaves out is an empty cell. Every column the
mapping names must be in that header, or the file is refused naming the mapping file and
its key. Values are read as in the Flock formats: redaction markers (``cells``), times by
the mapping's ``[time]`` (``times``), and every column kept in ``fields``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from itertools import chain
from typing import Any

from liaison.audit.cells import is_redacted
from liaison.audit.csv_rows import TextSource, csv_records
from liaison.audit.mapping import Mapping
from liaison.audit.options import Source
from liaison.audit.rows import AuditRow, Provenance, RowProblem
from liaison.audit.table import Item, open_table, peek
from liaison.audit.times import TimeReader
from liaison.errors import AuditInputError

FORMAT = "mapped"


class MappedPlan:
    """The mapping applied to one header."""

    def __init__(self, source: Source, mapping: Mapping, header: list[str], line: int) -> None:
        for key, column in (
            *((f"columns.{name}", column) for name, column in mapping.columns.items()),
            *((f"codes.{name}", column) for name, column in mapping.codes.items()),
        ):
            if column not in header:
                raise AuditInputError(
                    f"{mapping.path}: {key}: the column {column!r} is not in the header of "
                    f"{source.file} (line {line}: {', '.join(header)})",
                    field=key,
                )
        self.source, self.mapping, self.header, self.width = source, mapping, header, len(header)
        self.time_column = mapping.columns["at"]
        self.time_index = header.index(self.time_column)
        self.times = TimeReader(mapping.timezone or source.options.timezone, mapping.time_format)
        self.names = {column: name for name, column in mapping.columns.items()}

    def build(self, cells: list[str], row: int, line: int) -> Item:
        """One CSV data row."""
        return self.build_values(dict(zip(self.header, cells, strict=True)), row, line)

    def build_values(self, values: dict[str, str], row: int, line: int) -> Item:
        """One row given as column -> text."""
        mapping, file = self.mapping, self.source.file
        redacted = frozenset(
            self.names.get(column, column) for column, cell in values.items() if is_redacted(cell)
        )

        def value(name: str) -> str | None:
            column = mapping.columns.get(name)
            if column is None or name in redacted:
                return None
            return values.get(column, "").strip() or None

        stamp = value("at")
        try:
            at = self.times.read(stamp) if stamp else None
        except ValueError as error:
            return RowProblem(file, line, row, self.time_column, str(error))
        reason = None if "reason" in redacted else values.get(mapping.columns["reason"], "")
        return AuditRow(
            format=FORMAT,
            provenance=Provenance(file, self.source.sha256, row, line),
            kind=mapping.kind,
            database=mapping.database,
            source_id=value("source_id"),
            at=at,
            agency=value("agency") or self.source.options.agency or mapping.agency,
            organisation=value("organisation"),
            user=value("user"),
            reason=reason if reason and reason.strip() else None,
            case_number=value("case_number"),
            codes={
                code: values[column].strip()
                for code, column in mapping.codes.items()
                if values.get(column, "").strip() and not is_redacted(values[column])
            },
            redacted=redacted,
            fields=values,
        )


def mapped_rows(
    source: Source, mapping: Mapping, text: TextSource
) -> tuple[Iterator[Item], Counter[str]]:
    """The rows of a mapped log, its header checked and first rows read now."""
    if mapping.format == "csv":
        return open_table(
            source,
            csv_records(text, mapping.delimiter),
            lambda src, header, line: MappedPlan(src, mapping, header, line),
            pad=False,
        )
    skipped: Counter[str] = Counter()
    objects = _objects(text.lines())
    for line, obj in objects:
        if isinstance(obj, str):
            raise AuditInputError(f"{source.file}:{line}: the first object {obj}")
        plan = MappedPlan(source, mapping, list(obj), line)
        rows = _json_rows(plan, [(line, obj)], objects)
        return peek(source, rows, plan.times, plan.time_column), skipped
    raise AuditInputError(f"{source.file}: no JSON object (the file has no non-blank line)")


def _objects(lines: Iterator[str]) -> Iterator[tuple[int, dict[str, str] | str]]:
    """(line, the object's values as text) per non-blank line, or (line, what is wrong)."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError as error:
            yield number, f"is not JSON ({error})"
            continue
        if not isinstance(value, dict):
            yield number, "is not a JSON object"
            continue
        yield number, {str(key): _text(item) for key, item in value.items()}


def _json_rows(
    plan: MappedPlan,
    first: list[tuple[int, dict[str, str] | str]],
    rest: Iterator[tuple[int, dict[str, str] | str]],
) -> Iterator[Item]:
    row = 0
    for line, obj in chain(first, rest):
        row += 1
        if isinstance(obj, str):
            yield RowProblem(plan.source.file, line, row, None, obj)
            continue
        yield plan.build_values(obj, row, line)


def _text(value: Any) -> str:
    """A JSON value as a cell's text: null empty, strings as they are, others as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)
