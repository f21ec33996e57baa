"""The ledger end to end on each backend: append, read, prove, checkpoint, verify, erase."""

from __future__ import annotations

from sqlalchemy import Engine

import rfc6962
from liaison.ledger import merkle
from liaison.ledger.check import check_ledger
from liaison.ledger.entries import NewEntry
from liaison.ledger.log import Ledger
from liaison.ledger.note_keys import generate_signer, parse_signer, parse_verifier


def _entries(n: int, start: int = 0) -> list[NewEntry]:
    return [
        NewEntry("decision", {"n": i}, f"officer-{i}", {"subject": f"person-{i}"})
        for i in range(start, start + n)
    ]


def test_append_prove_checkpoint_verify_erase(engine: Engine) -> None:
    skey, vkey = generate_signer("test.example/log")
    ledger = Ledger(engine, "test.example/log", parse_signer(skey))
    first = ledger.append_many(_entries(300))
    assert [a.index for a in first] == list(range(300))
    cp1 = ledger.checkpoint()
    ledger.append_many(_entries(333, 300))
    cp2 = ledger.checkpoint()
    bodies = [e.body for e in ledger.entries()]
    assert len(bodies) == 633
    assert cp1.root == rfc6962.root_hash(bodies[:300])
    assert cp2.root == rfc6962.root_hash(bodies)
    for index, size in [(0, 1), (5, 300), (299, 300), (17, 633), (632, 633), (256, 257)]:
        proof = ledger.inclusion_proof(index, size)
        assert proof.hashes == rfc6962.inclusion_proof(bodies, index, size)
        assert merkle.verify_inclusion(proof.leaf_hash, index, size, proof.hashes, proof.root)
    cons = ledger.consistency_proof(300, 633)
    assert cons.hashes == rfc6962.consistency_proof(bodies, 300, 633)
    assert merkle.verify_consistency(300, 633, cp1.root, cp2.root, cons.hashes)
    assert ledger.entry(7).personal == {"subject": "person-7"}
    erasure = ledger.erase(7, "retention expiry", "admin", "retention schedule")
    assert erasure.index == 633
    gone = ledger.entry(7)
    assert gone.personal is None
    assert gone.erased
    assert gone.body == bodies[7]  # the leaf is untouched: every proof stays valid
    report = check_ledger(ledger, parse_verifier(vkey))
    assert report.ok, report.problems
    assert report.checkpoints_verified == 2
