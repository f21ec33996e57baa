"""Key custody: the checkpoint signer as its own process (``liaison signer serve``).

The signer runs on a real Unix socket in a temporary folder (a thread here, a process for
the command). It signs a checkpoint that extends the last tree it signed, refuses a
rewritten or rolled-back history with ``signer_refused``, keeps its memory across a
restart, and answers malformed lines with ``invalid_request`` naming the field. A service
configured with ``LIAISON_SIGNER_SOCKET`` and a key folder without the key signs through
it, and decides while it is stopped.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import running_services
from liaison.api.app import create_app
from liaison.errors import LedgerError, SignerRefused, SignerUnavailable
from liaison.gateway.roles import KeyRole
from liaison.ledger import merkle
from liaison.ledger.checkpoint import open_checkpoint
from liaison.ledger.entries import NewEntry
from liaison.ledger.keys import SIGNER_FILE, keygen, load_signer, load_verifier, load_vkey
from liaison.ledger.log import Ledger
from liaison.ledger.note_keys import Verifier, parse_verifier
from liaison.ledger.signer_client import RemoteSigner
from liaison.ledger.signer_memory import SignerMemory
from liaison.ledger.signer_service import MAX_LINE, SignerServer, SignerService
from liaison.reports import report_run
from liaison.storage.database import open_engine
from liaison.storage.migrate import upgrade
from test_api import bearer, inquiry

ORIGIN = "signer.example/log"


@pytest.fixture
def sock_dir() -> Iterator[Path]:
    """A short folder for sockets (a Unix socket path is at most 107 bytes)."""
    with tempfile.TemporaryDirectory(prefix="lsg", dir="/tmp") as folder:
        yield Path(folder)


@contextmanager
def signer_running(keys: Path, path: Path, origin: str = ORIGIN) -> Iterator[SignerServer]:
    """``liaison signer serve`` for the key folder ``keys``, in a thread."""
    key = load_signer(keys)
    assert key is not None
    server = SignerServer(path, SignerService(key, SignerMemory(keys), origin))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.close()
        thread.join()


def ask(path: Path, *lines: bytes | dict[str, Any]) -> list[dict[str, Any]]:
    """Send request lines on one connection; the responses, in order."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect(str(path))
        with sock.makefile("rwb") as stream:
            answers = []
            for line in lines:
                raw = line if isinstance(line, bytes) else json.dumps(line).encode() + b"\n"
                stream.write(raw)
                stream.flush()
                answers.append(json.loads(stream.readline()))
            return answers


def sign_request(size: int, root: bytes, from_size: int, hashes: list[bytes]) -> dict[str, Any]:
    b64 = base64.b64encode
    return {
        "op": "sign",
        "checkpoint": {"origin": ORIGIN, "size": size, "root": b64(root).decode()},
        "proof": {"from_size": from_size, "hashes": [b64(h).decode() for h in hashes]},
    }


@pytest.fixture
def setup(tmp_path: Path, sock_dir: Path) -> Iterator[tuple[Ledger, Path, Path]]:
    """A ledger (SQLite) signing through a signer on a socket: (ledger, keys, socket)."""
    keys = tmp_path / "keys"
    keygen(keys, ORIGIN)
    engine = open_engine(f"sqlite:///{tmp_path / 'l.db'}")
    upgrade(engine)
    path = sock_dir / "signer.sock"
    with signer_running(keys, path):
        yield Ledger(engine, ORIGIN, RemoteSigner(path)), keys, path
    engine.dispose()


def grow(ledger: Ledger, count: int) -> None:
    start = ledger.head()[0]
    ledger.append_many([NewEntry("note", {"n": start + i}, "clerk") for i in range(count)])


def test_signs_a_checkpoint_that_extends_the_last_it_signed(
    setup: tuple[Ledger, Path, Path],
) -> None:
    ledger, keys, path = setup
    verifier = load_verifier(keys)
    assert verifier is not None
    assert ledger.signer is not None
    assert ledger.signer.vkey == verifier.vkey
    grow(ledger, 3)
    first = ledger.checkpoint()
    assert open_checkpoint(first.note, verifier, ORIGIN).size == 3
    grow(ledger, 5)
    second = ledger.checkpoint()  # with the consistency proof from 3
    assert (open_checkpoint(second.note, verifier, ORIGIN).size, second.size) == (8, 8)
    status = ask(path, {"op": "status"})[0]
    assert status["ok"]
    assert status["size"] == 8
    assert status["note"] == second.note
    assert status["vkey"] == verifier.vkey
    assert json.loads((keys / "ledger.signed").read_text())["size"] == 8  # remembered


