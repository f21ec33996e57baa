"""The one error hierarchy (``liaison.errors``): every error class lives there, each code
has one HTTP status and docs/api.md's error table says so, the API answers each class with
its status and its ``to_dict()``, a batch item's error keeps every part of it, and the
command line prints an error with its problems."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from typer.testing import CliRunner

import liaison
from conftest import database_url, running_services
from liaison.api.app import Services, create_app
from liaison.api.errors import error_classes, error_responses
from liaison.cli import app as cli_app
from liaison.errors import (
    Ambiguous,
    BundleError,
    Conflict,
    InvalidRequest,
    LiaisonError,
    NotFound,
    PackError,
    PackProblem,
    RateLimited,
    SignerRefused,
    Unauthenticated,
    Unavailable,
)
from liaison.gateway.roles import KeyRole
from liaison.storage.tables import ledger_personal

DOCS = Path(__file__).resolve().parents[1] / "docs" / "api.md"
NOON = "2025-08-15T12:00:00-04:00"


def _every_module() -> None:
    """Import every module of the package (not the Alembic migrations, which run only
    inside Alembic), so that any error class defined anywhere is a subclass below."""
    for found in pkgutil.walk_packages(liaison.__path__, "liaison."):
        if ".migrations" not in found.name:
            importlib.import_module(found.name)


def _subclasses(cls: type[LiaisonError]) -> set[type[LiaisonError]]:
    out = set(cls.__subclasses__())
    for sub in list(out):
        out |= _subclasses(sub)
    return out


def _table() -> dict[str, int]:
    """docs/api.md's error table: code -> status (the codes a row starts with)."""
    section = DOCS.read_text().split("## Errors", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, int] = {}
    for line in section.splitlines():
        found = re.fullmatch(r"\| ((?:`[a-z_]+`(?:, )?)+)[^|]*\| (\d{3}) \|", line)
        if found:
            for code in re.findall(r"`([a-z_]+)`", found.group(1)):
                assert code not in rows, f"{code} is listed twice"
                rows[code] = int(found.group(2))
    return rows


# -- the classes and the table ---------------------------------------------------------------


def test_every_error_class_is_in_errors_py() -> None:
    _every_module()
    classes = _subclasses(LiaisonError)
    assert len(classes) > 20
    assert {c.__module__ for c in classes} == {"liaison.errors"}
    assert set(error_classes()) == classes | {LiaisonError}


def test_each_code_has_one_status() -> None:
    _every_module()
    statuses: dict[str, set[int]] = {}
    for cls in error_classes():
        statuses.setdefault(cls.code, set()).add(cls.status)
        assert 400 <= cls.status < 600, cls
        assert cls.description, cls
        assert not cls.description.endswith("."), cls
    assert {code: s for code, s in statuses.items() if len(s) > 1} == {}


def test_docs_table_lists_every_code_with_its_status() -> None:
    _every_module()
    classes = {cls.code: cls.status for cls in error_classes()}
    table = _table()
    assert set(classes) - set(table) == set(), "codes missing from docs/api.md"
    assert set(table) - set(classes) == set(), "rows of docs/api.md that are no error class"
    assert table == classes


def test_no_error_of_a_request_is_a_5xx_and_no_fault_of_the_service_is_a_4xx() -> None:
    assert InvalidRequest.status == PackError.status == 422
    by_code = {cls.code: cls.status for cls in error_classes()}
    for code in ("bad_bundle", "invalid_checkpoint", "invalid_note", "no_canonical_json"):
        assert by_code[code] == 422, code
    for code in ("ledger_error", "key_error", "integrity", "unavailable"):
        assert by_code[code] == 503, code
    assert by_code["internal_error"] == 500


# -- one JSON shape --------------------------------------------------------------------------


