"""The HTTP API under /v1 on each backend: every route's happy path, the one error shape
(``{"error": {"code", "message", "field"?}}``) on every failure, batches, metrics, and a
checkpoint that opens with the deployment's verifier and agrees with the proofs served."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from conftest import BACKENDS, database_url, running_services
from liaison.api.app import create_app
from liaison.api.deps import Services
from liaison.gateway.auth import KeyStore
from liaison.gateway.roles import KeyRole
from liaison.ledger import merkle
from liaison.ledger.canonical import canonical_json
from liaison.ledger.checkpoint import open_checkpoint
from liaison.ledger.keys import load_verifier
from liaison.ledger.log import Ledger
from liaison.settings import MAX_BATCH, Settings
from liaison.storage.database import open_engine
from liaison.storage.migrate import upgrade

NOON = "2025-08-15T12:00:00-04:00"
ICE = {"agency": "ICE-ERO", "type": "federal_immigration"}


@dataclass
class Api:
    client: TestClient
    services: Services
    settings: Settings
    officer: dict[str, str]
    supervisor: dict[str, str]
    auditor: dict[str, str]

    def size(self) -> int:
        return self.services.gateway.ledger.head()[0]


@pytest.fixture(scope="module", params=BACKENDS)
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    tmp_path = tmp_path_factory.mktemp("api")
    for db_url in database_url(request.param, tmp_path):
        with (
            running_services(db_url, tmp_path) as services,
            TestClient(create_app(services=services)) as client,
        ):
            assert services.settings is not None
            yield Api(
                client,
                services,
                services.settings,
                bearer(services.keys, KeyRole.OFFICER, "officer-1", "1D"),
                bearer(services.keys, KeyRole.SUPERVISOR, "sergeant-1", "1D"),
                bearer(services.keys, KeyRole.AUDITOR, "auditor-1"),
            )


def bearer(keys: KeyStore, role: KeyRole, actor: str, unit: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {keys.create(role, actor, unit)[0]}"}


def actor(n: int = 1, unit: str = "1D") -> dict[str, Any]:
    return {"id": f"officer-{n}", "agency": "MPD", "role": "officer", "unit": unit}


def inquiry(ident: str | None, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "at": NOON,
        "actor": actor(),
        "action": "database_inquiry",
        "database": "WALES",
        "purposes": ["warrant_check"],
        "subject": {"id": "person-77", "custody": "stopped"},
    }
    if ident is not None:
        body["id"] = ident
    body.update(fields)
    return body


ANY = object()  # assert_error: any field, or none


def assert_error(
    response: Response, status: int, code: str, field: str | object | None = ANY
) -> dict[str, Any]:
    """The one error shape; ``field`` checked when given (None: absent or null)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert {"code", "message"} <= set(error) <= {"code", "message", "field"}, error
    assert error["code"] == code
    assert isinstance(error["message"], str)
    assert error["message"]
    if field is not ANY:
        assert error.get("field") == field, error
    return dict(error)


# -- service routes --------------------------------------------------------------------------


def test_healthz(api: Api) -> None:
    response = api.client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["pack"] == "dc"
    assert body["ledger_size"] == api.size()


def test_livez(api: Api) -> None:
    response = api.client.get("/livez")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_metrics(api: Api) -> None:
    assert api.client.post("/v1/decisions", json=inquiry(None), headers=api.officer).is_success
    denied = inquiry(None, database="NCIC", purposes=["immigration_status"])
    assert api.client.post("/v1/decisions", json=denied, headers=api.officer).is_success
    response = api.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    found = set()
    for line in re.findall(r"^liaison_decisions_total\{(.*)\} \S+$", text, re.M):
        labels = dict(re.findall(r'(\w+)="([^"]*)"', line))
        assert set(labels) == {"decision", "basis", "directive"}
        found.add((labels["decision"], labels["basis"], labels["directive"]))
    assert ("permit", "permit", "MPD-BASELINE") in found
    assert ("deny", "forbid", "EO-25-005") in found
    size = re.search(r"^liaison_ledger_size (\S+)$", text, re.M)
    assert size is not None
    assert float(size.group(1)) == api.size()
    count = re.search(r"^liaison_append_latency_seconds_count (\S+)$", text, re.M)
    assert count is not None
    assert float(count.group(1)) >= 2
    assert 'liaison_append_latency_seconds_bucket{le="0.005"}' in text


