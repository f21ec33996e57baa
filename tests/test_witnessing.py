"""Witnessing in the service (``liaison.api.witnessing``; docs/ledger.md, "Witnesses"): the
list of witnesses (``LIAISON_WITNESSES``), the backoff (capped, with jitter; no real
sleeping: the wait is injected), always the newest checkpoint, refusals logged and
counted, decisions made while every witness is down, and what ``GET
/v1/ledger/checkpoint``, ``/checkpoint``, ``/healthz`` and ``/metrics`` say of it."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from structlog.testing import capture_logs

from conftest import running_services
from liaison.api.app import create_app
from liaison.api.deps import Services
from liaison.api.witnessing import Backoff, Witnessing, WitnessWorker
from liaison.errors import WitnessConfigError
from liaison.gateway.roles import KeyRole
from liaison.ledger.checkpoint import open_checkpoint
from liaison.ledger.cosignature import verify_cosignatures
from liaison.ledger.entries import NewEntry
from liaison.ledger.keys import load_verifier
from liaison.ledger.log import Ledger
from liaison.ledger.note_keys import generate_signer, parse_signer
from liaison.ledger.signer_memory import SignerMemory
from liaison.ledger.signing import StoredCheckpoint, add_cosignatures
from liaison.ledger.witness_client import Outcome, Submission, WitnessClient
from liaison.ledger.witness_list import load_witnesses
from liaison.storage.database import open_engine
from liaison.storage.migrate import upgrade
from test_api import bearer, inquiry
from witness_script import ScriptedWitness, down, status

ORIGIN = "witnessing.example/service"


def wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not in time"
        time.sleep(0.01)


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    engine = open_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    upgrade(engine)
    yield Ledger(engine, ORIGIN, parse_signer(generate_signer(ORIGIN)[0]), SignerMemory(None))
    engine.dispose()


def grow(ledger: Ledger, count: int) -> StoredCheckpoint:
    start = ledger.head()[0]
    ledger.append_many([NewEntry("decision", {"n": start + i}, "officer-1") for i in range(count)])
    return ledger.checkpoint()


# -- the list of witnesses ----------------------------------------------------------------


def test_the_list_of_witnesses_is_read_and_each_problem_names_the_file_and_field(
    tmp_path: Path,
) -> None:
    one, two = ScriptedWitness(name="w1.example"), ScriptedWitness(name="w2.example")
    path = tmp_path / "witnesses.toml"
    path.write_text(
        f'[[witness]]\nurl = "http://127.0.0.1:9/w"\nvkey = "{one.vkey}"\n'
        f'[[witness]]\nurl = "https://w2.example/"\nvkey = "{two.vkey}"\n'
    )
    found = load_witnesses(path)
    assert [(w.name, w.add_checkpoint_url) for w in found] == [
        ("w1.example", "http://127.0.0.1:9/w/add-checkpoint"),
        ("w2.example", "https://w2.example/add-checkpoint"),
    ]
    entry = f"[[witness]]\nurl = 'http://x'\nvkey = '{one.vkey}'\n"
    bad = {
        "[[witness]]\nurl = 'http://x'\n": "witness[0].vkey: missing",
        entry.replace("http:", "ftp:"): "witness[0].url: 'ftp://x'",
        entry + "name = 'x'\n": "witness[0].name: unknown",
        entry.replace(one.vkey, "w1.example+00+AA"): "witness[0].vkey:",
        entry + entry: "witness[1].vkey: the same name as witness[0]",
        "witnesses = 1\n": "unknown key 'witnesses'",
        "[[witness\n": "not valid TOML",
        "x = " + "[" * 5000: "not valid TOML: nested too deeply",
    }
    for text, says in bad.items():
        path.write_text(text)
        with pytest.raises(WitnessConfigError) as caught:
            load_witnesses(path)
        assert str(path) in caught.value.message
        assert says in caught.value.message, caught.value.message
    with pytest.raises(WitnessConfigError, match="cannot read"):
        load_witnesses(tmp_path / "missing.toml")


# -- the backoff and the worker -------------------------------------------------------------


def test_the_backoff_doubles_up_to_its_cap_with_jitter_and_resets() -> None:
    low = Backoff(1.0, 10.0, rand=lambda: 0.0)
    assert [low.next() for _ in range(6)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    high = Backoff(1.0, 10.0, rand=lambda: 1.0)
    assert [high.next() for _ in range(6)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    high.reset()
    assert high.next() == 1.0
    assert Backoff(1.0, 300.0, rand=lambda: 1.0).failures == 0
    many = Backoff(1.0, 300.0, rand=lambda: 1.0, failures=10_000)
    assert many.next() == 300.0  # no overflow however long a witness is down


class Counted:
    """The report: every submission, by witness."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, Outcome, int]] = []

    def __call__(self, witness: str, done: Submission) -> None:
        self.seen.append((witness, done.outcome, done.size))


