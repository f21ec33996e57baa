"""The whole role matrix of the HTTP API, on each backend.

Roles (issue 4): an officer decides and records for themselves only; a supervisor for
their unit; an auditor reads everything, verifies, replays the records under another reading
(`POST /v1/replays`), and cannot write; an admin manages
keys and packs and reads the history of pack changes, as auditors do (no records: no
decisions, encounters, ledger entries, bundles or proofs); the public sees published
material only: the signed checkpoints, the latest and every kept one with its witnesses'
cosignatures (published so that anyone can hold the department to its log), the
directives and the pack in force (public texts). Every key may read those.
An unknown, malformed or revoked key, or none, is unauthenticated (401).

Audited rows (issue 13) carry personal data: only auditors read imports and rows (an
unknown import is 404 to them); every key reads the audit summary, auditors exactly, the
others as the public figures (small counts suppressed).

Records that a key may not read are answered 404, as if absent (their existence is not
revealed); a route a role may not use at all is 403, whatever the id. The keys: officer
``officer-1`` (1D), supervisor ``sergeant-1`` (1D); "unit-mate" is ``officer-2`` (1D),
"other unit" is ``officer-3`` (3D). "Self, other unit" is the key's own actor filed
under 3D (an officer or supervisor may not file records outside their unit). "Another
unit's id" is an id officer-3 used: another actor's use of it is a record of its own
(issue 8: answering 409 "already used" revealed officer-3's record).

=============================  =======  ==========  =======  =====  ======  ================
route                          officer  supervisor  auditor  admin  public  none/bad/revoked
=============================  =======  ==========  =======  =====  ======  ================
POST /v1/decisions as self     200      200         403      403    403     401
... as unit-mate               403      200         403      403    403     401
... as other unit              403      403         403      403    403     401
... as self, other unit        403      403         403      403    403     401
... as self, another unit's id  200      200         403      403    403     401
POST /v1/events as self        200      200         403      403    403     401
... as self, another unit's id  200      200         403      403    403     401
... as unit-mate               403      200         403      403    403     401
... as other unit              403      403         403      403    403     401
GET decision: own              200      200         200      403    403     401
... unit-mate's                404      200         200      403    403     401
... other unit's               404      404         200      403    403     401
GET explanation: own           200      200         200      403    403     401
... unit-mate's                404      200         200      403    403     401
... other unit's               404      404         200      403    403     401
... unknown id                 404      404         404      403    403     401
GET /v1/decisions (list)       200      200         200      403    403     401
GET /v1/stats/decisions        200      200         200      403    403     401
GET /v1/events (list)          200      200         200      403    403     401
GET /v1/stats/events           200      200         200      403    403     401
GET /v1/encounters (list)      200      200         200      403    403     401
GET /v1/stats/encounters       200      200         200      403    403     401
GET /v1/reports                403      403         200      403    403     401
GET /v1/reports/{name}         403      403         200      403    403     401
POST /v1/replays               403      403         200      403    403     401
GET /v1/audit/imports          403      403         200      403    403     401
GET /v1/audit/imports/{id}     403      403         404      403    403     401
GET /v1/audit/rows             403      403         200      403    403     401
GET /v1/audit/summary          200      200         200      200    200     401
GET encounter: own             200      200         200      403    403     401
... unit-mate's                404      200         200      403    403     401
... other unit's               404      404         200      403    403     401
GET /v1/ledger/checkpoint      200      200         200      200    200     401
GET /v1/ledger/entries/{i}     403      403         200      403    403     401
GET .../proofs/inclusion       403      403         200      403    403     401
GET .../proofs/consistency     403      403         200      403    403     401
GET /v1/ledger/bundle          403      403         200      403    403     401
GET /v1/ledger/checkpoints     200      200         200      200    200     401
GET /v1/ledger/entries (range)  403      403         200      403    403     401
GET /v1/directives             200      200         200      200    200     401
GET /v1/packs/current          200      200         200      200    200     401
GET /v1/packs/changes          403      403         200      200    403     401
GET /v1/packs/changes/{seq}    403      403         200      200    403     401
POST /v1/packs/changes         403      403         403      200    403     401
GET /healthz /livez /metrics   200      200         200      200    200     200
=============================  =======  ==========  =======  =====  ======  ================

"none/bad/revoked" is four columns: no key, a bad key (a real key id with a wrong
secret), a malformed key, and a revoked key (revoked after use, so also out of the cache).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from conftest import BACKENDS, database_url, running_services
from liaison.api.app import create_app
from liaison.api.deps import Services
from liaison.gateway.auth import Principal
from liaison.gateway.events import Event
from liaison.gateway.roles import KeyRole
from liaison.gateway.service import Gateway
from liaison.model.request import parse_request

NOON = "2025-08-15T12:00:00-04:00"
ROLES = [
    "officer",
    "supervisor",
    "auditor",
    "admin",
    "public",
    "no key",
    "bad key",
    "malformed key",
    "revoked key",
]
#: who each key speaks for: (actor id, unit)
SELF = {
    "officer": ("officer-1", "1D"),
    "supervisor": ("sergeant-1", "1D"),
    "auditor": ("auditor-1", None),
    "admin": ("admin-1", None),
    "public": ("public-1", None),
}
UNAUTH = ["no key", "bad key", "malformed key", "revoked key"]


def row(officer: int, supervisor: int, auditor: int, admin: int, public: int) -> list[int]:
    return [officer, supervisor, auditor, admin, public] + [401] * len(UNAUTH)


EVERYONE = [200] * len(ROLES)

#: route -> expected status per role (ROLES order); the table of the module docstring.
MATRIX: dict[str, list[int]] = {
    "POST decision as self": row(200, 200, 403, 403, 403),
    "POST decision as unit-mate": row(403, 200, 403, 403, 403),
    "POST decision as other unit": row(403, 403, 403, 403, 403),
    "POST decision as self, other unit": row(403, 403, 403, 403, 403),
    "POST decision as self, another unit's id": row(200, 200, 403, 403, 403),
    "POST event as self": row(200, 200, 403, 403, 403),
    "POST event as self, another unit's id": row(200, 200, 403, 403, 403),
    "POST event as unit-mate": row(403, 200, 403, 403, 403),
    "POST event as other unit": row(403, 403, 403, 403, 403),
    "GET decision own": row(200, 200, 200, 403, 403),
    "GET decision unit-mate": row(404, 200, 200, 403, 403),
    "GET decision other unit": row(404, 404, 200, 403, 403),
    "GET explanation own": row(200, 200, 200, 403, 403),
    "GET explanation unit-mate": row(404, 200, 200, 403, 403),
    "GET explanation other unit": row(404, 404, 200, 403, 403),
    "GET explanation unknown id": row(404, 404, 404, 403, 403),
    "GET decisions list": row(200, 200, 200, 403, 403),
    "GET decision stats": row(200, 200, 200, 403, 403),
    "GET events list": row(200, 200, 200, 403, 403),
    "GET event stats": row(200, 200, 200, 403, 403),
    "GET encounters list": row(200, 200, 200, 403, 403),
    "GET encounter stats": row(200, 200, 200, 403, 403),
    "GET reports": row(403, 403, 200, 403, 403),
    "GET report": row(403, 403, 200, 403, 403),
    "POST replay": row(403, 403, 200, 403, 403),
    "GET audit imports": row(403, 403, 200, 403, 403),
    "GET audit import": row(403, 403, 404, 403, 403),
    "GET audit rows": row(403, 403, 200, 403, 403),
    "GET audit summary": row(200, 200, 200, 200, 200),
    "GET encounter own": row(200, 200, 200, 403, 403),
    "GET encounter unit-mate": row(404, 200, 200, 403, 403),
    "GET encounter other unit": row(404, 404, 200, 403, 403),
    "GET checkpoint": row(200, 200, 200, 200, 200),
    "GET entry": row(403, 403, 200, 403, 403),
    "GET inclusion proof": row(403, 403, 200, 403, 403),
    "GET consistency proof": row(403, 403, 200, 403, 403),
    "GET bundle": row(403, 403, 200, 403, 403),
    "GET checkpoints": row(200, 200, 200, 200, 200),
    "GET entries range": row(403, 403, 200, 403, 403),
    "GET directives": row(200, 200, 200, 200, 200),
    "GET current pack": row(200, 200, 200, 200, 200),
    "GET pack changes": row(403, 403, 200, 200, 403),
    "GET pack change": row(403, 403, 200, 200, 403),
    "POST pack change": row(403, 403, 403, 200, 403),
    "GET /healthz": EVERYONE,
    "GET /metrics": EVERYONE,
    "GET /livez": EVERYONE,
}
CODES = {401: "unauthenticated", 403: "forbidden", 404: "not_found"}


@dataclass
class World:
    client: TestClient
    services: Services
    headers: dict[str, dict[str, str]]


def _seed(services: Services) -> None:
    """Decisions and encounters of officer-1 and officer-2 (1D) and officer-3 (3D)."""
    gateway = services.gateway
    for n, unit in [(1, "1D"), (2, "1D"), (3, "3D")]:
        loader = Principal(f"seed-{unit}", KeyRole.SUPERVISOR, f"seed-{unit}", unit)
        who = {"id": f"officer-{n}", "agency": "MPD", "role": "officer", "unit": unit}
        encounter = {"kind": "traffic_stop", "id": f"stop-officer-{n}"}
        gateway.record(
            Event.model_validate(
                {"at": NOON, "kind": "encounter_started", "actor": who, "encounter": encounter}
            ),
            loader,
        )
        gateway.decide_and_record(
            parse_request(
                {
                    "id": f"dec-officer-{n}",
                    "at": NOON,
                    "actor": who,
                    "action": "database_inquiry",
                    "database": "WALES",
                    "purposes": ["warrant_check"],
                    "subject": {"id": f"person-{n}", "custody": "stopped"},
                    "encounter": encounter,
                }
            ),
            loader,
        )
    _seed_3d(gateway)


#: 3D's checkpoint, as officer-3 opened it
CHECKPOINT_3D = {
    "kind": "checkpoint",
    "id": "cp-3D",
    "district": "3D",
    "place": "14th St NW at Riggs St NW",
    "declared_purpose": "traffic safety compliance checkpoint",
}


def _seed_3d(gateway: Gateway) -> None:
    """Officer-3's (3D) ids that other keys will use, and 3D's checkpoints."""
    loader = Principal("seed-3D", KeyRole.SUPERVISOR, "seed-3D", "3D")
    who = _actor("officer-3", "3D")
    for ident in ("used-3D", "req-0001"):
        gateway.decide_and_record(parse_request({**_decision(who), "id": ident}), loader)
    for ident in ("evt-used-3D", "evt-0001"):
        gateway.record(Event.model_validate({**_event(who), "id": ident}), loader)
    for cp in (CHECKPOINT_3D, {**CHECKPOINT_3D, "id": "cp-3D-b"}):
        opened = {"at": NOON, "kind": "encounter_started", "actor": who, "encounter": cp}
        gateway.record(Event.model_validate(opened), loader)


@pytest.fixture(scope="module", params=BACKENDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    tmp_path = tmp_path_factory.mktemp("roles")
    for url in database_url(request.param, tmp_path):
        # The matrix sends some 70 bad keys from one client: an allowance for all of them
        # (the limit itself is tested in test_api_keys.py).
        with running_services(url, tmp_path, auth_failure_burst=1000) as services:
            yield from _world(services)


def _world(services: Services) -> Iterator[World]:
    """The role matrix's world on ``services``: seeded records, a key of every kind."""
    _seed(services)
    keys = services.keys
    made = {role: keys.create(KeyRole(role), *SELF[role])[0] for role in SELF}
    headers = {role: {"Authorization": f"Bearer {key}"} for role, key in made.items()}
    officer_key_id = made["officer"].split("_")[1]
    headers["no key"] = {}
    headers["bad key"] = {"Authorization": f"Bearer lsn_{officer_key_id}_{'x' * 43}"}
    headers["malformed key"] = {"Authorization": "Bearer not-a-key"}
    revoked, principal = keys.create(KeyRole.OFFICER, "officer-1", "1D")
    headers["revoked key"] = {"Authorization": f"Bearer {revoked}"}
    with TestClient(create_app(services=services)) as client:
        used = client.get("/v1/directives", headers=headers["revoked key"])
        assert used.status_code == 200  # known, and cached, before it is revoked
        assert keys.revoke(principal.key_id)
        yield World(client, services, headers)


