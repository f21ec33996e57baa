"""``liaison verify-proof`` (issue 12, item 2): inclusion and consistency proof files checked
offline against a checkpoint the reader saved, with nothing but the log's key and the
witnesses' keys: no database, no server, never the file's ``verified`` field. The files
are written by ``liaison ledger prove-inclusion --file [--since]`` and ``prove-consistency
--file``; every field tampered with is caught by the step that names it; a malformed file
is an error naming the file and the field (exit 2)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from liaison.cli import app as cli_app
from liaison.ledger.checkpoint import Checkpoint, sign_checkpoint
from liaison.ledger.cosignature import Cosigner, generate_cosigner, parse_cosigner
from liaison.ledger.keys import load_signer
from liaison.ledger.signed_note import split_note
from liaison.ledger.signing import add_cosignatures
from liaison.storage.database import open_engine

ORIGIN = "test.example/offline-proofs"
ALICE_SKEY, ALICE = generate_cosigner("witness.alice.example")
BOB_SKEY, BOB = generate_cosigner("witness.bob.example")
ALICE_C, BOB_C = parse_cosigner(ALICE_SKEY), parse_cosigner(BOB_SKEY)


def cli(*args: str) -> Result:
    return CliRunner().invoke(cli_app, list(args), prog_name="liaison")


def ok(*args: str) -> Result:
    got = cli(*args)
    assert got.exit_code == 0, (got.stdout, got.stderr)
    return got


def append(folder: Path, start: int, count: int) -> None:
    source = folder / f"entries-{start}.jsonl"
    source.write_text(
        "".join(
            json.dumps({"kind": "note", "actor": "o-1", "record": {"n": n}}) + "\n"
            for n in range(start, start + count)
        )
    )
    ok("ledger", "append", str(source))


def cosign(note: str, *cosigners: Cosigner) -> list[str]:
    text, _ = split_note(note)
    return [c.cosign(text, 1_760_000_000) for c in cosigners]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A log signed at 10 (saved by the reader, cosigned by both witnesses), 20 (cosigned by
    Alice) and 30 (by both); its proof files; the verifier key."""
    folder = tmp_path_factory.mktemp("offline")
    url = f"sqlite:///{folder / 'ledger.db'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LIAISON_DATABASE_URL", url)
        mp.setenv("LIAISON_KEY_DIR", str(folder / "keys"))
        mp.setenv("LIAISON_LOG_ORIGIN", ORIGIN)
        ok("db", "upgrade")
        ok("ledger", "keygen")
        engine = open_engine(url)
        notes = {}
        for size, witnesses in ((10, [ALICE_C, BOB_C]), (20, [ALICE_C]), (30, [ALICE_C, BOB_C])):
            append(folder, size - 10, 10)
            note = ok("ledger", "checkpoint").stdout
            notes[size] = add_cosignatures(engine, size, cosign(note, *witnesses)).cosigned_note
        engine.dispose()
        files = {
            "incl-10": ["prove-inclusion", "5", "--size", "10"],
            "incl-30": ["prove-inclusion", "5", "--since", "10", "--since", "20"],
            "incl-30-bare": ["prove-inclusion", "5"],
            "cons-10-30": ["prove-consistency", "10"],
            "cons-10-20": ["prove-consistency", "10", "20"],
        }
        for name, args in files.items():
            ok("ledger", *args, "--file", str(folder / f"{name}.json"))
        signer = load_signer(folder / "keys")
    saved = {}
    for size, note in notes.items():
        saved[size] = folder / f"saved-{size}.txt"
        saved[size].write_text(note, encoding="utf-8")
    assert signer is not None
    return {
        "folder": folder,
        "vkey": (folder / "keys" / "ledger.vkey").read_text().strip(),
        "saved": saved,
        "signer": signer,
        **{name: folder / f"{name}.json" for name in files},
    }


def verify(w: dict[str, Any], proof: Path, saved: int | Path, *more: str) -> tuple[Result, Any]:
    checkpoint = w["saved"][saved] if isinstance(saved, int) else saved
    got = cli(
        "verify-proof",
        str(proof),
        "--checkpoint",
        str(checkpoint),
        "--vkey",
        w["vkey"],
        *more,
        "--json",
    )
    return got, json.loads(got.stdout) if got.stdout.startswith("{") else None


def failed(report: Any) -> list[str]:
    return [s["step"] for s in report["steps"] if not s["ok"]]


