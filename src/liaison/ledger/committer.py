"""Group commit: concurrent appends share one ledger transaction.

The batching layer, in the way transparency-dev/tessera separates batching from
integration and storage (its append queue): each caller queues an entry and waits; one
worker thread drains everything queued into a single ``Ledger.append_many`` transaction,
so N concurrent requests pay for one durable commit instead of N. A caller is answered
only after the commit: nothing is acknowledged before it is durable. When a group fails,
its jobs are retried one by one, so a bad job fails alone.

What else the transaction writes comes through one typed hook, given when the committer
is made (``IndexHook``): a job carries data of the hook's type (``P``), never code, and
the hook writes the rows of a whole group, in job order, after its entries. The hook may
refuse some jobs of the group (it returns a ``Refusal``): the group rolls back, those jobs
fail with its error and the others are committed again without them. The gateway's hook
writes the index rows (decisions, events, encounters, pack changes) and holds each decision
to the pack version it was made under (``liaison.gateway.index_writes``).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from sqlalchemy import Connection

from liaison.ledger.entries import NewEntry
from liaison.ledger.log import AfterAppend, Ledger
from liaison.ledger.sequencer import Appended

P = TypeVar("P")
P_contra = TypeVar("P_contra", contravariant=True)


class IndexHook(Protocol[P_contra]):
    """Writes, in the transaction that appends a group, what its jobs' data determines."""

    def __call__(
        self, conn: Connection, written: Sequence[tuple[P_contra, Appended]]
    ) -> Refusal | None:
        """``written``: each job that carries data, with its position, in job order. A
        ``Refusal`` fails some of them alone; an error rolls the whole group back."""


@dataclass(frozen=True, slots=True)
class Refusal:
    """The hook refuses the jobs at ``positions`` (in its ``written``): they fail with
    ``error``; the rest of the group is committed again without them."""

    error: Exception
    positions: frozenset[int]

    def __post_init__(self) -> None:
        if not self.positions:
            raise ValueError("a refusal names the jobs it refuses")


@dataclass
class _Job(Generic[P]):
    entry: NewEntry
    data: P | None
    future: Future[Appended] = field(default_factory=Future)


class GroupCommitter(Generic[P]):
    def __init__(
        self, ledger: Ledger, hook: IndexHook[P] | None = None, max_batch: int = 256
    ) -> None:
        self.ledger = ledger
        self.hook = hook
        self.max_batch = max_batch
        self._queue: queue.Queue[_Job[P] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, entry: NewEntry, data: P | None = None) -> Appended:
        """Append ``entry``, with what the hook writes of ``data`` in the same transaction;
        block until durable."""
        return self.enqueue(entry, data).result()

    def enqueue(self, entry: NewEntry, data: P | None = None) -> Future[Appended]:
        """Queue ``entry`` as ``submit`` does, without waiting: its future resolves once it is
        durable (or fails). Entries queued one after another are appended in that order."""
        job = _Job(entry, data)
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

    def _commit(self, jobs: list[_Job[P]]) -> None:
        carrying = [job for job in jobs if job.data is not None]
        refused: list[Refusal] = []  # the hook's refusal, whose error rolled the group back
        try:
            done = self.ledger.append_many(
                [j.entry for j in jobs], after=self._after(jobs, refused)
            )
        except Exception as exc:  # the transaction rolled back: nothing was acknowledged
            if refused and refused[0].error is exc:  # the refused jobs fail, the rest retry
                failed = {id(carrying[i]) for i in refused[0].positions}
                for job in jobs:
                    if id(job) in failed:
                        job.future.set_exception(exc)
                rest = [j for j in jobs if id(j) not in failed]
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

    def _after(self, jobs: list[_Job[P]], refused: list[Refusal]) -> AfterAppend | None:
        """The hook, run on the group's jobs that carry data, with their positions; its
        refusal is noted in ``refused`` and its error raised (rolling the group back)."""
        hook = self.hook
        if hook is None:
            return None

        def run(conn: Connection, appended: list[Appended]) -> None:
            written = [
                (job.data, at)
                for job, at in zip(jobs, appended, strict=True)
                if job.data is not None
            ]
            refusal = hook(conn, written) if written else None
            if refusal is not None:
                refused.append(refusal)
                raise refusal.error

        return run
