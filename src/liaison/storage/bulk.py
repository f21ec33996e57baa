"""Bulk inserts through the driver's ``executemany`` on a SQLAlchemy connection.

SQLAlchemy's per-row parameter processing costs several times the insert itself
on the ledger's hot path. This goes to the driver directly (same connection,
same transaction), writing each value as SQLAlchemy's own column types would:
on SQLite a timestamp is stored in SQLAlchemy's DATETIME text format, so the
rows read back through the schema of ``liaison.storage.tables`` as usual.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table

_SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"


def _placeholder(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def insert_rows(
    conn: Connection, table: Table, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """INSERT ``rows`` (tuples in ``columns`` order) into ``table`` with one executemany."""
    if not rows:
        return
    if conn.dialect.name == "sqlite":
        rows = [tuple(_sqlite(v) for v in row) for row in rows]
    marks = ", ".join(_placeholder(conn) for _ in columns)
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"
    conn.exec_driver_sql(sql, rows)


def _sqlite(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.strftime(_SQLITE_DATETIME)  # naive UTC, as UTCDateTime stores it
    return value
