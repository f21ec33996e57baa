"""The OpenAPI document: committed (docs/openapi.json), free of drift, and true of the app.

When the drift test fails, regenerate the committed copy with::

    .venv/bin/python -m liaison.api.openapi docs/openapi.json

Then schemathesis generates requests from the document (valid and invalid) and sends
them to the ASGI app on SQLite: no response may be a server error, and every response
must have a status code, content type and body the document declares (every error in
the one shape, ``{"error": {"code", "message", "field"?}}``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import delete, update

from conftest import running_services
from liaison.api.app import create_app
from liaison.api.deps import Services
from liaison.api.errors import error_classes
from liaison.api.openapi import main, openapi_document
from liaison.docgen import render_json
from liaison.gateway.auth import Principal
from liaison.gateway.events import Event
from liaison.gateway.roles import KeyRole
from liaison.model.request import parse_request
from liaison.settings import MAX_BATCH, Settings
from liaison.storage.tables import (
    decisions,
    events,
    ledger_head,
    ledger_personal,
    pack_changes,
)

COMMITTED = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"
REGENERATE = ".venv/bin/python -m liaison.api.openapi docs/openapi.json"
Headers = dict[str, dict[str, str]]  # role -> Authorization header
OFFICER = {"id": "officer-1", "agency": "MPD", "role": "officer", "unit": "1D"}


def test_committed_openapi_has_not_drifted() -> None:
    expected = render_json(openapi_document())
    assert COMMITTED.exists(), f"docs/openapi.json is missing; make it with: {REGENERATE}"
    actual = COMMITTED.read_text(encoding="utf-8")
    assert actual == expected, (
        "docs/openapi.json differs from the API's OpenAPI document; "
        f"regenerate it with: {REGENERATE}"
    )


def test_openapi_document_is_well_formed() -> None:
    document = openapi_document()
    text = json.dumps(document)
    # Every reference resolves inside the document (embedded JSON Schemas are hoisted).
    assert "#/$defs/" not in text.replace("answered with #/$defs/", "")
    schemas = document["components"]["schemas"]
    for ref in {r for r in _refs(document) if r.startswith("#/components/schemas/")}:
        assert ref.removeprefix("#/components/schemas/") in schemas, ref
    # No route documents FastAPI's own validation error: the API answers in one shape.
    assert "HTTPValidationError" not in schemas
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    # /healthz answers 503 with its own body: why the service is unhealthy.
                    shape = "Health" if path == "/healthz" else "ErrorResponse"
                    assert ref == f"#/components/schemas/{shape}", (method, path, status)
    expected = {
        "/v1/decisions",
        "/v1/events",
        "/v1/decisions/{decision_id}",
        "/v1/encounters/{encounter_id}",
        "/v1/ledger/checkpoint",
        "/v1/ledger/entries/{index}",
        "/v1/ledger/proofs/inclusion",
        "/v1/ledger/proofs/consistency",
        "/v1/directives",
        "/v1/packs/current",
        "/v1/packs/changes",
        "/v1/packs/changes/{seq}",
        "/healthz",
        "/metrics",
    }
    assert expected <= set(document["paths"])


def test_the_module_writes_the_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "openapi.json"
    assert main([str(target)]) == 0
    assert target.read_text(encoding="utf-8") == render_json(openapi_document())
    assert main([]) == 0
    assert capsys.readouterr().out == target.read_text(encoding="utf-8")


def test_the_document_states_the_deployments_batch_limit() -> None:
    def batch(document: dict[str, Any]) -> dict[str, Any]:
        body = document["paths"]["/v1/decisions"]["post"]["requestBody"]
        one_of: list[dict[str, Any]] = body["content"]["application/json"]["schema"]["oneOf"]
        return one_of[1]

    default = openapi_document()
    limited = create_app(Settings(max_batch=2)).openapi()
    assert batch(default)["maxItems"] == MAX_BATCH
    assert batch(limited)["maxItems"] == 2
    # Apps share the routers: making one document changes nothing in the next one.
    assert {**limited, "paths": None} == {**default, "paths": None}
    assert openapi_document() == default


def test_the_module_refuses_extra_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["a", "b"]) == 2
    assert "usage: python -m liaison.api.openapi [PATH]" in capsys.readouterr().err
    assert main(["--help"]) == 0


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


# -- schemathesis ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Headers]]:
    """The app on SQLite with some history, and keys: (app, {role: Authorization header})."""
    tmp_path = tmp_path_factory.mktemp("schemathesis")
    with running_services(f"sqlite:///{tmp_path / 'liaison.db'}", tmp_path) as services:
        yield from _live(services)


def _live(services: Services) -> Iterator[tuple[Any, Headers]]:
    _history(services)
    headers = _keys(services)
    app = create_app(services=services)
    with TestClient(app):
        yield app, headers


def _history(services: Services) -> None:
    """An encounter (``stop-1``) and three decisions under it (``req-0`` to ``req-2``)."""
    loader = Principal("seed", KeyRole.SUPERVISOR, "seed", "1D")
    stop = {"kind": "traffic_stop", "id": "stop-1"}
    services.gateway.record(
        Event.model_validate(
            {
                "at": "2025-08-15T12:00:00-04:00",
                "kind": "encounter_started",
                "actor": OFFICER,
                "encounter": stop,
            }
        ),
        loader,
    )
    for n in range(3):
        body = {
            "id": f"req-{n}",
            "at": "2025-08-15T12:00:00-04:00",
            "actor": OFFICER,
            "action": "database_inquiry",
            "database": "WALES",
            "purposes": ["warrant_check"],
            "subject": {"id": f"person-{n}", "custody": "stopped"},
            "encounter": stop,
        }
        services.gateway.decide_and_record(parse_request(body), loader)


def _keys(services: Services) -> Headers:
    """An officer's (officer-1 of 1D), an auditor's and an admin's key, by role."""
    return {
        role.value: {"Authorization": f"Bearer {services.keys.create(role, actor, unit)[0]}"}
        for role, actor, unit in [
            (KeyRole.OFFICER, "officer-1", "1D"),
            (KeyRole.AUDITOR, "auditor-1", None),
            (KeyRole.ADMIN, "admin-1", None),
        ]
    }


