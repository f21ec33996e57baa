"""The pack routes of the HTTP API (issue 4): the pack in force, its history, and changes
by admins, each recorded in the ledger, refused with every problem named when invalid."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from structlog.testing import capture_logs

import liaison.gateway.index_writes as index_writes
from conftest import running_services
from liaison.api.app import create_app
from liaison.api.deps import Services
from liaison.gateway.roles import KeyRole
from liaison.policy import shipped_pack_path
from liaison.policy.pack_files import pack_digest, read_pack_files
from test_pack_changes import FORBID_INQUIRIES, NEW, inquiry


@pytest.fixture
def api(db_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, Services, dict[str, Any]]]:
    with running_services(db_url, tmp_path, migrate=False) as services:
        yield from _api(services)


def _api(services: Services) -> Iterator[tuple[TestClient, Services, dict[str, Any]]]:
    keys = services.keys
    made = {
        "admin": keys.create(KeyRole.ADMIN, "admin-1", None)[0],
        "auditor": keys.create(KeyRole.AUDITOR, "auditor-1", None)[0],
        "officer": keys.create(KeyRole.OFFICER, "officer-1", "1D")[0],
    }
    headers = {role: {"Authorization": f"Bearer {key}"} for role, key in made.items()}
    with TestClient(create_app(services=services)) as client:
        yield client, services, headers


def restarted(url: str, folder: Path, **settings: Any) -> AbstractContextManager[Services]:
    """Another process of the same deployment: its services over the same database."""
    return running_services(url, folder, migrate=False, signing_key=False, **settings)


def change(client: TestClient, headers: dict[str, str], files: dict[str, Any], **extra: Any) -> Any:
    base = client.get("/v1/packs/current", headers=headers).json()["digest"]
    body = {"base": base, "reason": "test", "files": files, **extra}
    return client.post("/v1/packs/changes", json=body, headers=headers)


def test_the_first_start_records_the_shipped_pack(api: Any) -> None:
    client, _, headers = api
    current = client.get("/v1/packs/current", headers=headers["officer"]).json()
    files = read_pack_files(shipped_pack_path("dc"))
    assert current["seq"] == 1
    assert current["digest"] == pack_digest(files)
    assert current["files"] == files
    assert current["actor"] == "liaison"
    history = client.get("/v1/packs/changes", headers=headers["auditor"]).json()["changes"]
    assert len(history) == 1
    assert {f["path"] for f in history[0]["files"]} == set(files)


def test_an_admin_changes_the_pack_and_decisions_follow(api: Any) -> None:
    client, services, headers = api
    decision = inquiry("http-before")
    before = client.post("/v1/decisions", json=decision, headers=headers["officer"]).json()
    assert before["decision"]["decision"] == "permit"
    response = change(client, headers["admin"], {NEW: FORBID_INQUIRIES}, reason="a test order")
    assert response.status_code == 200, response.text
    made = response.json()
    assert made["seq"] == 2
    assert made["actor"] == "admin-1"
    assert made["directives"]["added"] == ["TEST-NO-INQUIRIES"]
    assert made["files"] == [{"path": NEW, "change": "added", "sha256": made["files"][0]["sha256"]}]
    entry = client.get(f"/v1/ledger/entries/{made['ledger_index']}", headers=headers["auditor"])
    assert entry.json()["entry"]["kind"] == "pack_change"
    assert entry.json()["entry"]["record"]["reason"] == "a test order"
    after = client.post(
        "/v1/decisions", json={**decision, "id": "http-after"}, headers=headers["officer"]
    ).json()
    assert after["decision"]["decision"] == "deny"
    assert after["ledger_index"] > made["ledger_index"]
    listed = client.get("/v1/directives", headers=headers["officer"]).json()
    assert "TEST-NO-INQUIRIES" in [d["directive"] for d in listed["directives"]]
    one = client.get("/v1/packs/changes/2", headers=headers["auditor"]).json()
    assert NEW in one["pack_files"]
    assert one["digest"] == made["digest"]
    assert services.gateway.packs.seq() == 2
    assert "\nliaison_pack_version 2.0\n" in client.get("/metrics").text


def test_only_an_admin_key_changes_the_pack(api: Any) -> None:
    """The route leaves the check to ``Gateway.change_pack`` (one check, for every caller):
    a valid change by any other key is 403, and nothing is recorded or changed."""
    client, services, headers = api
    before = client.get("/v1/packs/current", headers=headers["admin"]).json()
    size = services.gateway.ledger.head()[0]
    for role in ("officer", "auditor"):
        response = change(client, headers[role], {NEW: FORBID_INQUIRIES})
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "forbidden"
    assert services.gateway.ledger.head()[0] == size
    assert client.get("/v1/packs/current", headers=headers["admin"]).json() == before
    assert change(client, headers["admin"], {NEW: FORBID_INQUIRIES}).status_code == 200


def test_an_invalid_pack_is_refused_with_every_problem(api: Any) -> None:
    client, services, headers = api
    size = services.gateway.ledger.head()[0]
    broken = FORBID_INQUIRIES.replace('title = "No', 'titel = "No').replace(
        'kind = "chief_order"', 'kind = "a_rumour"'
    )
    response = change(client, headers["admin"], {NEW: broken})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_pack"
    located = {(p["file"], p["line"]) for p in error["problems"]}
    assert (NEW, 2) in located  # titel: unknown key
    assert (NEW, 3) in located  # kind: not a kind of directive
    assert all(not p["file"].startswith("/") for p in error["problems"])  # no server paths
    assert services.gateway.ledger.head()[0] == size


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": "r", "files": {NEW: "x"}}, "base"),
        ({"base": "b", "files": {NEW: "x"}}, "reason"),
        ({"base": "b", "reason": "r", "files": {}}, "files"),
        ({"base": "b", "reason": "r", "files": {NEW: 3}}, f"files.{NEW}"),
        ({"base": "b", "reason": "r", "files": {NEW: "x"}, "extra": 1}, "extra"),
    ],
)
def test_a_bad_change_body_names_the_field(api: Any, body: dict[str, Any], field: str) -> None:
    client, _, headers = api
    response = client.post("/v1/packs/changes", json=body, headers=headers["admin"])
    assert response.status_code == 422
    assert response.json()["error"]["field"] == field


def test_a_change_against_an_old_pack_is_409(api: Any) -> None:
    client, _, headers = api
    old = client.get("/v1/packs/current", headers=headers["admin"]).json()["digest"]
    assert change(client, headers["admin"], {NEW: FORBID_INQUIRIES}).status_code == 200
    stale = client.post(
        "/v1/packs/changes",
        json={"base": old, "reason": "r", "files": {NEW: None}},
        headers=headers["admin"],
    )
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "conflict"
    assert client.get("/v1/packs/changes/3", headers=headers["admin"]).status_code == 404


def test_a_pack_that_keeps_changing_is_503_and_records_nothing(
    api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every try meets a newer pack: the caller is told to retry (503 ``unavailable``),
    nothing is recorded, and the same request sent again is decided afresh."""
    client, services, headers = api
    real = index_writes.current_seq
    moving = {"on": True}
    monkeypatch.setattr(
        index_writes, "current_seq", lambda conn: 999 if moving["on"] else real(conn)
    )
    size = services.gateway.ledger.head()[0]
    refused = client.post("/v1/decisions", json=inquiry("moving"), headers=headers["officer"])
    assert refused.status_code == 503, refused.text
    assert refused.json()["error"]["code"] == "unavailable"
    assert "not decided" in refused.json()["error"]["message"]
    assert services.gateway.ledger.head()[0] == size
    read = client.get("/v1/decisions/moving", headers=headers["officer"])
    assert read.status_code == 404
    moving["on"] = False
    again = client.post("/v1/decisions", json=inquiry("moving"), headers=headers["officer"])
    assert again.status_code == 200, again.text
    assert again.json()["decision"]["decision"] == "permit"
    assert not again.json().get("replayed")
    assert services.gateway.ledger.head()[0] == size + 1


