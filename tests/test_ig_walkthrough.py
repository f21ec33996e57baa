"""docs/ledger.md, "An inspector general's walkthrough", step by step (issue 12, "Done
when"): the department's service (uvicorn on loopback) with two real witnesses, and the
inspector general's steps through the command line, with nothing from the department but
its verifier key, the witnesses' keys and an auditor's API key.

The IG saves the cosigned checkpoint (``/checkpoint``), mirrors, mirrors again after more
records, verifies a downloaded bundle pinned to what it saved and requiring both witnesses,
and checks one entry's proof against its saved checkpoint. Then the department rewrites an
entry both witnesses cosigned and signs the rewritten tree with its own key (the signer's
memory deleted and started afresh): both witnesses refuse, the mirror reports a fork and
keeps its copy, the pinned ``verify-bundle`` fails naming the first wrong entry, and the
unpinned one passes while saying what it could not check."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner, Result

from conftest import cli_runner, running_services
from liaison.api.app import create_app
from liaison.api.deps import Services
from liaison.cli import app as cli_app
from liaison.gateway.roles import KeyRole
from liaison.ledger.entries import NewEntry
from liaison.ledger.keys import keygen
from liaison.ledger.signer_memory import MEMORY_FILE
from liaison.ledger.witness_client import Outcome
from test_signer_memory import rewrite
from witness_fixtures import WitnessFiles, make_witness, serve_asgi, serving, wait_for, wait_settled

ORIGIN = "ig-walk.example/ledger"


@dataclass
class Department:
    """The department's deployment, served on loopback, and what the IG was given."""

    services: Services
    url: str
    folder: Path
    witnesses: list[WitnessFiles]
    api_key: str

    def grow(self, count: int) -> None:
        """``count`` denials recorded."""
        start = self.services.gateway.ledger.head()[0]
        self.services.gateway.ledger.append_many(
            [
                NewEntry("decision", {"n": start + i, "decision": "deny"}, "officer-1")
                for i in range(count)
            ]
        )

    def checkpoint(self) -> dict[str, Any]:
        """``GET /v1/ledger/checkpoint`` (signs one when the tree grew)."""
        got = httpx.get(
            f"{self.url}/v1/ledger/checkpoint",
            headers={"Authorization": f"Bearer {self.api_key}"},
        )
        assert got.status_code == 200, got.text
        return dict(got.json())

    def cosigned_by_both(self) -> int:
        """The newest checkpoint, once both witnesses cosigned it: its size."""
        wait_for(lambda: len(self.checkpoint()["cosignatures"]) == 2)
        return int(self.checkpoint()["size"])

    def settled(self, size: int, outcome: Outcome) -> None:
        """Both workers' last submission was of ``size`` and ended in ``outcome``."""
        wait_settled(self.services.witnessing, size, outcome)

    def download_bundle(self, path: Path) -> Path:
        """``GET /v1/ledger/bundle`` with the IG's auditor key."""
        got = httpx.get(
            f"{self.url}/v1/ledger/bundle", headers={"Authorization": f"Bearer {self.api_key}"}
        )
        assert got.status_code == 200, got.text
        path.write_bytes(got.content)
        return path

    def rewrite_and_resign(self, index: int) -> None:
        """The department, which holds the key and the database: entry ``index``'s deny made
        a permit, leaves, tiles and head rebuilt, kept checkpoints and the signer's memory
        deleted, a new memory started (``liaison ledger signer-init``)."""
        rewrite(self.services.gateway.ledger.engine, index)
        (self.folder / "keys" / MEMORY_FILE).unlink()
        url = str(self.services.gateway.ledger.engine.url)
        result = cli_runner(url, self.folder, ORIGIN)("ledger", "signer-init")
        assert result.exit_code == 0, result.output


@pytest.fixture
def department(tmp_path: Path) -> Iterator[Department]:
    folder = tmp_path / "department"
    keygen(folder / "keys", ORIGIN)
    vkey = (folder / "keys" / "ledger.vkey").read_text().strip()
    witnesses = [
        make_witness(tmp_path / name, f"{name}.example/witness", {ORIGIN: [vkey]})
        for name in ("council", "ig")
    ]
    with ExitStack() as stack:
        urls = [stack.enter_context(serving(w)) for w in witnesses]
        listing = folder / "witnesses.toml"
        listing.write_text(
            "".join(
                f'[[witness]]\nurl = "{u}"\nvkey = "{w.vkey}"\n'
                for u, w in zip(urls, witnesses, strict=True)
            )
        )
        services = stack.enter_context(
            running_services(
                f"sqlite:///{folder / 'liaison.db'}",
                folder,
                signing_key=False,
                log_origin=ORIGIN,
                witnesses=listing,
                witness_retry_first=0.05,
                witness_retry_max=0.2,
            )
        )
        url = stack.enter_context(
            serve_asgi(create_app(services=services), "the department's service")
        )
        api_key, _ = services.keys.create(KeyRole.AUDITOR, "inspector-general")
        yield Department(services, url, folder, witnesses, api_key)


