"""A decision page's proof checked by an inspector general against a checkpoint they saved
(issue 12, item 2; docs/pages.md, "A decision and its proof: `/decisions/{id}`"):
``proof.json``'s checkpoint note carries the configured witnesses' cosignatures that verify
(not another's, not a forged one); ``?since=SIZE`` adds a consistency proof from an older
kept checkpoint, so that ``liaison verify-proof --checkpoint SAVED --witness ...`` passes
against the cosigned checkpoint the reader saved, and fails once the consistency part or the
size is not the saved one's; a bad ``since`` is an error naming it; the page says who
cosigned its checkpoint and offers the proof against a saved checkpoint in a labelled form."""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import Result

from conftest import cli_runner
from liaison.api.witnessing import Witnessing
from liaison.gateway.roles import KeyRole
from liaison.ledger.cosignature import Cosigner, generate_cosigner, parse_cosigner
from liaison.ledger.signed_note import split_note
from liaison.ledger.signing import StoredCheckpoint, add_cosignatures
from liaison.ledger.witness_list import Witness
from site_fixture import ORIGIN, Site, demo_site

HTML = {"Accept": "text/html,application/xhtml+xml"}
ALICE_SKEY, ALICE = generate_cosigner("witness.alice.example")
BOB_SKEY, BOB = generate_cosigner("witness.bob.example")
EVE_SKEY, _ = generate_cosigner("witness.eve.example")  # a witness the deployment does not use
ALICE_C, BOB_C, EVE_C = (parse_cosigner(k) for k in (ALICE_SKEY, BOB_SKEY, EVE_SKEY))
WHEN = 1_760_000_000


@dataclass
class World:
    site: Site
    cli: Callable[..., Result]
    saved: Path  # the checkpoint the inspector general saved, as /checkpoint served it
    saved_size: int
    middle: int  # a kept checkpoint between the saved one and the latest
    decision: str
    actor: str
    vkey: str


def _lines(note: str, *cosigners: Cosigner) -> list[str]:
    text, _ = split_note(note)
    return [c.cosign(text, WHEN) for c in cosigners]


def _forged(line: str) -> str:
    name, payload = line.rstrip("\n").rsplit(" ", 1)
    raw = bytearray(base64.b64decode(payload))
    raw[-1] ^= 1
    return f"{name} {base64.b64encode(bytes(raw)).decode()}\n"


