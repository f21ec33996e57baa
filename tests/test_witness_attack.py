"""Issue 12, item 7, end to end: two witnesses (``liaison.witness``, real uvicorn servers on
loopback, each with its own key and state file) and the service configured with both
(``LIAISON_WITNESSES``). Checkpoints get cosigned by both, and ``GET /v1/ledger/checkpoint``
shows both cosignatures, each checked here from the spec (``witness_fixtures``).

Then the department, which holds the signing key and the database, rewrites its history
and re-signs it: it deletes the kept checkpoints and the signer's memory, rewrites an entry
the witnesses cosigned, rebuilds the leaf hashes, tiles and head, starts a new memory
(``liaison ledger signer-init``) and signs the rewritten tree with its own key. Both
witnesses refuse it (409 at the same size, 422 once it grew), the service logs and counts
the refusals and keeps no cosignature for it. A witness restarted keeps its state; a
rollback of the log below the cosigned size is refused."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from structlog.testing import capture_logs

from conftest import cli_runner, running_services
from liaison.api.app import create_app
from liaison.api.deps import Services
from liaison.gateway.roles import KeyRole
from liaison.ledger.entries import NewEntry
from liaison.ledger.keys import keygen
from liaison.ledger.log import Ledger
from liaison.ledger.signer_memory import MEMORY_FILE
from liaison.ledger.witness_client import Outcome
from liaison.witness.app import create_witness_app
from liaison.witness.state import WitnessState
from test_api import bearer, inquiry
from test_signer_memory import rewrite, truncate
from witness_fixtures import (
    WitnessFiles,
    body,
    make_witness,
    note_text,
    spec_check_cosignature,
    wait_for,
    wait_settled,
)

ORIGIN = "liaison.example/witnessed-ledger"


class WitnessServer:
    """A witness served by uvicorn on loopback, from its own config and state file; stopped
    and started again on the same port (a restart)."""

    def __init__(self, files: WitnessFiles) -> None:
        self.files = files
        self.port = 0  # an ephemeral port at first, then the same one
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        config = self.files.config()
        app = create_witness_app(config, WitnessState(config.state_file))
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", self.port))
        self.port = int(self._sock.getsockname()[1])
        server = self._server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
        thread = self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )
        thread.start()
        wait_for(lambda: server.started or not thread.is_alive())
        assert thread.is_alive(), "the witness did not start"

    def stop(self) -> None:
        assert self._server is not None
        assert self._thread is not None
        assert self._sock is not None
        self._server.should_exit = True
        self._thread.join(10)
        self._sock.close()


@dataclass
class World:
    """The department's service, with its two witnesses serving on loopback."""

    services: Services
    client: TestClient
    servers: list[WitnessServer]
    folder: Path
    url: str

    @property
    def ledger(self) -> Ledger:
        return self.services.gateway.ledger

    @property
    def witnesses(self) -> list[WitnessFiles]:
        return [s.files for s in self.servers]

    def checkpoint(self) -> dict[str, Any]:
        public = bearer(self.services.keys, KeyRole.PUBLIC, "press")
        got = self.client.get("/v1/ledger/checkpoint", headers=public)
        assert got.status_code == 200, got.text
        return dict(got.json())

    def grow(self, count: int) -> dict[str, Any]:
        """``count`` denials appended, then a checkpoint asked for (signed, offered)."""
        start = self.ledger.head()[0]
        self.ledger.append_many(
            [
                NewEntry("decision", {"n": start + i, "decision": "deny"}, "officer-1")
                for i in range(count)
            ]
        )
        return self.checkpoint()

    def cosigned_by_both(self, size: int) -> dict[str, Any]:
        wait_for(lambda: len(self.checkpoint()["cosignatures"]) == 2)
        latest = self.checkpoint()
        assert latest["size"] == size
        return latest

    def outcomes(self) -> dict[str, Outcome | None]:
        assert self.services.witnessing is not None
        return {
            w.name: None if w.last is None else w.last.outcome
            for w in self.services.witnessing.workers
        }

    def settled(self, size: int, outcome: Outcome) -> None:
        """Both workers' last submission was of ``size`` and ended in ``outcome``."""
        wait_settled(self.services.witnessing, size, outcome)

    def metric(self, witness: str, outcome: str) -> float:
        text = self.client.get("/metrics").text
        line = f'liaison_witness_submissions_total{{outcome="{outcome}",witness="{witness}"}}'
        found = re.search(rf"^{re.escape(line)} (\S+)$", text, re.M)
        return 0.0 if found is None else float(found.group(1))

    def attack(self, prepare: Callable[[], None]) -> None:
        """The department with its key: ``prepare`` rewrites the database (and drops the
        kept checkpoints), then the signer's memory goes and a new one starts from it."""
        prepare()
        (self.folder / "keys" / MEMORY_FILE).unlink()
        result = cli_runner(self.url, self.folder, ORIGIN)("ledger", "signer-init")
        assert result.exit_code == 0, result.output
        assert "nothing signed" in result.output


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    vkey = _keygen(tmp_path)
    servers = [
        WitnessServer(make_witness(tmp_path / f"w{n}", f"witness-{n}.example", {ORIGIN: [vkey]}))
        for n in (1, 2)
    ]
    for server in servers:
        server.start()
    listing = tmp_path / "witnesses.toml"
    listing.write_text(
        "".join(f'[[witness]]\nurl = "{s.url}"\nvkey = "{s.files.vkey}"\n' for s in servers)
    )
    url = f"sqlite:///{tmp_path / 'liaison.db'}"
    try:
        with (
            running_services(
                url,
                tmp_path,
                signing_key=False,
                log_origin=ORIGIN,
                witnesses=listing,
                witness_retry_first=0.05,
                witness_retry_max=0.2,
            ) as services,
            TestClient(create_app(services=services)) as client,
        ):
            yield World(services, client, servers, tmp_path, url)
    finally:
        for server in servers:
            server.stop()


