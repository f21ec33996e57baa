"""Small-cell suppression of published counts (issue 11, item 2): a count from 1 to 10 is
shown as "<11", so that no published figure singles out a handful of people; and, in a
table of counts with its row and column totals, *complementary* suppression, so that no
hidden count can be worked out from the figures published beside it (docs/pages.md,
"Small cells").

A ``CountTable`` is published cell by cell, its totals included (a total is a cell too):

- a count from 1 to 10 is *small*, shown ``"<11"`` (primary suppression);
- a count of 11 or more may be *withheld*, shown ``"withheld"`` (complementary
  suppression), so that the small ones cannot be derived; a zero is never withheld, so a
  reader knows a withheld count is 11 or more, and ``"<11"`` never stands for a large one;
- every other count is shown as it is.

``protect`` chooses the withheld cells: while the audit (``suppression_audit.exposed``)
finds a hidden cell the published table determines, it withholds the smallest count that
makes that cell undetermined (or, when no single one does, the smallest beside it), and
audits again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from liaison.reports.suppression_audit import Cell, exposed

SMALL = 10  # counts from 1 to SMALL are suppressed
SHOWN = f"<{SMALL + 1}"
WITHHELD = "withheld"
MEANING = {
    SHOWN: "a count from 1 to 10, not shown",
    WITHHELD: "a count of 11 or more, withheld so that no count under 11 can be worked out",
}


def small_cell(count: int) -> int | str:
    """``count`` as published: ``"<11"`` for 1 to 10, else the count itself."""
    return SHOWN if 1 <= count <= SMALL else count


class Shown(Enum):
    """How a cell is published."""

    COUNT = "count"
    SMALL = "small"
    WITHHELD = "withheld"


@dataclass(frozen=True, slots=True)
class CountTable:
    """Counts by row and column label; the totals are computed. Cell ``(i, j)`` with
    ``i == len(rows)`` is a column total, ``j == len(columns)`` a row total, both: the
    grand total."""

    rows: tuple[str, ...]
    columns: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]

    def __post_init__(self) -> None:
        if len(self.counts) != len(self.rows) or any(
            len(r) != len(self.columns) for r in self.counts
        ):
            raise ValueError("a count table needs one count per row and column")
        if any(c < 0 for r in self.counts for c in r):
            raise ValueError("a count is never negative")

    @classmethod
    def of(
        cls, rows: Sequence[str], columns: Sequence[str], counts: Sequence[Sequence[int]]
    ) -> CountTable:
        return cls(tuple(rows), tuple(columns), tuple(tuple(r) for r in counts))

    def value(self, cell: Cell) -> int:
        """The count of ``cell``, totals included."""
        i, j = cell
        lines = self.counts if i == len(self.rows) else (self.counts[i],)
        return sum(sum(r) if j == len(self.columns) else r[j] for r in lines)

    def cells(self) -> list[Cell]:
        """Every cell, totals included, row by row."""
        return [(i, j) for i in range(len(self.rows) + 1) for j in range(len(self.columns) + 1)]


@dataclass(frozen=True, slots=True)
class Published:
    """A count table as published: how each cell is shown."""

    table: CountTable
    shown: dict[Cell, Shown]

    def text(self, cell: Cell) -> int | str:
        """The cell as a reader sees it: the count, ``"<11"`` or ``"withheld"``."""
        how = self.shown[cell]
        if how is Shown.COUNT:
            return self.table.value(cell)
        return SHOWN if how is Shown.SMALL else WITHHELD

    def grid(self) -> list[list[int | str]]:
        """Every row (the totals row last), each ending with its total."""
        n, m = len(self.table.rows), len(self.table.columns)
        return [[self.text((i, j)) for j in range(m + 1)] for i in range(n + 1)]

    def to_dict(self) -> dict[str, Any]:
        *body, totals = self.grid()
        return {
            "rows": list(self.table.rows),
            "columns": list(self.table.columns),
            "cells": [row[:-1] for row in body],
            "row_totals": [row[-1] for row in body],
            "column_totals": totals[:-1],
            "total": totals[-1],
        }


def primary(table: CountTable) -> dict[Cell, Shown]:
    """Every cell of 1 to 10 small, the rest shown."""
    return {c: Shown.SMALL if 1 <= table.value(c) <= SMALL else Shown.COUNT for c in table.cells()}


def protect(table: CountTable) -> Published:
    """``table`` published with primary and complementary suppression: afterwards no
    hidden cell is determined by what is published (``suppression_audit.exposed``)."""
    shown = primary(table)
    values = {c: table.value(c) for c in table.cells()}
    size = (len(table.rows), len(table.columns))
    while found := exposed(size, values, _hidden(shown)):
        target = found[0]
        chosen = _complement(size, values, shown, target)
        if chosen is None:
            raise ValueError(f"cell {target} cannot be protected")  # never: see the tests
        shown[chosen] = Shown.WITHHELD
    return Published(table, shown)


def _hidden(shown: dict[Cell, Shown]) -> dict[Cell, bool]:
    """The hidden cells: True for small ones (1 to 10), False for withheld (11 or more)."""
    return {c: how is Shown.SMALL for c, how in shown.items() if how is not Shown.COUNT}


def _complement(
    size: tuple[int, int], values: dict[Cell, int], shown: dict[Cell, Shown], target: Cell
) -> Cell | None:
    """The smallest count of 11 or more whose withholding leaves ``target`` undetermined;
    else the smallest in a line of ``target``; None when no count can be withheld."""
    candidates = sorted(
        (c for c, how in shown.items() if how is Shown.COUNT and values[c] > SMALL),
        key=lambda c: (values[c], c),
    )
    hidden = _hidden(shown)
    for cell in candidates:
        if target not in exposed(size, values, {**hidden, cell: False}, only=target):
            return cell
    near = [c for c in candidates if c[0] == target[0] or c[1] == target[1]]
    found = near or candidates
    return found[0] if found else None