# -- decisions ------------------------------------------------------------------------------


def test_post_one_decision_and_read_it_back(api: Api) -> None:
    before = api.size()
    response = api.client.post("/v1/decisions", json=inquiry("api-one"), headers=api.officer)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"id", "decision", "ledger_index", "replayed"}
    assert body["id"] == "api-one"
    assert body["replayed"] is False
    assert body["ledger_index"] == before
    decision = body["decision"]
    assert (decision["decision"], decision["basis"]) == ("permit", "permit")
    assert decision["citations"][0]["directive"] == "MPD-BASELINE"
    assert decision["at"] == NOON
    assert decision["policy_version"].startswith("sha256:")
    assert api.size() == before + 1

    read = api.client.get("/v1/decisions/api-one", headers=api.officer)
    assert read.status_code == 200
    got = read.json()
    assert got["ledger_index"] == body["ledger_index"]
    assert got["decision"] == decision
    assert got["request"]["subject"] == {"custody": "stopped", "federal_criminal_charge": False}

    entry = api.client.get(f"/v1/ledger/entries/{before}", headers=api.auditor).json()
    assert entry["entry"]["record"]["decision"] == decision
    assert entry["personal"] == {"subject_id": "person-77"}


def test_replay_and_conflict(api: Api) -> None:
    first = api.client.post("/v1/decisions", json=inquiry("api-replay"), headers=api.officer)
    size = api.size()
    again = api.client.post("/v1/decisions", json=inquiry("api-replay"), headers=api.officer)
    assert again.status_code == 200
    assert again.json()["replayed"] is True
    assert again.json()["ledger_index"] == first.json()["ledger_index"]
    other = inquiry("api-replay", database="DMV")
    assert_error(api.client.post("/v1/decisions", json=other, headers=api.officer), 409, "conflict")
    assert api.size() == size


def test_batch_with_valid_and_invalid_items(api: Api) -> None:
    before = api.size()
    batch: list[Any] = [
        inquiry("batch-1"),
        {k: v for k, v in inquiry("batch-2").items() if k != "actor"},
        {**inquiry("batch-3"), "colour": "blue"},
        5,
        inquiry("batch-5", actor=actor(2)),  # another officer: forbidden, alone
        inquiry("batch-1"),  # a replay of the first item
        inquiry(None, action="share_information"),  # recipient etc. missing
        inquiry("batch-8", id="a\u0000b"),
        inquiry("batch-9", subject={"id": "person-78", "custody": "free"}),
    ]
    response = api.client.post("/v1/decisions", json=batch, headers=api.officer)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert len(results) == len(batch)
    assert results[0]["decision"]["decision"] == "permit"
    assert results[0]["ledger_index"] == before
    expected_errors = {
        1: ("batch-2", "invalid_request", "actor"),
        2: ("batch-3", "invalid_request", "colour"),
        3: (None, "invalid_request", None),
        4: ("batch-5", "forbidden", None),
        6: (None, "invalid_request", "recipient"),
        7: ("a\u0000b", "invalid_request", "id"),
    }
    for n, (ident, code, field) in expected_errors.items():
        item = results[n]
        assert set(item) == {"id", "error"}, item
        assert item["id"] == ident
        assert item["error"]["code"] == code
        assert item["error"].get("field") == field
    assert results[5]["replayed"] is True
    assert results[5]["ledger_index"] == before
    assert results[8]["ledger_index"] == before + 1
    assert api.size() == before + 2  # only the two new, valid, allowed items


@pytest.mark.parametrize("body", [[], "many"])
def test_batch_size_limits(api: Api, body: Any) -> None:
    if body == "many":
        body = [inquiry(None)] * (MAX_BATCH + 1)
    before = api.size()
    response = api.client.post("/v1/decisions", json=body, headers=api.officer)
    error = assert_error(response, 422, "invalid_request", None)
    assert str(MAX_BATCH) in error["message"]
    assert api.size() == before