def liaison(*args: str) -> Result:
    """The IG's ``liaison`` (no database, no department settings)."""
    return CliRunner().invoke(cli_app, list(args), prog_name="liaison")


@dataclass
class Desk:
    """The IG's folder: the keys it pinned, its API key file, its copy."""

    folder: Path
    vkey: Path
    witness_keys: list[Path]
    key_file: Path

    @property
    def copy(self) -> Path:
        return self.folder / "copy"

    def witness_args(self) -> list[str]:
        return [arg for key in self.witness_keys for arg in ("--witness", str(key))]

    def mirror(self, url: str, *extra: str) -> Result:
        args = ["mirror", url, str(self.copy), "--vkey", str(self.vkey)]
        return liaison(*args, "--key-file", str(self.key_file), "--quiet", *extra)

    def verify_bundle(self, bundle: Path, *extra: str) -> Result:
        return liaison("verify-bundle", str(bundle), *extra)


def ig_desk(tmp_path: Path, dept: Department) -> Desk:
    """What the IG gets from the department (its published vkey, an auditor's key) and
    from the witnesses (their published vkeys), each kept in its own file."""
    folder = tmp_path / "ig-desk"
    folder.mkdir()
    vkey = folder / "dept.vkey"
    vkey.write_text((dept.folder / "keys" / "ledger.vkey").read_text())
    witness_keys = []
    for w in dept.witnesses:
        path = folder / f"{w.name.split('.')[0]}.vkey"
        path.write_text(w.vkey + "\n")
        witness_keys.append(path)
    key_file = folder / "ig-api.key"
    key_file.write_text(dept.api_key + "\n")
    key_file.chmod(0o600)
    return Desk(folder, vkey, witness_keys, key_file)


def both_named(output: str, before: str) -> bool:
    """``output`` names both witnesses, in either order (the order they answered in)."""
    names = ("council.example/witness", "ig.example/witness")
    return any(f"{before}{a}, {b}" in output for a, b in (names, names[::-1]))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "forks" not in p.parts
    }


