"""Verifiers do not say OK about nothing, on each backend.

``liaison ledger verify`` and ``liaison verify-bundle`` fail when no signed checkpoint
covers the entries (they said "OK, 0 checkpoint(s) verified"), also for a bundle whose
checkpoint lines were removed and an entry changed; ``--structure-only`` passes and says
that nothing was authenticated. Entries after the latest verified checkpoint of a bundle
are reported as not authenticated. ``liaison ledger export`` refuses a database that keeps
a checkpoint larger than its tree, instead of leaving it out.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner, Result

import rfc6962
from liaison.cli import app
from test_ledger_tamper import rebuild_derived

ORIGIN = "coverage.example/ledger"


@pytest.fixture
def env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LIAISON_DATABASE_URL", db_url)
    monkeypatch.setenv("LIAISON_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("LIAISON_LOG_ORIGIN", ORIGIN)
    return tmp_path


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), prog_name="liaison")


def ok(*args: str) -> Result:
    result = cli(*args)
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return result


def append(folder: Path, start: int, count: int) -> None:
    source = folder / f"entries-{start}.jsonl"
    source.write_text(
        "".join(
            json.dumps({"kind": "note", "actor": "o-1", "record": {"n": n, "d": "deny"}}) + "\n"
            for n in range(start, start + count)
        )
    )
    ok("ledger", "append", str(source))


def lines(bundle: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in bundle.read_text().splitlines()]


def write(bundle: Path, items: list[dict[str, Any]]) -> None:
    bundle.write_text("".join(json.dumps(item) + "\n" for item in items))


def test_no_checkpoint_fails_unless_structure_only(env: Path) -> None:
    ok("ledger", "keygen")
    assert cli("ledger", "verify").exit_code == 1  # an empty ledger: nothing verified
    append(env, 0, 5)
    failed = cli("ledger", "verify")
    assert failed.exit_code == 1
    assert "FAIL checkpoints: no signed checkpoint covers the 5 entries" in failed.stdout
    assert "nothing is authenticated" in failed.stdout
    structure = ok("ledger", "verify", "--structure-only")
    assert "STRUCTURE ONLY: no checkpoint was checked, nothing was authenticated" in (
        structure.stdout
    )
    report = json.loads(ok("ledger", "verify", "--structure-only", "--json").stdout)
    assert (report["ok"], report["structure_only"], report["authenticated_entries"]) == (
        True,
        True,
        0,
    )
    ok("ledger", "checkpoint")
    covered = ok("ledger", "verify").stdout
    assert "1 checkpoint(s) verified; every entry is covered" in covered


def test_bundle_without_checkpoint_fails_unless_structure_only(env: Path) -> None:
    ok("ledger", "keygen")
    append(env, 0, 5)
    bundle = env / "bundle.jsonl"
    ok("ledger", "export", str(bundle))
    failed = cli("verify-bundle", str(bundle))
    assert failed.exit_code == 1
    assert "FAIL checkpoints: no signed checkpoint covers the 5 entries" in failed.stdout
    structure = ok("verify-bundle", str(bundle), "--structure-only")
    assert "nothing was authenticated" in structure.stdout
    empty = env / "empty.jsonl"
    write(empty, lines(bundle)[:1])
    head = lines(empty)[0]
    head.update(size=0, root="47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")  # the empty tree
    write(empty, [head])
    assert "the ledger is empty: nothing to verify" in cli("verify-bundle", str(empty)).stdout
    assert "OK: 0 entries" in ok("verify-bundle", str(empty), "--structure-only").stdout


def test_bundle_with_checkpoints_removed_and_an_entry_changed_fails(env: Path) -> None:
    ok("ledger", "keygen")
    append(env, 0, 8)
    ok("ledger", "checkpoint")
    bundle = env / "bundle.jsonl"
    ok("ledger", "export", str(bundle))
    items = [item for item in lines(bundle) if "checkpoint" not in item]
    items[4]["entry"] = items[4]["entry"].replace('"d":"deny"', '"d":"permit"')
    bodies = [item["entry"].encode() for item in items[1:]]
    items[0]["root"] = base64.b64encode(rfc6962.root_hash(bodies)).decode()  # header agrees
    write(bundle, items)
    failed = cli("verify-bundle", str(bundle), "--json")
    assert failed.exit_code == 1
    report = json.loads(failed.stdout)
    assert report["checkpoints_verified"] == 0
    assert "checkpoints" in {p["where"] for p in report["problems"]}


def test_bundle_tail_after_the_latest_checkpoint_is_reported(env: Path) -> None:
    ok("ledger", "keygen")
    append(env, 0, 8)
    ok("ledger", "checkpoint")
    append(env, 8, 3)
    bundle = env / "bundle.jsonl"
    ok("ledger", "export", str(bundle))
    result = ok("verify-bundle", str(bundle))
    assert (
        "3 entries after the latest verified checkpoint (8..10) are NOT authenticated"
        in result.stdout
    )
    report = json.loads(ok("verify-bundle", str(bundle), "--json").stdout)
    assert (report["authenticated_entries"], report["uncovered_entries"]) == (8, 3)


def test_export_refuses_a_checkpoint_larger_than_the_tree(env: Path, engine: Engine) -> None:
    ok("ledger", "keygen")
    append(env, 0, 12)
    ok("ledger", "checkpoint")
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM ledger_entries WHERE idx >= 7"))
    rebuild_derived(engine)  # truncated to 7 entries; the checkpoint of 12 is kept
    bundle = env / "bundle.jsonl"
    result = cli("ledger", "export", str(bundle))
    assert result.exit_code == 1
    assert "keeps a checkpoint of size 12, larger than its tree (size 7)" in result.stderr
    assert "truncated" in result.stderr


@pytest.mark.parametrize("signed", [False, True], ids=["no checkpoint", "checkpoint of size 0"])
def test_an_empty_ledger_is_not_ok_about_nothing(env: Path, signed: bool) -> None:
    ok("ledger", "keygen")
    if signed:
        ok("ledger", "checkpoint")
    for command in (["ledger", "verify"], ["verify-bundle", str(env / "empty.jsonl")]):
        if command[0] == "verify-bundle":
            ok("ledger", "export", str(env / "empty.jsonl"))
        result = cli(*command)
        assert result.exit_code == 1, result.stdout
        assert "the ledger is empty: nothing to verify" in result.stdout
        assert "every entry is covered" not in result.stdout
    structure = ok("ledger", "verify", "--structure-only").stdout
    assert "STRUCTURE ONLY" in structure


def test_verify_checks_the_signers_memory_after_a_truncation(env: Path, engine: Engine) -> None:
    """Entries and the checkpoint that covered them deleted, the rest rebuilt: the kept
    checkpoints covered what was left, so verify said OK, while the signer's memory beside
    the key said it had signed more. Verify checks the memory's checkpoint as well."""
    ok("ledger", "keygen")
    append(env, 0, 7)
    ok("ledger", "checkpoint")
    append(env, 7, 5)
    ok("ledger", "checkpoint")
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM ledger_entries WHERE idx >= 7"))
        conn.execute(text("DELETE FROM ledger_personal WHERE idx >= 7"))
        conn.execute(text("DELETE FROM ledger_checkpoints WHERE size = 12"))
    rebuild_derived(engine)
    failed = cli("ledger", "verify")
    assert failed.exit_code == 1, failed.stdout
    assert "checkpoint 12: the log has only 7 entries" in failed.stdout
    assert "signer's memory: the key signed a tree of 12 entries" in failed.stdout
