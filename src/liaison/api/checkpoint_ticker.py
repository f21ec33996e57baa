"""Signed checkpoints on a schedule (docs/ledger.md, "Checkpoints";
``LIAISON_CHECKPOINT_INTERVAL``): while the service runs, a daemon thread signs a new
checkpoint every interval in which the tree grew, as long as the deployment has a key."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from liaison.errors import LiaisonError
from liaison.ledger.log import Ledger


@contextmanager
def checkpoint_ticker(ledger: Ledger, interval: float) -> Iterator[None]:
    """Sign checkpoints of ``ledger`` every ``interval`` seconds while inside (none if
    ``interval`` is not positive); the thread stops on leaving."""
    stop = threading.Event()
    ticker = threading.Thread(target=sign_checkpoints, args=(ledger, interval, stop), daemon=True)
    if interval > 0:
        ticker.start()
    try:
        yield
    finally:
        stop.set()


def sign_checkpoints(ledger: Ledger, interval: float, stop: threading.Event) -> None:
    """Sign a checkpoint on a schedule while the tree grows (when a key is present)."""
    while not stop.wait(interval):
        if ledger.signer is None:
            return
        try:
            latest = ledger.latest_checkpoint()
            size, _ = ledger.head()
            if latest is None or latest.size < size:
                ledger.checkpoint()
        except LiaisonError:
            continue
