"""Rows ``liaison ledger verify`` would otherwise skip (part of ``check_ledger``): rows that
no position of the tree the head names can hold, each reported naming the row.

- ``ledger_entries`` rows with a negative index (no position in a log: RFC 6962 numbers
  the leaves from 0), and rows at or beyond the head's size (not in the tree it names);
- ``ledger_tiles`` rows that no tree of the head's size has (the layout of C2SP
  tlog-tiles, ``liaison.ledger.tiles``: level L holds the ``size >> 8L`` hashes of tree
  level 8L, in ``ceil(that / 256)`` tiles): a negative level or index, a level above the
  tree's, an index past its level's last tile;
- ``ledger_checkpoints`` rows larger than the head, when the checkpoints are not read
  (``--structure-only``; otherwise ``LogChecker`` reports them).

At most ``LISTED`` rows of each kind are named; the others are counted in one finding.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from liaison.ledger.findings import Finding
from liaison.ledger.tiles import HEIGHT, WIDTH

LISTED = 10

Rows = Callable[[str, Sequence[Any]], list[Any]]


def tile_limits(size: int) -> list[int]:
    """How many tiles each level of the tree of ``size`` has (level 0 first)."""
    limits = []
    level = 0
    while size >> (HEIGHT * level):
        count = size >> (HEIGHT * level)
        limits.append((count + WIDTH - 1) // WIDTH)
        level += 1
    return limits


def _listed(found: list[Any], total: int, what: str) -> list[Finding]:
    if total <= LISTED:
        return []
    return [Finding(what, f"{total - LISTED} more such rows (not listed)")]


def stray_entries(rows: Rows, size: int) -> list[Finding]:
    """Entry rows with a negative index or one at or beyond the head's ``size``."""
    outside = f"idx < 0 OR idx >= {int(size)}"
    (total,) = rows(f"SELECT COUNT(*) FROM ledger_entries WHERE {outside}", [])[0]
    if not total:
        return []
    found = rows(f"SELECT idx FROM ledger_entries WHERE {outside} ORDER BY idx LIMIT {LISTED}", [])
    problems = [
        Finding(
            f"entry {idx}",
            "a row with a negative index: no position in the log (a row inserted beside it)"
            if idx < 0
            else f"a row beyond the tree head (size {size}): not in the tree it names",
        )
        for (idx,) in found
    ]
    return problems + _listed(found, int(total), "entries")


def stray_tiles(rows: Rows, size: int) -> list[Finding]:
    """Tile rows that no tree of ``size`` entries has."""
    kept = [
        f"(level = {level} AND idx >= 0 AND idx < {limit})"
        for level, limit in enumerate(tile_limits(size))
    ]
    outside = f"NOT ({' OR '.join(kept)})" if kept else "1 = 1"
    (total,) = rows(f"SELECT COUNT(*) FROM ledger_tiles WHERE {outside}", [])[0]
    if not total:
        return []
    found = rows(
        f"SELECT level, idx FROM ledger_tiles WHERE {outside} ORDER BY level, idx LIMIT {LISTED}",
        [],
    )
    problems = [
        Finding(
            f"tile ({level}, {idx})",
            f"no tree of {size} entries has this tile (a row added beside the tree)",
        )
        for level, idx in found
    ]
    return problems + _listed(found, int(total), "tiles")


def stray_checkpoints(rows: Rows, size: int) -> list[Finding]:
    """Checkpoint rows larger than the head's ``size``."""
    found = rows(f"SELECT size FROM ledger_checkpoints WHERE size > {int(size)} ORDER BY size", [])
    return [
        Finding(
            f"checkpoint {cp}",
            f"larger than the tree head (size {size}): entries were removed from the end",
        )
        for (cp,) in found[:LISTED]
    ] + _listed(found, len(found), "checkpoints")


def stray_rows(rows: Rows, size: int, *, structure_only: bool) -> list[Finding]:
    """Every stray row, for the tree head of ``size``."""
    found = stray_entries(rows, size) + stray_tiles(rows, size)
    return found + (stray_checkpoints(rows, size) if structure_only else [])
