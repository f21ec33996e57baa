"""Rotating the checkpoint signing key (``liaison ledger rotate-key``): the rotation is a
``key_rotation`` entry whose statement both keys sign; the next checkpoint is signed by
the new key; ``liaison ledger verify`` checks every checkpoint with the key of its size
and reports a rotation entry that does not hold (a signature missing, a statement that
does not say what the record says, a root of another tree, keys that do not link to the
trusted one)."""

from __future__ import annotations

import base64
import json
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from typer.testing import Result

from conftest import cli_runner, running_services
from liaison.errors import SignatureError
from liaison.ledger.checkpoint import open_checkpoint
from liaison.ledger.entries import NewEntry
from liaison.ledger.key_chain import read_rotation, statement_text
from liaison.ledger.key_rotation import rotation_entry
from liaison.ledger.keys import SIGNER_FILE, load_signer, load_verifier, load_vkey
from liaison.ledger.log import Ledger
from liaison.ledger.note_keys import Signer, generate_signer, parse_signer, parse_verifier
from liaison.ledger.signed_note import open_note, sign_note
from liaison.ledger.signer_client import RemoteSigner
from liaison.ledger.signer_memory import Signed, SignerMemory
from test_signer_service import signer_running

ORIGIN = "rotate.example/log"


@dataclass
class Rotated:
    ledger: Ledger
    cli: Callable[..., Result]
    keys: Path
    old: Signer
    before: str  # the last checkpoint the old key signed
    out: dict[str, Any]

    def verify(self) -> dict[str, Any]:
        result = self.cli("ledger", "verify", "--json")
        return dict(json.loads(result.stdout))


def grow(ledger: Ledger, count: int) -> None:
    start = ledger.head()[0]
    ledger.append_many([NewEntry("note", {"n": start + i}, "clerk") for i in range(count)])


@pytest.fixture
def rotated(db_url: str, tmp_path: Path) -> Iterator[Rotated]:
    with running_services(db_url, tmp_path, log_origin=ORIGIN) as services:
        ledger, keys = services.gateway.ledger, tmp_path / "keys"
        cli = cli_runner(db_url, tmp_path, ORIGIN)
        grow(ledger, 5)
        before = ledger.checkpoint().note
        grow(ledger, 2)  # signed by the old key as the rotation starts
        old = load_signer(keys)
        assert old is not None
        result = cli("ledger", "rotate-key", "--actor", "admin-1", "--reason", "yearly")
        assert result.exit_code == 0, result.output
        out = json.loads(result.stdout)
        yield Rotated(Ledger(ledger.engine, ORIGIN), cli, keys, old, before, out)


def test_the_rotation_is_an_entry_signed_by_both_keys(rotated: Rotated) -> None:
    old_vkey, new_vkey = rotated.old.verifier.vkey, load_vkey(rotated.keys)
    assert (rotated.out["old_vkey"], rotated.out["new_vkey"]) == (old_vkey, new_vkey)
    assert old_vkey != new_vkey
    entry = rotated.ledger.entry(rotated.out["entry"])
    assert entry.kind == "key_rotation"
    record = entry.document()["record"]
    assert record["size"] == rotated.out["size"] == rotated.out["entry"]  # the tree before it
    assert record["reason"] == "yearly"
    assert entry.document()["actor"] == "admin-1"
    old, new = parse_verifier(old_vkey), parse_verifier(new_vkey)
    for key in (old, new):  # each key alone verifies the statement
        said, _ = open_note(record["statement"], [key])
        assert f"old {old_vkey}\nnew {new_vkey}\n" in said
        assert f"origin {ORIGIN}\n" in said
        assert f"size {record['size']}\n" in said
    rotation = read_rotation(entry.index, entry.body, ORIGIN)
    assert (rotation.old, rotation.new) == (old, new)


