"""Opening the database: SQLite (WAL, synchronous=FULL) or PostgreSQL through psycopg 3.

SQLite: every write transaction starts with ``BEGIN IMMEDIATE``, which takes the
database's write lock at once, so concurrent appenders (threads or processes) are
serialised by SQLite itself and an append is acknowledged only after its commit
has reached the disk (WAL with synchronous=FULL).

PostgreSQL: the ledger's sequencer row is locked with ``SELECT ... FOR UPDATE``
(see ``liaison.ledger.store``); commits are durable with the default
``synchronous_commit = on``.

A SQLite database file is created readable by its owner only (0600, in a 0700 folder
when the folder is new; ``liaison.files``); SQLite gives its ``-wal`` and ``-shm`` files
the same mode.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from liaison.files import create_private_file, make_private, private_dir

WRITE_OPTION = "liaison_write"


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that will write: on SQLite it holds the write lock from its start."""
    with engine.connect().execution_options(**{WRITE_OPTION: True}) as conn, conn.begin():
        yield conn


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def param_mark(engine: Engine | Connection) -> str:
    """The DB-API placeholder of the driver: ``?`` (sqlite3) or ``%s`` (psycopg)."""
    return "?" if engine.dialect.paramstyle == "qmark" else "%s"


class DriverCursor:
    """A DB-API cursor used without SQLAlchemy's statement layer (several times the cost
    of the small queries of the ledger's hot paths), whose driver errors still come out
    as SQLAlchemy's (``IntegrityError``, ``OperationalError``, ...), as they would through
    ``Connection.execute``; parameters are never put in an error (they hold entries)."""

    __slots__ = ("_error", "raw")

    def __init__(self, cursor: Any, dialect: Any) -> None:
        self.raw = cursor
        self._error: type[Exception] = dialect.loaded_dbapi.Error

    def _translate(self, exc: Exception, statement: str | None) -> BaseException:
        return DBAPIError.instance(statement, None, exc, self._error, hide_parameters=True)

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        try:
            self.raw.execute(statement, params)
        except self._error as exc:
            raise self._translate(exc, statement) from exc

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        try:
            self.raw.executemany(statement, rows)
        except self._error as exc:
            raise self._translate(exc, statement) from exc

    def fetchone(self) -> Any:
        try:
            return self.raw.fetchone()
        except self._error as exc:
            raise self._translate(exc, None) from exc

    def fetchall(self) -> list[Any]:
        try:
            return list(self.raw.fetchall())
        except self._error as exc:
            raise self._translate(exc, None) from exc

    @contextmanager
    def translated(self, statement: str | None = None) -> Iterator[None]:
        """Driver errors of other calls on ``raw`` (psycopg's COPY) as SQLAlchemy's."""
        try:
            yield
        except self._error as exc:
            raise self._translate(exc, statement) from exc

    def close(self) -> None:
        self.raw.close()


def driver_cursor(conn: Connection) -> DriverCursor:
    """A cursor on the connection's own transaction, without the statement layer."""
    return DriverCursor(conn.connection.driver_connection.cursor(), conn.dialect)  # type: ignore[union-attr]


@contextmanager
def read_cursor(engine: Engine, *, snapshot: bool = False) -> Iterator[DriverCursor]:
    """A cursor in one read transaction, for the hot read paths (proofs, verify), without
    SQLAlchemy's statement layer.

    SQLite: one WAL read transaction, which is a snapshot. PostgreSQL: READ COMMITTED, or
    with ``snapshot`` REPEATABLE READ, so that every statement sees the same commits.
    """
    raw = engine.raw_connection()
    try:
        cursor = DriverCursor(raw.cursor(), engine.dialect)
        try:
            if is_sqlite(engine):
                cursor.execute("BEGIN DEFERRED")
            elif snapshot:
                with cursor.translated():
                    raw.rollback()  # SET TRANSACTION must come first in its transaction
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            yield cursor
        finally:
            cursor.close()
            with cursor.translated():
                raw.rollback()
    finally:
        raw.close()


def open_engine(url: str, *, pool_size: int = 5) -> Engine:
    """An engine for ``url``; creates a SQLite file (0600) and its folder (0700) when needed."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database)
    return create_engine(url, pool_size=pool_size, pool_pre_ping=True)


def make_sqlite_private(url: str) -> list[tuple[Path, int]]:
    """Set a SQLite database made before owner-only files (and its -wal and -shm) to 0600;
    each file changed, with its old mode (``liaison db upgrade``)."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return []
    if database.startswith("file:"):
        return []
    changed = []
    for path in (Path(database), Path(f"{database}-wal"), Path(f"{database}-shm")):
        old = make_private(path)
        if old is not None:
            changed.append((path, old))
    return changed


def _sqlite_engine(url: str, database: str | None) -> Engine:
    if database and database != ":memory:" and not database.startswith("file:"):
        # Owner only: SQLite gives the -wal and -shm files the database file's mode.
        private_dir(Path(database).parent)
        create_private_file(Path(database))
    engine = create_engine(url, connect_args={"timeout": 60})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # liaison issues BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Writers take SQLite's write lock up front; readers never block them (WAL).
        write = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN DEFERRED")

    return engine