def worker(ledger: Ledger, witness: ScriptedWitness, report: Counted) -> WitnessWorker:
    client = WitnessClient(witness.witness, ledger, witness.client())
    return WitnessWorker(client, Backoff(1.0, 4.0, rand=lambda: 1.0), report)


def test_a_witness_down_then_up_is_retried_with_backoff_and_gets_the_newest(
    ledger: Ledger,
) -> None:
    witness = ScriptedWitness(answers=[down, status(503), down])
    report = Counted()
    work = worker(ledger, witness, report)
    assert work.attempt() is None  # nothing offered
    three = grow(ledger, 3)
    work.offer(three)
    with capture_logs() as logs:
        assert work.attempt() == 1.0
    (event,) = logs
    assert (event["event"], event["log_level"], event["retry_in"]) == (
        "witness_unavailable",
        "warning",
        1.0,
    )
    seven = grow(ledger, 4)
    work.offer(seven)  # a newer one while the witness is down: it replaces the older
    assert work.attempt() == 2.0
    work.offer(three)  # an older one is not taken back
    assert work.attempt() == 4.0
    assert work.attempt() is None  # up: cosigned
    assert [r.note for r in witness.requests] == [three.note] + [seven.note] * 3
    assert report.seen == [
        (witness.name, Outcome.UNAVAILABLE, 3),
        (witness.name, Outcome.UNAVAILABLE, 7),
        (witness.name, Outcome.UNAVAILABLE, 7),
        (witness.name, Outcome.COSIGNED, 7),
    ]
    assert ledger.latest_checkpoint().cosignatures  # type: ignore[union-attr]
    assert work.backoff.failures == 0  # reset once cosigned
    work.offer(seven)
    assert work.attempt() is None  # the one settled: nothing to do
    work.offer(three)  # the database went back to an older tree: a rollback, refused
    assert work.attempt() is None
    assert report.seen[-1] == (witness.name, Outcome.BEHIND, 3)
    assert len(witness.requests) == 4  # the witness was not asked: it cosigned 7


def test_a_refusal_is_logged_loudly_counted_and_not_retried(ledger: Ledger) -> None:
    witness = ScriptedWitness(answers=[status(422, "the proof does not verify")])
    report = Counted()
    work = worker(ledger, witness, report)
    work.offer(grow(ledger, 2))
    with capture_logs() as logs:
        assert work.attempt() is None
    (event,) = logs
    assert event["event"] == "witness_refused"
    assert event["log_level"] == "error"
    assert (event["outcome"], event["status"], event["size"]) == ("inconsistent", 422, 2)
    assert "the proof does not verify" in event["detail"]
    assert report.seen == [(witness.name, Outcome.INCONSISTENT, 2)]
    assert work.attempt() is None
    assert len(witness.requests) == 1  # the same checkpoint is not sent again
    work.offer(grow(ledger, 1))
    assert work.attempt() is None  # the next one is
    assert report.seen[-1] == (witness.name, Outcome.COSIGNED, 3)


def test_the_worker_thread_waits_as_told_between_retries(ledger: Ledger) -> None:
    witness = ScriptedWitness(answers=[down] * 5)
    report = Counted()
    work = worker(ledger, witness, report)
    waits: list[float] = []
    stop = threading.Event()
    thread = threading.Thread(target=work.run, args=(stop, waits.append), daemon=True)
    thread.start()
    work.offer(grow(ledger, 4))
    wait_for(lambda: any(o is Outcome.COSIGNED for _, o, _ in report.seen))
    assert waits == [1.0, 2.0, 4.0, 4.0, 4.0]  # capped; no real sleeping
    stop.set()
    work.wake()
    thread.join(5)
    assert not thread.is_alive()


# -- the service ----------------------------------------------------------------------------


