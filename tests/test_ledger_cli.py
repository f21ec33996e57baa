"""``liaison db`` / ``liaison ledger`` / ``liaison verify-bundle`` on each backend.

In process through Typer's ``CliRunner``, configured as a deployment is, by environment
(``LIAISON_DATABASE_URL``, ``LIAISON_KEY_DIR``, ``LIAISON_LOG_ORIGIN``); one test runs
the installed console script in a real subprocess to see its exit code and that a
tampered database gives findings, not a traceback.
"""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner, Result

import rfc6962
from liaison.cli import app
from liaison.ledger import merkle
from liaison.ledger.checkpoint import open_checkpoint
from liaison.ledger.log import Ledger
from liaison.ledger.note_keys import generate_signer, parse_verifier
from liaison.storage.migrate import head_revision

ORIGIN = "cli.example/ledger"
SCRIPT = Path(sys.executable).with_name("liaison")


@pytest.fixture
def env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The deployment's environment; returns the key folder (not created yet)."""
    keys = tmp_path / "keys"
    monkeypatch.setenv("LIAISON_DATABASE_URL", db_url)
    monkeypatch.setenv("LIAISON_KEY_DIR", str(keys))
    monkeypatch.setenv("LIAISON_LOG_ORIGIN", ORIGIN)
    return keys


def cli(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(app, list(args), input=input, prog_name="liaison")


def ok(*args: str, input: str | None = None) -> Result:
    result = cli(*args, input=input)
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return result


def jsonl(*items: dict[str, Any]) -> str:
    return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items)


def entry(n: int, personal: bool = True) -> dict[str, Any]:
    # Not "decision": a decision entry needs its decisions row (ledger verify checks the index).
    item: dict[str, Any] = {"kind": "note", "actor": f"officer-{n}", "record": {"n": n}}
    if personal:
        item["personal"] = {"subject": f"person-{n}", "name": "Zoë"}
    return item


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def populated(keys: Path, tmp_path: Path, n: int = 12) -> str:
    """keygen, append ``n`` entries (personal data on even ones), checkpoint; the vkey."""
    ok("ledger", "keygen")
    source = tmp_path / "entries.jsonl"
    source.write_text(jsonl(*(entry(i, personal=i % 2 == 0) for i in range(n))), "utf-8")
    ok("ledger", "append", str(source))
    ok("ledger", "checkpoint")
    return (keys / "ledger.vkey").read_text().strip()


def stored_size(engine: Engine) -> int:
    return Ledger(engine, ORIGIN).head()[0]


# -- db, keys ----------------------------------------------------------------------------


