"""Bulk inserts straight to the driver, on a SQLAlchemy connection's own transaction.

SQLAlchemy's per-row parameter processing costs several times the insert itself
on the ledger's hot path. This goes to the driver directly (same connection,
same transaction), writing each value as SQLAlchemy's own column types would:
on SQLite a timestamp is stored in SQLAlchemy's DATETIME text format (in UTC, as
``UTCDateTime`` stores it), so the rows read back through the schema of
``liaison.storage.tables`` as usual.

SQLite gets multi-row ``INSERT ... VALUES (...), (...)`` statements of up to
``ROWS_PER_STATEMENT`` rows: one statement step per chunk instead of per row, about
half the cost of ``executemany``. PostgreSQL gets a binary ``COPY ... FROM STDIN``
(psycopg), about a third of the cost of ``executemany``, for ``COPY_MIN_ROWS`` rows or
more when every column's type is one it knows (``executemany`` otherwise). Both in the
caller's transaction; driver errors come out as SQLAlchemy's.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from itertools import chain
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Connection,
    DateTime,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Table,
    Text,
)
from sqlalchemy.types import TypeEngine

from liaison.storage.database import driver_cursor, param_mark

ROWS_PER_STATEMENT = 200
COPY_MIN_ROWS = 16  # below this, a COPY's own round trips cost more than it saves
# Most specific first: BigInteger and SmallInteger are Integers, Text is a String.
_PG_TYPES: list[tuple[type[TypeEngine[Any]], str]] = [
    (Boolean, "bool"),
    (BigInteger, "int8"),
    (SmallInteger, "int2"),
    (Integer, "int4"),
    (Text, "text"),
    (String, "varchar"),
    (LargeBinary, "bytea"),
    (DateTime, "timestamp"),
]
# Bound parameters per statement: 32766 from SQLite 3.32, 999 before.
_SQLITE_MAX_PARAMS = 32766 if sqlite3.sqlite_version_info >= (3, 32, 0) else 999


def insert_rows(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    ready: bool = False,
) -> None:
    """INSERT ``rows`` (values in ``columns`` order) into ``table`` in this transaction;
    ``ready``: their timestamps are already as this database stores them (``for_driver``:
    a producer in another process made them so)."""
    if not rows:
        return
    mark = param_mark(conn)
    one = f"({', '.join(mark for _ in columns)})"
    head = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES "
    cursor = driver_cursor(conn)
    try:
        if conn.dialect.name != "sqlite":
            types = [_pg_type(table, name) for name in columns]
            if len(rows) < COPY_MIN_ROWS or None in types or not hasattr(cursor.raw, "copy"):
                cursor.executemany(head + one, rows)
                return
            statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)"
            with cursor.translated(statement), cursor.raw.copy(statement) as copy:
                copy.set_types(types)
                for row in rows:
                    copy.write_row(row)
            return
        stamps = [i for i, name in enumerate(columns) if _is_datetime(table, name)]
        if stamps and not ready:
            rows = _stamped(rows, stamps)
        per = max(1, min(ROWS_PER_STATEMENT, _SQLITE_MAX_PARAMS // len(columns)))
        for start in range(0, len(rows), per):
            chunk = rows[start : start + per]
            cursor.execute(head + ", ".join([one] * len(chunk)), list(chain.from_iterable(chunk)))
    finally:
        cursor.close()


def _pg_type(table: Table, name: str) -> str | None:
    """The PostgreSQL type a binary COPY sends the column's values as (None: unknown)."""
    kind = table.c[name].type
    kind = getattr(kind, "impl_instance", kind)
    for sa_type, pg_type in _PG_TYPES:
        if isinstance(kind, sa_type):
            if pg_type == "timestamp" and getattr(kind, "timezone", False):
                return "timestamptz"
            return pg_type
    return None


def _is_datetime(table: Table, name: str) -> bool:
    kind = table.c[name].type
    return isinstance(kind, DateTime) or isinstance(getattr(kind, "impl_instance", None), DateTime)


def _stamped(rows: Sequence[Sequence[Any]], positions: list[int]) -> list[tuple[Any, ...]]:
    """``rows`` with the timestamps at ``positions`` as SQLite text (``driver_stamps``)."""
    convert = driver_stamps("sqlite")
    out = []
    for row in rows:
        values = list(row)
        for i in positions:
            values[i] = convert(values[i])
        out.append(tuple(values))
    return out


def for_driver(dialect: str, value: Any) -> Any:
    """A timestamp as the database of ``dialect`` stores it through ``insert_rows``: SQLite
    text (``sqlite_datetime``), else the value itself."""
    return sqlite_datetime(value) if dialect == "sqlite" else value


def driver_stamps(dialect: str) -> Callable[[Any], Any]:
    """``for_driver`` for ``dialect``, converting a value the previous one repeats only
    once (a batch's entries share one ``recorded_at``): for rows written ``ready``."""
    last: list[Any] = [None, None]  # the last instant converted, and its text

    def convert(value: Any) -> Any:
        if value is not last[0]:
            last[0], last[1] = value, for_driver(dialect, value)
        return last[1]

    return convert


def sqlite_datetime(value: Any) -> Any:
    """A timestamp as SQLAlchemy's SQLite DATETIME text (naive UTC, microseconds)."""
    if not isinstance(value, datetime):
        return value
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]