def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_decisions_are_made_while_every_witness_is_down(tmp_path: Path) -> None:
    one, two = ScriptedWitness(name="w1.example"), ScriptedWitness(name="w2.example")
    listing = tmp_path / "witnesses.toml"
    listing.write_text(
        "".join(
            f'[[witness]]\nurl = "http://127.0.0.1:{closed_port()}"\nvkey = "{w.vkey}"\n'
            for w in (one, two)
        )
    )
    url = f"sqlite:///{tmp_path / 'liaison.db'}"
    with running_services(url, tmp_path, log_origin=ORIGIN, witnesses=listing) as svc:
        assert svc.witnessing is not None
        assert svc.settings is not None  # the ticker signs (and offers) every 50 ms
        svc.settings = svc.settings.model_copy(update={"checkpoint_interval": 0.05})
        officer = bearer(svc.keys, KeyRole.OFFICER, "officer-1", "1D")
        auditor = bearer(svc.keys, KeyRole.AUDITOR, "auditor-1")
        with TestClient(create_app(services=svc)) as client:
            for n in range(3):
                started = time.monotonic()
                made = client.post("/v1/decisions", json=inquiry(f"down-{n}"), headers=officer)
                assert made.status_code == 200, made.text
                assert time.monotonic() - started < 5
            got = client.get("/v1/ledger/checkpoint", headers=auditor)
            assert got.status_code == 200
            body = got.json()
            assert body["cosignatures"] == []
            assert body["cosigned_note"] == body["note"]
            assert body["witnessed"] is None  # nothing was ever cosigned

            def tried() -> bool:
                health = client.get("/healthz").json()["witnessing"]["witnesses"]
                return all(w["last_outcome"] == "unavailable" for w in health)

            wait_for(tried)
            health = client.get("/healthz")
            assert health.status_code == 200
            assert health.json()["status"] == "ok"
            witnessing = health.json()["witnessing"]
            assert [w["witness"] for w in witnessing["witnesses"]] == ["w1.example", "w2.example"]
            assert witnessing["cosigned_size"] is None
            assert witnessing["latest_cosigned"] is False
            metrics = client.get("/metrics").text
            for name in ("w1.example", "w2.example"):
                line = (
                    f'liaison_witness_submissions_total{{outcome="unavailable",witness="{name}"}}'
                )
                assert re.search(rf"^{re.escape(line)} [1-9]", metrics, re.M), metrics
            assert re.search(r"^liaison_witnessed_checkpoint_age_seconds -1\.0$", metrics, re.M)
            assert client.post(
                "/v1/decisions", json=inquiry("down-late"), headers=officer
            ).is_success


@pytest.fixture
def cosigning(tmp_path: Path) -> Iterator[tuple[Services, TestClient, ScriptedWitness]]:
    """A deployment whose one witness is scripted; its worker driven by the test."""
    url = f"sqlite:///{tmp_path / 'liaison.db'}"
    witness = ScriptedWitness(name="w1.example")
    with running_services(url, tmp_path, log_origin=ORIGIN) as svc:
        svc.witnessing = Witnessing(
            svc.gateway.ledger,
            [witness.witness],
            lambda name, done: svc.metrics.witness_submissions.labels(name, done.outcome).inc(),
            transport=httpx.MockTransport(witness.handle),
        )
        yield svc, TestClient(create_app(services=svc)), witness  # no lifespan: no threads


