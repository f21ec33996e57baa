"""A verifier that trusts only keys and what it saved (issue 12, item 2): ``liaison
verify-bundle --trusted CHECKPOINT_FILE``. The department rewrites its history after a
checkpoint an inspector saved, deletes that checkpoint and signs the rewritten tree with its
own key: the bundle verifies alone, and fails against the saved checkpoint; so does a
bundle cut before it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from liaison.cli import app as cli_app
from liaison.ledger.bundle import export_bundle
from liaison.ledger.entries import NewEntry
from liaison.ledger.log import Ledger
from liaison.ledger.note_keys import generate_signer, parse_signer
from liaison.storage.database import open_engine
from liaison.storage.migrate import upgrade

ORIGIN = "test.example/pinned"
AT = datetime(2025, 8, 14, 15, 0, tzinfo=UTC)
SKEY, VKEY = generate_signer(ORIGIN)


def entries(edited: int | None = None, count: int = 30) -> list[NewEntry]:
    return [
        NewEntry("decision", {"n": i, "edited": i == edited}, f"officer-{i}", recorded_at=AT)
        for i in range(count)
    ]


def ledger_bundle(folder: Path, made: list[NewEntry], sizes: list[int]) -> tuple[Path, list[str]]:
    """A ledger of ``made`` signed at ``sizes``, exported; its checkpoints' notes."""
    folder.mkdir()
    engine = open_engine(f"sqlite:///{folder / 'ledger.db'}")
    upgrade(engine)
    ledger = Ledger(engine, ORIGIN, parse_signer(SKEY))
    notes, done = [], 0
    for size in sizes:
        ledger.append_many(made[done:size])
        done = size
        notes.append(ledger.checkpoint().note)
    path = folder / "bundle.jsonl"
    export_bundle(ledger, path, VKEY)
    engine.dispose()
    return path, notes


def verify(bundle: Path, *trusted: Path, key: str = VKEY) -> tuple[Result, dict[str, Any]]:
    args = ["verify-bundle", str(bundle), "--vkey", key, "--json"]
    for file in trusted:
        args += ["--trusted", str(file)]
    got = CliRunner().invoke(cli_app, args, prog_name="liaison")
    return got, json.loads(got.stdout) if got.stdout.strip().startswith("{") else {}


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The honest log (signed at 10 and 30), the inspector's saved checkpoint of 30, the
    rewritten log (entry 20 edited, signed at 10 and 30 again, the old 30 gone) and a log
    cut at 20."""
    folder = tmp_path_factory.mktemp("pinned")
    honest, notes = ledger_bundle(folder / "honest", entries(), [10, 30])
    rewritten, _ = ledger_bundle(folder / "rewritten", entries(edited=20), [10, 30])
    cut, _ = ledger_bundle(folder / "cut", entries(count=20), [10, 20])
    pinned = folder / "checkpoint-30.txt"
    pinned.write_text(notes[1], encoding="utf-8")
    return {"honest": honest, "rewritten": rewritten, "cut": cut, "pinned": pinned}


def test_the_honest_log_extends_the_saved_checkpoint(saved: dict[str, Path]) -> None:
    got, report = verify(saved["honest"], saved["pinned"])
    assert got.exit_code == 0, got.output
    assert report["checkpoints_verified"] == 3  # its own two and the saved one


def test_a_rewritten_and_resigned_history_verifies_alone_and_fails_pinned(
    saved: dict[str, Path],
) -> None:
    alone, _ = verify(saved["rewritten"])
    assert alone.exit_code == 0, alone.output  # what a verifier without a saved state sees
    got, report = verify(saved["rewritten"], saved["pinned"])
    assert got.exit_code == 1
    problems = [p for p in report["problems"] if p["where"] == "checkpoint 30"]
    assert problems, report
    assert "signed root does not match the entries" in problems[0]["message"]


def test_a_log_cut_before_the_saved_checkpoint_fails(saved: dict[str, Path]) -> None:
    got, report = verify(saved["cut"], saved["pinned"])
    assert got.exit_code == 1
    assert any("only 20 entries" in p["message"] for p in report["problems"]), report


def test_a_saved_checkpoint_of_another_key_fails(saved: dict[str, Path], tmp_path: Path) -> None:
    other_skey, _ = generate_signer(ORIGIN)
    engine = open_engine(f"sqlite:///{tmp_path / 'other.db'}")
    upgrade(engine)
    other = Ledger(engine, ORIGIN, parse_signer(other_skey))
    other.append_many(entries())
    forged = tmp_path / "forged.txt"
    forged.write_text(other.checkpoint().note, encoding="utf-8")
    engine.dispose()
    got, report = verify(saved["honest"], forged)
    assert got.exit_code == 1
    assert any("signature" in p["message"] for p in report["problems"]), report


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (None, "No such file"),
        (b"\xff\xfe not text", "not UTF-8 text"),
        (b"a saved checkpoint, I think\n", "not a signed checkpoint"),
    ],
    ids=["missing", "not text", "not a checkpoint"],
)
def test_an_unreadable_or_malformed_saved_checkpoint_is_an_error_naming_it(
    saved: dict[str, Path], tmp_path: Path, content: bytes | None, why: str
) -> None:
    file = tmp_path / "saved-checkpoint.txt"
    if content is not None:
        file.write_bytes(content)
    got, report = verify(saved["honest"], saved["pinned"], file)
    assert got.exit_code == 1
    assert report == {}  # an error, not a report
    assert f"--trusted {file}: " in got.stderr
    assert why in got.stderr


def test_a_saved_checkpoint_is_not_taken_with_structure_only(saved: dict[str, Path]) -> None:
    args = ["verify-bundle", str(saved["honest"]), "--vkey", VKEY, "--structure-only"]
    got = CliRunner().invoke(cli_app, [*args, "--trusted", str(saved["pinned"])])
    assert got.exit_code == 1
    assert "--trusted checkpoints are checked: not with --structure-only" in got.stderr


def test_a_saved_checkpoint_of_another_log_fails_naming_it(
    saved: dict[str, Path], tmp_path: Path
) -> None:
    """Signed by the same key, same tree, another origin: a checkpoint of another log,
    a problem naming it; and a bundle whose header names no origin is refused (it would
    let checkpoints of any origin verify)."""
    from liaison.ledger.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint

    signer = parse_signer(SKEY)
    mine = open_checkpoint(saved["pinned"].read_text(encoding="utf-8"), signer.verifier)
    other = tmp_path / "other-30.txt"
    other.write_text(sign_checkpoint(Checkpoint("other.example/log", 30, mine.root), signer))
    got, report = verify(saved["honest"], saved["pinned"], other)
    assert got.exit_code == 1
    (problem,) = report["problems"]
    assert problem["where"] == "trusted checkpoint 2 (size 30)"
    assert "'other.example/log' is not the bundle's 'test.example/pinned'" in problem["message"]
    lines = saved["honest"].read_text(encoding="utf-8").splitlines()
    header = json.loads(lines[0])
    del header["origin"]
    headless = tmp_path / "no-origin.jsonl"
    headless.write_text("\n".join([json.dumps(header), *lines[1:]]) + "\n", encoding="utf-8")
    got, _ = verify(headless, other)
    assert got.exit_code == 1
    assert "line 1: the header's origin is missing or not a string" in got.stderr
