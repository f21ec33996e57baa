"""``liaison verify-bundle --witness VKEY [--min-witnesses K]`` (issue 12, item 2): the
checkpoint a bundle is verified against (the latest verified one) must carry K valid
cosignatures (C2SP tlog-cosignature) by distinct witnesses given, read from the bundle's
``{"checkpoint": ...}`` lines; fewer, or a forged one, fails naming the checkpoint and the
witnesses; the entries after it are reported as not witnessed."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from liaison.cli import app as cli_app
from liaison.ledger.bundle import export_bundle
from liaison.ledger.cosignature import Cosigner, generate_cosigner, parse_cosigner
from liaison.ledger.entries import NewEntry
from liaison.ledger.log import Ledger
from liaison.ledger.note_keys import generate_signer, parse_signer
from liaison.ledger.signed_note import split_note
from liaison.storage.database import open_engine
from liaison.storage.migrate import upgrade

ORIGIN = "test.example/witnessed"
AT = datetime(2025, 8, 14, 15, 0, tzinfo=UTC)
SKEY, VKEY = generate_signer(ORIGIN)
ALICE_SKEY, ALICE = generate_cosigner("witness.alice.example")
BOB_SKEY, BOB = generate_cosigner("witness.bob.example")
WHEN = 1_760_000_000


def cosigned(note: str, *cosigners: Cosigner) -> str:
    """The note with a cosignature line by each cosigner after its own signature."""
    text, _ = split_note(note)
    return note + "".join(c.cosign(text, WHEN) for c in cosigners)


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bundle of 35 entries, checkpoints at 10 and 30 (no cosignature yet)."""
    folder = tmp_path_factory.mktemp("witnessed")
    engine = open_engine(f"sqlite:///{folder / 'ledger.db'}")
    upgrade(engine)
    ledger = Ledger(engine, ORIGIN, parse_signer(SKEY))
    made = [NewEntry("decision", {"n": i}, f"officer-{i}", recorded_at=AT) for i in range(35)]
    for start, stop in ((0, 10), (10, 30)):
        ledger.append_many(made[start:stop])
        ledger.checkpoint()
    ledger.append_many(made[30:])
    path = folder / "bundle.jsonl"
    export_bundle(ledger, path, VKEY)
    engine.dispose()
    return path


def with_cosignatures(plain: Path, target: Path, by_size: dict[int, list[Cosigner]]) -> Path:
    """The bundle with each checkpoint line of a size in ``by_size`` cosigned."""
    out = []
    for line in plain.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if "checkpoint" in item:
            size = int(item["checkpoint"].split("\n")[1])
            item["checkpoint"] = cosigned(item["checkpoint"], *by_size.get(size, []))
        out.append(json.dumps(item, ensure_ascii=False) + "\n")
    target.write_text("".join(out), encoding="utf-8")
    return target


def verify(bundle: Path, *options: str, as_json: bool = True) -> tuple[Result, dict[str, Any]]:
    args = ["verify-bundle", str(bundle), "--vkey", VKEY, *options]
    got = CliRunner().invoke(cli_app, [*args, "--json"] if as_json else args)
    return got, json.loads(got.stdout) if got.stdout.startswith("{") else {}


ALICE_C, BOB_C = parse_cosigner(ALICE_SKEY), parse_cosigner(BOB_SKEY)
# Alice's key under another name: a cosignature does not name its witness, so it would
# verify under both; it is one witness.
ALICE_ALIAS = Cosigner("witness.mallory.example", ALICE_C._private).witness_key.vkey


def test_both_witnesses_cosigned_the_latest_checkpoint(plain: Path, tmp_path: Path) -> None:
    bundle = with_cosignatures(plain, tmp_path / "b.jsonl", {30: [ALICE_C, BOB_C]})
    got, report = verify(bundle, "--witness", ALICE, "--witness", BOB)
    assert got.exit_code == 0, got.output
    assert report["witnesses"] == {
        "checkpoint": 30,
        "cosigned_by": ["witness.alice.example", "witness.bob.example"],
        "required": 2,
        "ok": True,
    }
    text, _ = verify(bundle, "--witness", ALICE, "--witness", BOB, as_json=False)
    assert text.exit_code == 0, text.output
    assert (
        "witnesses: checkpoint 30 is cosigned by witness.alice.example, witness.bob.example "
        "(2 of 2 given, 2 required); the 5 entries after checkpoint 30 (30..34) are neither "
        "signed nor witnessed"
    ) in text.stdout