def _decide(site: Site, ident: str) -> int:
    request = {
        "id": ident,
        "at": "2025-08-15T12:00:00-04:00",
        "actor": {"id": "officer-1", "agency": "MPD", "role": "officer", "unit": "1D"},
        "action": "database_inquiry",
        "database": "WALES",
        "purposes": ["warrant_check"],
        "subject": {"id": "person-77", "custody": "stopped"},
    }
    made = site.client.post("/v1/decisions", json=request, headers=site.bearer(KeyRole.OFFICER))
    assert made.status_code == 200, made.text
    index: int = made.json()["ledger_index"]
    return index


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The demo with two witnesses configured (Alice, Bob); its checkpoint cosigned by both
    and saved by the inspector general from /checkpoint; then a decision, a checkpoint, and
    another decision, signed when its proof is asked for."""
    folder = tmp_path_factory.mktemp("pages-decision-saved")
    with demo_site(folder) as site:
        ledger = site.services.gateway.ledger
        witnesses = [Witness("http://127.0.0.1:9", parse_cosigner(k).witness_key)
                     for k in (ALICE_SKEY, BOB_SKEY)]  # fmt: skip
        site.services.witnessing = Witnessing(ledger, witnesses, lambda *_: None)
        first = ledger.latest_checkpoint()
        assert first is not None
        add_cosignatures(ledger.engine, first.size, _lines(first.note, ALICE_C, BOB_C))
        saved = folder / "saved.checkpoint"
        saved.write_text(site.client.get("/checkpoint").text, encoding="utf-8")
        _decide(site, "req-between")
        middle = ledger.checkpoint().size
        _decide(site, "req-saved")
        yield World(
            site,
            cli_runner(site.url, site.folder, ORIGIN),
            saved,
            first.size,
            middle,
            "req-saved",
            "officer-1",
            (folder / "keys" / "ledger.vkey").read_text().strip(),
        )


def _get(w: World, *since: object, headers: dict[str, str] | None = None) -> Any:
    params: list[tuple[str, str | int]] = [("actor", w.actor)]
    params += [("since", str(s)) for s in since]
    return w.site.client.get(
        f"/decisions/{w.decision}/proof.json",
        params=params,
        headers={**w.site.bearer(KeyRole.AUDITOR), **(headers or {})},
    )


def _proof(w: World, *since: object) -> dict[str, Any]:
    got = _get(w, *since)
    assert got.status_code == 200, got.text
    proof: dict[str, Any] = got.json()
    return proof


def _latest(w: World) -> StoredCheckpoint:
    latest = w.site.services.gateway.ledger.latest_checkpoint()
    assert latest is not None
    return latest


def _cosign_latest(w: World, *cosigners: Cosigner) -> StoredCheckpoint:
    """The latest checkpoint (signed for the decision's proof if need be), cosigned."""
    size = _proof(w)["size"]
    latest = _latest(w)
    assert latest.size == size
    return add_cosignatures(w.site.services.gateway.ledger.engine, size,
                            _lines(latest.note, *cosigners))  # fmt: skip


def _verify(w: World, proof: dict[str, Any], tmp_path: Path, *more: str) -> tuple[Result, Any]:
    path = tmp_path / "req-saved.proof.json"
    path.write_text(json.dumps(proof), encoding="utf-8")
    got = w.cli("verify-proof", str(path), "--checkpoint", str(w.saved), "--vkey", w.vkey,
                *more, "--json")  # fmt: skip
    return got, json.loads(got.stdout) if got.stdout.startswith("{") else None


def _failed(report: Any) -> list[str]:
    return [s["step"] for s in report["steps"] if not s["ok"]]


def _cosigned_by(w: World) -> str:
    page = w.site.client.get(
        f"/decisions/{w.decision}?actor={w.actor}",
        headers={**w.site.bearer(KeyRole.AUDITOR), **HTML},
    )
    assert page.status_code == 200, page.text
    found = re.search(r'<dd id="cosigned-by">(.*?)</dd>', page.text, re.S)
    assert found is not None
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1)))


def test_the_saved_checkpoint_is_the_cosigned_one(world: World) -> None:
    saved = world.saved.read_text()
    assert saved.startswith(f"{ORIGIN}\n{world.saved_size}\n")
    assert "— witness.alice.example " in saved
    assert "— witness.bob.example " in saved


def test_the_proof_carries_only_the_configured_witnesses_cosignatures_that_verify(
    world: World,
) -> None:
    alice, bob, eve = _lines(_proof(world)["checkpoint"], ALICE_C, BOB_C, EVE_C)
    latest = _cosign_latest(world)  # nothing yet
    assert _proof(world)["checkpoint"] == latest.note
    assert "no witness yet (configured: witness.alice.example, witness.bob.example)" in (
        _cosigned_by(world)
    )
    engine = world.site.services.gateway.ledger.engine
    add_cosignatures(engine, latest.size, [alice, eve, _forged(bob)])
    assert _proof(world)["checkpoint"] == latest.note + alice  # not Eve's, not the forged one
    shown = _cosigned_by(world)
    assert shown.startswith("witness.alice.example (")
    assert shown.endswith("; not yet by witness.bob.example")
    add_cosignatures(engine, latest.size, [bob])  # replaces the forged line
    assert _proof(world)["checkpoint"] == latest.note + alice + bob
    assert "not yet" not in _cosigned_by(world)
    data = world.site.client.get(
        f"/decisions/{world.decision}?actor={world.actor}&format=json",
        headers=world.site.bearer(KeyRole.AUDITOR),
    ).json()
    assert [c["witness"] for c in data["witnesses"]["cosigned"]] == [
        "witness.alice.example",
        "witness.bob.example",
    ]
    assert data["witnesses"]["pending"] == []


