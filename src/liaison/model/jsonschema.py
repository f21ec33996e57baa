"""JSON Schema (draft 2020-12) of the action request of request-schema.md.

The schema is generated from the pydantic model, so it cannot drift from what
``parse_request`` accepts; docs/schemas/action-request.schema.json is a copy kept
in the repository and checked by tests/test_jsonschema_drift.py. Regenerate it with::

    .venv/bin/python -m liaison.model.jsonschema docs/schemas/action-request.schema.json

(without a path the schema is written to standard output).

Beyond pydantic's schema of ``ActionRequest`` it states, from the same sources the
model uses: the fields each action requires (``REQUIRED_BY_ACTION``) and each access kind
requires (``check_access``), that purposes
and data classes are non-empty, the RFC 3339 pattern of ``at``, and (under
``$defs``) the error object returned for an invalid request.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from liaison.docgen import render_json, write_document
from liaison.model.request import ActionRequest
from liaison.model.timestamps import _RFC3339
from liaison.model.vocabulary import REQUIRED_BY_ACTION, AccessKind, Action

SCHEMA_ID = "https://liaison.invalid/schemas/action-request.json"
DIALECT = "https://json-schema.org/draft/2020-12/schema"
ERROR_DEF = "InvalidRequestResponse"


def _nullable_member(prop: dict[str, Any]) -> dict[str, Any]:
    """The non-null branch of a pydantic ``X | None`` property."""
    for branch in prop.get("anyOf", []):
        if branch != {"type": "null"}:
            return dict(branch)
    raise ValueError(f"not a nullable property: {prop!r}")


def _refine(schema: dict[str, Any]) -> None:
    props: dict[str, Any] = schema["properties"]
    # A JSON array read as a set: non-empty; duplicates are allowed and folded.
    for name in ("purposes", "data_classes"):
        array = _nullable_member(props[name])
        if array.get("type") != "array":
            raise ValueError(f"{name}: expected an array schema, got {array!r}")
        props[name]["anyOf"] = [{**array, "minItems": 1}, {"type": "null"}]
    at = _nullable_member(props["at"])
    props["at"]["anyOf"] = [{**at, "pattern": _RFC3339.pattern}, {"type": "null"}]
    props["at"]["description"] = (
        "RFC 3339 timestamp with a UTC offset (Z or +hh:mm/-hh:mm): when the action "
        "happens. Default: now."
    )
    # The fields an action requires: present and not null.
    schema["allOf"] = [
        {
            "if": {"properties": {"action": {"const": action.value}}, "required": ["action"]},
            "then": {
                "required": list(names),
                "properties": {name: {"not": {"type": "null"}} for name in names},
            },
        }
        for action, names in REQUIRED_BY_ACTION.items()
    ]
    _refine_access(schema)


def _refine_access(schema: dict[str, Any]) -> None:
    """What ``check_access`` enforces (request-schema.md, "Additions"): ``detainee_requested``
    and ``counsel`` for access kinds facility and interview; ``data_classes`` for a
    ``grant_access`` of kind data."""
    kinds = [AccessKind.FACILITY.value, AccessKind.INTERVIEW.value]
    schema["$defs"]["Access"]["allOf"] = [
        {
            "if": {"properties": {"kind": {"enum": kinds}}, "required": ["kind"]},
            "then": {"required": ["detainee_requested", "counsel"]},
        }
    ]
    schema["if"] = {
        "properties": {
            "action": {"const": Action.GRANT_ACCESS.value},
            "access": {
                "properties": {"kind": {"const": AccessKind.DATA.value}},
                "required": ["kind"],
            },
        },
        "required": ["action", "access"],
    }
    schema["then"] = {
        "required": ["data_classes"],
        "properties": {"data_classes": {"not": {"type": "null"}}},
    }


def error_json_schema() -> dict[str, Any]:
    """Schema of ``{"id": ..., "error": {"code", "field", "message"}}`` (request-schema.md)."""
    nullable_string = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    return {
        "title": "Invalid request",
        "description": (
            "What an invalid request produces instead of a decision. A rejected request "
            "is never permitted."
        ),
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "error"],
        "properties": {
            "id": {
                **nullable_string,
                "description": "The request's id when it could be read, else null.",
            },
            "error": {
                "type": "object",
                "additionalProperties": False,
                "required": ["code", "field", "message"],
                "properties": {
                    "code": {"const": "invalid_request"},
                    "field": {
                        **nullable_string,
                        "description": (
                            "Dotted path of the offending field (e.g. subject.custody, "
                            "operation.partners[0].type); null when the input is not a "
                            "JSON object."
                        ),
                    },
                    "message": {"type": "string"},
                },
            },
        },
    }


def request_json_schema() -> dict[str, Any]:
    """The JSON Schema of an action request, with the error object under ``$defs``."""
    schema = ActionRequest.model_json_schema()
    _refine(schema)
    defs: dict[str, Any] = schema.setdefault("$defs", {})
    if ERROR_DEF in defs:
        raise ValueError(f"$defs already has {ERROR_DEF}")
    defs[ERROR_DEF] = error_json_schema()
    schema.update(
        {
            "$schema": DIALECT,
            "$id": SCHEMA_ID,
            "title": "liaison action request",
            "description": (
                "One action a member of the department wants to take that touches "
                "immigration enforcement, or any database inquiry (request-schema.md). "
                "Unknown fields, unknown enum values, a missing required field or an `at` "
                f"without an offset are errors, answered with #/$defs/{ERROR_DEF}."
            ),
        }
    )
    return schema


def render() -> str:
    """The schema as committed: pretty-printed, sorted keys, trailing newline."""
    return render_json(request_json_schema())


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m liaison.model.jsonschema [PATH]``: write the schema to PATH or stdout."""
    return write_document("liaison.model.jsonschema", render, argv)


if __name__ == "__main__":
    raise SystemExit(main())
