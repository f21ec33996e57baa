"""Cosigning in the background (docs/ledger.md, "Witnesses"; C2SP tlog-witness): each new
signed checkpoint is offered here (by the checkpoint ticker, by ``GET
/v1/ledger/checkpoint`` when it signs, and by a watcher that reads the newest kept one at
start and every ``poll`` seconds), and one daemon thread per configured witness submits it
(``liaison.ledger.witness_client``).

Nothing waits for a witness: decisions and checkpoint signing never do. A witness that is
down is retried with exponential backoff (``LIAISON_WITNESS_RETRY_FIRST`` doubling up to
``LIAISON_WITNESS_RETRY_MAX``, each wait drawn between half and all of it), always with
the newest checkpoint offered: once a newer one is cosigned, older ones need not be. A
refusal (``witness_client.REFUSALS``) is logged as an error (``witness_refused``) and not
retried: the next checkpoint is submitted when it comes. Each outcome is counted
(``liaison_witness_submissions_total``)."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from liaison.ledger.cosignature import WitnessKey
from liaison.ledger.log import Ledger
from liaison.ledger.signing import StoredCheckpoint
from liaison.ledger.witness_client import Outcome, Submission, WitnessClient
from liaison.ledger.witness_list import Witness
from liaison.ledger.witnessed import Witnessed, newest_witnessed
from liaison.logs import get_logger

log = get_logger("liaison.witnessing")
Report = Callable[[str, Submission], object]  # (witness name, submission): counted
Wait = Callable[[float], object]  # waits so many seconds, or less when stopping


@dataclass
class Backoff:
    """Exponential backoff, capped, with "equal jitter": the n-th wait (from 0) is drawn
    in [d/2, d] where d = min(cap, first * 2**n)."""

    first: float
    cap: float
    rand: Callable[[], float] = random.random
    failures: int = 0

    def next(self) -> float:
        ceiling = min(self.cap, self.first * 2.0 ** min(self.failures, 62))
        self.failures += 1
        return ceiling / 2 + self.rand() * ceiling / 2

    def reset(self) -> None:
        self.failures = 0


class WitnessWorker:
    """One witness's submissions: the newest checkpoint offered, until it is settled
    (cosigned or refused); retried after a transient failure."""

    def __init__(self, client: WitnessClient, backoff: Backoff, report: Report) -> None:
        self.client = client
        self.backoff = backoff
        self.report = report
        self.last: Submission | None = None
        self._pending: StoredCheckpoint | None = None
        self._settled: tuple[int, bytes] = (-1, b"")  # the newest settled: (size, root)
        self._changed = threading.Condition()

    @property
    def name(self) -> str:
        return self.client.witness.name

    def offer(self, checkpoint: StoredCheckpoint) -> None:
        """Submit ``checkpoint`` next, unless a newer one is pending, or it is the one last
        settled. Another tree than the one settled is taken even at its size or below it:
        the database now holds another tree (rewritten, rolled back, re-signed), which the
        witness must be asked about (and will refuse: logged, counted)."""
        with self._changed:
            pending = self._pending
            if pending is not None:
                newer = checkpoint.size > pending.size or (
                    checkpoint.size == pending.size and checkpoint.root != pending.root
                )
            else:
                newer = (checkpoint.size, checkpoint.root) != self._settled
            if newer:
                self._pending = checkpoint
                self._changed.notify_all()

    def wake(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def attempt(self) -> float | None:
        """Submit the pending checkpoint once: ``None`` when it is settled (or none is
        pending), else the seconds to wait before trying again."""
        with self._changed:
            checkpoint = self._pending
        if checkpoint is None:
            return None
        try:
            done = self.client.submit(checkpoint)
        except Exception as exc:  # the database failed the proof: as a witness down
            done = Submission(Outcome.UNAVAILABLE, checkpoint.size, f"failed: {exc!r}")
        self.last = done
        self.report(self.name, done)
        if done.transient:
            delay = self.backoff.next()
            _log(self.client.witness, done, retry_in=round(delay, 3))
            return delay
        self.backoff.reset()
        _log(self.client.witness, done)
        with self._changed:
            if checkpoint.size >= self._settled[0]:
                self._settled = (checkpoint.size, checkpoint.root)
            if self._pending is checkpoint:
                self._pending = None
        return None

    def run(self, stop: threading.Event, wait: Wait) -> None:
        """Submit what is offered until ``stop`` is set; ``wait`` sleeps between retries."""
        while not stop.is_set():
            with self._changed:
                while self._pending is None and not stop.is_set():
                    self._changed.wait()
            if stop.is_set():
                return
            delay = self.attempt()
            if delay is not None:
                wait(delay)


def _log(witness: Witness, done: Submission, **extra: object) -> None:
    fields = {
        "witness": witness.name,
        "url": witness.url,
        "size": done.size,
        "outcome": str(done.outcome),
        "status": done.status,
        "detail": done.detail,
        **extra,
    }
    if done.refused:
        log.error("witness_refused", **fields)
    elif done.transient:
        log.warning("witness_unavailable", **fields)
    else:
        log.info("checkpoint_cosigned", **fields)


class Witnessing:
    """The configured witnesses' workers, for one ledger."""

    def __init__(
        self,
        ledger: Ledger,
        witnesses: Sequence[Witness],
        report: Report,
        *,
        timeout: float = 10.0,
        retry_first: float = 1.0,
        retry_max: float = 300.0,
        poll: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.ledger = ledger
        self.poll = poll
        self.witnesses = tuple(witnesses)
        self.workers = [
            WitnessWorker(
                WitnessClient(w, ledger, httpx.Client(timeout=timeout, transport=transport)),
                Backoff(retry_first, retry_max),
                report,
            )
            for w in self.witnesses
        ]

    @property
    def keys(self) -> list[WitnessKey]:
        return [w.key for w in self.witnesses]

    def offer(self, checkpoint: StoredCheckpoint) -> None:
        """Give a new signed checkpoint to every witness's worker (never blocks)."""
        for worker in self.workers:
            worker.offer(checkpoint)

    @contextmanager
    def running(self) -> Iterator[None]:
        """The workers' threads while inside, and a watcher that offers them the newest
        kept checkpoint at start and every ``poll`` seconds (one signed by another process
        or by ``liaison ledger checkpoint`` is cosigned too)."""
        stop = threading.Event()
        threads = [
            threading.Thread(
                target=w.run, args=(stop, stop.wait), daemon=True, name=f"witness {w.name}"
            )
            for w in self.workers
        ]
        threads.append(threading.Thread(target=self._watch, args=(stop,), daemon=True))
        for thread in threads:
            thread.start()
        try:
            yield
        finally:
            stop.set()
            for worker in self.workers:
                worker.wake()

    def _watch(self, stop: threading.Event) -> None:
        while True:
            try:
                kept = self.ledger.latest_checkpoint()
            except Exception as exc:  # the database unreachable now: the next time, then
                log.warning("witnessing_read_failed", error=repr(exc))
                kept = None
            if kept is not None:
                self.offer(kept)
            if stop.wait(self.poll):
                return

    def newest(self) -> Witnessed | None:
        """The newest kept checkpoint with a cosignature that verifies."""
        return newest_witnessed(self.ledger.engine, self.keys)

    def health(self) -> dict[str, Any]:
        """For ``/healthz``: each witness's last outcome, and the newest cosigned
        checkpoint's size and age (seconds since it was signed); never a fault."""
        newest = self.newest()
        latest = self.ledger.latest_checkpoint()
        return {
            "witnesses": [
                {
                    "witness": worker.name,
                    "url": worker.client.witness.url,
                    "last_outcome": None if worker.last is None else str(worker.last.outcome),
                    "last_size": None if worker.last is None else worker.last.size,
                }
                for worker in self.workers
            ],
            "cosigned_size": None if newest is None else newest.checkpoint.size,
            "cosigned_age": None if newest is None else round(newest.age(), 3),
            "latest_cosigned": newest is not None
            and latest is not None
            and newest.checkpoint.size == latest.size,
        }

    def close(self) -> None:
        for worker in self.workers:
            worker.client.http.close()