INVALID: list[tuple[str, bytes | dict[str, Any] | str, str | None]] = [
    ("not JSON", b'{"actor": ', None),
    ("not UTF-8", b"\xff\xfe{}", None),
    ("a JSON string", json.dumps(json.dumps(inquiry("in-string"))), None),
    ("a number", "5", None),
    ("missing actor", {k: v for k, v in inquiry("x").items() if k != "actor"}, "actor"),
    ("missing actor.id", inquiry("x", actor={"agency": "MPD", "role": "officer"}), "actor.id"),
    ("unknown field", {**inquiry("x"), "colour": "blue"}, "colour"),
    ("unknown action", inquiry("x", action="deport"), "action"),
    ("unknown custody", inquiry("x", subject={"id": "p", "custody": "jail"}), "subject.custody"),
    ("unknown view", inquiry("x", view="nope"), "view"),
    ("at without offset", inquiry("x", at="2025-08-15T12:00:00"), "at"),
    ("at out of range", inquiry("x", at="9999-12-31T23:59:59-12:00"), "at"),
    ("database required", {k: v for k, v in inquiry("x").items() if k != "database"}, "database"),
    ("empty purposes", inquiry("x", purposes=[]), "purposes"),
    ("NUL in an id", inquiry("x\u0000"), "id"),
]


@pytest.mark.parametrize(("body", "field"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_decision_requests(api: Api, body: Any, field: str | None) -> None:
    before = api.size()
    content = (
        body
        if isinstance(body, bytes)
        else (body if isinstance(body, str) else json.dumps(body)).encode()
    )
    response = api.client.post(
        "/v1/decisions",
        content=content,
        headers={**api.officer, "content-type": "application/json"},
    )
    assert_error(response, 422, "invalid_request", field)
    assert api.size() == before  # a rejected request is never decided, nor recorded


def test_unknown_decision_is_404(api: Api) -> None:
    assert_error(api.client.get("/v1/decisions/no-such", headers=api.auditor), 404, "not_found")


# -- events and encounters ---------------------------------------------------------------------


def test_events_and_encounters(api: Api) -> None:
    cp = {
        "kind": "checkpoint",
        "id": "api-cp",
        "district": "1D",
        "place": "14th St NW at Riggs St NW",
        "agencies": [{"agency": "MPD", "type": "state_local"}, ICE],
        "declared_purpose": "traffic safety compliance checkpoint",
    }
    ref = {"kind": "checkpoint", "id": "api-cp"}
    post = api.client.post
    started = post(
        "/v1/events",
        json={"at": NOON, "kind": "encounter_started", "actor": actor(), "encounter": cp},
        headers=api.officer,
    )
    assert started.status_code == 200, started.text
    assert started.json()["flagged"] is None
    decided = post("/v1/decisions", json=inquiry("api-cp-1", encounter=ref), headers=api.officer)
    assert decided.status_code == 200
    done = {
        "id": "api-evt-1",
        "at": "2025-08-15T12:05:00-04:00",
        "kind": "action_carried_out",
        "action": "database_inquiry",
        "decision_id": "api-cp-1",
        "actor": actor(),
        "encounter": ref,
    }
    response = post("/v1/events", json=done, headers=api.officer)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "id": "api-evt-1",
        "ledger_index": api.size() - 1,
        "flagged": None,
    }
    unannounced = {
        "at": "2025-08-15T12:10:00-04:00",
        "kind": "notification_sent",
        "action": "share_information",
        "actor": actor(),
        "encounter": ref,
    }
    flagged = post("/v1/events", json=unannounced, headers=api.officer)
    assert flagged.status_code == 200
    assert flagged.json()["flagged"] == "no_decision"
    assert_error(post("/v1/events", json=done, headers=api.officer), 409, "conflict")

    seen = api.client.get("/v1/encounters/api-cp", headers=api.supervisor)
    assert seen.status_code == 200, seen.text
    body = seen.json()
    assert body["declared_purpose"] == "traffic safety compliance checkpoint"
    assert body["agencies"] == cp["agencies"]
    # With ICE, and things done under it, but no joint_operation ever decided (issue 10).
    assert body["flagged"] == ["joint_operation_not_decided"]
    assert body["started_at"] is not None
    assert body["ended_at"] is None
    assert body["records_show"] == {
        "decisions_by_action": {"database_inquiry": {"permit": 1, "deny": 0}},
        "events_by_kind": {"encounter_started": 1, "action_carried_out": 1, "notification_sent": 1},
        "flagged_events": 1,
    }
    assert [d["id"] for d in body["decisions"]] == ["api-cp-1"]
    no_such = api.client.get("/v1/encounters/no-such", headers=api.auditor)
    assert_error(no_such, 404, "not_found")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("[1]", None),
        ('{"at": ', None),
        (json.dumps({"at": NOON, "actor": actor()}), "kind"),
        (json.dumps({"at": NOON, "kind": "teleport", "actor": actor()}), "kind"),
        (json.dumps({"at": "yesterday", "kind": "arrest", "actor": actor()}), "at"),
        (json.dumps({"at": NOON, "kind": "arrest", "actor": actor(), "x": 1}), "x"),
        (json.dumps({"at": NOON, "kind": "arrest", "actor": actor(), "note": "\u0000"}), "note"),
        (
            json.dumps({"at": "0001-01-01T00:00:00+14:00", "kind": "arrest", "actor": actor()}),
            "at",
        ),
    ],
)
def test_invalid_events(api: Api, body: str, field: str | None) -> None:
    before = api.size()
    response = api.client.post(
        "/v1/events",
        content=body.encode(),
        headers={**api.officer, "content-type": "application/json"},
    )
    assert_error(response, 422, "invalid_request", field)
    assert api.size() == before