def detail(report: Any, step: str) -> str:
    return str(next(s["detail"] for s in report["steps"] if s["step"] == step))


def test_an_inclusion_proof_against_the_saved_tree(world: dict[str, Any]) -> None:
    got, report = verify(world, world["incl-10"], 10)
    assert got.exit_code == 0, got.output
    assert report["kind"] == "inclusion"
    assert [s["step"] for s in report["steps"]] == [
        "saved", "signature", "checkpoint", "leaf", "inclusion", "saved tree",
    ]  # fmt: skip
    text = cli("verify-proof", str(world["incl-10"]), "--checkpoint", str(world["saved"][10]),
               "--vkey", world["vkey"])  # fmt: skip
    assert text.exit_code == 0
    assert "OK   saved tree: the file's checkpoint is the saved one" in text.stdout
    assert text.stdout.endswith("VERIFIED: the entry is in the tree you saved\n")


def test_an_inclusion_proof_in_a_later_tree_through_its_consistency_part(
    world: dict[str, Any],
) -> None:
    for saved in (10, 20):
        got, report = verify(world, world["incl-30"], saved)
        assert got.exit_code == 0, got.output
        step = report["steps"][-1]
        assert step["step"] == "consistency"
        assert f"extends the saved one of {saved}" in step["detail"]


def test_a_later_tree_without_a_consistency_part_fails(world: dict[str, Any]) -> None:
    got, report = verify(world, world["incl-30-bare"], 10)
    assert got.exit_code == 1
    assert failed(report) == ["consistency"]
    assert "no consistency proof from the saved size 10" in report["steps"][-1]["detail"]


def test_a_proof_older_than_the_saved_checkpoint_fails(world: dict[str, Any]) -> None:
    got, report = verify(world, world["incl-10"], 30)
    assert got.exit_code == 1
    assert failed(report) == ["saved tree"]
    assert "older than the saved checkpoint (30)" in report["steps"][-1]["detail"]


def test_a_saved_checkpoint_of_another_tree_of_the_same_size_is_a_fork(
    world: dict[str, Any], tmp_path: Path
) -> None:
    forked = tmp_path / "forked-10.txt"
    forked.write_text(sign_checkpoint(Checkpoint(ORIGIN, 10, bytes(32)), world["signer"]))
    got, report = verify(world, world["incl-10"], forked)
    assert got.exit_code == 1
    assert "the log forked" in report["steps"][-1]["detail"]


def test_a_consistency_proof_from_the_saved_checkpoint(world: dict[str, Any]) -> None:
    got, report = verify(world, world["cons-10-30"], 10)
    assert got.exit_code == 0, got.output
    assert report["kind"] == "consistency"
    assert [s["step"] for s in report["steps"]] == [
        "saved", "signature", "checkpoint", "start", "consistency",
    ]  # fmt: skip
    other, report = verify(world, world["cons-10-30"], 20)  # not where the reader stands
    assert other.exit_code == 1
    assert failed(report) == ["start", "consistency"]


def test_witnesses_are_required_on_both_checkpoints(world: dict[str, Any]) -> None:
    both = ("--witness", ALICE, "--witness", BOB)
    got, report = verify(world, world["cons-10-30"], 10, *both)
    assert got.exit_code == 0, got.output
    assert "signature witnesses" in [s["step"] for s in report["steps"]]
    got, report = verify(world, world["cons-10-20"], 10, *both)  # 20: Alice only
    assert got.exit_code == 1
    assert failed(report) == ["signature witnesses"]
    assert "not by witness.bob.example" in detail(report, "signature witnesses")
    got, _ = verify(world, world["cons-10-20"], 10, *both, "--min-witnesses", "1")
    assert got.exit_code == 0
    got, report = verify(world, world["incl-30"], 20, *both)  # the saved one: Alice only
    assert got.exit_code == 1
    assert failed(report) == ["saved witnesses"]
    got, report = verify(world, world["incl-30"], 10, *both)
    assert got.exit_code == 0, got.output
    assert "witnesses" in [s["step"] for s in report["steps"]]


def test_a_forged_cosignature_fails(world: dict[str, Any], tmp_path: Path) -> None:
    data = json.loads(world["cons-10-30"].read_text())
    last = data["checkpoint"].rstrip("\n").rsplit(" ", 1)[1]
    raw = bytearray(base64.b64decode(last))
    raw[-1] ^= 1
    data["checkpoint"] = data["checkpoint"].replace(last, base64.b64encode(bytes(raw)).decode())
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(data))
    got, report = verify(world, path, 10, "--witness", ALICE, "--witness", BOB)
    assert got.exit_code == 1
    assert failed(report) == ["signature witnesses"]
    assert "invalid cosignature by witness.bob.example" in detail(report, "signature witnesses")


