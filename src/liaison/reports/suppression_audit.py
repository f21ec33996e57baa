"""The audit of a suppressed count table (issue 11, item 2: "a hidden cell cannot be
recovered from row and column totals"): which hidden cells what is published determines.

A table of ``n`` rows and ``m`` columns with its totals is a circulation: a node per row
(``n`` nodes) and per column (``m``), and two more, the totals row ``R`` and the totals
column ``C``. Cell ``(i, j)`` carries its count from row ``i`` to column ``j``; a row
total from ``C`` to its row; a column total from its column to ``R``; the grand total from
``R`` to ``C``. Each node's inflow is its outflow: exactly the table's additions (a row's
cells add up to its total, the totals to the grand total, and so for columns).

A reader knows the shown counts, and of each hidden one its bounds: 1 to 10 (``"<11"``), or
11 and more (withheld). The hidden values a reader cannot tell apart from the true ones are
the integer circulations on the hidden cells within those bounds. The constraint matrix is a
network matrix (totally unimodular), so the difference of two of them splits into cycles
each of which can be added alone (a conformal decomposition): a hidden cell can take
another value **iff** a cycle through it exists in the *residual graph*, where a hidden cell
``u -> v`` gives the arc ``u -> v`` when its count can grow (below its upper bound) and
``v -> u`` when it can shrink (above its lower bound). This is exact, and it contains
both classic checks:

- the cycle criterion: a hidden cell on no cycle of hidden cells (a bridge of their
  bipartite graph, the totals' nodes included) is determined by the line sums;
- interval propagation over lines: a cell on a cycle that the bounds allow in neither
  direction (a row total of 2 over two ``"<11"`` cells: each is 1) is determined too.
"""

from __future__ import annotations

from collections import defaultdict, deque

Cell = tuple[int, int]  # (row, column); row n: the column totals; column m: the row totals
Node = tuple[str, int]  # ("r", i) or ("c", j); ("r", n) is R, ("c", m) is C
Arc = tuple[Node, Node, Cell]
LOW, HIGH = {True: 1, False: 11}, {True: 10, False: None}  # small (True) or withheld


def ends(size: tuple[int, int], cell: Cell) -> tuple[Node, Node]:
    """The nodes a cell carries its count from and to."""
    n, m = size
    i, j = cell
    row, col = ("r", i), ("c", j)
    # A body cell and the grand total go from a row to a column; a margin the other way.
    return (row, col) if (i == n) == (j == m) else (col, row)


def residual(size: tuple[int, int], values: dict[Cell, int], hidden: dict[Cell, bool]) -> list[Arc]:
    """The arcs of the hidden cells, each labelled with its cell: forward where it can
    grow, backward where it can shrink."""
    arcs: list[Arc] = []
    for cell, small in hidden.items():
        u, v = ends(size, cell)
        high = HIGH[small]
        if high is None or values[cell] < high:
            arcs.append((u, v, cell))
        if values[cell] > LOW[small]:
            arcs.append((v, u, cell))
    return arcs


def _reaches(arcs: list[Arc], start: Node, goal: Node, without: Cell) -> bool:
    """A path from ``start`` to ``goal`` over ``arcs`` not labelled ``without``."""
    out: dict[Node, list[Node]] = defaultdict(list)
    for u, v, cell in arcs:
        if cell != without:
            out[u].append(v)
    seen, queue = {start}, deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            return True
        for nxt in out[node]:
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return False


def exposed(
    size: tuple[int, int],
    values: dict[Cell, int],
    hidden: dict[Cell, bool],
    only: Cell | None = None,
) -> list[Cell]:
    """The hidden cells (``hidden``: cell -> small?) of a table of ``size`` (rows,
    columns) with the counts ``values`` that what is published determines: no residual
    cycle goes through them. ``only``: that cell alone is audited."""
    arcs = residual(size, values, hidden)
    found = []
    for cell in [only] if only is not None else sorted(hidden):
        u, v = ends(size, cell)
        up = any(a == (u, v, cell) for a in arcs) and _reaches(arcs, v, u, cell)
        down = any(a == (v, u, cell) for a in arcs) and _reaches(arcs, u, v, cell)
        if not (up or down):
            found.append(cell)
    return found
