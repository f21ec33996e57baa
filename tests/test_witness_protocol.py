"""The witness's add-checkpoint call (C2SP tlog-witness): every status the spec names, with
its body and content type; the cosignatures checked by the test's own implementation of
C2SP tlog-cosignature (``witness_fixtures.spec_check_cosignature``)."""

from __future__ import annotations

import base64
import itertools
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from liaison.ledger.checkpoint import parse_checkpoint_body
from liaison.ledger.note_keys import generate_signer, parse_signer
from liaison.ledger.signed_note import open_note, sign_note
from liaison.witness.app import create_witness_app
from liaison.witness.state import WitnessState
from witness_fixtures import (
    ORIGIN,
    Log,
    WitnessFiles,
    body,
    make_witness,
    note_text,
    spec_check_cosignature,
)

SIZE_TYPE = "text/x.tlog.size"
TEXT = "text/plain; charset=utf-8"
NAME = "council.example/witness"


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Log]:
    """A log with signed checkpoints at sizes 3, 7 and 12."""
    made = Log(tmp_path_factory.mktemp("log"), generate_signer(ORIGIN)[0])
    for count in (3, 4, 5):
        made.grow(count)
    yield made
    made.close()


@pytest.fixture(scope="module")
def fork(tmp_path_factory: pytest.TempPathFactory, log: Log) -> Iterator[Log]:
    """The same key's other history: the first 3 entries, then others (sizes 3, 7, 12)."""
    made = Log(tmp_path_factory.mktemp("fork"), log.skey)
    for count, tag in ((3, ""), (4, "rewritten"), (5, "rewritten")):
        made.grow(count, tag)
    yield made
    made.close()


class Witnessed:
    """A witness under test: its files, state and client; the clock counts up from 1000."""

    def __init__(self, files: WitnessFiles) -> None:
        self.files = files
        config = files.config()
        self.state = WitnessState(config.state_file)
        self.clock = itertools.count(1000)
        app = create_witness_app(config, self.state, clock=lambda: next(self.clock))
        self.client = TestClient(app)

    def add(self, payload: bytes) -> tuple[int, str, str]:
        answer = self.client.post("/add-checkpoint", content=payload)
        return answer.status_code, answer.headers["content-type"], answer.text


@pytest.fixture
def witness(tmp_path: Path, log: Log) -> Witnessed:
    return Witnessed(make_witness(tmp_path / "w", NAME, {ORIGIN: [log.vkey]}))


def test_cosigns_the_first_checkpoint_and_each_consistent_one(witness: Witnessed, log: Log) -> None:
    status, kind, text = witness.add(body(0, [], log.notes[3]))
    assert (status, kind) == (200, TEXT)
    assert spec_check_cosignature(text, note_text(log.notes[3]), witness.files.vkey) == 1000
    status, _, text = witness.add(body(3, log.proof(3, 7), log.notes[7]))
    assert status == 200
    assert spec_check_cosignature(text, note_text(log.notes[7]), witness.files.vkey) == 1001
    status, _, text = witness.add(body(7, log.proof(7, 12), log.notes[12]))
    assert status == 200
    latest = witness.state.latest(ORIGIN)
    assert latest is not None
    assert (latest.size, latest.cosignature) == (12, text)
    assert witness.state.refused() == []


def test_a_first_checkpoint_may_be_any_size_with_an_empty_proof(
    witness: Witnessed, log: Log
) -> None:
    status, _, _ = witness.add(body(0, [], log.notes[12]))
    assert status == 200
    status, _, text = witness.add(body(0, log.proof(3, 12), log.notes[12]))
    assert status == 409  # old 0 is not the latest any more
    assert text == "12\n"


def test_the_same_checkpoint_is_cosigned_again_with_a_fresh_time_and_no_change(
    witness: Witnessed, log: Log
) -> None:
    assert witness.add(body(0, [], log.notes[7]))[0] == 200
    before = witness.state.latest(ORIGIN)
    status, _, text = witness.add(body(7, [], log.notes[7]))
    assert status == 200
    assert spec_check_cosignature(text, note_text(log.notes[7]), witness.files.vkey) == 1001
    assert witness.state.latest(ORIGIN) == before