def other_hash(value: str) -> str:
    raw = bytearray(base64.b64decode(value))
    raw[0] ^= 1
    return base64.b64encode(bytes(raw)).decode()


def set_path(data: dict[str, Any], path: str, change: Callable[[Any], Any]) -> None:
    *parents, last = path.split(".")
    target: Any = data
    for part in parents:
        name, _, index = part.partition("[")
        target = target[name][int(index[:-1])] if index else target[name]
    name, _, index = last.partition("[")
    if index:
        target[name][int(index[:-1])] = change(target[name][int(index[:-1])])
    else:
        target[name] = change(target[name])


def new_body(value: str) -> str:
    body = base64.b64decode(value).replace(b'"n":5', b'"n":6')
    return base64.b64encode(body).decode()


def new_note_root(note: str) -> str:
    lines = note.split("\n")
    lines[2] = other_hash(lines[2])
    return "\n".join(lines)


INCLUSION_TAMPERINGS = [
    ("index", lambda v: v + 1, "inclusion", "from entry 6"),
    ("size", lambda v: v - 1, "checkpoint", "size and root (29,"),
    ("root", other_hash, "checkpoint", "are NOT the signed"),
    ("leaf_hash", other_hash, "leaf", "not the file's leaf_hash"),
    ("proof[0]", other_hash, "inclusion", "audit path (proof"),
    ("body", new_body, "leaf", "SHA-256(0x00 || body)"),
    ("checkpoint", new_note_root, "signature", "not signed by"),
    ("consistency[0].old_size", lambda v: v + 1, "consistency", "old_size 11, 20"),
    ("consistency[0].old_root", other_hash, "consistency", "consistency[0].old_root"),
    ("consistency[0].proof[0]", other_hash, "consistency", "consistency[0] ("),
]


@pytest.mark.parametrize(
    ("field", "change", "step", "named"),
    INCLUSION_TAMPERINGS,
    ids=[t[0] for t in INCLUSION_TAMPERINGS],
)
def test_every_field_of_an_inclusion_file_tampered_with_fails(
    world: dict[str, Any],
    tmp_path: Path,
    field: str,
    change: Callable[[Any], Any],
    step: str,
    named: str,
) -> None:
    data = json.loads(world["incl-30"].read_text())
    set_path(data, field, change)
    data["verified"] = True  # never read
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(data))
    got, report = verify(world, path, 10)
    assert got.exit_code == 1, got.output
    details = [s["detail"] for s in report["steps"] if s["step"] == step and not s["ok"]]
    assert details, report
    assert named in details[0]


CONSISTENCY_TAMPERINGS = [
    ("old_size", lambda v: v + 1, ["start"], "old_size and old_root (11,"),
    ("old_root", other_hash, ["start"], "are NOT the saved ones"),
    ("new_size", lambda v: v - 1, ["checkpoint"], "new_size and new_root (29,"),
    ("new_root", other_hash, ["checkpoint"], "are NOT the signed ones"),
    ("proof[0]", other_hash, ["consistency"], "proof ("),
    ("checkpoint", new_note_root, ["signature"], "not signed by"),
]


@pytest.mark.parametrize(
    ("field", "change", "steps", "named"),
    CONSISTENCY_TAMPERINGS,
    ids=[t[0] for t in CONSISTENCY_TAMPERINGS],
)
def test_every_field_of_a_consistency_file_tampered_with_fails(
    world: dict[str, Any],
    tmp_path: Path,
    field: str,
    change: Callable[[Any], Any],
    steps: list[str],
    named: str,
) -> None:
    data = json.loads(world["cons-10-30"].read_text())
    set_path(data, field, change)
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(data))
    got, report = verify(world, path, 10)
    assert got.exit_code == 1, got.output
    assert failed(report)[: len(steps)] == steps, report
    assert any(named in s["detail"] for s in report["steps"] if not s["ok"]), report


def test_the_files_verifier_key_is_not_trusted(world: dict[str, Any], tmp_path: Path) -> None:
    data = json.loads(world["incl-30"].read_text())
    data["verifier_key"] = "someone+00000000+AQ=="
    path = tmp_path / "other-key.json"
    path.write_text(json.dumps(data))
    got, _ = verify(world, path, 10)
    assert got.exit_code == 0, got.output


