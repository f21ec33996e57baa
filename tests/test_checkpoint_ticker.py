"""The scheduled checkpoints (``liaison.api.checkpoint_ticker``): a checkpoint is signed
each interval in which the tree grew, an error does not stop the ticker, a deployment
without a key gets none, and leaving the context stops the thread."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, cast

from liaison.api.checkpoint_ticker import checkpoint_ticker
from liaison.errors import LiaisonError
from liaison.ledger.log import Ledger


@dataclass
class FakeLedger:
    """What the ticker uses of a ledger: a growing tree, checkpoints, a signer or none."""

    size: int = 0
    signed: list[int] = field(default_factory=list)
    signer: object | None = "a key"
    fail_next: int = 0
    calls: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def head(self) -> tuple[int, bytes]:
        return self.size, b""

    def latest_checkpoint(self) -> Any:
        self.calls += 1
        if self.fail_next:
            self.fail_next -= 1
            raise LiaisonError("the database went away")
        return None if not self.signed else type("C", (), {"size": self.signed[-1]})()

    def checkpoint(self) -> None:
        with self.lock:
            self.signed.append(self.size)


def wait_for(condition: Any, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the ticker did not act in time"
        time.sleep(0.005)


def test_a_checkpoint_is_signed_when_the_tree_grew_and_only_then() -> None:
    ledger = FakeLedger(size=3)
    with checkpoint_ticker(cast(Ledger, ledger), 0.01):
        wait_for(lambda: ledger.signed == [3])
        calls = ledger.calls
        wait_for(lambda: ledger.calls > calls + 3)
        assert ledger.signed == [3]  # the tree did not grow: nothing new to sign
        ledger.size = 5
        wait_for(lambda: ledger.signed == [3, 5])


def test_an_error_does_not_stop_the_ticker() -> None:
    ledger = FakeLedger(size=1, fail_next=2)
    with checkpoint_ticker(cast(Ledger, ledger), 0.01):
        wait_for(lambda: ledger.signed == [1])
    assert ledger.calls >= 3


def test_leaving_stops_the_ticker() -> None:
    ledger = FakeLedger(size=1)
    with checkpoint_ticker(cast(Ledger, ledger), 0.01):
        wait_for(lambda: ledger.signed == [1])
    calls = ledger.calls
    time.sleep(0.1)
    assert ledger.calls <= calls + 1  # at most a tick already under way


def test_no_key_no_checkpoints_and_no_interval_no_thread() -> None:
    keyless = FakeLedger(size=1, signer=None)
    with checkpoint_ticker(cast(Ledger, keyless), 0.01):
        time.sleep(0.1)
    assert keyless.signed == []
    assert keyless.calls == 0
    idle = FakeLedger(size=1)
    before = threading.active_count()
    with checkpoint_ticker(cast(Ledger, idle), 0):
        assert threading.active_count() == before
        time.sleep(0.05)
    assert idle.signed == []


def test_each_signed_checkpoint_is_given_to_after_and_its_failure_is_not_fatal() -> None:
    ledger = SignedLedger(size=2)
    given: list[int] = []

    def after(signed: Any) -> None:
        given.append(signed.size)
        if len(given) == 1:
            raise RuntimeError("a page failed to warm")

    with checkpoint_ticker(cast(Ledger, ledger), 0.01, after):
        wait_for(lambda: given == [2])
        ledger.size = 4
        wait_for(lambda: given == [2, 4])  # the ticker went on after the failure
    assert ledger.signed == [2, 4]


@dataclass
class SignedLedger(FakeLedger):
    """A fake ledger whose ``checkpoint`` returns what it signed."""

    def checkpoint(self) -> Any:  # type: ignore[override]
        super().checkpoint()
        return type("C", (), {"size": self.signed[-1]})()


def test_at_start_the_newest_kept_checkpoint_is_given_to_after() -> None:
    ledger = SignedLedger(size=3, signed=[3])
    given: list[int] = []
    with checkpoint_ticker(cast(Ledger, ledger), 0.01, lambda c: given.append(c.size)):
        wait_for(lambda: given == [3])
        ledger.size = 5
        wait_for(lambda: given == [3, 5])
