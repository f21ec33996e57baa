"""Small-cell suppression of published counts (issue 11, item 2): a count from 1 to 10 is
shown as "<11", so that no published figure singles out a handful of people."""

from __future__ import annotations

SMALL = 10  # counts from 1 to SMALL are suppressed
SHOWN = f"<{SMALL + 1}"


def small_cell(count: int) -> int | str:
    """``count`` as published: ``"<11"`` for 1 to 10, else the count itself."""
    return SHOWN if 1 <= count <= SMALL else count
