"""Crash safety of appends, on each backend: an appender killed with SIGKILL at random
moments, again and again, never loses or damages an acknowledged entry.

A child process appends in a loop (batches of 1 to 20 entries, each carrying a unique
token) and, each time ``append_many`` returns (the acknowledgement), writes the
acknowledged ``index leaf_hash token`` lines to its own file and fsyncs it. The test
kills it (SIGKILL) at a random moment once it is appending, starts the next, and so on.
The appenders are forked by a zygote process (``sys.executable -c ZYGOTE``) that has
done the imports once, so that each run costs milliseconds, not an interpreter start-up;
the zygote reaps each killed appender, and no process outlives the test. At the end the
ledger verifies (entries, leaves, tiles, head, a fresh signed checkpoint, personal data),
its indexes are 0..n-1 without a gap, and every acknowledged entry is there, intact.

A line the child was writing when it was killed is incomplete and is ignored: only
newline-terminated lines count (each run writes its own file, so a fragment can only be
the last thing in a file).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from liaison.ledger import merkle
from liaison.ledger.check import check_ledger
from liaison.ledger.log import Ledger
from liaison.ledger.note_keys import generate_signer, parse_signer, parse_verifier
from liaison.storage.database import open_engine

ORIGIN = "crash.liaison.example/log"
KILLS = 25  # per backend
BUDGET_S = 60.0  # per backend: no new run starts after this
MIN_KILLS = 5  # fewer (a very slow machine) and the test has not shown much
START_TIMEOUT_S = 60.0  # for a child to acknowledge its first append

# A zygote: imports once, then forks an appender per run on request, so that the runs do
# not each pay the interpreter's start-up and imports (seconds on a small machine). The
# test kills an appender by its pid and has the zygote reap it (its parent).
ZYGOTE = r"""
import os, random, sys
from liaison.ledger.entries import NewEntry
from liaison.ledger.log import Ledger
from liaison.storage.database import open_engine


def append_forever(url, ack_path, run):
    ledger = Ledger(open_engine(url), "crash.liaison.example/log")
    rng = random.Random(run)
    fd = os.open(ack_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    n = 0
    while True:
        tokens, entries = [], []
        for _ in range(rng.randint(1, 20)):
            token = f"r{run}-{n}-{rng.getrandbits(64):016x}"
            n += 1
            personal = {"subject": f"person-{token}"} if n % 3 else None
            record = {"token": token, "action": "database_inquiry", "n": n}
            tokens.append(token)
            entries.append(NewEntry("decision", record, f"officer-{n % 97}", personal))
        done = ledger.append_many(entries)  # returned: acknowledged, durable
        lines = "".join(f"{a.index} {a.leaf_hash.hex()} {t}\n" for a, t in zip(done, tokens))
        os.write(fd, lines.encode())
        os.fsync(fd)


def reply(text):
    sys.stdout.write(f"{text}\n")
    sys.stdout.flush()


children = set()
reply("ready")
for line in sys.stdin:
    command, *args = line.split()
    if command == "start":  # start <url> <ack file> <run>
        pid = os.fork()
        if pid == 0:
            try:
                append_forever(*args)
            finally:
                os._exit(70)
        children.add(pid)
        reply(pid)
    elif command == "poll":  # poll <pid>: its wait status, or "running"
        pid, status = os.waitpid(int(args[0]), os.WNOHANG)
        if pid:
            children.discard(pid)
        reply(status if pid else "running")
    elif command == "reap":  # reap <pid>: wait for it, reply its wait status
        _, status = os.waitpid(int(args[0]), 0)
        children.discard(int(args[0]))
        reply(status)
for pid in children:  # the test is over: nothing outlives it
    os.kill(pid, 9)
    os.waitpid(pid, 0)
"""


@dataclass(frozen=True)
class Ack:
    index: int
    leaf_hash: str
    token: str


def read_acks(path: Path) -> list[Ack]:
    """The complete lines of one run's acknowledgement file (a torn last line dropped)."""
    if not path.exists():
        return []
    text = path.read_bytes().decode("utf-8")
    complete = text[: text.rfind("\n") + 1]
    acks = []
    for line in complete.splitlines():
        index, leaf_hash, token = line.split(" ")
        assert len(leaf_hash) == 64, line
        acks.append(Ack(int(index), leaf_hash, token))
    return acks


class Zygote:
    """The zygote process and the appenders it forks; ``close`` kills and reaps them all."""

    def __init__(self, log: Path) -> None:
        with log.open("wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-c", ZYGOTE],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
            )
        self.log = log
        self.live: set[int] = set()
        assert self._ask(None) == "ready", self.log.read_text()

    def _ask(self, command: str | None) -> str:
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None
        assert stdout is not None
        if command is not None:
            stdin.write(command + "\n")
            stdin.flush()
        answer = stdout.readline().strip()
        if not answer:
            pytest.fail(f"the zygote died: {self.log.read_text(errors='replace')}")
        return answer

    def start(self, url: str, ack: Path, run: int) -> int:
        pid = int(self._ask(f"start {url} {ack} {run}"))
        self.live.add(pid)
        return pid

    def running(self, pid: int) -> bool:
        answer = self._ask(f"poll {pid}")
        if answer != "running":
            self.live.discard(pid)
        return answer == "running"

    def kill(self, pid: int) -> int:
        """SIGKILL the appender; reap it; its wait status."""
        os.kill(pid, signal.SIGKILL)
        status = int(self._ask(f"reap {pid}"))
        self.live.discard(pid)
        return status

    def close(self) -> None:
        try:
            for pid in list(self.live):
                self.kill(pid)
        finally:
            if self.process.stdin is not None:
                self.process.stdin.close()
            try:
                self.process.wait(timeout=60)
            finally:
                if self.process.poll() is None:
                    self.process.kill()
                    self.process.wait(timeout=60)
                if self.process.stdout is not None:
                    self.process.stdout.close()


