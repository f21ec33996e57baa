"""Signed checkpoints on a schedule (docs/ledger.md, "Checkpoints";
``LIAISON_CHECKPOINT_INTERVAL``): while the service runs, a daemon thread signs a new
checkpoint every interval in which the tree grew, as long as the deployment has a key, and
then calls ``after`` with it (and at start with the newest kept): the pages' warm-up,
``liaison.web.warmup``. A failure of ``after`` is logged, never fatal to the ticker."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from liaison.errors import LiaisonError
from liaison.ledger.log import Ledger
from liaison.ledger.signing import StoredCheckpoint
from liaison.logs import get_logger

After = Callable[[StoredCheckpoint], object]
log = get_logger("liaison.api")


@contextmanager
def checkpoint_ticker(
    ledger: Ledger, interval: float, after: After | None = None
) -> Iterator[None]:
    """Sign checkpoints of ``ledger`` every ``interval`` seconds while inside (none if
    ``interval`` is not positive), each then given to ``after``; the thread stops on
    leaving."""
    stop = threading.Event()
    args = (ledger, interval, stop, after)
    ticker = threading.Thread(target=sign_checkpoints, args=args, daemon=True)
    if interval > 0:
        ticker.start()
    try:
        yield
    finally:
        stop.set()


def sign_checkpoints(
    ledger: Ledger, interval: float, stop: threading.Event, after: After | None = None
) -> None:
    """Sign a checkpoint on a schedule while the tree grows (when a key is present), and
    give each to ``after`` (first the newest one already signed, if any: after a restart,
    the pages are warmed before their first reader too)."""
    if after is not None:
        try:
            kept = ledger.latest_checkpoint()
        except Exception:  # the database unreachable now: the next checkpoint warms them
            kept = None
        if kept is not None:
            _after(after, kept)
    while not stop.wait(interval):
        if ledger.signer is None:
            return
        try:
            latest = ledger.latest_checkpoint()
            size, _ = ledger.head()
            grew = latest is None or latest.size < size
            signed = ledger.checkpoint() if grew else None
        except LiaisonError as exc:  # a refusal is logged by the signer; the process down too
            log.warning("checkpoint_failed", code=exc.code, message=exc.message)
            continue
        if signed is not None and after is not None:
            _after(after, signed)


def _after(after: After, signed: StoredCheckpoint) -> None:
    try:
        after(signed)
    except Exception as exc:
        log.warning("after_checkpoint_failed", size=signed.size, error=repr(exc))
