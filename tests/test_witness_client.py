"""The client side of C2SP tlog-witness (``liaison.ledger.witness_client``), on each backend:
the request body the spec lays out, the size learned from a 409 and the consistency proof
from it, the answer verified with the witness's key before it is kept, and each refusal
told apart from a witness that is down. Cosignatures kept with a checkpoint
(``signing.add_cosignatures``) merge per witness; only those that verify are published
(``liaison.ledger.witnessed``)."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, update
from structlog.testing import capture_logs

from liaison.errors import NotFound
from liaison.ledger import merkle
from liaison.ledger.checkpoint import open_checkpoint
from liaison.ledger.cosignature import parse_witness_key
from liaison.ledger.entries import NewEntry
from liaison.ledger.log import Ledger
from liaison.ledger.note_keys import generate_signer, parse_signer, parse_verifier
from liaison.ledger.signer_memory import SignerMemory
from liaison.ledger.signing import StoredCheckpoint, add_cosignatures
from liaison.ledger.witness_client import Outcome, WitnessClient, request_body
from liaison.ledger.witness_list import Witness
from liaison.ledger.witnessed import checkpoint_json, newest_witnessed, witnessed
from liaison.storage.database import open_engine
from liaison.storage.migrate import upgrade
from liaison.storage.tables import ledger_checkpoints
from liaison.witness.app import create_witness_app
from liaison.witness.state import WitnessState
from witness_fixtures import make_witness, note_text, spec_check_cosignature
from witness_script import ScriptedWitness, conflict, down, size, status

ORIGIN = "witnessing.example/ledger"


SKEY, VKEY = generate_signer(ORIGIN)


@pytest.fixture
def ledger(engine: Engine) -> Ledger:
    return Ledger(engine, ORIGIN, parse_signer(SKEY), SignerMemory(None))


def grow(ledger: Ledger, count: int) -> StoredCheckpoint:
    start = ledger.head()[0]
    ledger.append_many([NewEntry("decision", {"n": start + i}, "officer-1") for i in range(count)])
    return ledger.checkpoint()


def kept(ledger: Ledger, size_: int) -> StoredCheckpoint:
    return next(c for c in ledger.checkpoints() if c.size == size_)


def test_the_body_is_the_specs() -> None:
    note = f"{ORIGIN}\n3\n{base64.b64encode(bytes(32)).decode()}\n\n\u2014 x AAAA\n"
    body = request_body(2, [b"\x01" * 32, b"\x02" * 32], note)
    assert (
        body
        == (b"old 2\n" + base64.b64encode(b"\x01" * 32) + b"\n" + base64.b64encode(b"\x02" * 32))
        + b"\n\n"
        + note.encode()
    )
    assert request_body(0, [], note) == b"old 0\n\n" + note.encode()


def test_a_fresh_witness_cosigns_and_the_line_is_kept_verified(ledger: Ledger) -> None:
    witness = ScriptedWitness()
    client = WitnessClient(witness.witness, ledger, witness.client())
    first = grow(ledger, 5)
    done = client.submit(first)
    assert (done.outcome, done.size, done.status) == (Outcome.COSIGNED, 5, 200)
    (sent,) = witness.requests
    assert (sent.old, sent.proof, sent.note) == (0, [], first.note)  # old 0: no proof
    stored = kept(ledger, 5)
    assert stored.cosignatures == done.cosignatures[0].line
    assert stored.cosigned_note == first.note + stored.cosignatures
    # the cosigned note still opens with the log's key, and verifies with the witness's
    open_checkpoint(stored.cosigned_note, parse_verifier(VKEY), ORIGIN)
    published = checkpoint_json(witnessed(stored, [witness.witness.key]))
    assert [c["witness"] for c in published["cosignatures"]] == [witness.name]
    assert published["cosignatures"][0]["time"] == "2023-11-14T22:13:21Z"
    assert client.cosigned_size == 5
    # the next one carries the consistency proof from 5, which verifies
    second = grow(ledger, 4)
    assert client.submit(second).outcome is Outcome.COSIGNED
    sent = witness.requests[-1]
    assert sent.old == 5
    assert sent.proof
    assert merkle.verify_consistency(5, 9, first.root, second.root, sent.proof)


def test_the_size_is_learned_from_a_409_and_asked_again_with_its_proof(ledger: Ledger) -> None:
    witness = ScriptedWitness(answers=[size(3)])
    client = WitnessClient(witness.witness, ledger, witness.client())
    three = grow(ledger, 3)
    eight = grow(ledger, 5)
    assert client.submit(eight).outcome is Outcome.COSIGNED
    assert next((r.old, len(r.proof)) for r in witness.requests) == (0, 0)
    again = witness.requests[1]
    assert again.old == 3
    assert merkle.verify_consistency(3, 8, three.root, eight.root, again.proof)
    # the same size: an empty proof, and the witness cosigns it again if the root agrees
    witness.answers = [size(8)]
    client.cosigned_size = 0
    assert client.submit(eight).outcome is Outcome.COSIGNED
    assert [(r.old, r.proof) for r in witness.requests[-2:]] == [(0, []), (8, [])]


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        (status(404, "unknown origin"), Outcome.UNKNOWN_LOG),
        (status(403), Outcome.BAD_LOG_SIGNATURE),
        (status(400), Outcome.BAD_REQUEST),
        (status(422, "bad proof"), Outcome.INCONSISTENT),
        (status(503), Outcome.UNAVAILABLE),
        (status(500), Outcome.UNAVAILABLE),
        (status(429), Outcome.UNAVAILABLE),
        (down, Outcome.UNAVAILABLE),
        (conflict("4\n", "text/plain"), Outcome.UNAVAILABLE),  # not text/x.tlog.size
        (conflict("04\n"), Outcome.UNAVAILABLE),  # a leading zero
        (conflict("4"), Outcome.UNAVAILABLE),  # no newline
        (size(50), Outcome.BEHIND),  # it cosigned a larger tree than this one
        (status(200, "not a signature\n"), Outcome.BAD_COSIGNATURE),
        (status(200, ""), Outcome.BAD_COSIGNATURE),
    ],
)
def test_each_answer_has_its_outcome_and_nothing_is_kept_but_a_cosignature(
    ledger: Ledger, answer: object, outcome: Outcome
) -> None:
    witness = ScriptedWitness(answers=[answer])  # type: ignore[list-item]
    client = WitnessClient(witness.witness, ledger, witness.client())
    checkpoint = grow(ledger, 4)
    done = client.submit(checkpoint)
    assert done.outcome is outcome, done
    assert done.transient is (outcome is Outcome.UNAVAILABLE)
    assert done.refused is (outcome is not Outcome.UNAVAILABLE)
    assert kept(ledger, 4).cosignatures == ""
    assert client.cosigned_size == (50 if outcome is Outcome.BEHIND else 0)


def test_a_409_at_the_size_it_cosigned_is_a_fork(ledger: Ledger) -> None:
    witness = ScriptedWitness(answers=[size(6), size(6)])
    client = WitnessClient(witness.witness, ledger, witness.client())
    done = client.submit(grow(ledger, 6))
    assert done.outcome is Outcome.CONFLICT
    assert done.refused
    assert "another tree of size 6" in done.detail
    assert [r.old for r in witness.requests] == [0, 6]
    # the spec gives that 409 no body: a witness may explain it in plain text
    witness.answers = [status(409, "another root was cosigned for size 6")]
    done = client.submit(kept(ledger, 6))
    assert done.outcome is Outcome.CONFLICT
    assert done.detail.endswith("another root was cosigned for size 6")


def test_a_cosignature_that_does_not_verify_is_never_kept(ledger: Ledger) -> None:
    witness = ScriptedWitness()
    impostor = ScriptedWitness(name=witness.name)  # same name, another key
    other = ScriptedWitness(name="other.example/w")
    checkpoint = grow(ledger, 3)
    for answer, says in [
        (impostor.cosign, "no cosignature by"),
        (other.cosign, "no cosignature by"),
        (lambda r: httpx.Response(200, text=_flip(witness.cosign(r).text)), "invalid cosignature"),
    ]:
        witness.answers = [answer]
        done = WitnessClient(witness.witness, ledger, witness.client()).submit(checkpoint)
        assert done.outcome is Outcome.BAD_COSIGNATURE, done
        assert says in done.detail
        assert kept(ledger, 3).cosignatures == ""
    # lines by other keys beside the witness's own are ignored, not kept
    witness.answers = [
        lambda r: httpx.Response(200, text=other.cosign(r).text + witness.cosign(r).text)
    ]
    done = WitnessClient(witness.witness, ledger, witness.client()).submit(checkpoint)
    assert done.outcome is Outcome.COSIGNED
    assert kept(ledger, 3).cosignatures == done.cosignatures[0].line
    assert other.name not in kept(ledger, 3).cosignatures


def test_a_cosignature_of_a_checkpoint_no_longer_kept(ledger: Ledger) -> None:
    witness = ScriptedWitness()
    checkpoint = grow(ledger, 2)
    with ledger.engine.begin() as conn:
        conn.execute(delete(ledger_checkpoints))
    done = WitnessClient(witness.witness, ledger, witness.client()).submit(checkpoint)
    assert done.outcome is Outcome.NOT_KEPT
    assert done.refused


def _flip(line: str) -> str:
    """A cosignature line with one bit of its Ed25519 signature flipped."""
    prefix, encoded = line.rstrip("\n").rsplit(" ", 1)
    raw = bytearray(base64.b64decode(encoded))
    raw[-1] ^= 1
    return f"{prefix} {base64.b64encode(bytes(raw)).decode()}\n"


# -- kept cosignatures: merged per witness, published only when they verify ----------------


def test_add_cosignatures_merges_per_witness_the_newest_winning(ledger: Ledger) -> None:
    one, two = ScriptedWitness(name="w1.example"), ScriptedWitness(name="w2.example")
    checkpoint = grow(ledger, 3)
    text = checkpoint.note[: checkpoint.note.index("\n\n") + 1]
    old_line = one.cosigner.cosign(text, 100)
    add_cosignatures(ledger.engine, 3, [old_line])
    add_cosignatures(ledger.engine, 3, [two.cosigner.cosign(text, 150)])
    newer = one.cosigner.cosign(text, 200)
    stored = add_cosignatures(ledger.engine, 3, [newer])
    assert stored.cosignatures.count("\n") == 2
    assert old_line not in stored.cosignatures
    assert kept(ledger, 3).cosignatures == stored.cosignatures
    found = witnessed(stored, [one.witness.key, two.witness.key]).cosignatures
    assert sorted((c.witness, c.timestamp) for c in found) == [
        ("w1.example", 200),
        ("w2.example", 150),
    ]
    with pytest.raises(NotFound, match="no kept checkpoint of size 4"):
        add_cosignatures(ledger.engine, 4, [newer])
    with pytest.raises(ValueError, match="not one signature line"):
        add_cosignatures(ledger.engine, 3, ["\u2014 w1.example AAAA"])
    # checked against a note the row no longer holds (the database rewritten meanwhile)
    with pytest.raises(NotFound, match="with the note cosigned"):
        add_cosignatures(ledger.engine, 3, [newer], checkpoint.note.replace("3", "4", 1))
    assert kept(ledger, 3).cosignatures == stored.cosignatures
    assert add_cosignatures(ledger.engine, 3, [newer], checkpoint.note).size == 3


def test_a_line_that_is_no_signature_line_is_dropped_not_raised(ledger: Ledger) -> None:
    """A kept ``cosignatures`` cell the database holds in any shape never breaks what reads
    it (the checkpoint route, /healthz, /metrics): it is logged and left out."""
    one = ScriptedWitness(name="w1.example")
    checkpoint = grow(ledger, 3)
    with ledger.engine.begin() as conn:
        conn.execute(
            update(ledger_checkpoints)
            .where(ledger_checkpoints.c.size == 3)
            .values(cosignatures="garbage\n")
        )
    found = witnessed(kept(ledger, 3), [one.witness.key])
    assert found.cosignatures == ()
    assert found.cosigned_note == checkpoint.note


def test_only_cosignatures_that_verify_are_published(ledger: Ledger) -> None:
    """The database is not trusted: a tampered line is dropped (and logged), an unknown
    key's ignored; the newest witnessed checkpoint is the newest with a verified one."""
    one, two = ScriptedWitness(name="w1.example"), ScriptedWitness(name="w2.example")
    keys = [one.witness.key, two.witness.key]
    first = grow(ledger, 2)
    text = first.note[: first.note.index("\n\n") + 1]
    add_cosignatures(
        ledger.engine, 2, [one.cosigner.cosign(text, 10), two.cosigner.cosign(text, 11)]
    )
    second = grow(ledger, 2)
    text = second.note[: second.note.index("\n\n") + 1]
    stranger = ScriptedWitness(name="stranger.example")
    add_cosignatures(
        ledger.engine, 4, [_flip(one.cosigner.cosign(text, 12)), stranger.cosigner.cosign(text, 13)]
    )
    with capture_logs() as logs:
        found = witnessed(kept(ledger, 4), keys)
    assert found.cosignatures == ()
    assert found.cosigned_note == second.note
    assert [e["event"] for e in logs] == ["cosignature_invalid"]
    newest = newest_witnessed(ledger.engine, keys)
    assert newest is not None
    assert newest.checkpoint.size == 2
    assert [c.witness for c in newest.cosignatures] == ["w1.example", "w2.example"]
    assert newest_witnessed(ledger.engine, []) is None
    with ledger.engine.begin() as conn:
        conn.execute(update(ledger_checkpoints).values(cosignatures=""))
    assert newest_witnessed(ledger.engine, keys) is None