def _keygen(folder: Path) -> str:
    """The department's signing key (made before the witnesses, who follow its vkey)."""
    keygen(folder / "keys", ORIGIN)
    return (folder / "keys" / "ledger.vkey").read_text().strip()


def test_checkpoints_are_cosigned_by_both_witnesses_and_shown(world: World) -> None:
    officer = bearer(world.services.keys, KeyRole.OFFICER, "officer-1", "1D")
    for n in range(3):
        made = world.client.post("/v1/decisions", json=inquiry(f"w-{n}"), headers=officer)
        assert made.is_success
    first = world.checkpoint()
    cosigned = world.cosigned_by_both(first["size"])
    lines = cosigned["cosigned_note"][len(first["note"]) :].splitlines(keepends=True)
    assert len(lines) == 2
    for line, witness in zip(lines, world.witnesses, strict=True):
        spec_check_cosignature(line, note_text(first["note"]), witness.vkey)
    names = [c["witness"] for c in cosigned["cosignatures"]]
    assert names == ["witness-1.example", "witness-2.example"]
    later = world.grow(5)  # the next is cosigned with a consistency proof from the first
    assert later["size"] == first["size"] + 5
    world.cosigned_by_both(later["size"])
    health = world.client.get("/healthz").json()
    assert health["status"] == "ok"
    assert health["witnessing"]["cosigned_size"] == later["size"]
    assert health["witnessing"]["latest_cosigned"] is True
    assert world.client.get("/checkpoint").text == world.checkpoint()["cosigned_note"]
    for witness in world.witnesses:
        assert world.metric(witness.name, "cosigned") >= 2


