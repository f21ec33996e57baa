"""Every decision of a signed checkpoint counted per UTC hour, view, action, outcome and unit,
kept
in memory and extended checkpoint by checkpoint (issue 11, item 5: each page in <= 300 ms
with 2,000,000 records): what an auditor's chart of any period, and a supervisor's of their
unit, is folded from (``liaison.reports.series``), without reading the index again.

The first count of a deployment reads every decision's row in the tree once (one grouped
count over the covering index ``ix_decisions_at_cover``); each later checkpoint adds only
the rows of the entries it added (``ledger_index`` in [previous size, new size), through
the unique ``ledger_index`` index). Index rows are written with their entries, so the rows
of a tree never change afterwards. One count per database at a time (a lock): readers of
a checkpoint being counted wait for it.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Engine, String, func, select

from liaison.storage.tables import decisions

# (UTC hour, view, action, outcome, unit): how many decisions
Key = tuple[datetime, str, str, str, str | None]
Row = tuple[datetime, str, str, str, str | None, int]
DELTA_BY_INDEX = 50_000  # at most this many new entries: read them by ledger_index


def hour_of(engine: Engine) -> ColumnElement[str]:
    """``YYYY-MM-DD HH`` of a decision's instant in UTC, as each backend writes it."""
    if engine.dialect.name == "sqlite":  # stored as 'YYYY-MM-DD HH:MM:SS.ffffff', in UTC
        return func.substr(decisions.c.at, 1, 13, type_=String())
    return func.to_char(func.timezone("UTC", decisions.c.at), "YYYY-MM-DD HH24", type_=String())


def parse_hour(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H").replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class HourCounts:
    """The counts of the tree of ``size`` entries, in hour order (``hours``: each row's
    hour, for bisection)."""

    size: int
    rows: tuple[Row, ...]
    hours: tuple[datetime, ...] = field(repr=False)

    @classmethod
    def of(cls, size: int, counts: dict[Key, int]) -> HourCounts:
        rows = tuple(sorted(((*k, n) for k, n in counts.items()), key=_order))
        return cls(size, rows, tuple(r[0] for r in rows))

    def select(
        self,
        start: datetime | None,
        end: datetime | None,
        view: str | None,
        actions: Sequence[str] | None,
        unit: str | None = None,
    ) -> list[tuple[datetime, str, str, int]]:
        """(hour, action, outcome, count) of the hours in [start, end), of ``view``,
        ``actions`` and ``unit`` (``None``: all)."""
        low = 0 if start is None else bisect_left(self.hours, start.astimezone(UTC))
        high = len(self.hours) if end is None else bisect_left(self.hours, end.astimezone(UTC))
        return [
            (hour, action, outcome, n)
            for hour, v, action, outcome, u, n in self.rows[low:high]
            if (view is None or v == view)
            and (actions is None or action in actions)
            and (unit is None or u == unit)
        ]

    def counts(self) -> dict[Key, int]:
        return {(h, v, a, o, u): n for h, v, a, o, u, n in self.rows}


def _order(row: Row) -> tuple[datetime, str, str, str, str]:
    return (row[0], row[1], row[2], row[3], row[4] or "")


def count(engine: Engine, low: int, high: int) -> dict[Key, int]:
    """The decisions of entries in [low, high) per hour, view, action, outcome and unit."""
    index = decisions.c.ledger_index
    if high - low <= DELTA_BY_INDEX:
        bounds = [index >= low, index < high]
    else:  # most of the table: scan the covering index (``+ 0``: not the unique index)
        bounds = [index + 0 >= low, index + 0 < high]
    hour = hour_of(engine).label("hour")
    c = decisions.c
    keys = (hour, c.view, c.action, c.decision, c.unit)
    query = select(*keys, func.count()).where(*bounds).group_by(*keys)
    with engine.connect() as conn:
        found = conn.execute(query).all()
    return {(parse_hour(h), v, a, o, u): int(n) for h, v, a, o, u, n in found}


class HourIndex:
    """The newest ``HourCounts`` of each database (by URL), extended as checkpoints come."""

    def __init__(self) -> None:
        self._kept: dict[str, HourCounts] = {}
        self._lock = threading.Lock()

    def counts(self, engine: Engine, size: int) -> HourCounts:
        """The counts of the tree of ``size`` entries."""
        name = engine.url.render_as_string(hide_password=True)
        with self._lock:
            kept = self._kept.get(name)
            if kept is not None and kept.size == size:
                return kept
            if kept is not None and kept.size < size:
                merged = kept.counts()
                for key, n in count(engine, kept.size, size).items():
                    merged[key] = merged.get(key, 0) + n
            else:
                merged = count(engine, 0, size)
            found = HourCounts.of(size, merged)
            if kept is None or kept.size < size:
                self._kept[name] = found
            return found

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()


HOURS = HourIndex()