# -- every status a route answers is declared --------------------------------------------------


def _declares(document: dict[str, Any], method: str, path: str, status: int) -> bool:
    return str(status) in document["paths"][path][method]["responses"]


def test_every_route_declares_the_503_it_answers(tmp_path: Path) -> None:
    """Each route meets the fault it can meet (an edited pack row or index row, damaged
    personal data, a ledger with no head) and answers 503; the document declares it."""
    url = f"sqlite:///{tmp_path / 'liaison.db'}"
    with running_services(url, tmp_path) as services:
        _history(services)
        _edit_behind_the_ledger(services)
    document = openapi_document()
    event = {"at": "2025-08-15T12:05:00-04:00", "kind": "encounter_ended", "actor": OFFICER}
    decision = {
        **{k: v for k, v in event.items() if k != "kind"},
        "id": "req-9",
        "action": "database_inquiry",
        "database": "WALES",
        "purposes": ["warrant_check"],
        "subject": {"id": "p-9", "custody": "free"},
    }
    change = {"base": "x", "reason": "why", "files": {"pack.toml": ""}}
    behind_the_ledger: list[tuple[str, str, str, Any]] = [
        ("get", "/v1/directives", "auditor", None),
        ("get", "/v1/packs/current", "auditor", None),
        ("get", "/v1/packs/changes", "auditor", None),
        ("get", "/v1/packs/changes/1", "auditor", None),
        ("post", "/v1/packs/changes", "admin", change),
        ("post", "/v1/events", "officer", event),
        ("post", "/v1/decisions", "officer", decision),
        ("get", "/v1/decisions/req-0", "auditor", None),
        ("get", "/v1/decisions/req-0/explanation", "auditor", None),
        ("get", "/v1/decisions", "auditor", None),  # req-0 among them
        ("get", "/v1/stats/decisions?group_by=unit", "auditor", None),  # the pack row
        ("get", "/v1/reports", "auditor", None),
        ("get", "/v1/reports/council", "auditor", None),
        ("get", "/v1/encounters/stop-1", "auditor", None),
        ("get", "/v1/events", "auditor", None),  # stop-1's start, flagged in the database
        ("get", "/v1/stats/events?group_by=flag", "auditor", None),  # the pack row
        ("get", "/v1/encounters", "auditor", None),  # stop-1: req-0 under it
        ("get", "/v1/stats/encounters?group_by=flag", "auditor", None),  # the pack row
        ("get", "/v1/ledger/entries/2", "auditor", None),  # req-0: its personal data
        ("get", "/v1/audit/imports", "auditor", None),
        ("get", "/v1/audit/imports/imp-1", "auditor", None),
        ("get", "/v1/audit/rows", "auditor", None),
        ("get", "/v1/audit/summary", "auditor", None),
        (
            "post",
            "/v1/replays",
            "auditor",
            {"from": "2025-08-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"},
        ),
    ]
    headless: list[tuple[str, str, str, Any]] = [
        ("get", "/v1/ledger/checkpoint", "auditor", None),
        ("get", "/v1/ledger/proofs/inclusion?index=0", "auditor", None),
        ("get", "/v1/ledger/proofs/consistency?old=1", "auditor", None),
        ("get", "/v1/ledger/bundle", "auditor", None),
        ("get", "/v1/ledger/checkpoints", "auditor", None),
        ("get", "/v1/ledger/entries?from=0", "auditor", None),
    ]
    met: set[tuple[str, str]] = set()
    answered: list[tuple[str, str, str]] = []  # (method, route, code)
    with running_services(url, tmp_path, migrate=False, signing_key=False) as services:
        keys = _keys(services)
        web = TestClient(create_app(services=services))
        for step in (behind_the_ledger, headless):
            if step is headless:
                with services.gateway.db.begin() as conn:
                    conn.execute(delete(ledger_head))
            for method, path, role, body in step:
                answer = web.request(method, path, headers=keys[role], json=body)
                assert answer.status_code == 503, (method, path, answer.text)
                template = _template(document, path.split("?")[0])
                met.add((method, template))
                answered.append((method, template, answer.json()["error"]["code"]))
        assert web.get("/healthz").status_code == 503
        met.add(("get", "/healthz"))
    for method, template in met:
        assert _declares(document, method, template, 503), (method, template)
    for method, template, code in answered:  # and names the code it answers with
        assert code in _codes(document, method, template)["503"], (method, template, code)
    every = {(m, p) for p, ops in document["paths"].items() for m in ops if p.startswith("/v1/")}
    assert every <= met, f"routes not met with a fault: {sorted(every - met)}"


