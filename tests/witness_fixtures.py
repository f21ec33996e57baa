"""What the witness tests share (``tests/test_witness_*.py``): a log made with liaison's
ledger on SQLite, a witness's files, a witness served by uvicorn on loopback, the
add-checkpoint request body, and a cosignature check written here from the specification
(C2SP tlog-cosignature) with hashlib and raw Ed25519 only, not liaison's cosignature code.
"""

from __future__ import annotations

import base64
import hashlib
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import uvicorn
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from uvicorn._types import ASGIApplication

from liaison.api.witnessing import Witnessing
from liaison.ledger.cosignature import generate_cosigner
from liaison.ledger.entries import NewEntry
from liaison.ledger.log import Ledger
from liaison.ledger.note_keys import parse_signer
from liaison.ledger.signer_memory import SignerMemory
from liaison.ledger.witness_client import Outcome
from liaison.storage.database import open_engine
from liaison.storage.migrate import upgrade
from liaison.witness.app import create_witness_app
from liaison.witness.config import WitnessConfig, load_config
from liaison.witness.state import WitnessState

ORIGIN = "test.example/witnessed-log"
AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)  # entries' time: two logs can share entries


# -- a log --------------------------------------------------------------------------------


class Log:
    """A log in a SQLite file, signed with ``skey``; ``fork`` starts another history."""

    def __init__(self, folder: Path, skey: str, origin: str = ORIGIN) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder, self.skey = folder, skey
        self.engine = open_engine(f"sqlite:///{folder / 'ledger.db'}")
        upgrade(self.engine)
        self.ledger = Ledger(self.engine, origin, parse_signer(skey), SignerMemory(None))
        self.vkey = parse_signer(skey).verifier.vkey
        self.notes: dict[int, str] = {}

    def grow(self, count: int, tag: str = "") -> str:
        """Append ``count`` entries (the same entries in two logs given the same ``tag``);
        sign, keep and return a checkpoint of the new size."""
        size = self.ledger.head()[0]
        entries = [
            NewEntry("decision", {"n": size + i, "tag": tag}, f"officer-{size + i}", None, AT)
            for i in range(count)
        ]
        self.ledger.append_many(entries)
        note = self.ledger.checkpoint().note
        self.notes[size + count] = note
        return note

    def proof(self, old: int, new: int) -> list[str]:
        """The consistency proof from ``old`` to ``new``, base64 (empty from size 0)."""
        if old == 0 or old == new:
            return []
        hashes = self.ledger.consistency_proof(old, new).hashes
        return [base64.b64encode(h).decode() for h in hashes]

    def close(self) -> None:
        self.engine.dispose()


def body(old: int, proof: Sequence[str], note: str) -> bytes:
    """An add-checkpoint request body (C2SP tlog-witness)."""
    return (f"old {old}\n" + "".join(f"{h}\n" for h in proof) + "\n" + note).encode()


# -- a witness ----------------------------------------------------------------------------


@dataclass
class WitnessFiles:
    """A witness's folder: its config, key and state files, and its verifier key."""

    config_path: Path
    name: str
    vkey: str

    def config(self) -> WitnessConfig:
        return load_config(self.config_path)


def make_witness(folder: Path, name: str, logs: dict[str, list[str]]) -> WitnessFiles:
    """Write a witness's key (0600) and config following ``logs`` (origin -> vkeys)."""
    folder.mkdir(parents=True, exist_ok=True)
    skey, vkey = generate_cosigner(name)
    key = folder / "witness.key"
    key.write_text(skey + "\n")
    key.chmod(0o600)
    tables = "".join(
        f'\n[[log]]\norigin = "{origin}"\nvkeys = [{", ".join(repr(k) for k in keys)}]\n'
        for origin, keys in logs.items()
    )
    config = folder / "witness.toml"
    config.write_text(f'name = "{name}"\nkey = "witness.key"\nstate = "state.db"\n{tables}')
    return WitnessFiles(config, name, vkey)


def wait_for(condition: Callable[[], bool], seconds: float = 20.0) -> None:
    """Wait until ``condition()`` holds (a test fails after ``seconds``)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not in time"
        time.sleep(0.02)


def wait_settled(witnessing: Witnessing | None, size: int, outcome: Outcome) -> None:
    """Wait until every witness worker's last submission was of ``size``, ended in
    ``outcome``."""
    assert witnessing is not None
    workers = witnessing.workers
    wait_for(
        lambda: all(
            w.last is not None and (w.last.size, w.last.outcome) == (size, outcome) for w in workers
        )
    )


def free_port() -> int:
    """A loopback port free now (nothing listens on it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serve_asgi(app: ASGIApplication, what: str = "the server") -> Iterator[str]:
    """``app`` served by uvicorn in a thread on an ephemeral loopback port; its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    wait_for(lambda: server.started or not thread.is_alive())
    assert thread.is_alive(), f"{what} did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@contextmanager
def serving(files: WitnessFiles) -> Iterator[str]:
    """The witness served by uvicorn on an ephemeral loopback port; its base URL."""
    config = files.config()
    app = create_witness_app(config, WitnessState(config.state_file))
    with serve_asgi(app, "the witness") as url:
        yield url


# -- cosignatures, from the specification -------------------------------------------------


def spec_check_cosignature(line: str, note_text: str, vkey: str) -> int:
    """Check one cosignature line of ``note_text`` (the checkpoint's note text, final
    newline included) by the witness of ``vkey``, from C2SP tlog-cosignature alone:

    - vkey ``<name>+<hex key ID>+<base64(0x04 || 32-byte key)>``;
    - key ID = SHA-256(name || 0x0A || 0x04 || key)[:4];
    - line ``— <name> <base64(key ID || u64 big-endian timestamp || signature)>``;
    - message ``cosignature/v1\\ntime <t>\\n`` + note text.

    Returns the timestamp; AssertionError when anything does not hold."""
    name, key_hex, key_b64 = vkey.split("+", 2)
    raw_key = base64.b64decode(key_b64, validate=True)
    assert raw_key[0] == 0x04, "not a cosignature (type 0x04) key"
    assert len(raw_key) == 33
    public = raw_key[1:]
    key_id = hashlib.sha256(name.encode() + b"\n" + b"\x04" + public).digest()[:4]
    assert key_id.hex() == key_hex
    assert line.startswith("\u2014 "), line
    assert line.endswith("\n"), line
    line_name, encoded = line[2:-1].split(" ")
    assert line_name == name
    payload = base64.b64decode(encoded, validate=True)
    assert len(payload) == 4 + 8 + 64
    assert payload[:4] == key_id
    timestamp = int.from_bytes(payload[4:12], "big")
    message = f"cosignature/v1\ntime {timestamp}\n".encode() + note_text.encode()
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(payload[12:], message)
    except InvalidSignature:
        raise AssertionError(f"the cosignature by {name} does not verify") from None
    return timestamp


def note_text(note: str) -> str:
    """The text of a signed note: everything before its last blank line (signed-note)."""
    return note[: note.rindex("\n\n") + 1]
