"""Interop with an independent implementation (issue 12, item 6): liaison's signed
checkpoints, its verifier key, and its RFC 6962 inclusion and consistency proofs, checked by
Go's own ``golang.org/x/mod/sumdb/note`` and ``sumdb/tlog`` (``tests/interop/verify_go.go``,
built offline in GOPATH mode against Debian's golang-golang-x-mod-dev); a witness's
cosignature (C2SP tlog-cosignature), checked by Go code written from the spec with
crypto/ed25519 and crypto/sha256 on a note that sumdb/note opens with the log's key.

Go comes from ``LIAISON_GO`` (``make test`` sets it from ``scripts/ensure-go.sh``) or the
PATH; without it the tests are skipped, except under CI=true, where that is a failure."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from liaison.ledger.cosignature import generate_cosigner
from liaison.ledger.entries import NewEntry
from liaison.ledger.log import Ledger
from liaison.ledger.note_keys import generate_signer, parse_signer
from liaison.storage.database import open_engine
from liaison.storage.migrate import upgrade
from liaison.witness.config import load_cosigner
from liaison.witness.protocol import Witness
from liaison.witness.state import WitnessState
from witness_fixtures import body, make_witness

ORIGIN = "test.example/go-interop"
GOPATH_LIBRARY = Path("/usr/share/gocode")
SOURCE = Path(__file__).parent / "interop" / "verify_go.go"


def _go() -> str:
    found = os.environ.get("LIAISON_GO") or shutil.which("go")
    library = GOPATH_LIBRARY / "src/golang.org/x/mod/sumdb/tlog"
    if found and library.is_dir():
        return found
    message = "Go or golang.org/x/mod is missing: scripts/ensure-go.sh installs them"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def verifier(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Go verifier, built offline (GOPATH mode: no module is fetched)."""
    work = tmp_path_factory.mktemp("go")
    binary = work / "verify_go"
    env = {
        **os.environ,
        "GO111MODULE": "off",
        "GOPATH": f"{work / 'gopath'}:{GOPATH_LIBRARY}",
        "GOCACHE": str(work / "cache"),
        "GOFLAGS": "",
        "GOPROXY": "off",
    }
    built = subprocess.run(
        [_go(), "build", "-o", str(binary), str(SOURCE)],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    return binary


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A ledger of 40 entries with checkpoints signed at 13 and at 40, and its proofs."""
    folder = tmp_path_factory.mktemp("go-ledger")
    engine = open_engine(f"sqlite:///{folder / 'ledger.db'}")
    upgrade(engine)
    skey, vkey = generate_signer(ORIGIN)
    ledger = Ledger(engine, ORIGIN, parse_signer(skey))
    entry = [NewEntry("decision", {"n": i, "text": "Zoë ✓"}, f"officer-{i}") for i in range(40)]
    ledger.append_many(entry[:13])
    first = ledger.checkpoint()
    ledger.append_many(entry[13:])
    second = ledger.checkpoint()
    inclusion = [
        {
            "body": base64.b64encode(ledger.entry(i).body).decode(),
            "index": i,
            "size": size,
            "proof": ledger.inclusion_proof(i, size).to_json()["proof"],
        }
        for i, size in [(0, 13), (5, 13), (12, 13), (0, 40), (12, 40), (13, 40), (39, 40)]
    ]
    consistency = [
        {"old": 13, "new": 40, "proof": ledger.consistency_proof(13, 40).to_json()["proof"]}
    ]
    engine.dispose()
    return {
        "vkey": vkey,
        "checkpoints": [first.note, second.note],
        "inclusion": inclusion,
        "consistency": consistency,
    }


def run(verifier: Path, document: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(verifier)], input=json.dumps(document), capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip


def test_go_verifies_the_checkpoints_and_every_proof(
    verifier: Path, signed: dict[str, Any]
) -> None:
    done = run(verifier, signed)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 2 + len(signed["inclusion"]) + len(signed["consistency"])
    assert all(line.startswith("ok ") for line in lines), lines


def test_go_refuses_an_altered_body(verifier: Path, signed: dict[str, Any]) -> None:
    altered = json.loads(json.dumps(signed))
    body = bytearray(base64.b64decode(altered["inclusion"][5]["body"]))
    body[-2] ^= 1
    altered["inclusion"][5]["body"] = base64.b64encode(bytes(body)).decode()
    done = run(verifier, altered)
    assert done.returncode == 1
    assert "FAIL inclusion of 13 in 40" in done.stdout


def test_go_refuses_an_altered_signature_and_another_key(
    verifier: Path, signed: dict[str, Any]
) -> None:
    note = signed["checkpoints"][1]
    text, _, signature = note.rpartition("\n— ")
    sig = bytearray(base64.b64decode(signature.split()[1]))
    sig[10] ^= 1
    name = signature.split()[0]
    forged = {**signed, "checkpoints": [signed["checkpoints"][0], f"{text}\n— {name} "
                                        f"{base64.b64encode(bytes(sig)).decode()}\n"]}  # fmt: skip
    done = run(verifier, forged)
    assert done.returncode == 1
    assert "FAIL checkpoint 1" in done.stdout
    assert "FAIL consistency from 13 to 40" in done.stdout  # no signed root of size 40
    other = {**signed, "vkey": generate_signer(ORIGIN)[1]}  # same name, another key
    refused = run(verifier, other)
    assert refused.returncode == 1
    assert "FAIL checkpoint 0" in refused.stdout


def test_go_refuses_an_altered_consistency_proof(verifier: Path, signed: dict[str, Any]) -> None:
    proof = list(signed["consistency"][0]["proof"])
    first = bytearray(base64.b64decode(proof[0]))
    first[0] ^= 1
    proof[0] = base64.b64encode(bytes(first)).decode()
    wrong = {**signed, "consistency": [{**signed["consistency"][0], "proof": proof}]}
    done = run(verifier, wrong)
    assert done.returncode == 1
    assert "FAIL consistency from 13 to 40" in done.stdout
    assert done.stdout.count("ok inclusion") == len(signed["inclusion"])  # the rest still holds


# -- a witness's cosignature ------------------------------------------------------------------

WITNESS = "council.example/witness"
COSIGNED_AT = 1_767_225_600


@pytest.fixture(scope="module")
def cosigned(tmp_path_factory: pytest.TempPathFactory, signed: dict[str, Any]) -> dict[str, Any]:
    """The checkpoint of size 40 cosigned by a witness (liaison's, through its protocol)."""
    files = make_witness(tmp_path_factory.mktemp("witness"), WITNESS, {ORIGIN: [signed["vkey"]]})
    config = files.config()
    witness = Witness(config, load_cosigner(config), WitnessState(config.state_file),
                      lambda: COSIGNED_AT)  # fmt: skip
    answer = witness.add_checkpoint(body(0, [], signed["checkpoints"][1]))
    assert answer.status == 200, answer.body
    note = signed["checkpoints"][1] + answer.body
    return {"vkey": signed["vkey"], "checkpoints": [note],
            "cosigned": [{"note": note, "witness": files.vkey}]}  # fmt: skip


def test_go_checks_a_witness_cosignature(verifier: Path, cosigned: dict[str, Any]) -> None:
    done = run(verifier, cosigned)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == ["ok checkpoint 0", f"ok cosignature 0 (time {COSIGNED_AT})"]


def test_go_refuses_a_wrong_cosignature(
    verifier: Path, signed: dict[str, Any], cosigned: dict[str, Any]
) -> None:
    note, witness = cosigned["cosigned"][0]["note"], cosigned["cosigned"][0]["witness"]
    head, _, encoded = note[:-1].rpartition(" ")
    raw = bytearray(base64.b64decode(encoded))
    raw[-1] ^= 1
    altered = f"{head} {base64.b64encode(bytes(raw)).decode()}\n"
    line = note[note.rindex(f"\u2014 {WITNESS} ") :]
    moved = signed["checkpoints"][0] + line  # the line under the log's checkpoint of 13
    other_key = generate_cosigner(WITNESS)[1]  # the same name, another key
    done = run(verifier, {"vkey": cosigned["vkey"], "cosigned": [
        {"note": altered, "witness": witness},
        {"note": moved, "witness": witness},
        {"note": note, "witness": other_key},
        {"note": signed["checkpoints"][1], "witness": witness},
    ]})  # fmt: skip
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        f"FAIL cosignature 0 (time 0): invalid cosignature by {WITNESS}",
        f"FAIL cosignature 1 (time 0): invalid cosignature by {WITNESS}",
        f"FAIL cosignature 2 (time 0): no cosignature by {WITNESS}",
        f"FAIL cosignature 3 (time 0): no cosignature by {WITNESS}",
    ]