# -- directives ------------------------------------------------------------------------------


def test_directives(api: Api) -> None:
    response = api.client.get("/v1/directives", params={"at": NOON}, headers=api.officer)
    assert response.status_code == 200
    body = response.json()
    assert body["view"] == "mpd"
    assert body["at"] == NOON
    assert "EO-25-005" in body["in_force"]
    assert body["policy_version"].startswith("sha256:")
    assert {d["directive"] for d in body["directives"]} >= set(body["in_force"])
    doj = api.client.get("/v1/directives", params={"at": NOON, "view": "doj"}, headers=api.officer)
    assert doj.status_code == 200
    assert doj.json()["view"] == "doj"
    assert api.client.get("/v1/directives", headers=api.officer).status_code == 200  # now


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"at": "yesterday"}, "at"),
        ({"at": "2025-08-15T12:00:00"}, "at"),
        ({"at": "9999-12-31T23:59:59-12:00"}, "at"),
        ({"view": "nope"}, "view"),
        ({"at": NOON, "view": ""}, "view"),
    ],
)
def test_directives_errors(api: Api, params: dict[str, str], field: str) -> None:
    response = api.client.get("/v1/directives", params=params, headers=api.officer)
    assert_error(response, 422, "invalid_request", field)


# -- the ledger ------------------------------------------------------------------------------


