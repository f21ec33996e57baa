"""The signer remembers what it signed (``liaison.ledger.signer_memory``), on each backend.

Someone with write access to the database and no key rewrites a deny into a permit,
rebuilds the leaf hashes, tiles and head (``rebuild_derived``), and deletes the kept
checkpoints. The next checkpoint, asked for over the API or with ``liaison ledger
checkpoint``, must be refused: the rewritten tree is not consistent with the one the key
signed, which the key folder remembers. So is a rollback below a signed size, and a tree
of the signed size with another root; normal growth still signs.
"""

from __future__ import annotations

import itertools
import json
import stat
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, text
from structlog.testing import capture_logs
from typer.testing import CliRunner, Result

from conftest import running_services
from liaison.api.app import create_app
from liaison.api.deps import Services
from liaison.cli import app as cli_app
from liaison.errors import SignerRefused
from liaison.gateway.pack_ledger import unsigned_tree
from liaison.gateway.roles import KeyRole
from liaison.ledger import merkle
from liaison.ledger.check import check_ledger
from liaison.ledger.checkpoint import open_checkpoint
from liaison.ledger.entries import NewEntry
from liaison.ledger.keys import keygen, load_signer, load_verifier
from liaison.ledger.log import Ledger
from liaison.ledger.signer_memory import MEMORY_FILE, SignerMemory
from liaison.storage.tables import ledger_checkpoints
from test_ledger_tamper import rebuild_derived


@dataclass
class Deployment:
    services: Services
    client: TestClient
    public: dict[str, str]
    keys: Path

    @property
    def ledger(self) -> Ledger:
        return self.services.gateway.ledger

    @property
    def engine(self) -> Engine:
        return self.ledger.engine

    def checkpoint(self) -> tuple[int, dict[str, object]]:
        response = self.client.get("/v1/ledger/checkpoint", headers=self.public)
        return response.status_code, response.json()

    def decide(self, count: int, decision: str = "deny") -> None:
        start = self.ledger.head()[0]
        self.ledger.append_many(
            [
                NewEntry("decision", {"n": start + i, "decision": decision}, "officer-1")
                for i in range(count)
            ]
        )

    def memory(self) -> dict[str, object]:
        return dict(json.loads((self.keys / MEMORY_FILE).read_text()))


@pytest.fixture
def deployment(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Deployment]:
    with (
        running_services(db_url, tmp_path) as services,
        TestClient(create_app(services=services)) as client,
    ):
        assert services.settings is not None
        keys = services.settings.key_dir
        monkeypatch.setenv("LIAISON_DATABASE_URL", db_url)
        monkeypatch.setenv("LIAISON_KEY_DIR", str(keys))
        monkeypatch.setenv("LIAISON_LOG_ORIGIN", services.settings.log_origin)
        public = {"Authorization": f"Bearer {services.keys.create(KeyRole.PUBLIC, 'press')[0]}"}
        yield Deployment(services, client, public, keys)


def cli(*args: str) -> Result:
    return CliRunner().invoke(cli_app, list(args), prog_name="liaison")


def rewrite(engine: Engine, index: int) -> None:
    """Make entry ``index``'s deny a permit, rebuild everything derived, drop checkpoints."""
    with engine.begin() as conn:
        body = bytes(
            conn.execute(text(f"SELECT body FROM ledger_entries WHERE idx = {index}")).scalar_one()
        )
        assert body.count(b'"decision":"deny"') == 1
        conn.execute(
            text("UPDATE ledger_entries SET body = :b WHERE idx = :i"),
            {"b": body.replace(b'"decision":"deny"', b'"decision":"permit"'), "i": index},
        )
    rebuild_derived(engine)
    forget_checkpoints(engine)


def truncate(engine: Engine, size: int) -> None:
    """Drop the entries from ``size`` on, rebuild everything derived, drop checkpoints."""
    with engine.begin() as conn:
        conn.execute(text(f"DELETE FROM ledger_personal WHERE idx >= {size}"))
        conn.execute(text(f"DELETE FROM ledger_entries WHERE idx >= {size}"))
    rebuild_derived(engine)
    forget_checkpoints(engine)