def test_history_rewritten_and_resigned_is_refused_by_both_witnesses(world: World) -> None:
    base = world.ledger.head()[0]  # the first pack's entry
    world.cosigned_by_both(world.grow(4)["size"])
    honest = world.cosigned_by_both(world.grow(6)["size"])
    size = honest["size"]
    # the department rewrites a denial the witnesses cosigned (after the older cosigned
    # checkpoint, within the newest) and re-signs a tree of the same size with its key
    with capture_logs() as logs:
        world.attack(lambda: rewrite(world.ledger.engine, base + 6))
        forged = world.checkpoint()
        assert forged["size"] == size
        assert forged["root"] != honest["root"]
        world.settled(size, Outcome.CONFLICT)  # 409: each cosigned another tree of this size
        grown = world.grow(3)  # grown: no consistency proof from what they cosigned
        world.settled(size + 3, Outcome.INCONSISTENT)  # 422
    refusals = [e for e in logs if e["event"] == "witness_refused"]
    assert {(e["witness"], e["outcome"], e["log_level"]) for e in refusals} == {
        (w.name, outcome, "error")
        for w in world.witnesses
        for outcome in ("conflict", "inconsistent")
    }
    for witness in world.witnesses:
        assert world.metric(witness.name, "conflict") == 1
        assert world.metric(witness.name, "inconsistent") == 1
    assert [c.cosignatures for c in world.ledger.checkpoints()] == ["", ""]  # none kept
    latest = world.checkpoint()
    assert (latest["size"], latest["cosignatures"]) == (grown["size"], [])
    assert latest["witnessed"] is None  # the department deleted what was cosigned
    assert world.client.get("/healthz").json()["status"] == "ok"  # decisions go on
    # each witness still holds the honest tree, and kept the forgeries as evidence
    for witness in world.witnesses:
        state = WitnessState(witness.config().state_file)
        held = state.latest(ORIGIN)
        assert held is not None
        assert (held.size, held.note) == (size, honest["note"])
        assert {(r.note, r.status) for r in state.refused(ORIGIN)} >= {
            (forged["note"], 409),
            (grown["note"], 422),
        }


def test_a_witness_restarted_keeps_its_state(world: World) -> None:
    honest = world.cosigned_by_both(world.grow(7)["size"])
    restarted = world.servers[0]
    restarted.stop()  # down: the other witness cosigns meanwhile, decisions go on
    grown = world.grow(2)
    wait_for(lambda: world.outcomes()[restarted.files.name] is Outcome.UNAVAILABLE)
    wait_for(
        lambda: [c["witness"] for c in world.checkpoint()["cosignatures"]] == ["witness-2.example"]
    )
    restarted.start()  # the same port, the same state file
    world.cosigned_by_both(grown["size"])  # retried with backoff, with a proof from before
    # from the spec: a submission from size 0 is answered with the size it cosigned
    answer = httpx.post(f"{restarted.url}/add-checkpoint", content=body(0, [], honest["note"]))
    assert (answer.status_code, answer.text) == (409, f"{grown['size']}\n")
    assert answer.headers["content-type"] == "text/x.tlog.size"
    restarted.stop()
    restarted.start()
    held = WitnessState(restarted.files.config().state_file).latest(ORIGIN)
    assert held is not None
    assert (held.size, held.note) == (grown["size"], grown["note"])


def test_a_rollback_below_the_cosigned_size_is_refused(world: World) -> None:
    world.cosigned_by_both(world.grow(5)["size"])
    honest = world.cosigned_by_both(world.grow(6)["size"])
    size = honest["size"]
    with capture_logs() as logs:
        world.attack(lambda: truncate(world.ledger.engine, size - 3))  # the last 3 dropped
        rolled = world.checkpoint()
        assert rolled["size"] == size - 3
        world.settled(size - 3, Outcome.BEHIND)  # 409: each cosigned a larger tree
    assert {(e["witness"], e["outcome"]) for e in logs if e["event"] == "witness_refused"} == {
        (w.name, "behind") for w in world.witnesses
    }
    assert world.checkpoint()["cosignatures"] == []
    for server in world.servers:
        held = WitnessState(server.files.config().state_file).latest(ORIGIN)
        assert held is not None
        assert (held.size, held.note) == (size, honest["note"])
        # the rolled-back checkpoint, however it is asked for: never cosigned
        for old in (0, size - 3):
            answer = httpx.post(
                f"{server.url}/add-checkpoint", content=body(old, [], rolled["note"])
            )
            assert (answer.status_code, answer.text) == (409, f"{size}\n")
        above = httpx.post(f"{server.url}/add-checkpoint", content=body(size, [], rolled["note"]))
        assert above.status_code == 400  # an old size above the checkpoint's