def test_verify_proof_passes_against_the_saved_cosigned_checkpoint(
    world: World, tmp_path: Path
) -> None:
    _cosign_latest(world, ALICE_C, BOB_C)
    witnesses = ("--witness", ALICE, "--witness", BOB)
    proof = _proof(world, world.saved_size)
    assert [p["old_size"] for p in proof["consistency"]] == [world.saved_size]
    got, report = _verify(world, proof, tmp_path, *witnesses)
    assert got.exit_code == 0, got.output
    assert [s["step"] for s in report["steps"]] == [
        "saved", "saved witnesses", "signature", "checkpoint", "leaf", "inclusion",
        "witnesses", "consistency",
    ]  # fmt: skip
    assert f"extends the saved one of {world.saved_size}" in report["steps"][-1]["detail"]
    # without ?since (the file as it was before): the saved tree cannot be related to it
    got, report = _verify(world, _proof(world), tmp_path, *witnesses)
    assert got.exit_code == 1
    assert _failed(report) == ["consistency"]
    assert "(consistency: old_size none)" in report["steps"][-1]["detail"]


def test_the_page_and_the_command_line_build_the_same_file(world: World, tmp_path: Path) -> None:
    latest = _cosign_latest(world, ALICE_C, BOB_C)
    index = _proof(world)["index"]
    path = tmp_path / "cli.proof.json"
    made = world.cli("ledger", "prove-inclusion", str(index), "--file", str(path),
                     "--since", str(world.saved_size), "--since", str(world.middle))  # fmt: skip
    assert made.exit_code == 0, made.output
    cli = json.loads(path.read_text())
    page = _proof(world, world.saved_size, world.middle)
    assert cli["size"] == page["size"] == latest.size
    assert cli["consistency"] == page["consistency"]
    assert (cli["index"], cli["proof"], cli["body"]) == (page["index"], page["proof"], page["body"])
    refused = world.cli("ledger", "prove-inclusion", str(index), "--file", str(path),
                        "--since", str(latest.size + 1))  # fmt: skip
    assert refused.exit_code != 0
    assert "since:" in refused.output


def _flip(value: str) -> str:
    raw = bytearray(base64.b64decode(value))
    raw[0] ^= 1
    return base64.b64encode(bytes(raw)).decode()


def _part(change: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[[Any], Any]:
    def tamper(proof: dict[str, Any]) -> dict[str, Any]:
        return {**proof, "consistency": [change(dict(proof["consistency"][0]))]}

    return tamper


TAMPERINGS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "a consistency hash": _part(lambda p: {**p, "proof": [_flip(p["proof"][0]), *p["proof"][1:]]}),
    "the old root": _part(lambda p: {**p, "old_root": _flip(p["old_root"])}),
    "the old size": _part(lambda p: {**p, "old_size": p["old_size"] + 1}),
    "no consistency part": lambda p: {k: v for k, v in p.items() if k != "consistency"},
}


@pytest.mark.parametrize("what", sorted(TAMPERINGS))
def test_a_tampered_consistency_part_fails(world: World, tmp_path: Path, what: str) -> None:
    _cosign_latest(world, ALICE_C, BOB_C)
    proof = TAMPERINGS[what](_proof(world, world.saved_size))
    got, report = _verify(world, proof, tmp_path, "--witness", ALICE, "--witness", BOB)
    assert got.exit_code == 1, got.output
    assert _failed(report) == ["consistency"]