def test_monitoring_read_gives_each_latest_note_with_its_cosignature(
    witness: Witnessed, log: Log
) -> None:
    assert witness.client.get("/checkpoints").json() == []
    status, _, line = witness.add(body(0, [], log.notes[7]))
    assert status == 200
    answer = witness.client.get("/checkpoints")
    assert answer.status_code == 200
    [item] = answer.json()
    assert item == {"origin": ORIGIN, "size": 7, "note": log.notes[7] + line}
    text, signers = open_note(item["note"], [parse_signer(log.skey).verifier])
    assert signers == [ORIGIN]
    assert parse_checkpoint_body(text).size == 7
    assert spec_check_cosignature(line, text, witness.files.vkey) == 1000


def test_unknown_origin_is_404(witness: Witnessed, tmp_path: Path) -> None:
    other = Log(tmp_path / "other", generate_signer("other.example/log")[0], "other.example/log")
    try:
        status, kind, text = witness.add(body(0, [], other.grow(2)))
    finally:
        other.close()
    assert (status, kind) == (404, TEXT)
    assert "other.example/log" in text


def test_no_signature_by_a_trusted_key_is_403(witness: Witnessed, log: Log, tmp_path: Path) -> None:
    impostor = Log(tmp_path / "impostor", generate_signer(ORIGIN)[0])  # same name, other key
    try:
        status, kind, text = witness.add(body(0, [], impostor.grow(3)))
    finally:
        impostor.close()
    assert (status, kind) == (403, TEXT)
    assert "no signature by a known key" in text
    # a trusted key's signature that does not verify
    note = log.notes[3]
    head, _, sig = note.rpartition(" ")
    raw = bytearray(base64.b64decode(sig))
    raw[-1] ^= 1
    forged = f"{head} {base64.b64encode(bytes(raw)).decode()}\n"
    assert witness.add(body(0, [], forged))[:2] == (403, TEXT)
    assert witness.state.latest(ORIGIN) is None
    assert witness.state.refused() == []


def test_old_size_above_the_checkpoint_is_400(witness: Witnessed, log: Log) -> None:
    status, kind, text = witness.add(body(8, [], log.notes[7]))
    assert (status, kind) == (400, TEXT)
    assert text == "line 1: old size 8 is larger than the checkpoint's size 7\n"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "line 1: the old size line does not end with a newline"),
        (b"old 3", "line 1: the old size line does not end with a newline"),
        (b"old 03\n\nX", "line 1: expected 'old <size>'"),
        (b"old -1\n\nX", "line 1: expected 'old <size>'"),
        (b"new 3\n\nX", "line 1: expected 'old <size>'"),
        (b"old  3\n\nX", "line 1: expected 'old <size>'"),
        (b"old 9223372036854775808\n\nX", "line 1: old size 9223372036854775808 is larger"),
        (b"old " + b"9" * 5000 + b"\n\nX", "line 1: old size of 5000 digits is larger"),
        (b"old 3\nnot base64\n\nX", "line 2: not a base64 SHA-256 hash"),
        (b"old 3\n" + b"AAAA\n" + b"\nX", "line 2: not a base64 SHA-256 hash"),
        (b"old 3\n" + b"A" * 43 + b"=\n" + b"B" * 43 + b"\n\nX", "line 3: not a base64"),
        (b"old 3\n" + (b"A" * 43 + b"=\n") * 64 + b"\nX", "line 65: more than 63 consistency"),
        (b"old 3\n" + b"A" * 43 + b"=\n", "line 3: no empty line and checkpoint"),
        (b"old 3\n\n", "line 3: no checkpoint after the empty line"),
        (b"old 3\n", "line 2: no empty line and checkpoint"),
        (b"old 3\n\xff\n\nX", "the body is not UTF-8 (byte 6)"),
        (b"old 0\n\norigin\n3\n", "the checkpoint (from line 3): note has no blank line"),
        (b"old 0\n\norigin\n\n\xe2\x80\x94 x AAAA\n", "the checkpoint (from line 3): signature"),
    ],
)
def test_a_malformed_body_is_400_naming_the_line(
    witness: Witnessed, payload: bytes, reason: str
) -> None:
    status, kind, text = witness.add(payload)
    assert (status, kind) == (400, TEXT)
    assert text.startswith(reason), text
    assert text.endswith("\n")


