"""Two witnesses on loopback (uvicorn on ephemeral ports, httpx), each with its own key and
state file, cosigning a growing log made with liaison's ledger (issue 12, item 7): the log
rewrites its history and re-signs it with its own key, and both witnesses refuse and keep
the evidence; a witness restarted keeps its state (a rollback below the cosigned size and
another root at the cosigned size are refused); two concurrent submissions from the same
old size: only one advances (C2SP tlog-witness's race)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from liaison.ledger.bundle import export_bundle, verify_bundle
from liaison.ledger.checkpoint import open_checkpoint
from liaison.ledger.note_keys import generate_signer, parse_verifier
from liaison.ledger.signed_note import open_note
from liaison.witness.state import WitnessState
from witness_fixtures import (
    ORIGIN,
    Log,
    WitnessFiles,
    body,
    make_witness,
    note_text,
    serving,
    spec_check_cosignature,
)

SIZE_TYPE = "text/x.tlog.size"


@pytest.fixture
def log(tmp_path: Path) -> Iterator[Log]:
    made = Log(tmp_path / "log", generate_signer(ORIGIN)[0])
    yield made
    made.close()


@pytest.fixture
def witnesses(tmp_path: Path, log: Log) -> list[WitnessFiles]:
    return [
        make_witness(tmp_path / "council", "council.example/witness", {ORIGIN: [log.vkey]}),
        make_witness(tmp_path / "ig", "oig.example/witness", {ORIGIN: [log.vkey]}),
    ]


def post(url: str, old: int, proof: list[str], note: str) -> httpx.Response:
    return httpx.post(f"{url}/add-checkpoint", content=body(old, proof, note), timeout=30)


def cosign_everywhere(urls: list[str], log: Log, old: int, new: int) -> list[str]:
    """Submit the log's checkpoint of ``new`` (from ``old``) to each witness: its lines."""
    lines = []
    for url in urls:
        answer = post(url, old, log.proof(old, new), log.notes[new])
        assert answer.status_code == 200, answer.text
        lines.append(answer.text)
    return lines


def test_two_witnesses_cosign_a_growing_log_and_refuse_its_rewrite(
    tmp_path: Path, log: Log, witnesses: list[WitnessFiles]
) -> None:
    log_key = parse_verifier(log.vkey)
    with serving(witnesses[0]) as council, serving(witnesses[1]) as ig:
        urls = [council, ig]
        old = 0
        for grow in (5, 7, 8):
            log.grow(grow)
            new = old + grow
            lines = cosign_everywhere(urls, log, old, new)
            text = note_text(log.notes[new])
            for line, files in zip(lines, witnesses, strict=True):
                spec_check_cosignature(line, text, files.vkey)
            cosigned = log.notes[new] + "".join(lines)  # the note with both cosignatures
            assert open_checkpoint(cosigned, log_key, ORIGIN).size == new
            old = new

        # the department rewrites every entry after the 5th and re-signs with its own key
        fork = Log(tmp_path / "fork", log.skey)
        try:
            for count, tag in ((5, ""), (7, "rewritten"), (8, "rewritten"), (6, "rewritten")):
                fork.grow(count, tag)
            assert note_text(fork.notes[5]) == note_text(log.notes[5])  # the shared past
            assert note_text(fork.notes[20]) != note_text(log.notes[20])
            for url in urls:
                refused = post(url, 20, fork.proof(20, 26), fork.notes[26])
                assert refused.status_code == 422, refused.text
                same_size = post(url, 20, [], fork.notes[20])
                assert same_size.status_code == 409
                assert "two histories" in same_size.text
                # a proof from the shared past does not help: the witness's size is 20
                behind = post(url, 5, fork.proof(5, 26), fork.notes[26])
                assert (behind.status_code, behind.text) == (409, "20\n")
                assert behind.headers["content-type"] == SIZE_TYPE
        finally:
            fork.close()
        for url in urls:
            [kept] = httpx.get(f"{url}/checkpoints").json()
            assert kept["size"] == 20
            assert kept["note"].startswith(log.notes[20])

    for files in witnesses:
        evidence = WitnessState(files.config().state_file).refused(ORIGIN)
        assert [(r.status, r.old_size) for r in evidence] == [(422, 20), (409, 20)]
        assert [r.note for r in evidence] == [fork.notes[26], fork.notes[20]]
        for item in evidence:  # evidence a third party can check: signed by the log's key
            open_note(item.note, [log_key])