def test_the_old_key_is_archived_and_the_new_one_signs(rotated: Rotated) -> None:
    archived = Path(rotated.out["archived"])
    assert archived.parent == rotated.keys
    assert stat.S_IMODE(archived.stat().st_mode) == 0o600
    assert parse_signer(archived.read_text().strip()).verifier == rotated.old.verifier
    new = load_verifier(rotated.keys)
    assert new is not None
    assert new != rotated.old.verifier
    first = rotated.ledger.latest_checkpoint()
    assert first is not None
    assert first.size == rotated.out["checkpoint"] == rotated.out["entry"] + 1
    assert open_checkpoint(first.note, new, ORIGIN).size == first.size
    assert (
        open_checkpoint(rotated.before, rotated.old.verifier, ORIGIN).size
        == rotated.out["size"] - 2
    )
    memory = json.loads((rotated.keys / "ledger.signed").read_text())
    assert (memory["vkey"], memory["size"]) == (new.vkey, first.size)
    grow(rotated.ledger, 3)
    result = rotated.cli("ledger", "checkpoint")
    assert result.exit_code == 0, result.output
    assert open_checkpoint(result.stdout, new, ORIGIN).size == first.size + 3


def test_ledger_verify_passes_with_checkpoints_of_both_keys(rotated: Rotated) -> None:
    report = rotated.verify()
    assert report["ok"], report["problems"]
    assert report["checkpoints_verified"] >= 3  # 6 and 8 by the old key, 9 by the new
    assert report["uncovered_entries"] == 0


def test_a_verifier_who_pinned_the_old_key_moves_to_the_new_one(rotated: Rotated) -> None:
    """docs/ledger.md, "Rotating the signing key": the statement, verified with the old
    key, names the new key; with it, the new checkpoints verify."""
    entry = rotated.ledger.entry(rotated.out["entry"])
    said, _ = open_note(entry.document()["record"]["statement"], [rotated.old.verifier])
    named = next(line[4:] for line in said.splitlines() if line.startswith("new "))
    latest = rotated.ledger.latest_checkpoint()
    assert latest is not None
    assert open_checkpoint(latest.note, parse_verifier(named), ORIGIN).size == latest.size


def _append_and_sign(rotated: Rotated, entry: NewEntry) -> int:
    index = rotated.ledger.append(entry).index
    key = load_signer(rotated.keys)
    assert key is not None
    Ledger(rotated.ledger.engine, ORIGIN, key, SignerMemory(rotated.keys)).checkpoint()
    return index


def _forged(rotated: Rotated, kind: str) -> NewEntry:
    """A key_rotation entry that does not hold, appended as any entry could be."""
    current = load_signer(rotated.keys)
    assert current is not None
    other = parse_signer(generate_signer(ORIGIN)[0])
    size, root = rotated.ledger.head()
    last = Signed(ORIGIN, current.verifier.vkey, size, root, None)
    if kind == "root":  # both keys sign, of a tree this log never had
        elsewhere = Signed(ORIGIN, current.verifier.vkey, size, bytes(32), None)
        return rotation_entry(ORIGIN, current, other, elsewhere, "x", "")
    entry = rotation_entry(ORIGIN, current, other, last, "x", "")
    record = dict(entry.record)
    if kind == "one signature":  # the new key alone claims to follow the current one
        said = statement_text(ORIGIN, current.verifier.vkey, other.verifier.vkey, size, root)
        record["statement"] = sign_note(said, other)
    elif kind == "statement":  # the record says another size than the statement
        record["size"] = size - 1
    elif kind == "unlinked":  # two keys nobody trusts hand over to each other
        third = parse_signer(generate_signer(ORIGIN)[0])
        record = rotation_entry(ORIGIN, other, third, last, "x", "").record
    return NewEntry("key_rotation", record, "x")


@pytest.mark.parametrize(
    ("kind", "says"),
    [
        ("one signature", "record.statement, the old key"),
        ("statement", "does not state the record's fields"),
        ("root", "the old key signed another tree"),
        ("unlinked", "its old key is not the new key of the rotation"),
    ],
)
def test_a_rotation_entry_that_does_not_hold_is_reported(
    rotated: Rotated, kind: str, says: str
) -> None:
    index = _append_and_sign(rotated, _forged(rotated, kind))
    report = rotated.verify()
    assert not report["ok"]
    found = [p for p in report["problems"] if says in p["message"]]
    assert found, report["problems"]
    assert found[0]["where"] == f"entry {index}"