def test_to_dict_has_each_part_only_when_the_error_has_it() -> None:
    assert LiaisonError("broken").to_dict() == {"code": "internal_error", "message": "broken"}
    assert NotFound("no such view").to_dict() == {"code": "not_found", "message": "no such view"}
    assert InvalidRequest(None, "not JSON").to_dict() == {
        "code": "invalid_request",
        "field": None,
        "message": "not JSON",
    }
    assert Ambiguous("two of them", "actor", ["a", "b"]).to_dict() == {
        "code": "ambiguous",
        "field": "actor",
        "message": "two of them",
        "choices": ["a", "b"],
    }
    problems = [PackProblem("views.toml", 3, "unknown view"), PackProblem("x.toml", None, "bad")]
    refused = PackError(problems)
    assert refused.to_dict() == {
        "code": "invalid_pack",
        "message": "directive pack is invalid (2 problem(s))",
        "problems": [
            {"file": "views.toml", "line": 3, "message": "unknown view"},
            {"file": "x.toml", "line": None, "message": "bad"},
        ],
    }
    assert str(refused) == (
        "directive pack is invalid (2 problem(s)):\n  views.toml:3: unknown view\n  x.toml: bad"
    )


def test_openapi_descriptions_name_exactly_the_routes_classes() -> None:
    responses = error_responses(Unauthenticated, Conflict, InvalidRequest)
    # Authentication's own answers come with 401: 429 (bad keys), 503 (legacy key checks).
    assert set(responses) == {401, 409, 422, 429, 503}
    assert responses[409]["description"] == f"{Conflict.description} (`conflict`)"
    assert responses[422]["description"] == f"{InvalidRequest.description} (`invalid_request`)"
    assert responses[503]["description"] == f"{Unavailable.description} (`unavailable`)"
    conflicts = error_responses(Conflict, Ambiguous, SignerRefused)[409]["description"]
    for code in ("conflict", "ambiguous", "signer_refused"):
        assert f"(`{code}`)" in conflicts
    assert error_responses(Ambiguous)[409]["description"].endswith("(`ambiguous`)")
    assert set(error_responses(PackError)) == {422}  # no key, no authentication answers
    with pytest.raises(ValueError, match="BundleError"):
        error_responses(InvalidRequest, BundleError)  # never answered by the API


# -- over HTTP -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    tmp_path = tmp_path_factory.mktemp("errors")
    for url in database_url("sqlite", tmp_path):
        with running_services(url, tmp_path) as running:
            yield running


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services=services)) as web:
        yield web