def test_a_status_is_reused_for_a_second_not_asked_per_read(
    setup: tuple[Ledger, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``last_signed`` runs on every record served: one round trip per ``fresh_for``."""
    ledger, _, path = setup
    grow(ledger, 3)
    ledger.checkpoint()
    client = RemoteSigner(path, fresh_for=60)
    asked: list[str] = []
    real = client.ask
    monkeypatch.setattr(client, "ask", lambda request: asked.append(request["op"]) or real(request))
    first = client.last_signed()
    assert first is not None
    assert first.size == 3
    assert [client.last_signed() for _ in range(5)] == [first] * 5
    assert client.vkey == first.vkey
    assert asked == ["status"]
    client.fresh_for = 0  # stale at once: asked again
    assert client.last_signed() == first
    assert asked == ["status", "status"]


def test_refuses_a_rewritten_or_rolled_back_history(setup: tuple[Ledger, Path, Path]) -> None:
    ledger, _, path = setup
    grow(ledger, 6)
    ledger.checkpoint()
    _, root = ledger.head()
    other = bytes(32)
    grow(ledger, 2)
    _, root8 = ledger.head()
    proof = ledger.consistency_proof(6, 8).hashes
    answers = ask(
        path,
        sign_request(6, other, 6, []),  # another root at the size it signed
        sign_request(4, root, 6, []),  # a rollback below it
        sign_request(8, root8, 6, [other] * len(proof)),  # a proof that fails
        sign_request(8, root8, 5, proof),  # a proof from another size
        sign_request(8, root8, 6, []),  # no proof
    )
    for answer in answers:
        assert answer["ok"] is False
        assert "note" not in answer
        assert answer["error"]["code"] == "signer_refused", answer
    says = [a["error"]["message"] for a in answers]
    assert "another root" in says[0]
    assert "rolled back" in says[1]
    assert "not consistent" in says[2]
    assert "from size 5" in says[3]
    assert ask(path, {"op": "status"})[0]["size"] == 6  # nothing signed
    good = ask(path, sign_request(8, root8, 6, proof))[0]
    assert good["ok"]
    assert open_checkpoint(good["note"], load_verifier_of(ledger)).size == 8


def load_verifier_of(ledger: Ledger) -> Verifier:
    assert ledger.signer is not None
    return parse_verifier(ledger.signer.vkey)


def test_the_client_raises_the_refusal(setup: tuple[Ledger, Path, Path]) -> None:
    ledger, _, path = setup
    grow(ledger, 4)
    ledger.checkpoint()
    _, root = ledger.head()
    with pytest.raises(SignerRefused, match=str(path)):
        RemoteSigner(path).ask(sign_request(4, bytes(32), 4, []))
    kept = ledger.latest_checkpoint()
    assert kept is not None
    assert ask(path, sign_request(4, root, 4, []))[0]["note"] == kept.note


def test_a_restarted_signer_keeps_its_memory(tmp_path: Path, sock_dir: Path) -> None:
    keys = tmp_path / "keys"
    keygen(keys, ORIGIN)
    engine = open_engine(f"sqlite:///{tmp_path / 'l.db'}")
    upgrade(engine)
    path = sock_dir / "s.sock"
    ledger = Ledger(engine, ORIGIN, RemoteSigner(path))
    grow(ledger, 5)
    with signer_running(keys, path):
        ledger.checkpoint()
    assert not path.exists()  # removed on stopping
    _, root = ledger.head()
    with signer_running(keys, path):
        status = ask(path, {"op": "status"})[0]
        assert (status["size"], status["root"]) == (5, base64.b64encode(root).decode())
        refused = ask(path, sign_request(5, bytes(32), 0, []))[0]
        assert refused["error"]["code"] == "signer_refused"
        grow(ledger, 1)
        assert ledger.checkpoint().size == 6
    engine.dispose()


BAD_LINES: list[tuple[bytes | dict[str, Any], str | None, str]] = [
    (b"not json\n", None, "not JSON"),
    (b"\xff\xfe\n", None, "not UTF-8"),
    (b"[1, 2]\n", None, "JSON object"),
    ({"op": "delete"}, "op", "op must be"),
    ({"status": True}, "op", "op must be"),
    ({"op": "status", "key": 1}, "key", "unknown field"),
    ({"op": "sign"}, "checkpoint", "must be an object"),
    ({"op": "sign", "checkpoint": {"origin": ORIGIN, "size": 1}}, "checkpoint.root", "missing"),
]


def _sign_with(**changes: Any) -> dict[str, Any]:
    request = sign_request(2, bytes(32), 1, [bytes(32)])
    for dotted, value in changes.items():
        part, _, name = dotted.partition("__")
        request[part][name] = value
    return request


BAD_SIGNS = [
    (_sign_with(checkpoint__size="2"), "checkpoint.size", "integer"),
    (_sign_with(checkpoint__size=-1), "checkpoint.size", "integer"),
    (_sign_with(checkpoint__size=True), "checkpoint.size", "integer"),
    (_sign_with(checkpoint__root="AAAA"), "checkpoint.root", "32 bytes"),
    (_sign_with(checkpoint__root="not base64!"), "checkpoint.root", "base64"),
    (_sign_with(checkpoint__origin="a\nb"), "checkpoint.origin", "newline"),
    (_sign_with(checkpoint__extra=1), "checkpoint.extra", "unknown field"),
    (_sign_with(proof__hashes=["AAAA", 3]), "proof.hashes[0]", "base64"),
    (_sign_with(proof__hashes="AAAA"), "proof.hashes", "list"),
    (_sign_with(proof__from_size=None), "proof.from_size", "integer"),
]


@pytest.mark.parametrize(("line", "field", "says"), BAD_LINES + BAD_SIGNS)
def test_malformed_requests_name_the_field(
    setup: tuple[Ledger, Path, Path], line: bytes | dict[str, Any], field: str | None, says: str
) -> None:
    _, keys, path = setup
    before = (keys / "ledger.signed").read_bytes()
    answer = ask(path, line)[0]
    assert answer["ok"] is False
    assert "note" not in answer
    assert answer["error"]["code"] == "invalid_request"
    assert answer["error"]["field"] == field
    assert says in answer["error"]["message"]
    assert (keys / "ledger.signed").read_bytes() == before


def test_another_origin_is_refused_and_a_long_line_closes(setup: tuple[Ledger, Path, Path]) -> None:
    _, _, path = setup
    request = sign_request(0, merkle.EMPTY_ROOT, 0, [])
    request["checkpoint"]["origin"] = "other.example/log"
    answer = ask(path, request)[0]
    assert answer["error"]["code"] == "signer_refused"
    assert answer["error"]["field"] == "checkpoint.origin"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect(str(path))
        sock.sendall(b"x" * (MAX_LINE + 10) + b"\n")
        reader = sock.makefile("rb")
        assert json.loads(reader.readline())["error"]["code"] == "invalid_request"
        assert reader.readline() == b""  # closed


def test_socket_mode_live_and_stale(tmp_path: Path, sock_dir: Path) -> None:
    keys = tmp_path / "keys"
    keygen(keys, ORIGIN)
    path = sock_dir / "s.sock"
    with signer_running(keys, path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        with pytest.raises(LedgerError, match="listening"), signer_running(keys, path):
            pass
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(path))
    stale.close()  # a socket file nobody listens on
    with signer_running(keys, path):
        assert ask(path, {"op": "status"})[0]["ok"]
    path.write_text("not a socket")
    with pytest.raises(LedgerError, match="not a socket"), signer_running(keys, path):
        pass
    assert path.read_text() == "not a socket"


def test_a_signer_down_is_unavailable_naming_the_socket(tmp_path: Path, sock_dir: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'l.db'}")
    upgrade(engine)
    ledger = Ledger(engine, ORIGIN, RemoteSigner(sock_dir / "none.sock"))
    grow(ledger, 2)  # appending never needs the signer
    with pytest.raises(SignerUnavailable, match=r"none\.sock"):
        ledger.checkpoint()
    with pytest.raises(SignerUnavailable):  # a report has no checkpoint to count up to
        report_run.checkpoint(ledger)
    assert ledger.signer is not None
    assert ledger.signer.last_signed() is None
    keys = tmp_path / "keys"
    keygen(keys, ORIGIN)
    Ledger(engine, ORIGIN, load_signer(keys), SignerMemory(keys)).checkpoint()
    grow(ledger, 1)
    assert report_run.checkpoint(ledger).size == 2  # the newest kept, while it is down
    engine.dispose()


# -- the service without the key ------------------------------------------------------------


def test_the_service_signs_through_the_signer_and_decides_without_it(
    tmp_path: Path, sock_dir: Path
) -> None:
    signer_keys = tmp_path / "signer-keys"
    keygen(signer_keys, "liaison.example/dc-mpd/ledger")
    path = sock_dir / "s.sock"
    url = f"sqlite:///{tmp_path / 'svc.db'}"
    with (
        signer_running(signer_keys, path, "liaison.example/dc-mpd/ledger"),
        running_services(url, tmp_path, signing_key=False, signer_socket=path) as services,
        TestClient(create_app(services=services)) as client,
    ):
        assert services.settings is not None
        assert not (services.settings.key_dir / SIGNER_FILE).exists()  # no key here
        officer = bearer(services.keys, KeyRole.OFFICER, "officer-1", "1D")
        public = bearer(services.keys, KeyRole.PUBLIC, "press")
        assert client.post("/v1/decisions", json=inquiry("sg-1"), headers=officer).is_success
        signed = client.get("/v1/ledger/checkpoint", headers=public)
        assert signed.status_code == 200, signed.text
        vkey = load_vkey(signer_keys)
        assert vkey is not None
        assert services.gateway.ledger.signer is not None
        assert services.gateway.ledger.signer.vkey == vkey
        verifier = load_verifier(signer_keys)
        assert verifier is not None
        assert open_checkpoint(signed.json()["note"], verifier).size == signed.json()["size"]
        size = signed.json()["size"]
        stopped = signer_running(signer_keys, path, "liaison.example/dc-mpd/ledger")
    # the signer is stopped now: decisions go on, checkpoints wait, naming the socket
    with (
        running_services(
            url, tmp_path, migrate=False, signing_key=False, signer_socket=path
        ) as services,
        TestClient(create_app(services=services)) as client,
    ):
        officer = bearer(services.keys, KeyRole.OFFICER, "officer-1", "1D")
        public = bearer(services.keys, KeyRole.PUBLIC, "press")
        decided = client.post("/v1/decisions", json=inquiry("sg-2"), headers=officer)
        assert decided.is_success, decided.text
        waiting = client.get("/v1/ledger/checkpoint", headers=public)
        assert waiting.status_code == 503
        assert waiting.json()["error"]["code"] == "signer_unavailable"
        assert str(path) in waiting.json()["error"]["message"]
        with stopped:
            again = client.get("/v1/ledger/checkpoint", headers=public)
            assert again.status_code == 200
            assert again.json()["size"] > size


# -- the command ----------------------------------------------------------------------------


def test_liaison_signer_serve_as_a_process(tmp_path: Path, sock_dir: Path) -> None:
    keys = tmp_path / "keys"
    keygen(keys, ORIGIN)
    path = sock_dir / "p.sock"
    env = {**os.environ, "LIAISON_KEY_DIR": str(keys), "LIAISON_LOG_ORIGIN": ORIGIN}
    command = [sys.executable, "-c", "from liaison.cli import run; run()"]
    command += ["signer", "serve", "--socket", str(path)]
    proc = subprocess.Popen(command, env=env, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not path.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert path.exists(), proc.stderr.read() if proc.stderr else ""
        assert RemoteSigner(path).status().vkey == load_vkey(keys)
        second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
        assert second.returncode == 1
        assert "listening" in second.stderr
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert proc.returncode == 0
    assert not path.exists()
    (keys / "ledger.signed").unlink()
    none = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert none.returncode == 1
    assert "signer-init" in none.stderr


class Liar:
    """A signer that answers its status honestly and signs another tree than asked, with
    its own key: the service must not keep what it answers."""

    def __init__(self, keys: Path) -> None:
        key = load_signer(keys)
        assert key is not None
        self.honest = SignerService(key, SignerMemory(keys), ORIGIN)
        self.key = key

    def answer(self, line: bytes) -> dict[str, Any]:
        request = json.loads(line)
        if request["op"] == "status":
            return self.honest.status()
        from liaison.ledger.checkpoint import Checkpoint, sign_checkpoint

        size = request["checkpoint"]["size"]
        return {"ok": True, "note": sign_checkpoint(Checkpoint(ORIGIN, size, bytes(32)), self.key)}


def test_a_note_of_another_tree_is_refused_and_not_kept(tmp_path: Path, sock_dir: Path) -> None:
    keys = tmp_path / "keys"
    keygen(keys, ORIGIN)
    engine = open_engine(f"sqlite:///{tmp_path / 'l.db'}")
    upgrade(engine)
    path = sock_dir / "liar.sock"
    server = SignerServer(path, Liar(keys))  # type: ignore[arg-type]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        ledger = Ledger(engine, ORIGIN, RemoteSigner(path))
        grow(ledger, 3)
        with pytest.raises(SignerUnavailable, match="another tree"):
            ledger.checkpoint()
        assert ledger.checkpoints() == []
    finally:
        server.shutdown()
        server.close()
        engine.dispose()
