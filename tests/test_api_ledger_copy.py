"""The ledger for an auditor's own copy (issue 12, item 3): ``GET /v1/ledger/bundle`` (the
export, streamed and gzip-compressed, with a range), ``GET /v1/ledger/checkpoints`` (every
kept checkpoint with its cosignatures) and ``GET /v1/ledger/entries?from=&to=`` (pages of
entries as hashed). The roles are in tests/test_api_roles.py."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert

from conftest import BACKENDS, cli_runner, database_url, running_services
from liaison.api.app import create_app
from liaison.api.deps import Services
from liaison.api.witnessing import Witnessing
from liaison.gateway.roles import KeyRole
from liaison.ledger.bundle import verify_bundle
from liaison.ledger.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from liaison.ledger.checkpoint_signer import LocalSigner
from liaison.ledger.cosignature import (
    generate_cosigner,
    parse_cosigner,
    parse_witness_key,
    verify_cosignatures,
)
from liaison.ledger.entries import NewEntry
from liaison.ledger.keys import load_vkey
from liaison.ledger.note_keys import parse_verifier
from liaison.ledger.signed_note import split_note
from liaison.ledger.signing import add_cosignatures
from liaison.ledger.witness_list import Witness
from liaison.storage.tables import ledger_checkpoints

ORIGIN = "test.example/copy"
WITNESS_SKEY, WITNESS_VKEY = generate_cosigner("witness.example/one")


@dataclass
class Api:
    client: TestClient
    services: Services
    auditor: dict[str, str]
    officer: dict[str, str]
    vkey: str
    folder: Path
    url: str


def _append(services: Services, count: int, start: int = 0) -> None:
    services.gateway.ledger.append_many(
        [NewEntry("event", {"n": start + i}, f"officer-{i % 7}") for i in range(count)]
    )


@pytest.fixture(scope="module", params=BACKENDS)
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """1050 entries (the first the pack's record), signed at 10 (cosigned by a witness), 30
    and 1050; personal data in the first entry added here."""
    folder = tmp_path_factory.mktemp("copy")
    for url in database_url(request.param, folder):
        with running_services(url, folder, log_origin=ORIGIN) as services:
            ledger = services.gateway.ledger
            ledger.append(NewEntry("decision", {"n": -1}, "officer-1", {"name": "A. Person"}))
            _append(services, 10 - ledger.head()[0])
            ten = ledger.checkpoint()
            assert ten.size == 10
            line = parse_cosigner(WITNESS_SKEY).cosign(split_note(ten.note)[0], 1_760_000_000)
            add_cosignatures(ledger.engine, 10, [line])
            _append(services, 20, 10)
            ledger.checkpoint()
            _append(services, 1020, 30)
            ledger.checkpoint()
            made = {
                role: services.keys.create(role, f"{role.value}-1", "1D")[0]
                for role in (KeyRole.AUDITOR, KeyRole.OFFICER)
            }
            vkey = load_vkey(folder / "keys")
            assert vkey is not None
            # Published: the cosignatures of the witnesses the deployment is configured
            # with (this one, at an address that refuses: it is never reached here).
            witness = Witness("http://127.0.0.1:9", parse_cosigner(WITNESS_SKEY).witness_key)
            services.witnessing = Witnessing(ledger, [witness], lambda *_: None)
            with TestClient(create_app(services=services)) as client:
                yield Api(
                    client,
                    services,
                    {"Authorization": f"Bearer {made[KeyRole.AUDITOR]}"},
                    {"Authorization": f"Bearer {made[KeyRole.OFFICER]}"},
                    vkey,
                    folder,
                    url,
                )


def _bundle(api: Api, tmp_path: Path, **params: Any) -> tuple[Path, list[dict[str, Any]]]:
    got = api.client.get("/v1/ledger/bundle", params=params, headers=api.auditor)
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "application/gzip"
    disposition = got.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="ledger-')
    assert disposition.endswith('.jsonl.gz"')
    path = tmp_path / "downloaded.jsonl.gz"
    path.write_bytes(got.content)  # the bytes as sent: gzip, not decoded by the client
    lines = [json.loads(line) for line in gzip.decompress(got.content).splitlines()]
    return path, lines


def test_the_bundle_is_the_export_and_verifies(api: Api, tmp_path: Path) -> None:
    path, lines = _bundle(api, tmp_path)
    report, header = verify_bundle(path, api.vkey)
    assert report.ok, report.problems
    assert (report.size, report.checkpoints_verified, report.uncovered) == (1050, 3, 0)
    assert header["size"] == 1050
    assert header["vkey"] == api.vkey
    assert [line["index"] for line in lines[4:]] == list(range(1050))
    assert "A. Person" not in gzip.decompress(path.read_bytes()).decode()
    # the CLI's export writes the same lines (one generator)
    from liaison.ledger.bundle_export import export_bundle

    exported = tmp_path / "exported.jsonl"
    assert export_bundle(api.services.gateway.ledger, exported, api.vkey) == (1050, 3)
    ours = [json.loads(line) for line in exported.read_text().splitlines()]
    assert [_no_time(x) for x in ours] == [_no_time(x) for x in lines]


def _no_time(line: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in line.items() if k != "exported_at"}


def test_checkpoint_lines_carry_the_cosignatures(api: Api, tmp_path: Path) -> None:
    _, lines = _bundle(api, tmp_path)
    ten = lines[1]["checkpoint"]
    witness = parse_witness_key(WITNESS_VKEY)
    assert [c.witness for c in verify_cosignatures(ten, [witness])] == [witness.name]
    assert open_checkpoint(ten, parse_verifier(api.vkey), ORIGIN).size == 10
    assert verify_cosignatures(lines[2]["checkpoint"], [witness]) == []


def test_a_range_is_the_bundle_as_of_a_checkpoint(api: Api, tmp_path: Path) -> None:
    path, lines = _bundle(api, tmp_path, to=30)
    report, header = verify_bundle(path, api.vkey)
    assert report.ok, report.problems
    assert (report.size, report.checkpoints_verified) == (30, 2)
    listed = api.client.get("/v1/ledger/checkpoints", headers=api.auditor).json()
    assert header["root"] == listed["checkpoints"][1]["root"]
    assert len([x for x in lines if "checkpoint" in x]) == 2
    path, lines = _bundle(api, tmp_path, to=25)  # between checkpoints: 10 only
    report, _ = verify_bundle(path, api.vkey)
    assert (report.ok, report.size, report.checkpoints_verified, report.uncovered) == (
        True,
        25,
        1,
        15,
    )


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [({"to": -1}, 422, "to"), ({"to": "x"}, 422, "to"), ({"to": 1051}, 404, None)],
)
def test_bad_bundle_ranges(api: Api, params: dict[str, Any], status: int, field: str) -> None:
    got = api.client.get("/v1/ledger/bundle", params=params, headers=api.auditor)
    assert got.status_code == status
    assert got.json()["error"].get("field") == field


def test_the_bundle_is_refused_when_a_checkpoint_is_beyond_the_tree(api: Api) -> None:
    ledger = api.services.gateway.ledger
    size, _ = ledger.head()
    signer = ledger.signer
    assert isinstance(signer, LocalSigner)  # the key, in this process
    note = sign_checkpoint(Checkpoint(ORIGIN, size + 5, b"\x07" * 32), signer.key)
    row = {"size": size + 5, "root": b"\x07" * 32, "note": note, "created_at": _now()}
    with ledger.engine.begin() as conn:
        conn.execute(insert(ledger_checkpoints), [row])
    try:
        got = api.client.get("/v1/ledger/bundle", headers=api.auditor)
        assert got.status_code == 503
        assert got.json()["error"]["code"] == "ledger_error"
        assert "larger than its tree" in got.json()["error"]["message"]
    finally:
        with ledger.engine.begin() as conn:
            conn.execute(ledger_checkpoints.delete().where(ledger_checkpoints.c.size == size + 5))


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def test_every_checkpoint_page_by_page(api: Api) -> None:
    every = api.client.get("/v1/ledger/checkpoints", headers=api.officer).json()
    assert [c["size"] for c in every["checkpoints"]] == [10, 30, 1050]
    assert every["next"] is None
    first = every["checkpoints"][0]
    assert set(first) == {"size", "root", "note", "cosigned_note", "created_at"}
    assert first["cosigned_note"].startswith(first["note"])
    assert first["cosigned_note"] != first["note"]  # the witness's line
    assert every["checkpoints"][1]["cosigned_note"] == every["checkpoints"][1]["note"]
    page = api.client.get("/v1/ledger/checkpoints?limit=2", headers=api.officer).json()
    assert [c["size"] for c in page["checkpoints"]] == [10, 30]
    assert page["next"] == 30
    rest = api.client.get("/v1/ledger/checkpoints?after=30&limit=2", headers=api.officer)
    assert [c["size"] for c in rest.json()["checkpoints"]] == [1050]
    assert rest.json()["next"] is None


@pytest.mark.parametrize(
    ("query", "field"),
    [("limit=0", "limit"), ("limit=1001", "limit"), ("after=-2", "after"), ("after=x", "after")],
)
def test_bad_checkpoint_pages_name_the_parameter(api: Api, query: str, field: str) -> None:
    got = api.client.get(f"/v1/ledger/checkpoints?{query}", headers=api.officer)
    assert got.status_code == 422
    assert got.json()["error"]["field"] == field


def test_entries_as_hashed_without_personal_data(api: Api) -> None:
    got = api.client.get("/v1/ledger/entries?from=0&to=3", headers=api.auditor).json()
    assert (got["from"], got["to"], got["size"], got["next"]) == (0, 3, 1050, None)
    assert [e["index"] for e in got["entries"]] == [0, 1, 2]
    for entry in got["entries"]:
        assert set(entry) == {"index", "entry", "leaf_hash"}
        leaf = hashlib.sha256(b"\x00" + entry["entry"].encode()).digest()
        assert base64.b64decode(entry["leaf_hash"]) == leaf
    assert "A. Person" not in json.dumps(got)
    personal = [json.loads(e["entry"]).get("personal", "") for e in got["entries"]]
    assert [p[:7] for p in personal if p] == ["sha256:"]


def test_entries_come_in_pages_of_at_most_1000(api: Api) -> None:
    got = api.client.get("/v1/ledger/entries?from=20", headers=api.auditor).json()
    assert (got["from"], got["to"], got["next"], len(got["entries"])) == (20, 1020, 1020, 1000)
    rest = api.client.get("/v1/ledger/entries?from=1020", headers=api.auditor).json()
    assert (rest["to"], rest["next"], len(rest["entries"])) == (1050, None, 30)
    asked = api.client.get("/v1/ledger/entries?from=0&to=1040", headers=api.auditor).json()
    assert (asked["to"], asked["next"]) == (1000, 1000)


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("", 422, "from"),
        ("from=-1", 422, "from"),
        ("from=x", 422, "from"),
        ("from=5&to=5", 422, "to"),
        ("from=5&to=4", 422, "to"),
        ("from=0&to=0", 422, "to"),
        ("from=1050", 404, None),
        ("from=1000&to=1051", 404, None),
    ],
)
def test_bad_entry_ranges(api: Api, query: str, status: int, field: str | None) -> None:
    got = api.client.get(f"/v1/ledger/entries?{query}", headers=api.auditor)
    assert got.status_code == status, got.text
    assert got.json()["error"].get("field") == field


def test_the_command_line_export_takes_the_same_range(api: Api, tmp_path: Path) -> None:
    cli = cli_runner(api.url, api.folder, ORIGIN)
    path = tmp_path / "to-30.jsonl.gz"
    got = cli("ledger", "export", str(path), "--to", "30")
    assert got.exit_code == 0, got.output
    assert "30 entries, 2 checkpoints" in got.stdout
    report, header = verify_bundle(path, api.vkey)
    assert (report.ok, report.size, header["size"]) == (True, 30, 30)
    beyond = cli("ledger", "export", str(tmp_path / "x.jsonl"), "--to", "5000")
    assert beyond.exit_code == 1
    assert "the ledger has 1050 entries: no tree of size 5000" in beyond.stderr


def test_gzip_chunks_are_one_gzip_member_sent_as_it_comes() -> None:
    from liaison.ledger.bundle_export import gzip_chunks

    lines = [
        json.dumps({"index": i, "entry": hashlib.sha256(bytes(i)).hexdigest()}) + "\n"
        for i in range(3000)
    ]
    chunks = list(gzip_chunks(iter(lines), chunk=4096))
    assert len(chunks) > 3  # sent as zlib emits them, never the whole at once
    assert gzip.decompress(b"".join(chunks)).decode() == "".join(lines)