def _codes(document: dict[str, Any], method: str, path: str) -> dict[str, set[str]]:
    """Each error status of a route: the codes its description names."""
    responses = document["paths"][path][method]["responses"]
    return {
        status: set(re.findall(r"\(`([a-z_]+)`\)", response["description"]))
        for status, response in responses.items()
        if status.startswith(("4", "5"))
    }


def test_each_route_names_the_codes_it_answers_not_every_code_of_a_status() -> None:
    document = openapi_document()
    decide = _codes(document, "post", "/v1/decisions")
    assert decide["409"] == {"conflict", "ambiguous"}  # never signer_refused
    assert decide["422"] == {"invalid_request"}  # never invalid_pack
    assert _codes(document, "post", "/v1/events")["409"] == {"conflict", "ambiguous"}
    assert _codes(document, "get", "/v1/decisions/{decision_id}")["409"] == {"ambiguous"}
    assert _codes(document, "get", "/v1/encounters/{encounter_id}")["409"] == {"ambiguous"}
    checkpoint = _codes(document, "get", "/v1/ledger/checkpoint")
    assert checkpoint["409"] == {"signer_refused"}
    assert checkpoint["503"] == {
        "unavailable",
        "ledger_error",
        "signer_unavailable",
    }  # no integrity
    change = _codes(document, "post", "/v1/packs/changes")
    assert change["422"] == {"invalid_request", "invalid_pack"}
    assert change["409"] == {"conflict"}  # a stale base
    for proof in ("inclusion", "consistency"):
        proofs = _codes(document, "get", f"/v1/ledger/proofs/{proof}")["503"]
        assert proofs == {"unavailable", "ledger_error"}  # proofs never need the signer


