"""``liaison mirror`` (issue 12, item 3): an inspector's copy of the ledger, pulled from a
real served API (uvicorn on a loopback port) over a real ledger, verified on every pull.
The department rewrites its database after a pull and signs the rewritten tree with its own
key: the mirror refuses, keeps the evidence and its copy. A pull that fails half-way, a
wrong key and too few witnesses leave the copy as it was."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert
from typer.testing import CliRunner, Result

from conftest import running_services
from liaison.api.app import create_app
from liaison.api.deps import Services
from liaison.api.witnessing import Witnessing
from liaison.cli import app as cli_app
from liaison.errors import MirrorError
from liaison.gateway.auth import Principal
from liaison.gateway.roles import KeyRole
from liaison.ledger import merkle
from liaison.ledger.bundle import verify_bundle
from liaison.ledger.bundle_export import export_bundle
from liaison.ledger.checkpoint import Checkpoint, sign_checkpoint
from liaison.ledger.checkpoint_signer import LocalSigner
from liaison.ledger.cosignature import generate_cosigner, parse_cosigner, parse_witness_key
from liaison.ledger.entries import NewEntry
from liaison.ledger.keys import load_vkey
from liaison.ledger.mirror import Trust, pull
from liaison.ledger.mirror_source import LogSource, ServedEntry
from liaison.ledger.mirror_store import MirrorFolder
from liaison.ledger.note_keys import generate_signer, parse_verifier
from liaison.ledger.signed_note import split_note
from liaison.ledger.signing import add_cosignatures
from liaison.ledger.witness_list import Witness
from liaison.model.request import parse_request
from liaison.storage.tables import (
    ledger_checkpoints,
    ledger_entries,
    ledger_head,
    ledger_personal,
    ledger_tiles,
)
from witness_fixtures import free_port, serve_asgi

ORIGIN = "test.example/mirror"


@dataclass
class Served:
    url: str
    services: Services
    vkey: str
    key_file: Path

    def add(self, count: int, tag: str = "first") -> None:
        self.services.gateway.ledger.append_many(
            [NewEntry("event", {"n": i, "tag": tag}, f"officer-{i % 5}") for i in range(count)]
        )


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """A deployment (SQLite) served over HTTP on 127.0.0.1, with 40 entries, and an
    auditor's key in a file."""
    folder = tmp_path / "server"
    folder.mkdir()
    url = f"sqlite:///{folder / 'liaison.db'}"
    with ExitStack() as stack:
        services = stack.enter_context(running_services(url, folder, log_origin=ORIGIN))
        base = stack.enter_context(serve_asgi(create_app(services=services), "the test server"))
        key, _ = services.keys.create(KeyRole.AUDITOR, "inspector-1")
        key_file = tmp_path / "auditor.key"
        key_file.write_text(key + "\n")
        vkey = load_vkey(folder / "keys")
        assert vkey is not None
        site = Served(base, services, vkey, key_file)
        site.add(40 - services.gateway.ledger.head()[0])
        yield site


def mirror(site: Served, folder: Path, *extra: str, vkey: str | None = None) -> Result:
    args = ["mirror", site.url, str(folder), "--vkey", vkey or site.vkey, "--quiet"]
    args += ["--key-file", str(site.key_file), *extra]
    return CliRunner().invoke(cli_app, args, prog_name="liaison")


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file of the copy but the fork reports, with its bytes."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "forks" not in p.parts
    }


def state(folder: Path) -> dict[str, Any]:
    value: dict[str, Any] = json.loads((folder / "state.json").read_text())
    return value


def copied_lines(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (folder / "entries.jsonl").read_text().splitlines()]


def server_lines(site: Served, tmp: Path) -> list[dict[str, Any]]:
    path = tmp / "server-export.jsonl"
    export_bundle(site.services.gateway.ledger, path, site.vkey)
    return [x for x in map(json.loads, path.read_text().splitlines()) if "index" in x]