def test_db_upgrade(env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = ok("db", "upgrade")  # already at the newest revision: nothing to do
    assert f"at revision {head_revision()}" in result.stdout
    fresh = tmp_path / "fresh" / "new.db"
    monkeypatch.setenv("LIAISON_DATABASE_URL", f"sqlite:///{fresh}")
    result = ok("db", "upgrade")
    assert fresh.exists()
    assert f"at revision {head_revision()} (newest {head_revision()})" in result.stdout
    empty = json.loads(ok("ledger", "verify", "--structure-only", "--json").stdout)
    assert (empty["ok"], empty["size"]) == (True, 0)
    assert cli("ledger", "verify").exit_code == 1  # nothing to verify is not OK


def test_keygen(env: Path) -> None:
    keys = env
    result = ok("ledger", "keygen")
    skey, vkey = keys / "ledger.key", keys / "ledger.vkey"
    assert stat.S_IMODE(skey.stat().st_mode) == 0o600
    published = vkey.read_text().strip()
    assert published in result.stdout.splitlines()
    assert parse_verifier(published).name == ORIGIN
    assert "PRIVATE" not in result.stdout  # the signing key is never printed
    secret = skey.read_text()

    again = cli("ledger", "keygen")
    assert again.exit_code == 1
    assert "refusing" in again.stderr
    assert skey.read_text() == secret  # untouched

    forced = ok("ledger", "keygen", "--force")
    assert skey.read_text() != secret
    assert stat.S_IMODE(skey.stat().st_mode) == 0o600
    assert vkey.read_text().strip() in forced.stdout


# -- append, get, checkpoint, proofs -----------------------------------------------------


def test_append_get_checkpoint_and_proofs(env: Path, tmp_path: Path, engine: Engine) -> None:
    vkey = populated(env, tmp_path, n=5)
    more = ok("ledger", "append", "-", input=jsonl(entry(5), entry(6, personal=False)) + "\n")
    acks = [json.loads(line) for line in more.stdout.splitlines()]
    assert [a["index"] for a in acks] == [5, 6]
    ledger = Ledger(engine, ORIGIN)
    bodies = [e.body for e in ledger.entries()]
    assert acks[-1]["size"] == 7
    assert acks[-1]["root"] == b64(rfc6962.root_hash(bodies))
    assert acks[0]["leaf_hash"] == b64(merkle.leaf_hash(bodies[5]))

    got = json.loads(ok("ledger", "get", "4").stdout)
    assert got["index"] == 4
    assert got["entry"]["record"] == {"n": 4}
    assert got["entry"]["actor"] == "officer-4"
    assert got["personal"] == {"subject": "person-4", "name": "Zoë"}
    assert got["erased"] is False
    assert got["leaf_hash"] == b64(merkle.leaf_hash(bodies[4]))
    assert json.loads(ok("ledger", "get", "3").stdout)["personal"] is None
    missing = cli("ledger", "get", "7")
    assert missing.exit_code == 1
    assert "no ledger entry 7" in missing.stderr

    note = ok("ledger", "checkpoint").stdout  # byte for byte as signed (issue 12, item 5)
    assert note == ledger.latest_checkpoint().note  # type: ignore[union-attr]
    assert note.endswith("\n")
    assert not note.endswith("\n\n")
    cp = open_checkpoint(note, parse_verifier(vkey), ORIGIN)
    assert (cp.size, cp.root) == (7, rfc6962.root_hash(bodies))
    repeated = ok("ledger", "checkpoint", "--every", "0", "--count", "2").stdout
    assert repeated.count(f"{ORIGIN}\n7\n") == 2
    assert len(ledger.checkpoints()) == 2  # 5 and 7, kept once each

    proof = json.loads(ok("ledger", "prove-inclusion", "3", "--size", "5").stdout)
    assert proof["verified"] is True
    assert (proof["index"], proof["size"]) == (3, 5)
    assert proof["root"] == b64(rfc6962.root_hash(bodies[:5]))
    assert proof["proof"] == [b64(h) for h in rfc6962.inclusion_proof(bodies, 3, 5)]
    current = json.loads(ok("ledger", "prove-inclusion", "6").stdout)
    assert (current["size"], current["verified"]) == (7, True)
    assert current["root"] == b64(rfc6962.root_hash(bodies))

    cons = json.loads(ok("ledger", "prove-consistency", "2", "5").stdout)
    assert cons["verified"] is True
    assert (cons["old_size"], cons["new_size"]) == (2, 5)
    assert cons["old_root"] == b64(rfc6962.root_hash(bodies[:2]))
    assert cons["new_root"] == b64(rfc6962.root_hash(bodies[:5]))
    to_now = json.loads(ok("ledger", "prove-consistency", "5").stdout)
    assert (to_now["new_size"], to_now["verified"]) == (7, True)

    for args in (
        ("prove-inclusion", "7"),
        ("prove-inclusion", "1", "--size", "9"),
        ("prove-consistency", "0", "3"),
        ("prove-consistency", "5", "8"),
    ):
        bad = cli("ledger", *args)
        assert bad.exit_code == 1, args
        assert bad.stderr.startswith("error: no "), args


INVALID_LINES = [
    ("{not json", "not JSON"),
    ('["a list"]', "expected an object"),
    ('{"kind": "decision", "actor": "a", "record": {}, "extra": 1}', "expected an object"),
    ('{"kind": "", "actor": "a", "record": {}}', "kind and actor"),
    ('{"kind": "decision", "record": {}}', "kind and actor"),
    ('{"kind": "decision", "actor": "a", "record": [1]}', "must be objects"),
    ('{"kind": "decision", "actor": "a", "record": {}, "personal": "x"}', "must be objects"),
]


def test_append_refuses_an_invalid_line(env: Path, tmp_path: Path, engine: Engine) -> None:
    source = tmp_path / "bad.jsonl"
    for line, why in INVALID_LINES:
        source.write_text(jsonl(entry(0)) + "\n" + line + "\n" + jsonl(entry(1)), "utf-8")
        result = cli("ledger", "append", str(source))
        assert result.exit_code == 2, line
        assert "line 3" in result.stderr, line
        assert why in result.stderr, line
        assert result.stdout == ""
        assert stored_size(engine) == 0  # nothing appended, not even the valid lines


def test_append_refuses_a_line_without_canonical_form(
    env: Path, tmp_path: Path, engine: Engine
) -> None:
    source = tmp_path / "bad.jsonl"
    for value in ("NaN", "18014398509481984", '"\\ud800"'):
        line = f'{{"kind": "decision", "actor": "a", "record": {{"x": {value}}}}}'
        source.write_text(jsonl(entry(0)) + line + "\n", "utf-8")
        result = cli("ledger", "append", str(source))
        assert stored_size(engine) == 0
        assert result.exit_code == 2, value
        assert "line 2" in result.stderr, value


def test_append_refuses_a_missing_file_or_bytes_not_utf8(
    env: Path, tmp_path: Path, engine: Engine
) -> None:
    missing = cli("ledger", "append", str(tmp_path / "missing.jsonl"))
    assert missing.exit_code == 2
    assert "missing.jsonl" in missing.stderr
    source = tmp_path / "bad.jsonl"
    for line in (
        b'{"kind": "note", "actor": "a\xff", "record": {"x": "y"}}\n',
        b'{"kind": "note", "actor": "a", "record": {"x": "y\xff"}}\n',
    ):
        source.write_bytes(jsonl(entry(0)).encode() + line)
        result = cli("ledger", "append", str(source))
        assert result.exit_code == 2, line
        assert "line 2" in result.stderr, line
        assert stored_size(engine) == 0


SAVED_VKEY = generate_signer(ORIGIN)[1].encode()


@pytest.mark.parametrize(
    ("key", "proof", "named", "why"),
    [
        (None, b"{}", "saved.vkey", "cannot read"),
        (b"\xff\xfe", b"{}", "saved.vkey", "not UTF-8 text"),
        (b"not a key\n", b"{}", "saved.vkey", "verifier key"),
        (SAVED_VKEY, None, "proof.json", "No such file"),
        (SAVED_VKEY, b"\xff\xfe", "proof.json", "not a proof file"),
        (SAVED_VKEY, b'{"format": ', "proof.json", "not a proof file"),
        (SAVED_VKEY, b'{"format": "x"}', "proof.json", "format:"),
    ],
    ids=["key missing", "key not text", "no key", "proof missing", "proof not text",
         "proof not JSON", "not a proof file"],
)  # fmt: skip
def test_check_proof_names_the_file_it_cannot_use(
    tmp_path: Path, key: bytes | None, proof: bytes | None, named: str, why: str
) -> None:
    files = {"saved.vkey": key, "proof.json": proof}
    for name, content in files.items():
        if content is not None:
            (tmp_path / name).write_bytes(content)
    got = cli(
        "ledger", "check-proof", str(tmp_path / "proof.json"), "--key", str(tmp_path / "saved.vkey")
    )
    assert got.exit_code == 2, got.output
    assert str(tmp_path / named) in got.stderr
    assert why in got.stderr


def test_checkpoint_needs_a_key(env: Path) -> None:
    result = cli("ledger", "checkpoint")
    assert result.exit_code == 1
    assert "keygen" in result.stderr
    exported = cli("ledger", "export", str(env.parent / "b.jsonl"))
    assert exported.exit_code == 1
    assert "keygen" in exported.stderr


# -- verify, tamper, export, verify-bundle, erase ----------------------------------------


def test_verify_then_tamper(env: Path, tmp_path: Path, engine: Engine) -> None:
    populated(env, tmp_path)
    result = ok("ledger", "verify")
    assert result.stdout.startswith("OK: 12 entries")
    assert "1 checkpoint(s) verified" in result.stdout
    report = json.loads(ok("ledger", "verify", "--json").stdout)
    assert (report["ok"], report["size"], report["checkpoints_verified"]) == (True, 12, 1)
    assert report["problems"] == []

    with engine.begin() as conn:
        body = conn.execute(text("SELECT body FROM ledger_entries WHERE idx = 5")).scalar_one()
        conn.execute(
            text("UPDATE ledger_entries SET body = :b WHERE idx = 5"),
            {"b": bytes(body).replace(b'"n":5', b'"n":6')},
        )
    failed = cli("ledger", "verify")
    assert failed.exit_code == 1
    lines = failed.stdout.splitlines()
    assert "FAIL entry 5: body does not match its stored leaf hash (edited)" in lines
    assert any(line.startswith("FAIL checkpoint 12:") for line in lines)
    assert lines[-1].startswith("FAILED (")
    as_json = cli("ledger", "verify", "--json")
    assert as_json.exit_code == 1
    found = json.loads(as_json.stdout)
    assert found["ok"] is False
    assert {"entry 5", "checkpoint 12"} <= {p["where"] for p in found["problems"]}


def test_export_and_verify_bundle(env: Path, tmp_path: Path) -> None:
    vkey = populated(env, tmp_path)
    bundle = tmp_path / "out" / "ledger.jsonl"
    bundle.parent.mkdir()
    assert "12 entries, 1 checkpoints" in ok("ledger", "export", str(bundle)).stdout
    unpinned = ok("verify-bundle", str(bundle))
    assert unpinned.stdout.startswith("OK: 12 entries")
    assert "the bundle itself" in unpinned.stdout
    pinned = ok("verify-bundle", str(bundle), "--vkey", vkey)
    assert "pinned with --vkey" in pinned.stdout
    report = json.loads(ok("verify-bundle", str(bundle), "--vkey", vkey, "--json").stdout)
    assert (report["ok"], report["size"], report["origin"]) == (True, 12, ORIGIN)

    lines = bundle.read_text("utf-8").splitlines(keepends=True)
    item = json.loads(lines[2 + 7])  # header, one checkpoint, entries 0..
    assert item["index"] == 7
    item["entry"] = item["entry"].replace('"n":7', '"n":8')
    lines[2 + 7] = json.dumps(item, ensure_ascii=False) + "\n"
    edited = tmp_path / "edited.jsonl"
    edited.write_text("".join(lines), "utf-8")
    failed = cli("verify-bundle", str(edited), "--vkey", vkey)
    assert failed.exit_code == 1
    assert any(line.startswith("FAIL checkpoint 12:") for line in failed.stdout.splitlines())

    del lines[2 + 3]
    (tmp_path / "deleted.jsonl").write_text("".join(lines), "utf-8")
    deleted = cli("verify-bundle", str(tmp_path / "deleted.jsonl"), "--json")
    assert deleted.exit_code == 1
    assert "entry 3" in {p["where"] for p in json.loads(deleted.stdout)["problems"]}

    for bad in (tmp_path / "missing.jsonl", tmp_path / "entries.jsonl"):  # absent; not a bundle
        result = cli("verify-bundle", str(bad))
        assert result.exit_code == 1
        assert result.stderr.startswith("error: ")


def test_erase(env: Path, tmp_path: Path) -> None:
    vkey = populated(env, tmp_path)
    done = json.loads(
        ok(
            "ledger",
            "erase",
            "4",
            "--reason",
            "retention expiry",
            "--authority",
            "schedule 7.2",
            "--actor",
            "admin-1",
        ).stdout
    )
    assert done == {"erased": 4, "erasure_entry": 12, "size": 13}
    gone = json.loads(ok("ledger", "get", "4").stdout)
    assert (gone["personal"], gone["erased"]) == (None, True)
    record = json.loads(ok("ledger", "get", "12").stdout)["entry"]
    assert record["kind"] == "erasure"
    assert record["record"] == {
        "erased_index": 4,
        "reason": "retention expiry",
        "authority": "schedule 7.2",
    }
    proof = json.loads(ok("ledger", "prove-inclusion", "4", "--size", "12").stdout)
    assert proof["verified"] is True
    assert "OK: 13 entries" in ok("ledger", "verify").stdout

    again = cli("ledger", "erase", "4", "--reason", "x", "--authority", "y", "--actor", "z")
    assert again.exit_code == 1
    assert "holds no personal data" in again.stderr
    none = cli("ledger", "erase", "3", "--reason", "x", "--authority", "y", "--actor", "z")
    assert none.exit_code == 1
    far = cli("ledger", "erase", "99", "--reason", "x", "--authority", "y", "--actor", "z")
    assert far.exit_code == 1
    assert "no ledger entry 99" in far.stderr
    missing = cli("ledger", "erase", "2", "--reason", "x")
    assert missing.exit_code == 2  # --authority and --actor are required

    ok("ledger", "checkpoint")
    bundle = tmp_path / "after.jsonl.gz"
    ok("ledger", "export", str(bundle))
    assert "OK: 13 entries" in ok("verify-bundle", str(bundle), "--vkey", vkey).stdout


# -- help ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["db"],
        ["db", "upgrade"],
        ["ledger"],
        ["ledger", "keygen"],
        ["ledger", "append"],
        ["ledger", "get"],
        ["ledger", "checkpoint"],
        ["ledger", "prove-inclusion"],
        ["ledger", "prove-consistency"],
        ["ledger", "verify"],
        ["ledger", "export"],
        ["ledger", "erase"],
        ["verify-bundle"],
    ],
    ids=lambda c: "-".join(c),
)
def test_help(command: list[str]) -> None:
    result = cli(*command, "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.stdout
    assert f"liaison {' '.join(command)}" in " ".join(result.stdout.split())


# -- the console script, in a real subprocess --------------------------------------------


def test_console_script_verify_on_a_tampered_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'real.db'}"
    monkeypatch.setenv("LIAISON_DATABASE_URL", url)
    monkeypatch.setenv("LIAISON_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("LIAISON_LOG_ORIGIN", ORIGIN)
    ok("db", "upgrade")
    populated(tmp_path / "keys", tmp_path, n=20)
    with sqlite3.connect(tmp_path / "real.db") as conn:
        conn.execute("UPDATE ledger_entries SET body = replace(body, 'officer-9', 'officer-8')")
        conn.execute("DELETE FROM ledger_personal WHERE idx = 4")
    conn.close()

    assert SCRIPT.exists(), f"console script not installed at {SCRIPT}"
    tampered = subprocess.run(
        [str(SCRIPT), "ledger", "verify"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=dict(os.environ),  # the monkeypatched LIAISON_* settings
        timeout=120,
        check=False,
    )
    assert tampered.returncode == 1, tampered.stderr
    assert "Traceback" not in tampered.stderr + tampered.stdout
    assert tampered.stderr == ""
    lines = tampered.stdout.splitlines()
    assert "FAIL entry 9: body does not match its stored leaf hash (edited)" in lines
    assert "FAIL entry 4: personal data is missing without a recorded erasure" in lines
    assert any(line.startswith("FAIL checkpoint 20: signed root does not match") for line in lines)
    assert lines[-1].startswith("FAILED (")