def _key(services: Services, role: KeyRole, actor: str, unit: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {services.keys.create(role, actor, unit)[0]}"}


def _answered() -> list[LiaisonError]:
    """One instance of each class the API answers."""
    made: list[LiaisonError] = []
    for cls in error_classes():
        if not cls.answered_by_api:
            continue
        if cls is InvalidRequest:
            made.append(InvalidRequest("actor", "actor: missing"))
        elif cls is Ambiguous:
            made.append(Ambiguous("two of them", "actor", ["a", "b"]))
        elif cls is PackError:
            made.append(PackError([PackProblem("views.toml", 2, "unknown view")]))
        elif cls is RateLimited:
            made.append(RateLimited(7))
        else:
            made.append(cls("refused"))
    return made


@pytest.mark.parametrize("error", _answered(), ids=lambda e: type(e).__name__)
def test_each_error_is_answered_with_its_status_and_shape(
    services: Services, client: TestClient, monkeypatch: pytest.MonkeyPatch, error: LiaisonError
) -> None:
    def refuse(*args: Any) -> None:
        raise error

    auditor = _key(services, KeyRole.AUDITOR, "auditor-errors")
    monkeypatch.setattr(services.gateway, "decision", refuse)
    response = client.get("/v1/decisions/anything", headers=auditor)
    assert response.status_code == type(error).status
    assert response.json() == {"error": error.to_dict()}
    if response.status_code == 401:
        assert response.headers["www-authenticate"] == "Bearer"
    if isinstance(error, RateLimited):
        assert response.headers["retry-after"] == "7"


def _inquiry(ident: str, actor: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "id": ident,
        "at": NOON,
        "actor": actor,
        "action": "database_inquiry",
        "database": "WALES",
        "purposes": ["warrant_check"],
        "subject": {"id": "person-77", "custody": "stopped"},
        **fields,
    }


def test_a_damaged_ledger_is_503_not_500(services: Services, client: TestClient) -> None:
    officer = {"id": "officer-e1", "agency": "MPD", "role": "officer", "unit": "1D"}
    who = _key(services, KeyRole.OFFICER, "officer-e1", "1D")
    made = client.post("/v1/decisions", json=_inquiry("ledger-e1", officer), headers=who)
    assert made.status_code == 200, made.text
    index = made.json()["ledger_index"]
    with services.gateway.db.begin() as conn:
        conn.execute(
            update(ledger_personal)
            .where(ledger_personal.c.idx == index)
            .values(data=b'{"subject_id":"someone-else"}')
        )
    auditor = _key(services, KeyRole.AUDITOR, "auditor-e1")
    response = client.get(f"/v1/ledger/entries/{index}", headers=auditor)
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "ledger_error"


# -- a batch item's error is the whole error object --------------------------------------------


def test_a_batch_item_keeps_the_choices_of_an_ambiguous_encounter(
    services: Services, client: TestClient
) -> None:
    """Unit 5D takes part in two units' encounters of one id: a decision under it cannot
    say whose it is; in a batch, that item's error names the units to choose from."""
    for unit in ("1D", "3D"):
        opener = _key(services, KeyRole.SUPERVISOR, f"sergeant-{unit}", unit)
        event = {
            "at": NOON,
            "actor": {
                "id": f"sergeant-{unit}",
                "agency": "MPD",
                "role": "supervisor",
                "unit": unit,
            },
            "kind": "encounter_started",
            "encounter": {"kind": "checkpoint", "id": "cp-shared", "participants": ["5D"]},
        }
        opened = client.post("/v1/events", json=event, headers=opener)
        assert opened.status_code == 200, opened.text
    officer = {"id": "officer-5", "agency": "MPD", "role": "officer", "unit": "5D"}
    who = _key(services, KeyRole.OFFICER, "officer-5", "5D")
    under = {"kind": "checkpoint", "id": "cp-shared"}
    batch = [_inquiry("amb-1", officer, encounter=under), _inquiry("amb-2", officer)]
    response = client.post("/v1/decisions", json=batch, headers=who)
    assert response.status_code == 200, response.text
    refused, decided = response.json()["results"]
    assert refused["id"] == "amb-1"
    assert refused["error"]["code"] == "ambiguous"
    assert refused["error"]["field"] == "encounter.id"
    assert refused["error"]["choices"] == ["1D", "3D"]
    assert decided["decision"]["decision"] == "permit"


def test_a_batch_item_keeps_the_problems_of_its_error(
    services: Services, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = PackError([PackProblem("views.toml", 4, "unknown view")])
    monkeypatch.setattr(services.gateway, "decide_and_record_many", lambda requests, who: [refused])
    officer = {"id": "officer-e2", "agency": "MPD", "role": "officer", "unit": "1D"}
    who = _key(services, KeyRole.OFFICER, "officer-e2", "1D")
    response = client.post("/v1/decisions", json=[_inquiry("pb-1", officer)], headers=who)
    assert response.status_code == 200, response.text
    assert response.json()["results"] == [{"id": "pb-1", "error": refused.to_dict()}]


# -- on the command line ---------------------------------------------------------------------


def test_the_command_line_prints_an_error_with_its_problems(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli_app, ["directives", "validate", "--pack", str(tmp_path)])
    assert result.exit_code == 1
    first, *problems = result.stderr.splitlines()
    counted = re.fullmatch(r"error: directive pack is invalid \((\d+) problem\(s\)\):", first)
    assert counted, first
    assert len(problems) == int(counted.group(1)) > 0
    assert all(line.startswith(f"  {tmp_path}") for line in problems), problems