def test_a_signed_note_that_is_no_checkpoint_is_400(witness: Witnessed, log: Log) -> None:
    root = base64.b64encode(bytes(32)).decode()
    note = sign_note(f"{ORIGIN}\n07\n{root}\n", parse_signer(log.skey))
    status, kind, text = witness.add(body(0, [], note))
    assert (status, kind) == (400, TEXT)
    assert text == "the checkpoint (from line 3): tree size '07' has leading zeros\n"


def test_old_size_not_the_latest_is_409_with_the_latest_size(witness: Witnessed, log: Log) -> None:
    assert witness.add(body(3, log.proof(3, 7), log.notes[7])) == (409, SIZE_TYPE, "0\n")
    assert witness.add(body(0, [], log.notes[7]))[0] == 200
    assert witness.add(body(3, log.proof(3, 12), log.notes[12])) == (409, SIZE_TYPE, "7\n")
    assert witness.add(body(0, [], log.notes[3])) == (409, SIZE_TYPE, "7\n")  # a rollback
    assert witness.state.refused() == []  # a client behind the latest is no evidence


def test_same_size_with_another_root_is_409_and_kept_as_evidence(
    witness: Witnessed, log: Log, fork: Log
) -> None:
    assert witness.add(body(0, [], log.notes[7]))[0] == 200
    status, kind, text = witness.add(body(7, [], fork.notes[7]))
    assert (status, kind) == (409, TEXT)
    assert "two histories" in text
    # from another old size: the spec's answer (the latest size), and still the evidence
    assert witness.add(body(3, fork.proof(3, 7), fork.notes[7])) == (409, SIZE_TYPE, "7\n")
    refused = witness.state.refused(ORIGIN)
    assert [(r.status, r.old_size, r.note) for r in refused] == [
        (409, 7, fork.notes[7]),
        (409, 3, fork.notes[7]),
    ]
    assert all("two histories" in r.reason for r in refused)
    assert refused[1].proof == tuple(fork.proof(3, 7))
    latest = witness.state.latest(ORIGIN)
    assert latest is not None
    assert latest.note == log.notes[7]


def test_a_proof_that_does_not_verify_is_422_and_kept_as_evidence(
    witness: Witnessed, log: Log, fork: Log
) -> None:
    assert witness.add(body(0, [], log.notes[7]))[0] == 200
    # the rewritten history, re-signed by the log's key, from the size cosigned
    status, kind, text = witness.add(body(7, fork.proof(7, 12), fork.notes[12]))
    assert (status, kind) == (422, TEXT)
    assert "consistency proof from size 7 to 12 does not verify" in text
    altered = log.proof(7, 12)
    altered[0] = base64.b64encode(bytes(32)).decode()
    assert witness.add(body(7, altered, log.notes[12]))[0] == 422
    assert witness.add(body(7, [], log.notes[12]))[0] == 422
    refused = witness.state.refused()
    assert [(r.status, r.note) for r in refused] == [
        (422, fork.notes[12]),
        (422, log.notes[12]),
        (422, log.notes[12]),
    ]
    latest = witness.state.latest(ORIGIN)
    assert latest is not None
    assert latest.size == 7


def test_a_proof_from_size_0_must_be_empty(witness: Witnessed, log: Log) -> None:
    status, kind, _ = witness.add(body(0, log.proof(3, 7), log.notes[7]))
    assert (status, kind) == (422, TEXT)
    assert witness.state.latest(ORIGIN) is None