def test_too_few_cosignatures_fail_naming_the_checkpoint_and_witnesses(
    plain: Path, tmp_path: Path
) -> None:
    bundle = with_cosignatures(plain, tmp_path / "b.jsonl", {30: [ALICE_C], 10: [BOB_C]})
    got, report = verify(bundle, "--witness", ALICE, "--witness", BOB)
    assert got.exit_code == 1
    (problem,) = [p for p in report["problems"] if p["where"] == "checkpoint 30"]
    assert "cosigned by witness.alice.example (1 of 2 given, 2 required)" in problem["message"]
    assert "not by witness.bob.example" in problem["message"]
    assert report["witnesses"]["ok"] is False
    # Bob cosigned checkpoint 10 only: not the one the bundle is verified against.
    one, _ = verify(bundle, "--witness", ALICE, "--witness", BOB, "--min-witnesses", "1")
    assert one.exit_code == 0, one.output


def test_no_cosignature_at_all_fails(plain: Path) -> None:
    got, report = verify(plain, "--witness", ALICE)
    assert got.exit_code == 1
    assert any(
        p["where"] == "checkpoint 30" and "none of the witnesses given" in p["message"]
        for p in report["problems"]
    ), report


def test_a_forged_cosignature_fails(plain: Path, tmp_path: Path) -> None:
    bundle = with_cosignatures(plain, tmp_path / "b.jsonl", {30: [ALICE_C, BOB_C]})
    lines = bundle.read_text(encoding="utf-8").splitlines(keepends=True)
    for n, line in enumerate(lines):
        item = json.loads(line)
        if item.get("checkpoint", "").split("\n")[1:2] == ["30"]:
            note = item["checkpoint"]
            last = note.rstrip("\n").rsplit(" ", 1)[1]  # Bob's line, the last one
            raw = bytearray(base64.b64decode(last))
            raw[-1] ^= 1
            item["checkpoint"] = note.replace(last, base64.b64encode(bytes(raw)).decode())
            lines[n] = json.dumps(item, ensure_ascii=False) + "\n"
    bundle.write_text("".join(lines), encoding="utf-8")
    got, report = verify(bundle, "--witness", ALICE, "--witness", BOB, "--min-witnesses", "1")
    assert got.exit_code == 1
    assert any(
        p["where"] == "checkpoint 30"
        and "invalid cosignature by witness.bob.example" in p["message"]
        for p in report["problems"]
    ), report


def test_a_cosignature_by_another_key_under_the_name_is_not_counted(
    plain: Path, tmp_path: Path
) -> None:
    impostor = parse_cosigner(generate_cosigner("witness.bob.example")[0])
    bundle = with_cosignatures(plain, tmp_path / "b.jsonl", {30: [ALICE_C, impostor]})
    got, report = verify(bundle, "--witness", ALICE, "--witness", BOB)
    assert got.exit_code == 1
    assert report["witnesses"]["cosigned_by"] == ["witness.alice.example"]