def test_a_saved_checkpoint_of_another_key_fails(world: dict[str, Any], tmp_path: Path) -> None:
    from liaison.ledger.note_keys import generate_signer, parse_signer

    other = tmp_path / "other.txt"
    other.write_text(
        sign_checkpoint(Checkpoint(ORIGIN, 10, bytes(32)), parse_signer(generate_signer("x")[0]))
    )
    got, report = verify(world, world["incl-10"], other)
    assert got.exit_code == 1
    assert failed(report)[0] == "saved"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.pop("leaf_hash"), "leaf_hash: expected standard base64 text"),
        (lambda d: d.update(index=-1), "index: expected a non-negative integer"),
        (lambda d: d["proof"].__setitem__(1, "%%"), "proof[1]: expected standard base64"),
        (lambda d: d.update(format="x"), "format: expected 'liaison-inclusion-proof/1' or"),
        (lambda d: d.update(consistency={}), "consistency: expected a list"),
        (
            lambda d: d["consistency"][1].pop("old_root"),
            "consistency[1].old_root: expected standard base64",
        ),
    ],
    ids=["missing", "negative", "bad hash", "format", "consistency", "consistency item"],
)
def test_a_malformed_file_names_the_field(
    world: dict[str, Any], tmp_path: Path, edit: Callable[[dict[str, Any]], Any], message: str
) -> None:
    data = json.loads(world["incl-30"].read_text())
    edit(data)
    path = tmp_path / "malformed.json"
    path.write_text(json.dumps(data))
    got, report = verify(world, path, 10)
    assert got.exit_code == 2
    assert report is None
    assert f"proof file {path}: {message}" in got.stderr


def test_unreadable_inputs_are_errors_naming_them(world: dict[str, Any], tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    got, _ = verify(world, missing, 10)
    assert (got.exit_code, f"proof file {missing}: No such file" in got.stderr) == (2, True)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    got, _ = verify(world, broken, 10)
    assert (got.exit_code, f"proof file {broken}: not JSON" in got.stderr) == (2, True)
    saved = tmp_path / "saved.txt"
    saved.write_text("my checkpoint\n")
    got, _ = verify(world, world["incl-10"], saved)
    assert (got.exit_code, f"--checkpoint {saved}: not a signed checkpoint" in got.stderr) == (
        2,
        True,
    )
    got = cli("verify-proof", str(world["incl-10"]), "--checkpoint", str(world["saved"][10]),
              "--vkey", "nonsense")  # fmt: skip
    assert (got.exit_code, "--vkey nonsense: not a verifier key" in got.stderr) == (2, True)
    got, _ = verify(world, world["incl-10"], 10, "--witness", "nonsense")
    assert (got.exit_code, "--witness nonsense: not a witness verifier key" in got.stderr) == (
        2,
        True,
    )


def test_the_writers_refuse_what_they_cannot_prove(world: dict[str, Any], tmp_path: Path) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LIAISON_DATABASE_URL", f"sqlite:///{world['folder'] / 'ledger.db'}")
        mp.setenv("LIAISON_KEY_DIR", str(world["folder"] / "keys"))
        mp.setenv("LIAISON_LOG_ORIGIN", ORIGIN)
        got = cli("ledger", "prove-inclusion", "5", "--size", "15", "--file", str(tmp_path / "x"))
        assert got.exit_code == 1
        assert "no kept checkpoint of size 15" in got.stderr
        got = cli("ledger", "prove-inclusion", "5", "--since", "10")
        assert got.exit_code == 2
        assert "--since goes with --file" in got.stderr


def test_no_database_is_read(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Offline: with the deployment's settings pointing nowhere, the proofs still verify."""
    monkeypatch.setenv("LIAISON_DATABASE_URL", "postgresql://nobody@nowhere.invalid/none")
    monkeypatch.setenv("LIAISON_KEY_DIR", str(tmp_path / "no-keys"))
    monkeypatch.chdir(tmp_path)
    for proof in ("incl-30", "cons-10-30"):
        got, _ = verify(world, world[proof], 10, "--witness", ALICE, "--witness", BOB)
        assert got.exit_code == 0, got.output
    assert list(tmp_path.iterdir()) == []  # nothing created (no var/, no database)