def test_a_restarted_witness_keeps_its_state(
    tmp_path: Path, log: Log, witnesses: list[WitnessFiles]
) -> None:
    files = witnesses[0]
    log.grow(6)
    log.grow(6)
    with serving(files) as url:
        cosign_everywhere([url], log, 0, 6)
        [line] = cosign_everywhere([url], log, 6, 12)
        before = httpx.get(f"{url}/checkpoints").json()
    assert before == [{"origin": ORIGIN, "size": 12, "note": log.notes[12] + line}]

    fork = Log(tmp_path / "fork", log.skey)
    try:
        fork.grow(12, "rewritten")
        with serving(files) as url:  # a new process: new state object, new server
            assert httpx.get(f"{url}/checkpoints").json() == before
            rollback = post(url, 6, [], log.notes[6])
            assert (rollback.status_code, rollback.text) == (409, "12\n")
            assert rollback.headers["content-type"] == SIZE_TYPE
            again = post(url, 0, [], log.notes[6])
            assert (again.status_code, again.text) == (409, "12\n")
            other_root = post(url, 12, [], fork.notes[12])
            assert other_root.status_code == 409
            assert "two histories" in other_root.text
            log.grow(3)
            [line] = cosign_everywhere([url], log, 12, 15)
            spec_check_cosignature(line, note_text(log.notes[15]), files.vkey)
    finally:
        fork.close()
    state = WitnessState(files.config().state_file)
    latest = state.latest(ORIGIN)
    assert latest is not None
    assert (latest.size, latest.cosignature) == (15, line)
    assert [r.note for r in state.refused()] == [fork.notes[12]]


def test_concurrent_submissions_from_the_same_old_size_advance_once(
    log: Log, witnesses: list[WitnessFiles]
) -> None:
    log.grow(10)
    sizes = list(range(11, 19))
    for _ in sizes:
        log.grow(1)
    with serving(witnesses[1]) as url:
        cosign_everywhere([url], log, 0, 10)
        start = threading.Barrier(len(sizes))
        answers: dict[int, httpx.Response] = {}

        def submit(size: int) -> None:
            payload = body(10, log.proof(10, size), log.notes[size])
            with httpx.Client(timeout=30) as client:
                start.wait()
                answers[size] = client.post(f"{url}/add-checkpoint", content=payload)

        threads = [threading.Thread(target=submit, args=(size,)) for size in sizes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    winners = [size for size, answer in answers.items() if answer.status_code == 200]
    assert len(answers) == len(sizes)
    assert len(winners) == 1, {s: (a.status_code, a.text) for s, a in answers.items()}
    for size, answer in answers.items():
        if size != winners[0]:
            assert (answer.status_code, answer.text) == (409, f"{winners[0]}\n")
    latest = WitnessState(witnesses[1].config().state_file).latest(ORIGIN)
    assert latest is not None
    assert latest.size == winners[0]


def test_a_note_saved_from_the_witness_pins_a_bundle(
    tmp_path: Path, log: Log, witnesses: list[WitnessFiles]
) -> None:
    """The inspector general saves the cosigned note the witness serves; a bundle of the
    log verifies against it, a rewritten history signed again with the same key does not."""
    log.grow(9)
    fork = Log(tmp_path / "fork", log.skey)
    try:
        fork.grow(4)
        fork.grow(5, "rewritten")
        fork.grow(3, "rewritten")
        log.grow(3)
        with serving(witnesses[0]) as url:
            cosign_everywhere([url], log, 0, 9)
            [saved] = httpx.get(f"{url}/checkpoints").json()
        pinned = saved["note"]
        honest, forged = tmp_path / "honest.jsonl", tmp_path / "forged.jsonl"
        export_bundle(log.ledger, honest, log.vkey)
        export_bundle(fork.ledger, forged, log.vkey)
    finally:
        fork.close()
    assert verify_bundle(honest, log.vkey, trusted=[pinned])[0].ok
    assert verify_bundle(forged, log.vkey)[0].ok  # alone, the re-signed rewrite verifies
    report = verify_bundle(forged, log.vkey, trusted=[pinned])[0]
    assert not report.ok  # (the wording of the finding is verify-bundle's: not held here)
    assert report.problems