def test_every_code_a_route_declares_is_one_the_api_answers_with_that_status() -> None:
    answered = {cls.code: cls.status for cls in error_classes() if cls.answered_by_api}
    document = openapi_document()
    for path, item in document["paths"].items():
        if path == "/healthz":  # its own body, not an error (``Health``)
            continue
        for method in item:
            codes = _codes(document, method, path)
            for status, named in codes.items():
                assert named, (method, path, status)
                for code in named:
                    assert answered.get(code) == int(status), (method, path, status, code)
            if "401" in codes:  # bad keys are rate-limited
                assert codes["429"] == {"rate_limited"}, (method, path)


def _template(document: dict[str, Any], path: str) -> str:
    """The document's path that ``path`` is an instance of."""
    for template in document["paths"]:
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path):
            return template
    raise AssertionError(f"no route for {path}")


def _edit_behind_the_ledger(services: Services) -> None:
    """The pack row, a decision row (req-0, under stop-1), req-0's personal data and
    stop-1's first event row, each changed in the database and not in the ledger."""
    with services.gateway.db.begin() as conn:
        conn.execute(update(pack_changes).values(reason="edited"))
        conn.execute(update(events).values(flagged="no_decision"))
        conn.execute(update(decisions).where(decisions.c.id == "req-0").values(unit="2D"))
        conn.execute(
            update(ledger_personal)
            .where(ledger_personal.c.idx == 2)  # req-0 (0: the pack, 1: stop-1)
            .values(data=b'{"subject_id":"someone-else"}')
        )


# Loaded from the app's document at import (``from_asgi`` would need the live app then,
# and ``schemathesis.pytest.from_fixture`` does not work with pytest 9); each case is sent
# to the live app of the fixture (``app=``).
schema = schemathesis.openapi.from_dict(openapi_document())
DOCUMENT = openapi_document()


@schemathesis.check
def error_code_declared(ctx: Any, response: Any, case: Any) -> bool | None:
    """An error's code is one the route's document names for that status."""
    status, method = str(response.status_code), case.method.lower()
    if not status.startswith(("4", "5")) or case.path == "/healthz":
        return None
    if method not in DOCUMENT["paths"][case.path]:  # a probe: the router's 405
        return None
    declared = _codes(DOCUMENT, method, case.path).get(status, set())
    code = response.json()["error"]["code"]
    assert code in declared, f"{case.method} {case.path}: {status} {code} not in {declared}"
    return None


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    error_code_declared,
]


def _as_officer(body: Any) -> Any:
    """Write bodies as the officer's key (so that valid ones get decided and recorded)."""
    if isinstance(body, dict) and isinstance(body.get("actor"), dict):
        return {**body, "actor": OFFICER}
    if isinstance(body, list):
        return [_as_officer(item) for item in body]
    return body


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)
def test_api_conforms_to_its_schema(case: Any, live: tuple[Any, Headers]) -> None:
    app, headers = live
    if case.method.upper() == "POST" and case.path == "/v1/packs/changes":
        who = headers["admin"]  # the only role that may: its bodies reach validation
    elif case.method.upper() == "POST":
        case.body = _as_officer(case.body)
        who = headers["officer"]
    else:
        who = headers["auditor"]
    case.call_and_validate(app=app, headers=who, checks=CHECKS)
