"""An attacker of a published count table, written apart from ``liaison.reports.suppression``
(no graph, no residual cycles): it reads only what is published (the shown counts, "<11"
as 1 to 10, "withheld" as 11 or more) and searches exhaustively, by branching on values
with interval pruning over the table's additions, for a fill-in of the hidden cells that
gives a hidden cell another value than ``truth``'s. A hidden cell none exists for is
recovered."""

from __future__ import annotations

from collections.abc import Sequence

Grid = Sequence[Sequence[int | str]]  # rows then the totals row; each row ends with its total
Var = tuple[int, int]
CAP = 100_000  # what a withheld count is at most (far above any test table's total)


def equations(grid: Grid) -> list[list[Var]]:
    """Each addition as its cells, the total last: the rows', then the columns'."""
    n, m = len(grid) - 1, len(grid[0]) - 1
    rows = [[(i, j) for j in range(m + 1)] for i in range(n + 1)]
    cols = [[(i, j) for i in range(n + 1)] for j in range(m + 1)]
    return rows + cols


def domains(grid: Grid) -> dict[Var, tuple[int, int]]:
    out = {}
    for i, row in enumerate(grid):
        for j, text in enumerate(row):
            if text == "<11":
                out[(i, j)] = (1, 10)
            elif text == "withheld":
                out[(i, j)] = (11, CAP)
            else:
                assert isinstance(text, int), text
                assert not 1 <= text <= 10, text
                out[(i, j)] = (text, text)
    return out


def _tighten(lines: list[list[Var]], dom: dict[Var, tuple[int, int]]) -> bool:
    """Interval propagation to a fixpoint: each part = total - the other parts."""
    changed = True
    while changed:
        changed = False
        for line in lines:
            *parts, total = line
            lo_sum = sum(dom[p][0] for p in parts)
            hi_sum = sum(dom[p][1] for p in parts)
            tlo, thi = max(dom[total][0], lo_sum), min(dom[total][1], hi_sum)
            if tlo > thi:
                return False
            if (tlo, thi) != dom[total]:
                dom[total], changed = (tlo, thi), True
            for p in parts:
                plo = max(dom[p][0], tlo - (hi_sum - dom[p][1]))
                phi = min(dom[p][1], thi - (lo_sum - dom[p][0]))
                if plo > phi:
                    return False
                if (plo, phi) != dom[p]:
                    dom[p], changed = (plo, phi), True
    return True


def _solve(lines: list[list[Var]], dom: dict[Var, tuple[int, int]]) -> bool:
    if not _tighten(lines, dom):
        return False
    open_ = [v for v, (lo, hi) in dom.items() if lo < hi]
    if not open_:
        return all(sum(dom[p][0] for p in line[:-1]) == dom[line[-1]][0] for line in lines)
    var = min(open_, key=lambda v: dom[v][1] - dom[v][0])
    lo, hi = dom[var]
    for value in range(lo, hi + 1):
        trial = dict(dom)
        trial[var] = (value, value)
        if _solve(lines, trial):
            return True
    return False


def recovered(grid: Grid, truth: Grid) -> list[Var]:
    """The hidden cells of ``grid`` that no fill-in consistent with it gives another value
    than in ``truth`` (the counts, totals included)."""
    lines = equations(grid)
    start = domains(grid)
    out = []
    for (i, j), (lo, hi) in start.items():
        if lo == hi:
            continue
        true = int(truth[i][j])
        found = False
        for part in ((lo, true - 1), (true + 1, hi)):
            if part[0] <= part[1] and _solve(lines, {**start, (i, j): part}):
                found = True
                break
        if not found:
            out.append((i, j))
    return out