def test_a_proof_since_another_size_fails_against_the_saved_checkpoint(
    world: World, tmp_path: Path
) -> None:
    _cosign_latest(world, ALICE_C, BOB_C)
    proof = _proof(world, world.middle)
    got, report = _verify(world, proof, tmp_path, "--witness", ALICE, "--witness", BOB)
    assert got.exit_code == 1
    assert f"old_size {world.middle})" in report["steps"][-1]["detail"]
    # the middle tree's proof passed off as one from the saved size
    moved = {**proof, "consistency": [{**proof["consistency"][0], "old_size": world.saved_size}]}
    got, report = _verify(world, moved, tmp_path, "--witness", ALICE, "--witness", BOB)
    assert got.exit_code == 1
    assert _failed(report) == ["consistency"]


def _not_kept(world: World) -> int:
    kept = {c.size for c in world.site.services.gateway.ledger.checkpoints()}
    return next(n for n in range(world.saved_size, 0, -1) if n not in kept)


@pytest.mark.parametrize(
    "since",
    ["abc", "-1", "0", "1.5", "", "9" * 30, "latest", "beyond", "not kept", "too many"],
)
def test_a_bad_since_is_an_error_naming_it(world: World, since: str) -> None:
    size = _proof(world)["size"]
    values: list[object] = {
        "latest": [size],
        "beyond": [size + 3],
        "not kept": [_not_kept(world)],
        "too many": [world.saved_size] * 17,
    }.get(since, [since])
    got = _get(world, *values)
    assert got.status_code == 422, got.text
    error = got.json()["error"]
    assert error["field"] == "since"
    assert error["message"].startswith("since: ")
    page = _get(world, *values, headers=HTML)
    assert page.status_code == 422
    assert "<h1>422: " in page.text
    assert "since: " in html.unescape(page.text)


def test_the_page_offers_the_proof_against_a_saved_checkpoint(world: World) -> None:
    page = world.site.client.get(
        f"/decisions/{world.decision}?actor={world.actor}",
        headers={**world.site.bearer(KeyRole.AUDITOR), **HTML},
    ).text
    assert '<a href="#proof-saved">Proof against a checkpoint you saved</a>' in page
    form = re.search(r'<form id="proof-since"[^>]*action="([^"]+)"[^>]*>(.*?)</form>', page, re.S)
    assert form is not None
    assert form.group(1) == f"/decisions/{world.decision}/proof.json"
    fields = form.group(2)
    assert '<input type="hidden" name="actor" value="officer-1">' in fields
    assert '<label for="since">' in fields
    assert re.search(r'<input id="since" name="since" type="number" min="1" max="\d+"', fields)
    assert "liaison verify-proof req-saved.proof.json --checkpoint" in page
    # the form's request, as a browser sends it
    got = world.site.client.get(
        f"{form.group(1)}?actor={world.actor}&since={world.saved_size}",
        headers={**world.site.bearer(KeyRole.AUDITOR), **HTML},
    )
    assert got.status_code == 200
    assert got.headers["content-disposition"] == 'attachment; filename="req-saved.proof.json"'
    assert got.json()["consistency"][0]["old_size"] == world.saved_size


def test_a_checkpoint_signed_for_a_proof_is_offered_to_the_witnesses(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    offered: list[StoredCheckpoint] = []
    witnessing = world.site.services.witnessing
    assert witnessing is not None
    monkeypatch.setattr(witnessing, "offer", offered.append)
    index = _decide(world.site, "req-fresh")
    got = world.site.client.get(
        "/decisions/req-fresh/proof.json", params={"since": world.saved_size},
        headers=world.site.bearer(KeyRole.AUDITOR),
    )  # fmt: skip
    assert got.status_code == 200, got.text
    proof = got.json()
    assert [c.size for c in offered] == [proof["size"]]
    assert proof["size"] > index
    assert proof["checkpoint"] == offered[0].note  # not cosigned yet
    # until the witnesses cosign it, a reader who requires them is told so
    got, report = _verify(world, proof, tmp_path, "--witness", ALICE, "--witness", BOB)
    assert got.exit_code == 1
    assert _failed(report) == ["witnesses"]
    got, report = _verify(world, proof, tmp_path)  # the log's key alone
    assert got.exit_code == 0, got.output
