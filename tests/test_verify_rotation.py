"""``liaison verify-bundle`` follows the log's key rotations from the key the verifier
pinned (docs/ledger.md, "Rotating the signing key"): a log rotated once with ``liaison
ledger rotate-key`` verifies with the OLD key pinned (and with the new one), and the
report says which key signed which checkpoint; a rotation signed by a key the verifier
does not trust, or naming another tree, fails naming its entry."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from typer.testing import CliRunner, Result

from liaison.cli import app as cli_app
from liaison.ledger.bundle import export_bundle
from liaison.ledger.checkpoint import claimed_size
from liaison.ledger.entries import NewEntry
from liaison.ledger.key_rotation import rotation_entry
from liaison.ledger.keys import load_vkey
from liaison.ledger.log import Ledger
from liaison.ledger.note_keys import Signer, generate_signer, parse_signer
from liaison.ledger.signer_memory import Signed
from liaison.storage.database import open_engine
from liaison.storage.migrate import upgrade
from test_key_rotation import ORIGIN, Rotated, grow, rotated  # noqa: F401 (the fixture)

AT = datetime(2025, 8, 14, 15, 0, tzinfo=UTC)


def verify(bundle: Path, vkey: str) -> tuple[Result, dict[str, Any]]:
    got = CliRunner().invoke(cli_app, ["verify-bundle", str(bundle), "--vkey", vkey, "--json"])
    return got, json.loads(got.stdout) if got.stdout.startswith("{") else {}


def test_a_rotated_log_verifies_with_the_old_pinned_key(rotated: Rotated, tmp_path: Path) -> None:  # noqa: F811
    grow(rotated.ledger, 3)
    assert rotated.cli("ledger", "checkpoint").exit_code == 0
    new_vkey = load_vkey(rotated.keys)
    assert new_vkey is not None
    bundle = tmp_path / "b.jsonl.gz"
    export_bundle(rotated.ledger, bundle, new_vkey)
    entry = rotated.out["entry"]
    got, report = verify(bundle, rotated.old.verifier.vkey)
    assert got.exit_code == 0, got.output
    old_signed, new_signed = report["signing_keys"]
    assert old_signed["vkey"] == rotated.old.verifier.vkey
    assert old_signed["rotation_entry"] is None
    assert old_signed["checkpoints"]
    assert max(old_signed["checkpoints"]) <= entry
    assert new_signed == {
        "vkey": new_vkey,
        "rotation_entry": entry,
        "checkpoints": [entry + 1, entry + 4],
    }
    assert report["uncovered_entries"] == 0
    # The current key alone (the bundle's, or pinned) learns its predecessor from the entry.
    latest, _ = verify(bundle, new_vkey)
    assert latest.exit_code == 0, latest.output
    text = CliRunner().invoke(
        cli_app, ["verify-bundle", str(bundle), "--vkey", rotated.old.verifier.vkey]
    )
    assert f"{new_vkey} (from entry {entry}) signed checkpoint(s) {entry + 1}, {entry + 4}" in (
        text.stdout
    )


def _log(tmp_path: Path) -> tuple[Ledger, Signer]:
    """A log of 6 entries with a checkpoint of 5, by a key the verifier pins."""
    engine = open_engine(f"sqlite:///{tmp_path / 'forged.db'}")
    upgrade(engine)
    key = parse_signer(generate_signer(ORIGIN)[0])
    ledger = Ledger(engine, ORIGIN, key)
    made = [NewEntry("note", {"n": i}, "clerk", recorded_at=AT) for i in range(6)]
    ledger.append_many(made[:5])
    ledger.checkpoint()
    ledger.append_many(made[5:])
    return ledger, key


def _rotate_with(ledger: Ledger, old: Signer, new: Signer, root: bytes | None = None) -> int:
    """A key_rotation entry from ``old`` to ``new`` signed by both, and a checkpoint that
    ``new`` signs after it; the entry's index."""
    size, head = ledger.head()
    last = Signed(ORIGIN, old.verifier.vkey, size, head if root is None else root, None)
    index = ledger.append(rotation_entry(ORIGIN, old, new, last, "mallory", "forged")).index
    Ledger(ledger.engine, ORIGIN, new).checkpoint()
    return index


def test_a_rotation_signed_by_a_key_the_verifier_did_not_trust_fails(tmp_path: Path) -> None:
    ledger, pinned = _log(tmp_path)
    mallory = parse_signer(generate_signer(ORIGIN)[0])
    successor = parse_signer(generate_signer(ORIGIN)[0])
    index = _rotate_with(ledger, mallory, successor)
    bundle = tmp_path / "b.jsonl"
    export_bundle(ledger, bundle, successor.verifier.vkey)
    got, report = verify(bundle, pinned.verifier.vkey)
    assert got.exit_code == 1
    at = [p["message"] for p in report["problems"] if p["where"] == f"entry {index}"]
    assert any(
        f"not signed by a key trusted here ({mallory.verifier} signed it)" in m
        and f"the verifier key {pinned.verifier} is none of" in m
        for m in at
    ), report
    # and the checkpoint the forged key signed is not verified
    assert any(p["where"] == f"checkpoint {index + 1}" for p in report["problems"]), report


