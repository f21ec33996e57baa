"""Small-cell suppression with complementary suppression (issue 11, item 2): no count
from 1 to 10 is shown, and an attacker written apart from the module
(``table_attacker``) recovers no hidden cell from the published cells and totals."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liaison.reports.suppression import (
    SHOWN,
    WITHHELD,
    CountTable,
    Shown,
    primary,
    protect,
    small_cell,
)
from liaison.reports.suppression_audit import exposed
from table_attacker import recovered


def truth(table: CountTable) -> list[list[int]]:
    n, m = len(table.rows), len(table.columns)
    return [[table.value((i, j)) for j in range(m + 1)] for i in range(n + 1)]


def of(counts: list[list[int]]) -> CountTable:
    return CountTable.of(
        [f"r{i}" for i in range(len(counts))], [f"c{j}" for j in range(len(counts[0]))], counts
    )


def test_small_cell_hides_1_to_10_only() -> None:
    assert [small_cell(c) for c in (0, 1, 10, 11, 250)] == [0, SHOWN, SHOWN, 11, 250]


def test_totals_are_cells_too() -> None:
    table = of([[0, 3], [20, 30]])
    shown = primary(table)
    assert shown[(0, 1)] is Shown.SMALL  # the cell
    assert shown[(0, 2)] is Shown.SMALL  # its row total, 3
    assert shown[(2, 2)] is Shown.COUNT  # the grand total, 53


def test_the_audit_finds_a_cell_the_margins_give_away() -> None:
    # One small cell in a row whose other cells and total are shown: total - the others.
    table = of([[5, 20], [30, 40]])
    values = {c: table.value(c) for c in table.cells()}
    assert exposed((2, 2), values, {(0, 0): True}) == [(0, 0)]
    # The attacker finds it too when only primary suppression is applied.
    alone = [[SHOWN if c == (i, j) else v for j, v in enumerate(row)] for i, row in
             enumerate(truth(table)) for c in [(0, 0)]]  # fmt: skip
    assert recovered(alone, truth(table)) == [(0, 0)]


def test_the_audit_pins_a_cell_by_its_bounds() -> None:
    # A row total of 2 over two "<11" cells: each is 1, though they lie on a cycle.
    table = of([[1, 1], [1, 1]])
    values = {c: table.value(c) for c in table.cells()}
    body = {(0, 0): True, (0, 1): True, (1, 0): True, (1, 1): True}
    # Were the totals (2, 2; 2, 2; 4) shown, the body's cycle could move neither way.
    assert set(exposed((2, 2), values, body)) == set(body)
    # As published, the totals are "<11" too: the cells can all grow together.
    assert exposed((2, 2), values, dict.fromkeys(table.cells(), True)) == []
    assert recovered(protect(table).grid(), truth(table)) == []


def test_protect_withholds_the_smallest_useful_count() -> None:
    table = of([[5, 20, 30], [40, 50, 60]])
    published = protect(table)
    withheld = [c for c, how in published.shown.items() if how is Shown.WITHHELD]
    assert withheld, published.grid()
    assert published.text((0, 0)) == SHOWN
    assert (0, 1) in withheld  # 20: the smallest in the small cell's row
    assert recovered(published.grid(), truth(table)) == []


def test_a_published_table_never_shows_1_to_10() -> None:
    published = protect(of([[1, 2], [12, 13]]))
    for row in published.grid():
        for text in row:
            assert text in (SHOWN, WITHHELD) or not 1 <= int(text) <= 10


counts = st.integers(2, 4).flatmap(
    lambda n: st.integers(2, 4).flatmap(
        lambda m: st.lists(
            st.lists(st.integers(0, 25), min_size=m, max_size=m), min_size=n, max_size=n
        )
    )
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(counts)
def test_no_hidden_cell_can_be_recovered(grid: list[list[int]]) -> None:
    table = of(grid)
    published = protect(table)
    shown = published.grid()
    for row, real in zip(shown, truth(table), strict=True):
        for text, value in zip(row, real, strict=True):
            if 1 <= value <= 10:
                assert text == SHOWN
            elif text == WITHHELD:
                assert value >= 11  # "withheld" is never a small count, nor a zero
            else:
                assert text == value
    values = {c: table.value(c) for c in table.cells()}
    hidden = {c: how is Shown.SMALL for c, how in published.shown.items() if how is not Shown.COUNT}
    assert exposed((len(grid), len(grid[0])), values, hidden) == []
    assert recovered(shown, truth(table)) == []


def test_a_table_of_wrong_shape_is_refused() -> None:
    with pytest.raises(ValueError, match="one count per row and column"):
        CountTable.of(["a"], ["x", "y"], [[1]])