def test_the_checkpoint_is_published_with_its_cosignatures(
    cosigning: tuple[Services, TestClient, ScriptedWitness],
) -> None:
    svc, client, witness = cosigning
    assert svc.witnessing is not None
    (work,) = svc.witnessing.workers
    officer = bearer(svc.keys, KeyRole.OFFICER, "officer-1", "1D")
    public = bearer(svc.keys, KeyRole.PUBLIC, "press")
    assert client.post("/v1/decisions", json=inquiry("cosigned-1"), headers=officer).is_success
    first = client.get("/v1/ledger/checkpoint", headers=public).json()  # signed, offered
    assert first["cosignatures"] == []
    assert first["witnessed"] is None
    assert work.attempt() is None  # cosigned
    again = client.get("/v1/ledger/checkpoint", headers=public).json()
    assert "witnessed" not in again  # the latest is cosigned
    assert again["note"] == first["note"]
    assert again["cosigned_note"].startswith(again["note"])
    (cosig,) = again["cosignatures"]
    assert (cosig["witness"], cosig["timestamp"]) == ("w1.example", witness.timestamp)
    assert cosig["key_id"] == f"{witness.witness.key.key_id:08x}"
    verifier = load_verifier(svc.settings.key_dir)  # type: ignore[union-attr]
    assert verifier is not None
    open_checkpoint(again["cosigned_note"], verifier, ORIGIN)
    assert verify_cosignatures(again["cosigned_note"], [witness.witness.key])
    # the public page serves the cosigned note, and the same object as JSON
    page = client.get("/checkpoint")
    assert page.text == again["cosigned_note"]
    assert client.get("/checkpoint?format=json").json() == {
        k: again[k] for k in ("size", "root", "note", "cosigned_note", "cosignatures")
    }
    # a newer checkpoint not yet cosigned: the newest cosigned one is given beside it
    witness.answers = [down]
    assert client.post("/v1/decisions", json=inquiry("cosigned-2"), headers=officer).is_success
    latest = client.get("/v1/ledger/checkpoint", headers=public).json()
    assert latest["size"] == again["size"] + 1
    assert latest["cosignatures"] == []
    witnessed = latest["witnessed"]
    assert (witnessed["size"], witnessed["cosigned_note"]) == (
        again["size"],
        again["cosigned_note"],
    )
    assert 0 <= witnessed["age"] < 60
    assert client.get("/checkpoint").text == latest["note"]  # the newest, not cosigned yet
    health: dict[str, Any] = client.get("/healthz").json()["witnessing"]
    assert (health["cosigned_size"], health["latest_cosigned"]) == (again["size"], False)
    assert health["witnesses"][0]["last_outcome"] == "cosigned"
    metrics = client.get("/metrics").text
    assert f"liaison_witnessed_checkpoint_size {float(again['size'])}" in metrics
    assert (
        'liaison_witness_submissions_total{outcome="cosigned",witness="w1.example"} 1.0' in metrics
    )
    assert work.attempt() == pytest.approx(1.0, abs=0.5)  # down: retried later
    assert work.attempt() is None
    assert client.get("/v1/ledger/checkpoint", headers=public).json()["cosignatures"]


def test_a_list_of_witnesses_that_cannot_be_used_stops_the_start(tmp_path: Path) -> None:
    listing = tmp_path / "witnesses.toml"
    listing.write_text("[[witness]]\nurl = 'http://127.0.0.1:9'\nvkey = 'not a key'\n")
    url = f"sqlite:///{tmp_path / 'liaison.db'}"
    with (
        capture_logs() as logs,
        pytest.raises(WitnessConfigError, match=r"witnesses\.toml: witness\[0\]\.vkey"),
        running_services(url, tmp_path, log_origin=ORIGIN, witnesses=listing),
    ):
        pass
    assert [(e["event"], e["code"]) for e in logs] == [("startup_refused", "witness_config")]


def test_a_cosignature_with_a_huge_timestamp_breaks_no_published_checkpoint(
    cosigning: tuple[Services, TestClient, ScriptedWitness],
) -> None:
    """A witness dating its cosignature near 2**63 seconds: refused (bad_cosignature,
    logged), never kept; and such a line in the database (not trusted) is published with
    ``time`` null, the checkpoint routes still 200."""
    svc, client, witness = cosigning
    assert svc.witnessing is not None
    (work,) = svc.witnessing.workers
    officer = bearer(svc.keys, KeyRole.OFFICER, "officer-1", "1D")
    public = bearer(svc.keys, KeyRole.PUBLIC, "press")
    assert client.post("/v1/decisions", json=inquiry("huge-time"), headers=officer).is_success
    assert client.get("/v1/ledger/checkpoint", headers=public).status_code == 200  # offered
    witness.timestamp = 2**63 - 2  # it adds 1 before cosigning
    with capture_logs() as logs:
        assert work.attempt() is None
    (event,) = logs
    assert (event["event"], event["outcome"]) == ("witness_refused", "bad_cosignature")
    latest = client.get("/v1/ledger/checkpoint", headers=public)
    assert latest.status_code == 200
    assert latest.json()["cosignatures"] == []
    note = latest.json()["note"]
    line = witness.cosigner.cosign(note[: note.index("\n\n") + 1], 2**63 - 1)
    add_cosignatures(svc.gateway.ledger.engine, latest.json()["size"], [line])
    for path in ("/v1/ledger/checkpoint", "/checkpoint?format=json"):
        answer = client.get(path, headers=public)
        assert answer.status_code == 200, path
        (cosig,) = answer.json()["cosignatures"]
        assert (cosig["timestamp"], cosig["time"]) == (2**63 - 1, None)
    assert client.get("/checkpoint").text.endswith(line)