def test_initial_then_incremental_pulls_keep_a_verified_copy(
    served: Served, tmp_path: Path
) -> None:
    copy = tmp_path / "copy"
    first = mirror(served, copy)
    assert first.exit_code == 0, first.output
    assert "40 new entries: 40 entries" in first.stdout
    assert state(copy)["size"] == 40
    assert copied_lines(copy) == server_lines(served, tmp_path)
    assert sorted(p.name for p in (copy / "checkpoints").iterdir()) == ["40.note"]

    again = mirror(served, copy)
    assert again.exit_code == 0, again.output
    assert "nothing new: 40 entries" in again.stdout

    served.add(299, "second")  # past a tile: the copy's right edge extends across it
    decide(served)
    later = mirror(served, copy)
    assert later.exit_code == 0, later.output
    assert "300 new entries: 340 entries" in later.stdout
    assert json.loads(copied_lines(copy)[-1]["entry"])["kind"] == "decision"
    assert copied_lines(copy) == server_lines(served, tmp_path)
    head_root = served.services.gateway.ledger.head()[1]
    assert state(copy)["root"] == merkle_b64(head_root)
    assert sorted(p.name for p in (copy / "checkpoints").iterdir()) == ["340.note", "40.note"]


def decide(site: Served) -> None:
    """A decision, decided and recorded through the gateway (its ledger entry)."""
    who = {"id": "officer-1", "agency": "MPD", "role": "officer", "unit": "1D"}
    request = {
        "id": "dec-1",
        "at": "2025-08-15T12:00:00-04:00",
        "actor": who,
        "action": "database_inquiry",
        "database": "WALES",
        "purposes": ["warrant_check"],
        "subject": {"id": "person-1", "custody": "stopped"},
    }
    officer = Principal("k", KeyRole.OFFICER, "officer-1", "1D")
    site.services.gateway.decide_and_record(parse_request(request), officer)


def merkle_b64(root: bytes) -> str:
    import base64

    return base64.b64encode(root).decode()