def kill_repeatedly(url: str, folder: Path, rng: random.Random) -> int:
    """Appenders one after the other, each SIGKILLed at a random moment once it has
    acknowledged an append (20-300 ms later); returns how many were killed."""
    started = time.monotonic()
    zygote = Zygote(folder / "zygote.log")
    kills = 0
    try:
        while kills < KILLS and time.monotonic() - started < BUDGET_S:
            ack = folder / f"ack-{kills}"
            pid = zygote.start(url, ack, kills)
            begun = time.monotonic()
            while not (ack.exists() and ack.stat().st_size > 0):
                if not zygote.running(pid):
                    pytest.fail(f"appender {kills} exited: {zygote.log.read_text()}")
                if time.monotonic() - begun > START_TIMEOUT_S:
                    pytest.fail(f"appender {kills} acknowledged nothing in {START_TIMEOUT_S} s")
                time.sleep(0.005)
            time.sleep(rng.uniform(0.02, 0.3))
            if not zygote.running(pid):
                pytest.fail(f"appender {kills} exited: {zygote.log.read_text()}")
            status = zygote.kill(pid)
            assert os.WIFSIGNALED(status), status
            assert os.WTERMSIG(status) == signal.SIGKILL, status
            kills += 1
    finally:
        zygote.close()
    return kills


@pytest.mark.slow
def test_acknowledged_appends_survive_sigkill(db_url: str, tmp_path: Path) -> None:
    started = time.monotonic()
    kills = kill_repeatedly(db_url, tmp_path, random.Random(20251128))
    assert kills >= MIN_KILLS, f"only {kills} kills in {BUDGET_S} s"

    acks = [a for run in range(kills) for a in read_acks(tmp_path / f"ack-{run}")]
    assert len(acks) >= kills  # every run acknowledged at least one append
    assert len({a.index for a in acks}) == len(acks), "an index was acknowledged twice"
    assert len({a.token for a in acks}) == len(acks)

    skey, vkey = generate_signer(ORIGIN)
    engine = open_engine(db_url)
    try:
        ledger = Ledger(engine, ORIGIN, parse_signer(skey))
        size, root = ledger.head()
        checkpoint = ledger.checkpoint()
        assert (checkpoint.size, checkpoint.root) == (size, root)
        report = check_ledger(ledger, parse_verifier(vkey))
        assert report.ok, report.problems[:20]
        assert (report.size, report.root) == (size, root)
        assert report.checkpoints_verified == 1

        stored = {e.index: e for e in ledger.entries()}
        assert sorted(stored) == list(range(size)), "indexes are not 0..n-1 without a gap"
        for a in acks:
            entry = stored.get(a.index)
            assert entry is not None, f"acknowledged entry {a.index} is gone"
            assert entry.leaf_hash.hex() == a.leaf_hash, f"entry {a.index}: another leaf"
            assert merkle.leaf_hash(entry.body) == entry.leaf_hash
            assert entry.document()["record"]["token"] == a.token, f"entry {a.index}"
        print(
            f"{kills} kills in {time.monotonic() - started:.1f} s; {len(acks)} acknowledged "
            f"entries checked; {size} entries in the ledger"
        )
    finally:
        engine.dispose()
