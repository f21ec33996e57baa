"""Group commit: concurrent appends share one ledger transaction.

Each caller submits an entry (and the rows that index it) and waits; one worker
thread drains everything queued into a single ``Ledger.append_many`` transaction,
so N concurrent requests pay for one durable commit instead of N. A caller is
answered only after the commit: nothing is acknowledged before it is durable.
When a group fails, its jobs are retried one by one, so a bad job fails alone.

A job may carry a ``check``: run inside the transaction after every entry and row of
the group is written (so it sees them), raising to refuse the group. The gateway
uses it to hold each decision to the pack generation it was made under (a decision
never lands after a ``pack_change`` entry it did not see). Each distinct check runs
once per group; when one refuses, the jobs that carry it fail and the rest of the
group is committed again without them.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.types import TypeDecorator

from liaison.ledger.entries import NewEntry
from liaison.ledger.store import Appended, Ledger
from liaison.storage.bulk import insert_rows

SideEffect = Callable[[Connection, Appended], None]
Rows = Callable[[Appended], list[tuple[Table, dict[str, Any]]]]
Check = Callable[[Connection], None]


@dataclass
class _Job:
    entry: NewEntry
    side: SideEffect | None
    rows: Rows | None = None
    check: Check | None = None
    future: Future[Appended] = field(default_factory=Future)


class GroupCommitter:
    def __init__(self, ledger: Ledger, max_batch: int = 256) -> None:
        self.ledger = ledger
        self.max_batch = max_batch
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(
        self, entry: NewEntry, side: SideEffect | None = None, rows: Rows | None = None
    ) -> Appended:
        """Append ``entry``, with the index ``rows`` it needs (inserted with the whole group's,
        straight to the driver: one bulk insert per table) and ``side`` (run as is), in the
        same transaction; block until durable."""
        return self.enqueue(entry, side, rows).result()

    def enqueue(
        self,
        entry: NewEntry,
        side: SideEffect | None = None,
        rows: Rows | None = None,
        check: Check | None = None,
    ) -> Future[Appended]:
        """Queue ``entry`` as ``submit`` does, without waiting: its future resolves once it is
        durable (or fails). Entries queued one after another are appended in that order."""
        job = _Job(entry, side, rows, check)
        self._ensure_worker()
        self._queue.put(job)
        return job.future

    def _ensure_worker(self) -> None:
        thread = self._thread
        if thread is not None and thread.is_alive():  # the usual case: no lock to take
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="ledger-committer", daemon=True
                )
                self._thread.start()

    def close(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                self._queue.put(None)
                self._thread.join(timeout=30)
            self._thread = None

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            jobs = [first]
            while len(jobs) < self.max_batch:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    self._commit(jobs)
                    return
                jobs.append(nxt)
            self._commit(jobs)

    def _commit(self, jobs: list[_Job]) -> None:
        refused: list[tuple[Check, Exception]] = []  # a job's check that refused its group
        try:
            done = self.ledger.append_many([j.entry for j in jobs], after=_sides(jobs, refused))
        except Exception as exc:  # the transaction rolled back: nothing was acknowledged
            check = next((c for c, error in refused if error is exc), None)
            if check is not None:  # the jobs of that check fail with its error, the rest retry
                rest = [j for j in jobs if j.check is not check]
                for job in jobs:
                    if job.check is check:
                        job.future.set_exception(exc)
                if rest:
                    self._commit(rest)
                return
            if len(jobs) == 1:
                jobs[0].future.set_exception(exc)
                return
            for job in jobs:  # find the bad one: each job on its own
                self._commit([job])
            return
        for job, appended in zip(jobs, done, strict=True):
            job.future.set_result(appended)


def _sides(
    jobs: list[_Job], refused: list[tuple[Check, Exception]]
) -> Callable[[Connection, list[Appended]], None]:
    """What runs in the transaction of ``jobs``: their rows, side effects and checks; a
    check that raises is noted in ``refused`` with its error (which rolls it all back)."""

    def run(conn: Connection, appended: list[Appended]) -> None:
        by_table: dict[tuple[Table, tuple[str, ...]], list[tuple[Any, ...]]] = {}
        for job, position in zip(jobs, appended, strict=True):
            if job.rows is not None:
                for table, row in job.rows(position):
                    columns = tuple(row)
                    by_table.setdefault((table, columns), []).append(
                        _bound(table, row, conn.dialect)
                    )
        for (table, columns), rows in by_table.items():
            insert_rows(conn, table, columns, rows)
        for job, position in zip(jobs, appended, strict=True):
            if job.side is not None:
                job.side(conn, position)
        checks = {id(job.check): job.check for job in jobs if job.check is not None}
        for check in checks.values():
            try:
                check(conn)
            except Exception as exc:
                refused.append((check, exc))
                raise

    return run


def _bound(table: Table, row: dict[str, Any], dialect: Any) -> tuple[Any, ...]:
    """The row's values as its columns' own types bind them (``UTCDateTime`` refuses a
    naive timestamp), for ``insert_rows``, which goes to the driver directly."""
    return tuple(
        kind.process_bind_param(value, dialect) if isinstance(kind, TypeDecorator) else value
        for kind, value in ((table.c[name].type, value) for name, value in row.items())
    )