def test_a_tampered_rotation_entry_is_reported(rotated: Rotated) -> None:
    index = rotated.out["entry"]
    other = generate_signer(ORIGIN)[1]
    with rotated.ledger.engine.begin() as conn:
        body = bytes(
            conn.execute(text(f"SELECT body FROM ledger_entries WHERE idx = {index}")).scalar_one()
        )
        forged = body.replace(rotated.out["new_vkey"].encode(), other.encode(), 1)
        assert forged != body
        conn.execute(
            text("UPDATE ledger_entries SET body = :b WHERE idx = :i"), {"b": forged, "i": index}
        )
    report = rotated.verify()
    assert not report["ok"]
    at = [p["message"] for p in report["problems"] if p["where"] == f"entry {index}"]
    assert any("edited" in m for m in at), report["problems"]
    assert any("key_rotation" in m for m in at), report["problems"]


def test_rotate_key_refuses_while_a_signer_process_listens(
    db_url: str, tmp_path: Path, sock_dir: Path
) -> None:
    path = sock_dir / "s.sock"
    with (
        running_services(db_url, tmp_path, log_origin=ORIGIN) as services,
        signer_running(tmp_path / "keys", path, ORIGIN),
        pytest.MonkeyPatch.context() as env,
    ):
        env.setenv("LIAISON_SIGNER_SOCKET", str(path))
        before = (tmp_path / "keys" / SIGNER_FILE).read_bytes()
        result = cli_runner(db_url, tmp_path, ORIGIN)("ledger", "rotate-key", "--actor", "a")
        assert result.exit_code == 1
        assert "stop it first" in result.output
        assert (tmp_path / "keys" / SIGNER_FILE).read_bytes() == before
        assert services.gateway.ledger.head()[0] == 1  # the first pack only: nothing appended


@pytest.fixture
def sock_dir() -> Iterator[Path]:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="lsr", dir="/tmp") as folder:
        yield Path(folder)


def test_the_signer_process_signs_with_the_new_key_after_a_restart(
    rotated: Rotated, sock_dir: Path
) -> None:
    path = sock_dir / "s.sock"
    with signer_running(rotated.keys, path, ORIGIN):
        ledger = Ledger(rotated.ledger.engine, ORIGIN, RemoteSigner(path))
        grow(ledger, 2)
        note = ledger.checkpoint().note
    new = load_verifier(rotated.keys)
    assert new is not None
    assert open_checkpoint(note, new, ORIGIN).size == rotated.out["checkpoint"] + 2
    with pytest.raises(SignatureError):
        open_checkpoint(note, rotated.old.verifier, ORIGIN)
    assert rotated.verify()["ok"]


def test_rotate_key_refuses_when_the_old_key_would_not_sign(db_url: str, tmp_path: Path) -> None:
    with running_services(db_url, tmp_path, log_origin=ORIGIN) as services:
        ledger, keys = services.gateway.ledger, tmp_path / "keys"
        grow(ledger, 3)
        ledger.checkpoint()
        memory = json.loads((keys / "ledger.signed").read_text())
        memory["root"] = base64.b64encode(bytes(32)).decode()  # it signed another tree
        (keys / "ledger.signed").write_text(json.dumps(memory))
        before = (keys / SIGNER_FILE).read_bytes()
        result = cli_runner(db_url, tmp_path, ORIGIN)("ledger", "rotate-key", "--actor", "a")
        assert result.exit_code == 1
        assert "refusing to sign" in result.output
        assert (keys / SIGNER_FILE).read_bytes() == before
        assert not list(keys.glob("*.retired"))
        assert [e.kind for e in ledger.entries()].count("key_rotation") == 0
