"""The witness's own state: one SQLite file (stdlib ``sqlite3``), never liaison's database.

C2SP tlog-witness, "add-checkpoint": for each log the witness "is only required to keep
track of the latest checkpoint it observed and verified"; it "MUST persist the new
checkpoint before responding", and checking the old size against the latest checkpoint
and persisting the new one "must be performed atomically" (the spec's race, where a
smaller checkpoint stored last rolls the witness back). So:

- ``latest``: per origin, the latest cosigned checkpoint (size, root, the note with the
  log's signature lines that verified and no other, ``protocol.log_signed``, the
  cosignature line returned for it and its timestamp);
- ``refused``: submissions refused although a trusted log key signed them (the spec: the
  witness "MAY log the request ... as it might be proof of log misbehavior"): the note,
  the old size and proof, the answer's status, the reason, when;
- ``WitnessState.advancing(origin)``: a write transaction opened with ``BEGIN IMMEDIATE``
  (SQLite's write lock, taken before the latest size is read; across threads and
  processes), committed with ``synchronous=FULL`` (fsync) before the answer is sent.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from liaison.errors import Unavailable, WitnessConfigError
from liaison.files import create_private_file

__all__ = ["Cosigned", "Refused", "Transaction", "WitnessState"]

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS latest (
    origin TEXT PRIMARY KEY,
    size INTEGER NOT NULL CHECK (size >= 0),
    root BLOB NOT NULL CHECK (length(root) = 32),
    note TEXT NOT NULL,
    cosignature TEXT NOT NULL,
    cosigned_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS refused (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    origin TEXT NOT NULL,
    old_size INTEGER NOT NULL,
    proof TEXT NOT NULL,
    note TEXT NOT NULL,
    status INTEGER NOT NULL,
    reason TEXT NOT NULL,
    refused_at INTEGER NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class Cosigned:
    """The latest checkpoint the witness cosigned for an origin."""

    origin: str
    size: int
    root: bytes
    note: str
    cosignature: str
    cosigned_at: int

    @property
    def cosigned_note(self) -> str:
        """The note with the witness's cosignature line after its signatures."""
        return self.note + self.cosignature


@dataclass(frozen=True, slots=True)
class Refused:
    """A submission refused although a trusted key of its log signed it: evidence."""

    origin: str
    old_size: int
    proof: tuple[str, ...]
    note: str
    status: int
    reason: str
    refused_at: int


def _cosigned(row: sqlite3.Row) -> Cosigned:
    return Cosigned(
        row["origin"], row["size"], bytes(row["root"]), row["note"], row["cosignature"],
        row["cosigned_at"],
    )  # fmt: skip


def _refused(row: sqlite3.Row) -> Refused:
    proof: tuple[str, ...] = tuple(row["proof"].split("\n")) if row["proof"] else ()
    return Refused(
        row["origin"], row["old_size"], proof, row["note"], row["status"], row["reason"],
        row["refused_at"],
    )  # fmt: skip


class Transaction:
    """One origin's state inside ``WitnessState.advancing``, under the write lock."""

    def __init__(self, conn: sqlite3.Connection, origin: str) -> None:
        self._conn = conn
        self.origin = origin
        row = conn.execute("SELECT * FROM latest WHERE origin = ?", (origin,)).fetchone()
        self.latest: Cosigned | None = None if row is None else _cosigned(row)

    def advance(self, cosigned: Cosigned) -> None:
        """Make ``cosigned`` the origin's latest cosigned checkpoint (on commit)."""
        if cosigned.origin != self.origin:
            raise ValueError(f"state of {self.origin!r}, not {cosigned.origin!r}")
        self._conn.execute(
            "INSERT INTO latest (origin, size, root, note, cosignature, cosigned_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (origin) DO UPDATE SET size = excluded.size,"
            " root = excluded.root, note = excluded.note, cosignature = excluded.cosignature,"
            " cosigned_at = excluded.cosigned_at",
            (cosigned.origin, cosigned.size, cosigned.root, cosigned.note,
             cosigned.cosignature, cosigned.cosigned_at),
        )  # fmt: skip
        self.latest = cosigned

    def refuse(self, refused: Refused) -> None:
        """Keep a refused submission as evidence (on commit)."""
        self._conn.execute(
            "INSERT INTO refused (origin, old_size, proof, note, status, reason, refused_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (refused.origin, refused.old_size, "\n".join(refused.proof), refused.note,
             refused.status, refused.reason, refused.refused_at),
        )  # fmt: skip


class WitnessState:
    """The state file at ``path`` (created, mode 0600, with its tables when missing).

    ``timeout``: seconds to wait for another writer's lock; past it, and on any other
    SQLite failure, ``Unavailable`` (the witness answers 503: retry)."""

    def __init__(self, path: Path, timeout: float = 30.0) -> None:
        self.path = path
        self.timeout = timeout
        try:
            create_private_file(path)
            with closing(self._connect()) as conn:
                conn.execute("PRAGMA journal_mode = WAL")
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                if version not in (0, SCHEMA_VERSION):
                    raise WitnessConfigError(
                        f"{path}: witness state of schema {version}, this liaison knows "
                        f"{SCHEMA_VERSION}"
                    )
                conn.executescript(_SCHEMA + f"PRAGMA user_version = {SCHEMA_VERSION};")
        except (OSError, sqlite3.Error) as exc:
            raise WitnessConfigError(f"{path}: cannot open the witness state: {exc}") from None

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA synchronous = FULL")  # every commit is fsynced
        return conn

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        try:
            with closing(self._connect()) as conn:
                yield conn
        except sqlite3.Error as exc:
            raise Unavailable(f"the witness state {self.path}: {exc}") from None

    @contextmanager
    def advancing(self, origin: str) -> Iterator[Transaction]:
        """The origin's state under SQLite's write lock (``BEGIN IMMEDIATE``), committed
        durably when the block ends, rolled back when it raises."""
        with self._connection() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield Transaction(conn, origin)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def latest(self, origin: str) -> Cosigned | None:
        """The latest checkpoint cosigned for ``origin``, if any."""
        with self._connection() as conn:
            row = conn.execute("SELECT * FROM latest WHERE origin = ?", (origin,)).fetchone()
        return None if row is None else _cosigned(row)

    def all_latest(self) -> list[Cosigned]:
        """The latest cosigned checkpoint of every origin, by origin."""
        with self._connection() as conn:
            rows = conn.execute("SELECT * FROM latest ORDER BY origin").fetchall()
        return [_cosigned(row) for row in rows]

    def refused(self, origin: str | None = None) -> list[Refused]:
        """The refused submissions kept as evidence (of ``origin``, or all), oldest first."""
        where = "" if origin is None else "WHERE origin = ? "
        args = () if origin is None else (origin,)
        with self._connection() as conn:
            rows = conn.execute(f"SELECT * FROM refused {where}ORDER BY id", args).fetchall()
        return [_refused(row) for row in rows]
