"""``liaison packs``: history, export and import of the pack in force (issue 4), as an
operator uses them, on each backend."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from liaison.policy import shipped_pack_path
from liaison.policy.pack_files import pack_digest, read_pack_files
from test_ledger_cli import cli, ok
from test_pack_changes import FORBID_INQUIRIES, NEW


@pytest.fixture
def env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LIAISON_DATABASE_URL", db_url)
    monkeypatch.setenv("LIAISON_KEY_DIR", str(tmp_path / "keys"))
    return tmp_path


def test_export_edit_import_and_history(env: Path) -> None:
    assert "no pack recorded yet" in ok("packs", "history").stdout
    dc = shipped_pack_path("dc")
    first = ok("packs", "import", str(dc), "--reason", "first", "--actor", "ops-1").stdout
    assert "version 1" in first
    assert pack_digest(read_pack_files(dc)) in first
    folder = env / "edit"
    ok("packs", "export", str(folder))
    assert read_pack_files(folder) == read_pack_files(dc)
    (folder / NEW).write_text(FORBID_INQUIRIES)
    second = ok("packs", "import", str(folder), "--reason", "a test order", "--actor", "ops-2")
    assert "version 2" in second.stdout
    history = json.loads(ok("packs", "history", "--json").stdout)["changes"]
    assert [(c["seq"], c["actor"], c["reason"]) for c in history] == [
        (1, "ops-1", "first"),
        (2, "ops-2", "a test order"),
    ]
    assert history[1]["directives"]["added"] == ["TEST-NO-INQUIRIES"]
    older = env / "older"
    ok("packs", "export", str(older), "--seq", "1")
    assert NEW not in read_pack_files(older)
    assert ok("ledger", "verify", "--structure-only").exit_code == 0  # no key: no checkpoint


def test_import_refuses_what_it_cannot_record(env: Path) -> None:
    dc = shipped_pack_path("dc")
    ok("packs", "import", str(dc), "--reason", "first", "--actor", "ops-1")
    same = cli("packs", "import", str(dc), "--reason", "again", "--actor", "ops-1")
    assert same.exit_code == 1
    assert "leaves the pack as it is" in same.stderr
    folder = env / "bad"
    ok("packs", "export", str(folder))
    (folder / NEW).write_text(FORBID_INQUIRIES.replace("title =", "titel ="))
    bad = cli("packs", "import", str(folder), "--reason", "bad", "--actor", "ops-1")
    assert bad.exit_code == 1
    assert f"{folder / NEW}:2: titel: unknown key" in bad.stderr
    exists = cli("packs", "export", str(folder))
    assert exists.exit_code == 1
    assert "exists" in exists.stderr
    missing = cli("packs", "export", str(env / "x"), "--seq", "9")
    assert missing.exit_code == 1
    assert "no pack change 9" in missing.stderr
    assert len(json.loads(ok("packs", "history", "--json").stdout)["changes"]) == 1