def test_an_inspector_general_walks_through_and_catches_a_rewrite(
    department: Department, tmp_path: Path
) -> None:
    dept = department
    desk = ig_desk(tmp_path, dept)
    vkey_text = desk.vkey.read_text().strip()
    dept.grow(4)
    dept.checkpoint()
    first = dept.cosigned_by_both()

    # 1. save the cosigned checkpoint: /checkpoint serves it, no key needed
    saved = desk.folder / f"checkpoint-{first}.note"
    saved.write_text(httpx.get(f"{dept.url}/checkpoint").text)
    lines = saved.read_text().splitlines()
    assert lines[:2] == [ORIGIN, str(first)]
    signers = [line.split(" ")[1] for line in lines[4:]]
    assert signers[0] == ORIGIN  # the department's signature, then both witnesses'
    assert sorted(signers[1:]) == ["council.example/witness", "ig.example/witness"]

    # 2. mirror, requiring both witnesses
    got = desk.mirror(dept.url, *desk.witness_args())
    assert got.exit_code == 0, got.output
    assert f"{first} entries" in got.output
    assert both_named(got.output, "cosigned by ")

    # 3. the department records more; pull again
    dept.grow(6)
    dept.checkpoint()
    second = dept.cosigned_by_both()
    got = desk.mirror(dept.url, *desk.witness_args())
    assert got.exit_code == 0, got.output
    assert f"6 new entries: {second} entries" in got.output
    notes = [desk.copy / "checkpoints" / f"{size}.note" for size in (first, second)]
    assert sorted((desk.copy / "checkpoints").iterdir()) == sorted(notes)

    # 4. a bundle downloaded later, pinned to the saved checkpoint, both witnesses required
    bundle = dept.download_bundle(desk.folder / "ledger.jsonl.gz")
    pinned = ["--vkey", vkey_text, "--trusted", str(saved), *desk.witness_args()]
    got = desk.verify_bundle(bundle, *pinned, "--min-witnesses", "2")
    assert got.exit_code == 0, got.output
    assert got.output.startswith(f"OK: {second} entries")
    assert both_named(got.output, f"checkpoint {second} is cosigned by ")
    assert "(2 of 2 given, 2 required)" in got.output
    assert "key: pinned with --vkey" in got.output

    # 5. one entry's proof (the department's file), checked against the saved checkpoint
    proof = desk.folder / "proof.json"
    department_cli = cli_runner(str(dept.services.gateway.ledger.engine.url), dept.folder, ORIGIN)
    made = department_cli(
        "ledger", "prove-inclusion", str(first + 1), "--file", str(proof), "--since", str(first)
    )
    assert made.exit_code == 0, made.output
    args = ["--checkpoint", str(saved), "--vkey", str(desk.vkey), *desk.witness_args()]
    got = liaison("verify-proof", str(proof), *args)
    assert got.exit_code == 0, got.output
    assert "OK   consistency: consistency[0]" in got.output
    assert got.output.rstrip().endswith("VERIFIED: the entry is in the tree you saved")

    # 6. the department rewrites an entry both witnesses cosigned and re-signs its tree
    before = snapshot(desk.copy)
    honest_root = json.loads((desk.copy / "state.json").read_text())["root"]
    dept.rewrite_and_resign(first + 2)
    forged = dept.checkpoint()
    assert forged["size"] == second
    dept.settled(second, Outcome.CONFLICT)  # both refuse: another root at the cosigned size
    for witness in dept.witnesses:
        shown = liaison("witness", "show", "--config", str(witness.config_path), "--json")
        assert shown.exit_code == 0, shown.output
        held = json.loads(shown.output)  # still the honest tree; the forgery kept
        assert (held["size"], held["root"]) == (second, honest_root)
        assert held["refused"] >= 1

    # not cosigned, so refused; and the signed rewrite is a fork: its evidence is kept
    got = desk.mirror(dept.url, *desk.witness_args())
    assert got.exit_code == 1
    assert "FORK: two checkpoints of the same size with different roots" in got.stderr
    assert len(list((desk.copy / "forks").iterdir())) == 1
    got = desk.mirror(dept.url)  # the key alone: the same fork
    assert got.exit_code == 1
    assert "FORK: two checkpoints of the same size with different roots" in got.stderr
    assert snapshot(desk.copy) == before
    assert len(list((desk.copy / "forks").iterdir())) == 2

    rewritten = dept.download_bundle(desk.folder / "rewritten.jsonl.gz")
    saved_notes = [arg for p in notes for arg in ("--trusted", str(p))]
    got = desk.verify_bundle(rewritten, "--vkey", vkey_text, *saved_notes, *desk.witness_args())
    assert got.exit_code == 1
    assert f"FAIL checkpoint {second}: signed root does not match the entries" in got.output
    assert f"first wrong entry: entry {first} or later, before {second}" in got.output
    assert f"signed but NOT witnessed (checkpoint {second} is not cosigned" in got.output
    # pinned to the older saved checkpoint alone: the rewrite after it is consistent with
    # it, so it passes, but says the entries after it are signed and NOT witnessed
    got = desk.verify_bundle(rewritten, *pinned)
    assert got.exit_code == 0, got.output
    assert f"signed but NOT witnessed (checkpoint {second} is not cosigned" in got.output

    # unpinned, the rewritten bundle verifies: it says what it could not check
    got = desk.verify_bundle(rewritten)
    assert got.exit_code == 0, got.output
    assert "key: the bundle itself (pin the published key with --vkey)" in got.output


def test_an_unpinned_bundle_says_it_is_not_pinned_nor_witnessed(
    department: Department, tmp_path: Path
) -> None:
    desk = ig_desk(tmp_path, department)
    department.grow(3)
    department.checkpoint()
    department.cosigned_by_both()
    bundle = department.download_bundle(desk.folder / "ledger.jsonl.gz")
    got = desk.verify_bundle(bundle, "--vkey", desk.vkey.read_text().strip())
    assert got.exit_code == 0, got.output
    assert "witnessed: none required (--witness)" in got.output
    assert "pinned_checkpoints: none (--trusted)" in got.output
    by_file = desk.verify_bundle(bundle, "--vkey", str(desk.vkey))  # the key's file
    assert by_file.exit_code == 0, by_file.output
    assert "key: pinned with --vkey" in by_file.output
    wrong = desk.verify_bundle(bundle, "--vkey", str(desk.folder / "nothing.vkey"))
    assert wrong.exit_code == 1
    assert "--vkey " in wrong.output
    assert "not a verifier key nor a file holding one" in wrong.output