# -- against the real witness (``liaison.witness``), in process ------------------------------


def test_against_the_witness_a_restart_a_fork_and_a_rewrite(ledger: Ledger, tmp_path: Path) -> None:
    files = make_witness(tmp_path / "w", "witness.example/real", {ORIGIN: [VKEY]})
    config = files.config()
    http = TestClient(create_witness_app(config, WitnessState(config.state_file)))
    witness = Witness("http://testserver", parse_witness_key(files.vkey))
    three = grow(ledger, 3)
    assert WitnessClient(witness, ledger, http).submit(three).outcome is Outcome.COSIGNED
    restarted = WitnessClient(witness, ledger, http)  # knows nothing: learns 3 from a 409
    seven = grow(ledger, 4)
    done = restarted.submit(seven)
    assert done.outcome is Outcome.COSIGNED
    assert restarted.cosigned_size == 7
    spec_check_cosignature(done.cosignatures[0].line, note_text(seven.note), files.vkey)
    assert kept(ledger, 7).cosignatures == done.cosignatures[0].line
    # another history signed with the same key: refused at the same size, and past it
    engine = open_engine(f"sqlite:///{tmp_path / 'fork.db'}")
    upgrade(engine)
    fork = Ledger(engine, ORIGIN, parse_signer(SKEY), SignerMemory(None))
    fork.append_many([NewEntry("decision", {"forged": i}, "officer-1") for i in range(7)])
    forked = WitnessClient(witness, fork, http)
    assert forked.submit(fork.checkpoint()).outcome is Outcome.CONFLICT
    assert forked.cosigned_size == 7
    assert forked.submit(grow(fork, 2)).outcome is Outcome.INCONSISTENT
    assert WitnessClient(witness, ledger, http).submit(three).outcome is Outcome.BEHIND
    assert restarted.submit(grow(ledger, 1)).outcome is Outcome.COSIGNED  # the log goes on
    engine.dispose()


NOW = 1_800_000_000  # the server's clock in the tests below


@pytest.mark.parametrize(
    ("timestamp", "kept_"),
    [
        (NOW + 86_400, True),  # a day ahead: a witness's clock may run a little fast
        (1_577_836_800, True),  # 2020-01-01
        (NOW + 86_401, False),
        (1_577_836_799, False),
        (0, False),
        (2**63 - 1, False),  # beyond what a date holds: it would break the published JSON
    ],
)
def test_a_cosignature_dated_implausibly_is_refused(
    ledger: Ledger, timestamp: int, kept_: bool
) -> None:
    witness = ScriptedWitness(timestamp=timestamp - 1)  # it adds 1 before cosigning
    client = WitnessClient(witness.witness, ledger, witness.client(), clock=lambda: NOW)
    done = client.submit(grow(ledger, 2))
    if kept_:
        assert done.outcome is Outcome.COSIGNED, done
        assert done.cosignatures[0].timestamp == timestamp
        return
    assert done.outcome is Outcome.BAD_COSIGNATURE, done
    assert done.refused
    assert f"its timestamp {timestamp} is before 2020 or more than a day ahead" in done.detail
    assert kept(ledger, ledger.head()[0]).cosignatures == ""