def forget_checkpoints(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(delete(ledger_checkpoints))


def assert_refused(d: Deployment, says: str) -> None:
    """Refused over the API (one error shape, 409) and on the command line; nothing kept."""
    with capture_logs() as logs:
        status, body = d.checkpoint()
    assert status == 409, body
    error = body["error"]
    assert isinstance(error, dict)
    assert error["code"] == "signer_refused"
    assert says in error["message"]
    assert any(log["event"] == "checkpoint_refused" for log in logs), logs
    result = cli("ledger", "checkpoint")
    assert result.exit_code == 1
    assert says in result.stderr
    assert d.ledger.checkpoints() == []


def test_rewrite_and_resign_is_refused(deployment: Deployment) -> None:
    d = deployment
    d.decide(10)
    status, signed = d.checkpoint()
    assert status == 200
    rewrite(d.engine, 5)
    assert_refused(d, "the tree of size 11 has another root than the one this key signed")
    # Nothing vouches for the rewritten tree: the verifier fails for want of a checkpoint.
    report = check_ledger(Ledger(d.engine, d.ledger.origin), load_verifier(d.keys))
    assert not report.ok
    assert "checkpoints" in {p.where for p in report.problems}
    d.decide(3)  # growing the rewritten tree does not help
    assert_refused(d, "not consistent with the tree of size 11 this key signed")
    assert d.memory()["note"] == signed["note"]


def test_rollback_below_the_signed_size_is_refused(deployment: Deployment) -> None:
    d = deployment
    d.decide(10)
    assert d.checkpoint()[0] == 200
    truncate(d.engine, 6)
    assert_refused(d, "this key signed a tree of 11: the ledger was rolled back or truncated")
    d.decide(9)  # regrown past the signed size, with other entries
    assert_refused(d, "not consistent with the tree of size 11")


def test_growth_signs_and_is_remembered_first(deployment: Deployment) -> None:
    d = deployment
    verifier = load_verifier(d.keys)
    assert verifier is not None
    notes = []
    for count in (4, 1, 7):
        d.decide(count)
        status, body = d.checkpoint()
        assert status == 200
        assert d.memory()["note"] == body["note"]  # remembered before it was served
        notes.append(open_checkpoint(str(body["note"]), verifier, d.ledger.origin))
    assert [cp.size for cp in notes] == [5, 6, 13]
    for old, new in itertools.pairwise(notes):
        proof = d.ledger.consistency_proof(old.size, new.size)
        assert merkle.verify_consistency(old.size, new.size, old.root, new.root, proof.hashes)
    memory = d.memory()
    assert (memory["size"], memory["root"]) == (13, d.checkpoint()[1]["root"])
    assert stat.S_IMODE((d.keys / MEMORY_FILE).stat().st_mode) == 0o600
    # Checkpoint rows deleted, tree intact: the remembered note is kept and served again.
    forget_checkpoints(d.engine)
    status, again = d.checkpoint()
    assert (status, again["note"]) == (200, memory["note"])
    assert [c.size for c in d.ledger.checkpoints()] == [13]
    assert cli("ledger", "checkpoint").exit_code == 0


def test_a_key_folder_without_memory_starts_from_its_newest_checkpoint(
    deployment: Deployment,
) -> None:
    """The upgrade path: the newest kept checkpoint signed by the key, logged loudly."""
    d = deployment
    d.decide(8)
    assert d.checkpoint()[0] == 200
    (d.keys / MEMORY_FILE).unlink()
    d.decide(2)
    with capture_logs() as logs:
        assert d.checkpoint()[0] == 200
    started = [log for log in logs if log["event"] == "signer_memory_initialised"]
    assert [(log["size"], log["log_level"]) for log in started] == [(9, "warning")]
    assert d.memory()["size"] == 11
    (d.keys / MEMORY_FILE).unlink()
    rewrite(d.engine, 4)  # the attack on an upgraded deployment: no checkpoint left
    assert_refused(d, "liaison ledger signer-init")
    result = cli("ledger", "signer-init")  # the operator's choice, after checking
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["from"] == "nothing signed"
    assert cli("ledger", "signer-init").exit_code == 1  # exists: --force replaces it
    assert d.checkpoint()[0] == 200


def test_keygen_force_starts_a_fresh_memory(deployment: Deployment) -> None:
    d = deployment
    d.decide(3)
    assert d.checkpoint()[0] == 200
    assert d.memory()["size"] == 4
    keygen(d.keys, d.ledger.origin, force=True)
    fresh = d.memory()
    assert (fresh["size"], fresh["note"]) == (0, None)
    assert fresh["vkey"] == (d.keys / "ledger.vkey").read_text().strip()
    # The running service still holds the old key: refused until it is restarted.
    d.decide(1)
    status, body = d.checkpoint()
    assert (status, body["error"]["code"]) == (409, "signer_refused")  # type: ignore[index]
    restarted = Ledger(d.engine, d.ledger.origin, load_signer(d.keys), SignerMemory(d.keys))
    assert restarted.checkpoint().size == 5


def test_a_memory_of_another_key_is_refused(deployment: Deployment, tmp_path: Path) -> None:
    d = deployment
    d.decide(2)
    other = tmp_path / "other"
    keygen(other, d.ledger.origin)
    (d.keys / MEMORY_FILE).write_bytes((other / MEMORY_FILE).read_bytes())
    assert_refused(d, "another key or origin")
    # and the service reports it: the pack in force is not trusted over an unsigned tree
    problem = unsigned_tree(
        Ledger(d.engine, d.ledger.origin, load_signer(d.keys), SignerMemory(d.keys))
    )
    assert problem is not None
    assert "another key or origin" in problem


def test_in_process_memory(engine: Engine) -> None:
    """A ledger built without a key folder remembers within its process."""
    from liaison.ledger.note_keys import generate_signer, parse_signer

    skey, _ = generate_signer("memo.example/log")
    ledger = Ledger(engine, "memo.example/log", parse_signer(skey), SignerMemory(None))
    ledger.append_many([NewEntry("decision", {"n": i, "decision": "deny"}, "o") for i in range(5)])
    ledger.checkpoint()
    rewrite(engine, 2)
    with pytest.raises(SignerRefused, match="another root"):
        ledger.checkpoint()


def test_a_kept_root_stored_as_text_is_refused(tmp_path: Path) -> None:
    """A kept checkpoint whose root a tamper rewrote as text (SQLite lets a BLOB column hold
    it) is refused as another root, not a crash."""
    from liaison.ledger.note_keys import generate_signer, parse_signer
    from liaison.storage.database import open_engine
    from liaison.storage.migrate import upgrade

    engine = open_engine(f"sqlite:///{tmp_path / 'text-root.db'}")
    upgrade(engine)
    skey, _ = generate_signer("memo.example/log")
    ledger = Ledger(engine, "memo.example/log", parse_signer(skey), SignerMemory(None))
    ledger.append_many([NewEntry("note", {"n": i}, "o") for i in range(3)])
    ledger.checkpoint()
    with engine.begin() as conn:
        conn.execute(text("UPDATE ledger_checkpoints SET root = 'not a root'"))
    with pytest.raises(SignerRefused, match="another root"):
        ledger.checkpoint()


def test_signing_waits_for_the_key_folder_lock(deployment: Deployment) -> None:
    """Another process's hold on the key folder's memory (a separate flock) holds signing."""
    d = deployment
    d.decide(2)
    other = SignerMemory(d.keys)  # its own thread lock: only flock(2) is shared
    done = threading.Event()

    def sign() -> None:
        d.ledger.checkpoint()
        done.set()

    with other.locked():
        worker = threading.Thread(target=sign)
        worker.start()
        assert not done.wait(0.5)
    worker.join(timeout=30)
    assert done.is_set()
    assert d.memory()["size"] == 3
