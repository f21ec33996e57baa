"""Interop with an independent implementation (issue 12, item 6): liaison's signed
checkpoints, its verifier key, and its RFC 6962 inclusion and consistency proofs, checked by
Go's own ``golang.org/x/mod/sumdb/note`` and ``sumdb/tlog`` (``tests/interop/verify_go.go``,
built offline in GOPATH mode against Debian's golang-golang-x-mod-dev).

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

from liaison.ledger.entries import NewEntry
from liaison.ledger.log import Ledger
from liaison.ledger.note_keys import generate_signer, parse_signer
from liaison.storage.database import open_engine
from liaison.storage.migrate import upgrade

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