def test_a_body_over_the_limit_is_413(witness: Witnessed, log: Log) -> None:
    padding = b"old 0\n" + b"x" * (64 * 1024)
    answer = witness.client.post("/add-checkpoint", content=padding)
    assert answer.status_code == 413
    assert answer.headers["content-type"] == TEXT
    assert answer.text == "the body is larger than 65536 bytes\n"
    chunked = witness.client.post("/add-checkpoint", content=iter([padding[:60000], padding]))
    assert "content-length" not in chunked.request.headers
    assert (chunked.status_code, chunked.text) == (413, answer.text)
    long_line = witness.add(b"x" * 1000 + b"\n\nX")
    assert long_line == (400, TEXT, "line 1: expected 'old <size>' (decimal, no leading "
                         f"zeros), got '{'x' * 40}...'\n")  # fmt: skip
    assert witness.client.get("/add-checkpoint").status_code == 405


def test_any_of_several_log_keys_is_trusted(tmp_path: Path, log: Log) -> None:
    rotated = Log(tmp_path / "rotated", generate_signer(ORIGIN)[0])
    try:
        note = rotated.grow(3)
        files = make_witness(tmp_path / "w2", NAME, {ORIGIN: [log.vkey, rotated.vkey]})
        witness = Witnessed(files)
        assert witness.add(body(0, [], note))[0] == 200
        assert witness.add(body(0, [], log.notes[3]))[:2] == (409, SIZE_TYPE)
    finally:
        rotated.close()


def test_a_state_locked_too_long_is_503_and_nothing_is_cosigned(tmp_path: Path, log: Log) -> None:
    files = make_witness(tmp_path / "w", NAME, {ORIGIN: [log.vkey]})
    config = files.config()
    state = WitnessState(config.state_file, timeout=0.05)
    client = TestClient(create_witness_app(config, state))
    holder = sqlite3.connect(config.state_file, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")  # another writer that does not let go
        answer = client.post("/add-checkpoint", content=body(0, [], log.notes[3]))
        assert (answer.status_code, answer.headers["content-type"]) == (503, TEXT)
        assert answer.text == f"the witness state {config.state_file}: database is locked; retry\n"
        assert client.get("/checkpoints").json() == []  # readers go on (WAL)
    finally:
        holder.close()
    assert state.latest(ORIGIN) is None
    assert client.post("/add-checkpoint", content=body(0, [], log.notes[3])).status_code == 200


def test_only_the_logs_verified_signatures_are_kept_and_served(
    witness: Witnessed, log: Log, tmp_path: Path
) -> None:
    """A submitter's extra lines (another key's signature, a line forged in a witness's
    name, the log's own line twice) are neither stored nor served by GET /checkpoints."""
    note = log.notes[7]
    other = sign_note(note_text(note), parse_signer(generate_signer("mallory.example")[0]))
    forged = f"\u2014 {NAME} {base64.b64encode(bytes(76)).decode()}\n"
    log_line = note[note.rindex("\n\n") + 2 :]
    submitted = note + other.split("\n\n", 1)[1] + forged + log_line
    status, _, line = witness.add(body(0, [], submitted))
    assert status == 200
    latest = witness.state.latest(ORIGIN)
    assert latest is not None
    assert latest.note == note
    [item] = witness.client.get("/checkpoints").json()
    assert item["note"] == note + line
    assert "mallory.example" not in item["note"]
    assert item["note"].count(f"\u2014 {NAME} ") == 1
    # and as evidence too: a refused submission keeps the log's lines alone
    fork = Log(tmp_path / "fork", log.skey)
    try:
        forked = fork.grow(7, "rewritten")
        status, _, _ = witness.add(body(7, [], forked + other.split("\n\n", 1)[1]))
        assert status == 409
        [refused] = witness.state.refused(ORIGIN)
        assert refused.note == forked
    finally:
        fork.close()


def test_a_declared_length_of_thousands_of_digits_is_413(witness: Witnessed) -> None:
    for declared in ("9" * 5000, "0" * 5000 + "70000"):
        answer = witness.client.post(
            "/add-checkpoint", content=b"old 0\n", headers={"content-length": declared}
        )
        assert answer.status_code == 413, declared