def test_saved_checkpoints_pin_a_downloaded_bundle(served: Served, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    assert mirror(served, copy).exit_code == 0
    served.add(10, "second")
    assert mirror(served, copy).exit_code == 0
    bundle = tmp_path / "ledger.jsonl.gz"
    export_bundle(served.services.gateway.ledger, bundle, served.vkey)
    notes = [p.read_text() for p in sorted((copy / "checkpoints").iterdir())]
    report, _ = verify_bundle(bundle, served.vkey, trusted=notes)
    assert report.ok, report.problems
    assert report.checkpoints_verified == 4  # the bundle's two and the two saved


def rewrite(site: Served, count: int) -> None:
    """The department's rewrite: every entry replaced by ``count`` others, the tree rebuilt,
    the old checkpoints deleted, the new tree signed with its own key (its memory bypassed)."""
    ledger = site.services.gateway.ledger
    with ledger.engine.begin() as conn:
        for table in (ledger_personal, ledger_entries, ledger_tiles, ledger_checkpoints):
            conn.execute(table.delete())
        conn.execute(ledger_head.update().values(size=0, root=merkle.EMPTY_ROOT))
    site.add(count, "rewritten")
    size, root = ledger.head()
    assert isinstance(ledger.signer, LocalSigner)  # the key, in this process
    note = sign_checkpoint(Checkpoint(ORIGIN, size, root), ledger.signer.key)
    row = {"size": size, "root": root, "note": note, "created_at": datetime.now(UTC)}
    with ledger.engine.begin() as conn:
        conn.execute(insert(ledger_checkpoints), [row])


@pytest.mark.parametrize(
    ("count", "what"),
    [
        (60, "consistency proof from size 40 to 60"),
        (40, "same size with different roots"),
        (25, "(a rollback)"),
    ],
)
def test_a_rewritten_and_resigned_history_is_a_fork(
    served: Served, tmp_path: Path, count: int, what: str
) -> None:
    copy = tmp_path / "copy"
    assert mirror(served, copy).exit_code == 0
    before = snapshot(copy)
    accepted = (copy / "checkpoints" / "40.note").read_text()
    rewrite(served, count)
    got = mirror(served, copy)
    assert got.exit_code == 1, got.output
    assert "FORK" in got.stderr
    assert what in got.stderr
    assert snapshot(copy) == before  # the copy is kept as it was
    [report] = list((copy / "forks").iterdir())
    evidence = json.loads(report.read_text())
    assert evidence["accepted"] == {
        "size": 40,
        "root": state(copy)["root"],
        "checkpoint": accepted,
    }
    assert evidence["served"]["size"] == count
    served_note = evidence["served"]["checkpoint"]
    assert served_note != accepted
    verifier = parse_verifier(served.vkey)
    from liaison.ledger.checkpoint import open_checkpoint

    for note in (accepted, served_note):  # both signed by the department's key
        assert open_checkpoint(note, verifier, ORIGIN)
    assert what.split(" (")[0].strip("()") in evidence["what"]


def test_entries_that_do_not_make_the_signed_root_are_a_fork(
    served: Served, tmp_path: Path
) -> None:
    """The first pull has no checkpoint to prove consistency from: the root decides."""
    ledger = served.services.gateway.ledger
    with ledger.engine.begin() as conn:  # an entry edited, its leaf hash with it
        body = b'{"edited":true}'
        conn.execute(
            ledger_entries.update()
            .where(ledger_entries.c.idx == 7)
            .values(body=body, leaf_hash=merkle.leaf_hash(body))
        )
    ledger.checkpoint()
    copy = tmp_path / "copy"
    got = mirror(served, copy)
    assert got.exit_code == 1, got.output
    assert "make the root" in got.stderr
    assert not (copy / "state.json").exists()
    assert not (copy / "entries.jsonl").exists()
    [report] = list((copy / "forks").iterdir())
    assert json.loads(report.read_text())["accepted"]["checkpoint"] is None


class Failing(LogSource):
    """The API failing after the first page of entries."""

    def entries(self, start: int, stop: int) -> Iterator[list[ServedEntry]]:
        pages = super().entries(start, stop)
        yield next(pages)
        raise MirrorError("the connection was reset")


def test_an_interrupted_pull_leaves_the_copy_as_it_was(served: Served, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    assert mirror(served, copy).exit_code == 0
    before = snapshot(copy)
    served.add(30, "second")
    key = served.key_file.read_text().strip()
    trust = Trust(parse_verifier(served.vkey))
    with pytest.raises(MirrorError, match="reset"):
        pull(Failing(served.url, key, page=10), MirrorFolder(copy), trust)
    assert snapshot(copy) == before
    done = pull(LogSource(served.url, key, page=10), MirrorFolder(copy), trust)
    assert (done.before, done.size) == (40, 70)
    assert copied_lines(copy) == server_lines(served, tmp_path)


def test_a_commit_cut_before_its_state_is_undone_by_the_next_pull(
    served: Served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from liaison.ledger import mirror_store

    copy = tmp_path / "copy"
    assert mirror(served, copy).exit_code == 0
    old_state = (copy / "state.json").read_bytes()
    served.add(5, "second")
    write = mirror_store._write_atomic

    def crash_on_state(path: Path, data: bytes) -> None:
        if path.name == "state.json":
            raise OSError("power cut")
        write(path, data)

    monkeypatch.setattr(mirror_store, "_write_atomic", crash_on_state)
    got = mirror(served, copy)
    assert got.exit_code != 0
    assert (copy / "state.json").read_bytes() == old_state
    assert len(copied_lines(copy)) == 45  # written past the state's length: not the copy
    monkeypatch.undo()
    assert mirror(served, copy).exit_code == 0
    assert copied_lines(copy) == server_lines(served, tmp_path)  # no line twice


def test_a_checkpoint_signed_by_another_key_is_refused(served: Served, tmp_path: Path) -> None:
    _, other = generate_signer(ORIGIN)
    copy = tmp_path / "copy"
    got = mirror(served, copy, vkey=other)
    assert got.exit_code == 1
    assert "latest checkpoint is refused" in got.stderr
    assert not (copy / "state.json").exists()


def test_too_few_witnesses_are_refused(served: Served, tmp_path: Path) -> None:
    one_skey, one = generate_cosigner("witness.example/one")
    _, two = generate_cosigner("witness.example/two")
    ledger = served.services.gateway.ledger
    # The deployment publishes the cosignatures of the witnesses it is configured with
    # (never started here: nothing is sent to them).
    witnesses = [Witness("http://127.0.0.1:9", parse_witness_key(k)) for k in (one, two)]
    served.services.witnessing = Witnessing(ledger, witnesses, lambda *_: None)
    latest = ledger.checkpoint()
    text, _ = split_note(latest.note)
    add_cosignatures(ledger.engine, latest.size, [parse_cosigner(one_skey).cosign(text, 17)])
    copy = tmp_path / "copy"
    both = mirror(served, copy, "--witness", one, "--witness", two)
    assert both.exit_code == 1
    assert "cosigned by 1 of the 2 witnesses given (witness.example/one); 2 required" in (
        both.stderr
    )
    assert not (copy / "state.json").exists()
    enough = mirror(served, copy, "--witness", one, "--witness", two, "--min-witnesses", "1")
    assert enough.exit_code == 0, enough.output
    assert "cosigned by witness.example/one" in enough.stdout
    assert "witness.example/one" in (copy / "checkpoints" / "40.note").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--min-witnesses", "1"], "--min-witnesses 1: only 0 witness key(s) given"),
        (["--witness", "nope+1234+AAAA"], "--witness nope+1234+AAAA"),
        (
            ["--witness", "/no/such/file"],
            "--witness /no/such/file: not a witness verifier key nor a file",
        ),
    ],
)
def test_bad_options_are_named(
    served: Served, tmp_path: Path, args: list[str], message: str
) -> None:
    got = mirror(served, tmp_path / "copy", *args)
    assert got.exit_code == 2
    assert message in got.stderr


def test_the_api_key_never_on_the_command_line(
    served: Served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["mirror", served.url, str(tmp_path / "copy"), "--vkey", served.vkey, "--quiet"]
    monkeypatch.delenv("LIAISON_API_KEY", raising=False)
    none = CliRunner().invoke(cli_app, args, prog_name="liaison")
    assert none.exit_code == 2
    assert "--key-file PATH or set LIAISON_API_KEY" in none.stderr
    monkeypatch.setenv("LIAISON_API_KEY", served.key_file.read_text().strip())
    from_env = CliRunner().invoke(cli_app, args, prog_name="liaison")
    assert from_env.exit_code == 0, from_env.output
    monkeypatch.setenv("LIAISON_API_KEY", "lsn_bad_key")
    bad = CliRunner().invoke(cli_app, args, prog_name="liaison")
    assert bad.exit_code == 1
    assert "401" in bad.stderr


def test_one_folder_mirrors_one_log(served: Served, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    assert mirror(served, copy).exit_code == 0
    other = Served(served.url + "/elsewhere", served.services, served.vkey, served.key_file)
    got = mirror(other, copy)
    assert got.exit_code == 1
    assert "one folder per log" in got.stderr


class StopLoop(Exception):
    pass


def test_every_tries_again_after_a_failed_pull_and_stops_on_a_fork(
    served: Served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from liaison.cli import mirror as mirror_cli

    naps: list[float] = []

    def nap(seconds: float) -> None:
        naps.append(seconds)
        if len(naps) == 2:
            raise StopLoop

    monkeypatch.setattr(mirror_cli.time, "sleep", nap)
    down = Served(f"http://127.0.0.1:{free_port()}", served.services, served.vkey, served.key_file)
    got = mirror(down, tmp_path / "down", "--every", "5")
    assert isinstance(got.exception, StopLoop)  # still looping after two failed pulls
    assert got.stderr.count("cannot reach") == 2
    assert "trying again in 5 s" in got.stderr
    naps.clear()
    copy = tmp_path / "copy"
    assert mirror(served, copy).exit_code == 0
    rewrite(served, 50)
    forked = mirror(served, copy, "--every", "5")
    assert forked.exit_code == 1  # a fork ends the loop at once
    assert naps == []
    assert "FORK" in forked.stderr


@pytest.mark.parametrize("size", [0, 1, 255, 256, 257, 65535, 65536, 70001])
def test_a_tree_resumed_from_its_right_edge_grows_as_the_whole(size: int) -> None:
    from liaison.ledger.verify import TileBuilder

    leaves = b"".join(merkle.leaf_hash(str(i).encode()) for i in range(size + 600))
    whole = TileBuilder()
    whole.extend(0, leaves[: size * 32])
    resumed = TileBuilder.resume(size, whole.partial())
    assert resumed.root() == whole.root()
    whole.extend(0, leaves[size * 32 :])
    resumed.extend(0, leaves[size * 32 :])
    assert resumed.root() == whole.root()
    if size:
        with pytest.raises(ValueError, match="not its right edge"):
            TileBuilder.resume(size + 1, whole.partial())


def test_a_damaged_state_is_refused(served: Served, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    assert mirror(served, copy).exit_code == 0
    damaged = state(copy)
    damaged["right_edge"][0][2] = damaged["right_edge"][0][2][:-44] + "="  # one hash short
    (copy / "state.json").write_text(json.dumps(damaged))
    served.add(3, "second")
    got = mirror(served, copy)
    assert got.exit_code == 1
    assert "state.json: tile (0, 0) of a tree of size 40 is not its right edge" in got.stderr


@contextmanager
def answering(payload: bytes) -> Iterator[str]:
    """A server on 127.0.0.1 that answers every request with the raw bytes ``payload``
    (whatever HTTP they make, or not); its URL."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.recv(65536)
                conn.sendall(payload)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def _ok(body: bytes, length: int | None = None) -> bytes:
    size = len(body) if length is None else length
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + (
        f"Content-Length: {size}\r\nConnection: close\r\n\r\n".encode() + body
    )


@pytest.mark.parametrize(
    ("payload", "says"),
    [
        (_ok(b"{}", 100), "not an HTTP answer as specified (IncompleteRead)"),
        (b"NOT-HTTP garbage\r\n\r\n", "not an HTTP answer as specified (BadStatusLine)"),
        (_ok(b"[" * 100_000 + b"]" * 100_000), "the answer is JSON nested too deeply"),
        (_ok(b'{"size": true, "note": "x"}'), "no size and note in the answer"),
    ],
    ids=["a body cut short", "no HTTP status line", "JSON nested 100,000 deep", "size true"],
)
def test_a_malformed_answer_is_a_mirror_error_naming_the_path(payload: bytes, says: str) -> None:
    with answering(payload) as url, pytest.raises(MirrorError) as raised:
        LogSource(url, "key", timeout=10).head()
    assert raised.value.message.startswith("GET /v1/ledger/checkpoint: ")
    assert says in raised.value.message


def test_a_served_entry_index_true_is_refused() -> None:
    """JSON ``true`` is no index (Python reads it as 1): refused naming the entry."""
    leaf = merkle_b64(merkle.leaf_hash(b"{}"))
    served = json.dumps({"entries": [{"index": True, "entry": "{}", "leaf_hash": leaf}]})
    with answering(_ok(served.encode())) as url:
        pages = LogSource(url, "key", timeout=10).entries(1, 2)
        with pytest.raises(MirrorError, match="entry 1: its index is not an integer"):
            next(pages)