def _me(role: str) -> tuple[str, str | None]:
    return SELF.get(role, SELF["officer"])


def _actor(ident: str, unit: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": ident, "agency": "MPD", "role": "officer"}
    if unit is not None:
        out["unit"] = unit
    return out


def _decision(actor: dict[str, Any]) -> dict[str, Any]:
    return {
        "at": NOON,
        "actor": actor,
        "action": "database_inquiry",
        "database": "WALES",
        "purposes": ["warrant_check"],
        "subject": {"id": "person-9", "custody": "stopped"},
    }


def _event(actor: dict[str, Any]) -> dict[str, Any]:
    return {"at": NOON, "kind": "arrest", "actor": actor}


Call = Callable[[TestClient, dict[str, str], str], Response]


def _post(path: str, body: Callable[[dict[str, Any]], dict[str, Any]], who: str) -> Call:
    """POST ``body`` as ``who``: "self", "self-3D", "unit-mate" or "other unit"."""

    def call(client: TestClient, headers: dict[str, str], role: str) -> Response:
        ident, unit = _me(role)
        actor = {
            "self": _actor(ident, unit),
            "self-3D": _actor(ident, "3D"),
            "unit-mate": _actor("officer-2", "1D"),
            "other unit": _actor("officer-3", "3D"),
        }[who]
        response: Response = client.post(path, json=body(actor), headers=headers)
        return response

    return call


def _get(path: str, **params: Any) -> Call:
    def call(client: TestClient, headers: dict[str, str], role: str) -> Response:
        response: Response = client.get(path, params=params, headers=headers)
        return response

    return call


def _pack_change(client: TestClient, headers: dict[str, str], role: str) -> Response:
    """A harmless change (a comment added to views.toml) against the pack in force."""
    current = client.get("/v1/packs/current", headers=headers)
    files = current.json()["files"] if current.status_code == 200 else {"views.toml": ""}
    base = current.json()["digest"] if current.status_code == 200 else "sha256:unknown"
    body = {
        "base": base,
        "reason": f"a comment, by {role}",
        "files": {"views.toml": files["views.toml"] + f"# a comment by {role}\n"},
    }
    response: Response = client.post("/v1/packs/changes", json=body, headers=headers)
    return response


def _replay(client: TestClient, headers: dict[str, str], role: str) -> Response:
    """Every decision of the seed day replayed under the Attorney General's reading."""
    body = {"from": "2025-08-15T00:00:00-04:00", "to": "2025-08-16T00:00:00-04:00", "view": "doj"}
    response: Response = client.post("/v1/replays", json=body, headers=headers)
    return response


ROUTES: dict[str, Call] = {
    "POST decision as self": _post("/v1/decisions", _decision, "self"),
    "POST decision as unit-mate": _post("/v1/decisions", _decision, "unit-mate"),
    "POST decision as other unit": _post("/v1/decisions", _decision, "other unit"),
    "POST decision as self, other unit": _post("/v1/decisions", _decision, "self-3D"),
    "POST decision as self, another unit's id": _post(
        "/v1/decisions", lambda a: {**_decision(a), "id": "used-3D"}, "self"
    ),
    "POST event as self": _post("/v1/events", _event, "self"),
    "POST event as self, another unit's id": _post(
        "/v1/events", lambda a: {**_event(a), "id": "evt-used-3D"}, "self"
    ),
    "POST event as unit-mate": _post("/v1/events", _event, "unit-mate"),
    "POST event as other unit": _post("/v1/events", _event, "other unit"),
    "GET decision own": _get("/v1/decisions/dec-officer-1"),
    "GET decision unit-mate": _get("/v1/decisions/dec-officer-2"),
    "GET decision other unit": _get("/v1/decisions/dec-officer-3"),
    "GET explanation own": _get("/v1/decisions/dec-officer-1/explanation"),
    "GET explanation unit-mate": _get("/v1/decisions/dec-officer-2/explanation"),
    "GET explanation other unit": _get("/v1/decisions/dec-officer-3/explanation"),
    "GET explanation unknown id": _get("/v1/decisions/no-such-decision/explanation"),
    "GET decisions list": _get("/v1/decisions", action="database_inquiry"),
    "GET decision stats": _get("/v1/stats/decisions", group_by="action,month"),
    "GET events list": _get("/v1/events", kind="encounter_started"),
    "GET event stats": _get("/v1/stats/events", group_by="kind,flag,month"),
    "GET encounters list": _get("/v1/encounters", kind="traffic_stop"),
    "GET encounter stats": _get("/v1/stats/encounters", group_by="kind,flag,month"),
    "GET reports": _get("/v1/reports"),
    "GET report": _get("/v1/reports/council", format="csv"),
    "POST replay": _replay,
    "GET audit imports": _get("/v1/audit/imports"),
    "GET audit import": _get("/v1/audit/imports/no-such-import"),
    "GET audit rows": _get("/v1/audit/rows", finding="yes"),
    "GET audit summary": _get("/v1/audit/summary"),
    "GET encounter own": _get("/v1/encounters/stop-officer-1"),
    "GET encounter unit-mate": _get("/v1/encounters/stop-officer-2"),
    "GET encounter other unit": _get("/v1/encounters/stop-officer-3"),
    "GET checkpoint": _get("/v1/ledger/checkpoint"),
    "GET entry": _get("/v1/ledger/entries/0"),
    "GET inclusion proof": _get("/v1/ledger/proofs/inclusion", index=0, size=2),
    "GET consistency proof": _get("/v1/ledger/proofs/consistency", old=1, new=2),
    "GET bundle": _get("/v1/ledger/bundle", to=2),
    "GET checkpoints": _get("/v1/ledger/checkpoints"),
    "GET entries range": _get("/v1/ledger/entries", **{"from": 0, "to": 2}),
    "GET directives": _get("/v1/directives", at=NOON),
    "GET current pack": _get("/v1/packs/current"),
    "GET pack changes": _get("/v1/packs/changes"),
    "GET pack change": _get("/v1/packs/changes/1"),
    "POST pack change": _pack_change,
    "GET /healthz": _get("/healthz"),
    "GET /metrics": _get("/metrics"),
    "GET /livez": _get("/livez"),
}
assert set(ROUTES) == set(MATRIX)

CASES = [
    pytest.param(route, role, status, id=f"{route} | {role}")
    for route, statuses in MATRIX.items()
    for role, status in zip(ROLES, statuses, strict=True)
]


@pytest.mark.parametrize(("route", "role", "expected"), CASES)
def test_role_matrix(world: World, route: str, role: str, expected: int) -> None:
    before = world.services.gateway.ledger.head()[0]
    response = ROUTES[route](world.client, world.headers[role], role)
    assert response.status_code == expected, response.text
    if expected >= 400:
        body = response.json()
        assert set(body) == {"error"}
        assert body["error"]["code"] == CODES[expected]
        assert world.services.gateway.ledger.head()[0] == before  # a refusal records nothing
    if expected == 401:
        assert response.headers["www-authenticate"] == "Bearer"


def test_officer_cannot_record_as_someone_else(world: World) -> None:
    client, headers = world.client, world.headers["officer"]
    before = world.services.gateway.ledger.head()[0]
    other = _actor("officer-2", "1D")
    for path, body in [("/v1/decisions", _decision(other)), ("/v1/events", _event(other))]:
        response = client.post(path, json=body, headers=headers)
        assert response.status_code == 403
        error = response.json()["error"]
        assert error["code"] == "forbidden"
        assert "officer-2" in error["message"]
    # Nor in a batch: the item is refused alone, and nothing is recorded for it.
    batch = client.post("/v1/decisions", json=[_decision(other)], headers=headers)
    assert batch.status_code == 200
    assert batch.json()["results"][0]["error"]["code"] == "forbidden"
    assert world.services.gateway.ledger.head()[0] == before


def test_reads_show_only_what_the_key_may_read(world: World) -> None:
    """A supervisor reads the unit's records; an officer their own, even under a shared
    encounter; the auditor everything."""
    client, headers = world.client, world.headers
    mine = client.get("/v1/encounters/stop-officer-1", headers=headers["officer"]).json()
    assert [d["actor"] for d in mine["decisions"]] == ["officer-1"]
    unit = client.get("/v1/decisions/dec-officer-2", headers=headers["supervisor"]).json()
    assert unit["request"]["actor"]["id"] == "officer-2"
    audit = client.get("/v1/decisions/dec-officer-3", headers=headers["auditor"]).json()
    assert audit["request"]["actor"]["unit"] == "3D"
    first = client.get("/v1/decisions/dec-officer-1", headers=headers["auditor"]).json()
    index = first["ledger_index"]
    entry = client.get(f"/v1/ledger/entries/{index}", headers=headers["auditor"]).json()
    assert entry["personal"] == {"subject_id": "person-1"}  # only auditors get this far


def test_lists_and_counts_show_only_what_the_key_may_read(world: World) -> None:
    """``GET /v1/decisions`` and ``GET /v1/stats/decisions`` (issue 10): an officer their
    own records, a supervisor their own and their unit's, the auditor everything; the
    list and the counts agree, and each item is one ``Principal.may_read`` allows."""
    client = world.client
    for role in ("officer", "supervisor", "auditor"):
        ident, unit = SELF[role]
        who = Principal("k", KeyRole(role), ident, unit)
        listed = client.get("/v1/decisions?limit=1000", headers=world.headers[role]).json()
        assert listed["items"]
        assert all(who.may_read(i["actor_id"], i["unit"]) for i in listed["items"])
        assert listed["total"] == len(listed["items"])
        ids = {i["id"] for i in listed["items"]}
        assert "dec-officer-1" in ids
        assert ("dec-officer-2" in ids) == (role != "officer")
        assert ("dec-officer-3" in ids) == (role == "auditor")
        stats = client.get("/v1/stats/decisions?group_by=unit", headers=world.headers[role]).json()
        assert stats["total"] == listed["total"]


def test_event_and_encounter_lists_show_what_the_key_may_read(world: World) -> None:
    """``GET /v1/events`` and ``/v1/encounters`` and their counts (issue 10): the events a
    key may read as for decisions; the encounters as ``GET /v1/encounters/{id}`` reads them
    (officer-1's stop only to officer-1, not to its unit-mate officer-2's key and back)."""
    client = world.client
    for role in ("officer", "supervisor", "auditor"):
        ident, unit = SELF[role]
        who = Principal("k", KeyRole(role), ident, unit)
        headers = world.headers[role]
        events = client.get("/v1/events?limit=1000", headers=headers).json()
        assert events["items"]
        assert all(who.may_read(i["actor_id"], i["unit"]) for i in events["items"])
        assert events["total"] == len(events["items"])
        counted = client.get("/v1/stats/events?group_by=kind", headers=headers).json()
        assert counted["total"] == events["total"]
        listed = client.get("/v1/encounters?limit=1000", headers=headers).json()
        seen = {i["id"] for i in listed["items"]}
        assert "stop-officer-1" in seen
        assert ("stop-officer-2" in seen) == (role != "officer")
        assert ("stop-officer-3" in seen) == (role == "auditor")
        for ident in ("stop-officer-1", "stop-officer-2", "stop-officer-3"):
            alone = client.get(f"/v1/encounters/{ident}", headers=headers)
            assert (alone.status_code == 200) == (ident in seen)
        counted = client.get("/v1/stats/encounters?group_by=kind", headers=headers).json()
        assert counted["total"] == listed["total"] == len(listed["items"])


# -- issue 8, item 5: what a key of another unit learns -----------------------------------------


def test_another_units_ids_reveal_nothing(world: World) -> None:
    """officer-1 (1D) uses the ids officer-3 (3D) used: new records, no 409 "already used"
    (which told officer-1 that a record they may not read exists)."""
    client, headers = world.client, world.headers
    decided = client.post(
        "/v1/decisions",
        json={**_decision(_actor("officer-1", "1D")), "id": "req-0001"},
        headers=headers["officer"],
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["replayed"] is False
    mine = client.get("/v1/decisions/req-0001", headers=headers["officer"])
    assert mine.json()["request"]["actor"]["id"] == "officer-1"
    theirs = client.get("/v1/decisions/req-0001?actor=officer-3", headers=headers["officer"])
    assert theirs.status_code == 404
    # The auditor reads both: the id alone is ambiguous, and the answer names the actors.
    both = client.get("/v1/decisions/req-0001", headers=headers["auditor"])
    assert both.status_code == 409, both.text
    assert both.json()["error"]["code"] == "ambiguous"
    assert both.json()["error"]["field"] == "actor"
    assert both.json()["error"]["choices"] == ["officer-1", "officer-3"]
    chosen = client.get("/v1/decisions/req-0001?actor=officer-3", headers=headers["auditor"])
    assert chosen.json()["request"]["actor"]["unit"] == "3D"

    done = {**_event(_actor("officer-1", "1D")), "id": "evt-0001"}
    recorded = client.post("/v1/events", json=done, headers=headers["officer"])
    assert recorded.status_code == 200, recorded.text
    again = client.post("/v1/events", json=done, headers=headers["officer"])
    assert again.status_code == 409  # officer-1's own id: they may read what it names
    assert again.json()["error"]["code"] == "conflict"


def test_another_units_encounter_cannot_be_changed(world: World) -> None:
    """An ``encounter_started`` with 3D's encounter id by a 1D key opens 1D's own encounter
    of that id; 3D's keeps its declared purpose and place."""
    client, headers = world.client, world.headers
    forged = {**CHECKPOINT_3D, "place": "nowhere", "declared_purpose": "routine patrol"}
    body = {"at": NOON, "kind": "encounter_started", "encounter": forged}
    for role in ("officer", "supervisor"):
        response = client.post(
            "/v1/events", json={**body, "actor": _actor(*_me(role))}, headers=headers[role]
        )
        assert response.status_code == 200, response.text
    kept = client.get("/v1/encounters/cp-3D?unit=3D", headers=headers["auditor"])
    assert kept.status_code == 200, kept.text
    assert kept.json()["declared_purpose"] == "traffic safety compliance checkpoint"
    assert kept.json()["place"] == "14th St NW at Riggs St NW"
    assert [e["actor"] for e in kept.json()["events"]] == ["officer-3"]
    # 1D reads its own; the auditor is told which units opened one.
    own = client.get("/v1/encounters/cp-3D", headers=headers["supervisor"]).json()
    assert (own["unit"], own["place"]) == ("1D", "nowhere")
    both = client.get("/v1/encounters/cp-3D", headers=headers["auditor"])
    assert both.status_code == 409
    assert both.json()["error"]["choices"] == ["1D", "3D"]
    hidden = client.get("/v1/encounters/cp-3D?unit=3D", headers=headers["supervisor"])
    assert hidden.status_code == 404


def test_another_units_encounter_cannot_be_joined_nor_read(world: World) -> None:
    """Recording under 3D's encounter id, then reading it: nothing of 3D's encounter. A
    decision is under 1D's own encounter of the id (not opened: not found); an event
    naming it opens 1D's own."""
    client, headers = world.client, world.headers
    ref = {"kind": "checkpoint", "id": "cp-3D-b"}
    me = _actor("officer-1", "1D")
    decided = client.post(
        "/v1/decisions", json={**_decision(me), "encounter": ref}, headers=headers["officer"]
    )
    assert decided.status_code == 200
    for role in ("officer", "supervisor"):
        response = client.get("/v1/encounters/cp-3D-b", headers=headers[role])
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "not_found"
    reported = {**_event(me), "kind": "action_carried_out", "encounter": ref}
    assert client.post("/v1/events", json=reported, headers=headers["officer"]).status_code == 200
    own = client.get("/v1/encounters/cp-3D-b", headers=headers["officer"]).json()
    assert own["unit"] == "1D"
    assert "declared_purpose" not in own
    assert "place" not in own
    assert [d["id"] for d in own["decisions"]] == [decided.json()["id"]]
    audited = client.get("/v1/encounters/cp-3D-b?unit=3D", headers=headers["auditor"]).json()
    assert audited["decisions"] == []  # 1D's records are under 1D's own
    assert [e["actor"] for e in audited["events"]] == ["officer-3"]


def test_participants_join_and_read(world: World) -> None:
    """3D names 1D as a participant of its checkpoint: 1D's keys record under it and read
    it (their own records in it, as everywhere); the owner alone names participants."""
    client, headers = world.client, world.headers
    gateway = world.services.gateway
    loader = Principal("seed-3D", KeyRole.SUPERVISOR, "seed-3D", "3D")
    joint = {**CHECKPOINT_3D, "id": "cp-joint", "participants": ["1D"]}
    opened = {"at": NOON, "kind": "encounter_started", "actor": _actor("officer-3", "3D")}
    gateway.record(Event.model_validate({**opened, "encounter": joint}), loader)
    ref = {"kind": "checkpoint", "id": "cp-joint"}
    me = _actor("officer-1", "1D")
    decided = client.post(
        "/v1/decisions", json={**_decision(me), "encounter": ref}, headers=headers["officer"]
    )
    assert decided.status_code == 200
    seen = client.get("/v1/encounters/cp-joint", headers=headers["officer"])
    assert seen.status_code == 200, seen.text
    body = seen.json()
    assert (body["unit"], body["participants"]) == ("3D", ["1D"])
    assert body["declared_purpose"] == "traffic safety compliance checkpoint"
    assert [d["id"] for d in body["decisions"]] == [decided.json()["id"]]
    assert body["events"] == []  # 3D's opening event is not officer-1's to read
    audited = client.get("/v1/encounters/cp-joint", headers=headers["auditor"]).json()
    assert len(audited["decisions"]) == 1
    assert len(audited["events"]) == 1
    widened = {"kind": "checkpoint", "id": "cp-joint", "participants": ["1D", "2D"]}
    refused = client.post(
        "/v1/events",
        json={"at": NOON, "kind": "encounter_ended", "actor": me, "encounter": widened},
        headers=headers["officer"],
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