def test_a_restart_keeps_the_pack_in_force(api: Any, db_url: str, tmp_path: Path) -> None:
    """The database holds the pack in force: a new process decides under the change, and
    the folder it was configured with does not replace it."""
    client, services, headers = api
    assert change(client, headers["admin"], {NEW: FORBID_INQUIRIES}).status_code == 200
    size = services.gateway.ledger.head()[0]
    folder = tmp_path / "edited-dc"
    shutil.copytree(shipped_pack_path("dc"), folder)
    (folder / "views.toml").write_text("# edited\n" + (folder / "views.toml").read_text())
    with (
        capture_logs() as logs,
        restarted(db_url, tmp_path, pack_dir=folder) as again,
    ):
        assert again.gateway.ledger.head()[0] == size  # nothing recorded at start
        assert "TEST-NO-INQUIRIES" in again.gateway.policy.pack.directives
        warned = [e for e in logs if e["event"] == "pack_folder_not_in_force"]
        assert warned, logs
        assert warned[0]["log_level"] == "warning"
        assert warned[0]["seq"] == 2


def test_another_process_decides_under_the_change(api: Any, db_url: str, tmp_path: Path) -> None:
    """A second service over the same database (another process, another host) that has
    not seen a change yet makes its next decision again under the changed pack."""
    client, _, headers = api
    with restarted(db_url, tmp_path) as other, TestClient(create_app(services=other)) as second:
        warm = second.post("/v1/decisions", json=inquiry("p2-warm"), headers=headers["officer"])
        assert warm.json()["decision"]["decision"] == "permit"
        made = change(client, headers["admin"], {NEW: FORBID_INQUIRIES}).json()
        late = second.post("/v1/decisions", json=inquiry("p2-late"), headers=headers["officer"])
        assert late.status_code == 200, late.text
        assert late.json()["decision"]["decision"] == "deny"
        assert late.json()["ledger_index"] > made["ledger_index"]


def test_a_broken_folder_does_not_stop_a_recorded_deployment(
    api: Any, db_url: str, tmp_path: Path
) -> None:
    """Once the database holds the pack, the folder is not used: a half-edited one is
    reported, and the service starts under the recorded pack."""
    half = tmp_path / "half-edited"
    shutil.copytree(shipped_pack_path("dc"), half)
    (half / "views.toml").write_text("this is not TOML [")
    for folder, digest in [(half, pack_digest(read_pack_files(half))), (tmp_path / "gone", None)]:
        with capture_logs() as logs, restarted(db_url, tmp_path, pack_dir=folder) as again:
            assert again.gateway.packs.seq() == 1
            assert "MPD-BASELINE" in again.gateway.policy.pack.directives
            warned = [e for e in logs if e["event"] == "pack_folder_not_in_force"]
            assert len(warned) == 1
            assert warned[0]["folder_digest"] == digest
            assert (warned[0]["folder_problem"] is None) == (digest is not None)