def test_a_rotation_naming_another_tree_fails_naming_its_entry(tmp_path: Path) -> None:
    ledger, pinned = _log(tmp_path)
    successor = parse_signer(generate_signer(ORIGIN)[0])
    index = _rotate_with(ledger, pinned, successor, root=bytes(32))
    bundle = tmp_path / "b.jsonl"
    export_bundle(ledger, bundle, successor.verifier.vkey)
    got, report = verify(bundle, pinned.verifier.vkey)
    assert got.exit_code == 1
    (problem,) = [p for p in report["problems"] if p["where"] == f"entry {index}"]
    assert "the old key signed another tree" in problem["message"]


def test_an_honest_rotation_built_with_the_ledger_functions_verifies(tmp_path: Path) -> None:
    ledger, pinned = _log(tmp_path)
    successor = parse_signer(generate_signer(ORIGIN)[0])
    index = _rotate_with(ledger, pinned, successor)
    bundle = tmp_path / "b.jsonl"
    export_bundle(ledger, bundle, successor.verifier.vkey)
    got, report = verify(bundle, pinned.verifier.vkey)
    assert got.exit_code == 0, got.output
    assert [k["checkpoints"] for k in report["signing_keys"]] == [[5], [index + 1]]


def _rotation_text(old: Signer, new: Signer, size: int, root: bytes, tmp_path: Path) -> str:
    """The canonical text of a key_rotation entry from ``old`` to ``new`` naming the tree
    (size, root), made in a scratch log: a rotation that is no entry of the log verified."""
    engine = open_engine(f"sqlite:///{tmp_path / 'scratch.db'}")
    upgrade(engine)
    scratch = Ledger(engine, ORIGIN, old)
    last = Signed(ORIGIN, old.verifier.vkey, size, root, None)
    scratch.append(rotation_entry(ORIGIN, old, new, last, "mallory", "outside the log"))
    return scratch.entry(0).body.decode()


def test_a_rotation_outside_the_log_is_never_followed(tmp_path: Path) -> None:
    """A rotation in a line that is also a checkpoint line never enters the rebuilt tree:
    the line is refused; and a rotation line that is not the tree's entry at its index is
    a problem naming the entry, whatever else the bundle says."""
    ledger, pinned = _log(tmp_path)
    successor = parse_signer(generate_signer(ORIGIN)[0])
    size, root = ledger.head()
    signed_new = Ledger(ledger.engine, ORIGIN, successor).checkpoint().note
    root5 = next(c.root for c in ledger.checkpoints() if c.size == 5)
    rotation = _rotation_text(pinned, successor, 5, root5, tmp_path)
    bundle = tmp_path / "b.jsonl"
    export_bundle(ledger, bundle, pinned.verifier.vkey)
    head, *rest = bundle.read_text(encoding="utf-8").splitlines()
    phantom = json.dumps({"checkpoint": signed_new, "index": 5, "entry": rotation})
    bundle.write_text("\n".join([head, phantom, *rest]) + "\n", encoding="utf-8")
    got, _ = verify(bundle, pinned.verifier.vkey)
    assert got.exit_code == 1
    assert "line 2: a checkpoint line with an entry's index or entry" in got.stderr
    # the rotation as an extra entry line at the end (at the tree's index 6, claiming 5)
    misplaced = json.dumps({"index": 5, "entry": rotation})
    bundle.write_text("\n".join([head, *rest, misplaced]) + "\n", encoding="utf-8")
    got, report = verify(bundle, pinned.verifier.vkey)
    assert got.exit_code == 1
    assert any(
        p["where"] == "entry 5" and "not the entry the bundle's tree holds" in p["message"]
        for p in report["problems"]
    ), report
    assert (size, root) == ledger.head()


def test_a_rotation_spelled_with_json_escapes_is_still_followed(tmp_path: Path) -> None:
    """A rotation entry whose line spells ``key_rotation`` with a JSON escape is read as
    any other: the checkpoint the old key signed after it fails, as it must."""
    ledger, pinned = _log(tmp_path)
    successor = parse_signer(generate_signer(ORIGIN)[0])
    index = _rotate_with(ledger, pinned, successor)
    ledger.append(NewEntry("note", {"n": 7}, "clerk", recorded_at=AT))
    Ledger(ledger.engine, ORIGIN, pinned).checkpoint()  # the old key, after its rotation
    bundle = tmp_path / "b.jsonl"
    export_bundle(ledger, bundle, pinned.verifier.vkey)
    lines = []
    for line in bundle.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        if item.get("index") == index:
            line = line.replace("key_rotation", "key\\u005frotation")
        if index + 1 != claimed_size(item.get("checkpoint")):  # the new key's checkpoint
            lines.append(line)
    bundle.write_text("\n".join(lines) + "\n", encoding="utf-8")
    got, report = verify(bundle, pinned.verifier.vkey)
    assert got.exit_code == 1, got.output
    assert any(p["where"] == f"checkpoint {index + 2}" for p in report["problems"]), report
