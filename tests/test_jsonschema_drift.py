"""docs/schemas/action-request.schema.json is exactly what the model generates."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest

from liaison.errors import InvalidRequest
from liaison.model import vocabulary as voc
from liaison.model.jsonschema import (
    ERROR_DEF,
    SCHEMA_ID,
    main,
    render,
    request_json_schema,
)
from liaison.model.request import ActionRequest

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "docs" / "schemas" / "action-request.schema.json"
REGENERATE = (
    "docs/schemas/action-request.schema.json is out of date with the request model; "
    "regenerate it (from the repository root) with\n"
    "    .venv/bin/python -m liaison.model.jsonschema docs/schemas/action-request.schema.json\n"
    "(equivalently: .venv/bin/python -m liaison.model.jsonschema "
    "> docs/schemas/action-request.schema.json) and commit the result."
)


def test_committed_schema_matches_the_model() -> None:
    assert COMMITTED.is_file(), REGENERATE
    assert COMMITTED.read_text(encoding="utf-8") == render(), REGENERATE


def test_rendering_is_canonical() -> None:
    text = render()
    assert text.endswith("}\n")
    assert not text.endswith("\n\n")
    schema = json.loads(text)
    assert schema == request_json_schema()
    assert text == json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert render() == text  # deterministic


def test_main_writes_the_file_given_as_argument(tmp_path: Path) -> None:
    target = tmp_path / "schema.json"
    assert main([str(target)]) == 0
    assert target.read_text(encoding="utf-8") == render()


def test_main_writes_stdout_without_argument(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    assert capsys.readouterr().out == render()


def test_main_rejects_extra_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["a", "b"]) == 2
    assert "usage" in capsys.readouterr().err


def test_schema_identity() -> None:
    schema = request_json_schema()
    assert schema["$id"] == SCHEMA_ID == "https://liaison.invalid/schemas/action-request.json"
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"]
    assert schema["description"]
    assert schema["type"] == "object"
    assert set(schema["required"]) == {"actor", "action"}
    assert set(schema["properties"]) == set(ActionRequest.model_fields)


def _objects(node: Any) -> list[dict[str, Any]]:
    """Every object schema (one with "properties") anywhere in ``node``."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if isinstance(node.get("properties"), dict) and node.get("type") == "object":
            found.append(node)
        for value in node.values():
            found.extend(_objects(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_objects(value))
    return found


def test_unknown_fields_are_forbidden_everywhere() -> None:
    objects = _objects(request_json_schema())
    assert len(objects) >= 9
    for obj in objects:
        assert obj.get("additionalProperties") is False, obj.get("title")


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def test_every_ref_resolves() -> None:
    schema = request_json_schema()
    refs = _refs(schema)
    assert refs
    for ref in refs:
        assert ref.startswith("#/$defs/"), ref
        assert ref.removeprefix("#/$defs/") in schema["$defs"], ref


def test_enums_are_the_vocabulary() -> None:
    defs = request_json_schema()["$defs"]
    enums = [
        value
        for value in vars(voc).values()
        if isinstance(value, type) and issubclass(value, StrEnum) and value is not StrEnum
    ]
    assert len(enums) == 16  # Jurisdiction: request-schema.md, "Additions"
    for enum in enums:
        assert defs[enum.__name__]["enum"] == [member.value for member in enum], enum.__name__


def test_required_by_action_is_stated() -> None:
    rules = request_json_schema()["allOf"]
    stated = {
        rule["if"]["properties"]["action"]["const"]: rule["then"]["required"] for rule in rules
    }
    assert stated == {action.value: list(names) for action, names in voc.REQUIRED_BY_ACTION.items()}
    for rule in rules:
        assert rule["if"]["required"] == ["action"]
        assert set(rule["then"]["properties"]) == set(rule["then"]["required"])


@pytest.mark.parametrize("name", ["purposes", "data_classes"])
def test_sets_are_non_empty(name: str) -> None:
    branches = request_json_schema()["properties"][name]["anyOf"]
    arrays = [branch for branch in branches if branch.get("type") == "array"]
    assert len(arrays) == 1
    assert arrays[0]["minItems"] == 1
    assert "uniqueItems" not in arrays[0]  # duplicates are folded, not rejected


def test_at_requires_an_offset() -> None:
    branches = request_json_schema()["properties"]["at"]["anyOf"]
    (text,) = [branch for branch in branches if branch.get("type") == "string"]
    assert text["format"] == "date-time"
    assert text["pattern"].endswith("([Zz]|[+-]\\d{2}:[0-5]\\d)$")


def test_error_object_schema_matches_invalid_request() -> None:
    error_def = request_json_schema()["$defs"][ERROR_DEF]
    assert error_def["required"] == ["id", "error"]
    assert error_def["additionalProperties"] is False
    error = error_def["properties"]["error"]
    produced = InvalidRequest("subject.custody", "subject.custody: unknown").to_dict()
    assert set(error["required"]) == set(produced) == set(error["properties"])
    assert error["properties"]["code"] == {"const": produced["code"]}
    assert {"type": "null"} in error["properties"]["field"]["anyOf"]
