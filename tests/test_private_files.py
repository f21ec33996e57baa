"""Files readable by their owner only (``liaison.files``), whatever the umask.

The SQLite database (and its -wal and -shm files) and the folders made for it, and the
key folder with the signing key and its memory, are created owner-only; a signing key
that group or others can read is refused by every command that loads it and by the
service, naming the file and the fix.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner, Result

from liaison.api.app import create_app
from liaison.cli import app
from liaison.errors import SigningKeyError
from liaison.ledger.keys import keygen
from liaison.policy import shipped_pack_path
from liaison.settings import Settings
from liaison.storage.database import open_engine
from liaison.storage.migrate import upgrade


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The most permissive umask a deployment is likely to have."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), prog_name="liaison")


@pytest.mark.usefixtures("open_umask")
def test_sqlite_database_and_its_folder_are_owner_only(tmp_path: Path) -> None:
    database = tmp_path / "var" / "data" / "liaison.db"
    engine = open_engine(f"sqlite:///{database}")
    try:
        upgrade(engine)
        with engine.connect() as conn:  # WAL mode: a reader keeps -wal and -shm in place
            conn.execute(text("SELECT size FROM ledger_head"))
            files = [database, Path(f"{database}-wal"), Path(f"{database}-shm")]
            assert all(f.exists() for f in files)
            assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
    finally:
        engine.dispose()
    assert mode(tmp_path / "var") == 0o700
    assert mode(tmp_path / "var" / "data") == 0o700


@pytest.mark.usefixtures("open_umask")
def test_keygen_makes_an_owner_only_key_folder(tmp_path: Path) -> None:
    keys = tmp_path / "var" / "keys"
    skey, vkey = keygen(keys, "files.example/log")
    assert (mode(tmp_path / "var"), mode(keys)) == (0o700, 0o700)
    assert mode(skey) == 0o600
    assert mode(keys / "ledger.signed") == 0o600
    assert vkey.read_text().startswith("files.example/log+")  # published: any mode


@pytest.fixture
def exposed_key(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Settings, Path]:
    """A deployment whose signing key was made readable by everyone (mode 0644)."""
    keys = tmp_path / "keys"
    monkeypatch.chdir(tmp_path)  # where a command would write (bundle, demo key)
    monkeypatch.setenv("LIAISON_DATABASE_URL", db_url)
    monkeypatch.setenv("LIAISON_KEY_DIR", str(keys))
    skey, _ = keygen(keys, Settings().log_origin)
    os.chmod(skey, 0o644)
    return Settings(), skey


@pytest.mark.parametrize(
    "command",
    [
        ["ledger", "checkpoint"],
        ["ledger", "append", "-"],
        ["ledger", "export", "bundle.jsonl"],
        ["serve"],
        ["demo"],
        ["ledger", "signer-init"],
        [
            "ledger",
            "erase",
            "--subject",
            "p-1",
            "--reason",
            "r",
            "--authority",
            "a",
            "--actor",
            "o",
        ],
        ["packs", "import", str(shipped_pack_path("dc")), "--reason", "r", "--actor", "ops-1"],
    ],
    ids=" ".join,
)
def test_a_key_others_can_read_is_refused_by_the_cli(
    exposed_key: tuple[Settings, Path], command: list[str]
) -> None:
    _, skey = exposed_key
    result = cli(*command)
    assert result.exit_code == 1, (result.stdout, result.exception)
    assert f"the signing key {skey} is readable by group or others (mode 0644)" in result.stderr
    assert f"chmod 600 {skey}" in result.stderr


def test_a_key_others_can_read_is_refused_by_the_service(
    exposed_key: tuple[Settings, Path],
) -> None:
    settings, skey = exposed_key
    with pytest.raises(SigningKeyError, match="chmod 600"), TestClient(create_app(settings)):
        pass
    os.chmod(skey, 0o600)
    with TestClient(create_app(settings)) as client:
        assert client.get("/livez").status_code == 200


@pytest.mark.usefixtures("open_umask")
def test_db_upgrade_makes_an_existing_database_owner_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database made before owner-only files (0644, and its -wal and -shm) stayed
    readable by everyone after an upgrade; `liaison db upgrade` now tightens it."""
    database = tmp_path / "var" / "liaison.db"
    database.parent.mkdir()
    engine = open_engine(f"sqlite:///{database}")
    upgrade(engine)
    engine.dispose()
    files = [database, Path(f"{database}-wal"), Path(f"{database}-shm")]
    for path in files:
        path.touch()
        os.chmod(path, 0o644)
    monkeypatch.setenv("LIAISON_DATABASE_URL", f"sqlite:///{database}")
    result = cli("db", "upgrade")
    assert result.exit_code == 0, (result.stdout, result.exception)
    assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
    assert f"made {database} owner-only (was 0644)" in result.stdout