def test_pinned_and_witnessed(plain: Path, tmp_path: Path) -> None:
    """A saved checkpoint pinned and the latest one witnessed, keys given as files."""
    bundle = with_cosignatures(plain, tmp_path / "b.jsonl", {30: [ALICE_C, BOB_C]})
    notes = [json.loads(x).get("checkpoint") for x in plain.read_text().splitlines()]
    saved = tmp_path / "saved-10.txt"
    saved.write_text(next(n for n in notes if n and n.split("\n")[1] == "10"), encoding="utf-8")
    alice_file = tmp_path / "alice.vkey"
    alice_file.write_text(ALICE + "\n", encoding="utf-8")
    got, report = verify(bundle, "--trusted", str(saved), "--witness", str(alice_file))
    assert got.exit_code == 0, got.output
    assert report["checkpoints_verified"] == 3
    assert report["witnesses"]["cosigned_by"] == ["witness.alice.example"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--witness", "not-a-key"], "--witness not-a-key: not a witness verifier key"),
        (["--witness", VKEY], "--witness " + VKEY),  # the log's key is not a witness key
        (["--witness", ALICE, "--min-witnesses", "2"], "--min-witnesses 2: only 1 witness"),
        (["--min-witnesses", "1"], "--min-witnesses 1: only 0 witness"),
        (["--witness", ALICE, "--structure-only"], "not with --structure-only"),
        (
            ["--witness", ALICE, "--witness", ALICE_ALIAS, "--min-witnesses", "2"],
            "the same public key as --witness witness.alice.example",
        ),
    ],
    ids=[
        "not a key",
        "the log's key",
        "more than given",
        "no witness",
        "structure only",
        "one key, two names",
    ],
)
def test_bad_witness_options_are_errors(plain: Path, options: list[str], message: str) -> None:
    got, report = verify(plain, *options)
    assert got.exit_code == 1
    assert report == {}
    assert message in got.stderr


def test_a_newer_checkpoint_not_yet_cosigned_is_reported_not_failed(
    plain: Path, tmp_path: Path
) -> None:
    """Witnesses cosign minutes after a checkpoint is signed: a bundle exported meanwhile is
    witnessed up to the newest cosigned checkpoint (10), and the entries signed after it by
    checkpoint 30 are reported as signed but NOT witnessed, not failed."""
    bundle = with_cosignatures(plain, tmp_path / "b.jsonl", {10: [ALICE_C, BOB_C]})
    got, report = verify(bundle, "--witness", ALICE, "--witness", BOB)
    assert got.exit_code == 0, got.output
    assert report["witnesses"]["checkpoint"] == 10
    assert report["witnesses"]["ok"] is True
    assert (report["witnessed_entries"], report["unwitnessed_entries"]) == (10, 25)
    assert report["checkpoints_verified"] == 2  # checkpoint 30 still checked
    text, _ = verify(bundle, "--witness", ALICE, "--witness", BOB, as_json=False)
    assert text.exit_code == 0, text.output
    assert (
        "the 20 entries after it (10..29) are signed but NOT witnessed (checkpoint 30 is not "
        "cosigned as required); the 5 entries after checkpoint 30 (30..34) are neither signed "
        "nor witnessed"
    ) in text.stdout


def test_a_forgery_on_an_older_checkpoint_fails_even_when_the_newest_is_witnessed(
    plain: Path, tmp_path: Path
) -> None:
    forged_tail = BOB_C.cosign("another text\n", WHEN)  # Bob's line, not over checkpoint 10
    bundle = with_cosignatures(plain, tmp_path / "b.jsonl", {30: [ALICE_C, BOB_C]})
    lines = []
    for line in bundle.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if item.get("checkpoint", "").split("\n")[1:2] == ["10"]:
            item["checkpoint"] += forged_tail
        lines.append(json.dumps(item, ensure_ascii=False) + "\n")
    bundle.write_text("".join(lines), encoding="utf-8")
    got, report = verify(bundle, "--witness", ALICE, "--witness", BOB)
    assert got.exit_code == 1
    (problem,) = [p for p in report["problems"] if p["where"] == "checkpoint 10"]
    assert "invalid cosignature by witness.bob.example" in problem["message"]
    assert report["witnesses"]["checkpoint"] == 30


def test_a_signed_checkpoint_in_a_bundle_that_verifies_against_nothing_cosigned_fails(
    plain: Path, tmp_path: Path
) -> None:
    bundle = with_cosignatures(plain, tmp_path / "b.jsonl", {10: [ALICE_C], 30: [BOB_C]})
    got, report = verify(bundle, "--witness", ALICE, "--witness", BOB)
    assert got.exit_code == 1
    (problem,) = [p for p in report["problems"] if p["where"] == "checkpoint 30"]
    assert "no verified checkpoint covering entries is" in problem["message"]
    assert (report["witnessed_entries"], report["unwitnessed_entries"]) == (0, 35)