def _b64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def test_checkpoint_opens_with_the_verifier_and_matches_the_proofs(api: Api) -> None:
    for n in range(3):
        api.client.post("/v1/decisions", json=inquiry(f"api-cp-proof-{n}"), headers=api.officer)
    verifier = load_verifier(api.settings.key_dir)
    assert verifier is not None
    get = api.client.get
    first = get("/v1/ledger/checkpoint", headers=api.auditor)
    assert first.status_code == 200
    old = first.json()
    opened = open_checkpoint(old["note"], verifier, api.settings.log_origin)
    assert opened.size == old["size"] == api.size()
    assert opened.root == _b64(old["root"])

    for index in sorted({0, old["size"] // 2, old["size"] - 1}):
        proof = get(
            "/v1/ledger/proofs/inclusion",
            params={"index": index, "size": old["size"]},
            headers=api.auditor,
        ).json()
        assert (proof["index"], proof["size"]) == (index, old["size"])
        assert _b64(proof["root"]) == opened.root
        entry = get(f"/v1/ledger/entries/{index}", headers=api.auditor).json()
        leaf = merkle.leaf_hash(canonical_json(entry["entry"]))
        assert _b64(entry["leaf_hash"]) == leaf == _b64(proof["leaf_hash"])
        hashes = [_b64(h) for h in proof["proof"]]
        assert merkle.verify_inclusion(leaf, index, old["size"], hashes, opened.root)

    api.client.post("/v1/decisions", json=inquiry("api-cp-proof-late"), headers=api.officer)
    new = get("/v1/ledger/checkpoint", headers=api.auditor).json()
    reopened = open_checkpoint(new["note"], verifier, api.settings.log_origin)
    assert reopened.size == old["size"] + 1
    consistency = get(
        "/v1/ledger/proofs/consistency",
        params={"old": old["size"], "new": new["size"]},
        headers=api.auditor,
    ).json()
    assert _b64(consistency["old_root"]) == opened.root
    assert _b64(consistency["new_root"]) == reopened.root
    assert merkle.verify_consistency(
        old["size"],
        new["size"],
        opened.root,
        reopened.root,
        [_b64(h) for h in consistency["proof"]],
    )
    # Without ``new`` (or ``size``) the proofs are for the current tree.
    current = get("/v1/ledger/proofs/consistency", params={"old": 1}, headers=api.auditor)
    assert current.json()["new_size"] == api.size()
    latest = get("/v1/ledger/proofs/inclusion", params={"index": 0}, headers=api.auditor)
    assert latest.json()["size"] == api.size()


@pytest.mark.parametrize(
    ("path", "params", "status", "field"),
    [
        ("/v1/ledger/entries/999999", None, 404, None),
        ("/v1/ledger/entries/-1", None, 422, "index"),
        ("/v1/ledger/entries/abc", None, 422, "index"),
        ("/v1/ledger/entries/99999999999999999999", None, 422, "index"),
        ("/v1/ledger/proofs/inclusion", {}, 422, "index"),
        ("/v1/ledger/proofs/inclusion", {"index": 999999}, 404, None),
        ("/v1/ledger/proofs/inclusion", {"index": 0, "size": 0}, 422, "size"),
        ("/v1/ledger/proofs/inclusion", {"index": 0, "size": 999999}, 404, None),
        ("/v1/ledger/proofs/inclusion", {"index": "x"}, 422, "index"),
        ("/v1/ledger/proofs/consistency", {}, 422, "old"),
        ("/v1/ledger/proofs/consistency", {"old": 0}, 422, "old"),
        ("/v1/ledger/proofs/consistency", {"old": 999999}, 404, None),
        ("/v1/ledger/proofs/consistency", {"old": 1, "new": 99999999999999999999}, 422, "new"),
    ],
)
def test_ledger_errors(
    api: Api, path: str, params: dict[str, Any] | None, status: int, field: str | None
) -> None:
    response = api.client.get(path, params=params, headers=api.auditor)
    code = "not_found" if status == 404 else "invalid_request"
    assert_error(response, status, code, field if status == 422 else None)


# -- the one error shape for what no route handles ----------------------------------------------


def test_unknown_route_and_method(api: Api) -> None:
    assert_error(api.client.get("/v1/nothing-here", headers=api.auditor), 404, "not_found")
    assert_error(api.client.get("/nothing-here"), 404, "not_found")
    wrong = api.client.delete("/v1/decisions/x", headers=api.auditor)
    assert_error(wrong, 405, "method_not_allowed")


def test_unauthenticated_shape(api: Api) -> None:
    response = api.client.get("/v1/ledger/checkpoint")
    assert_error(response, 401, "unauthenticated")
    assert response.headers["www-authenticate"] == "Bearer"
    wrong = api.client.get("/v1/ledger/checkpoint", headers={"Authorization": "Bearer lsn_x_y"})
    assert_error(wrong, 401, "unauthenticated")


def test_unexpected_errors_keep_the_shape(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any) -> None:
        raise RuntimeError("secret detail that must not leak")

    monkeypatch.setattr(api.services.gateway, "decision", broken)
    client = TestClient(api.client.app, raise_server_exceptions=False)
    response = client.get("/v1/decisions/anything", headers=api.auditor)
    error = assert_error(response, 500, "internal_error")
    assert "secret" not in error["message"]


def test_app_without_services_builds_them_from_settings(tmp_path: Path) -> None:
    """``create_app(settings)`` builds its services in the lifespan (as ``liaison serve``)."""
    url = f"sqlite:///{tmp_path / 'own.db'}"
    engine = open_engine(url)
    upgrade(engine)
    engine.dispose()
    settings = Settings(database_url=url, key_dir=tmp_path / "keys", checkpoint_interval=0)
    with TestClient(create_app(settings)) as client:
        response = client.get("/healthz")
        assert response.status_code == 200
        # The first start records the configured pack as the deployment's first pack.
        assert response.json()["ledger_size"] == 1
        assert_error(client.get("/v1/ledger/checkpoint"), 401, "unauthenticated")
    engine = open_engine(url)
    ledger = Ledger(engine, "x")
    assert ledger.entry(0).document()["kind"] == "pack_change"
    assert ledger.entry(0).document()["record"]["seq"] == 1
    engine.dispose()
