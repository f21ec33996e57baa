"""The OpenAPI document of the HTTP API (OpenAPI 3.1, JSON Schema 2020-12), as committed in
docs/openapi.json, and what liaison adds to FastAPI's: the request bodies the routes read
raw (documented from liaison's own models), with their ``$defs`` hoisted into
``components/schemas``.

The document is generated from the application (``create_app().openapi()``), so it
describes exactly the routes, parameters and bodies the service accepts;
tests/test_api_schema.py fails when the committed copy drifts. Regenerate it with::

    .venv/bin/python -m liaison.api.openapi docs/openapi.json

(without a path the document is written to standard output).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI

from liaison.docgen import render_json, write_document
from liaison.model.jsonschema import request_json_schema
from liaison.model.vocabulary import Action

DECISIONS = "/v1/decisions"


def json_body_doc(schema: dict[str, Any]) -> dict[str, Any]:
    """The ``openapi_extra`` of a route whose required JSON body ``schema`` describes."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schema}},
        }
    }


def request_body_doc(max_batch: int) -> dict[str, Any]:
    """The body of ``POST /v1/decisions``: one action request, or 1 to ``max_batch``."""
    schema = request_json_schema()
    one = _branches_by_action(
        {k: v for k, v in schema.items() if k not in ("$schema", "$id", "$defs")}
    )
    defs = {**schema.get("$defs", {}), "ActionRequest": one}
    ref = {"$ref": "#/$defs/ActionRequest"}
    return json_body_doc(
        {
            "oneOf": [
                ref,
                {"type": "array", "items": ref, "minItems": 1, "maxItems": max_batch},
            ],
            "$defs": defs,
        }
    )


def _branches_by_action(schema: dict[str, Any]) -> dict[str, Any]:
    """The fields each action requires as one ``anyOf`` branch per action.

    The request schema states them as an ``allOf`` of ``if action = A then required``;
    since ``action`` is required and one of the actions, that means the same as an
    ``anyOf`` of ``action = A and required``, which generators of test data (schemathesis)
    can work with: nine branches rather than the 2^9 combinations of nine conditionals.
    """
    clauses = schema.get("allOf", [])
    conditional = [c for c in clauses if _action_condition(c) is not None]
    if not conditional:
        return schema
    out = {k: v for k, v in schema.items() if k != "allOf"}
    rest = [c for c in clauses if _action_condition(c) is None]
    if rest:
        out["allOf"] = rest
    branches: list[dict[str, Any]] = []
    covered: list[str] = []
    for clause in conditional:
        action = _action_condition(clause)
        assert action is not None
        covered.append(action)
        then = clause["then"]
        branches.append(
            {
                "properties": {"action": {"const": action}, **then.get("properties", {})},
                "required": ["action", *then.get("required", [])],
            }
        )
    uncovered = [a.value for a in Action if a.value not in covered]
    if uncovered:
        branches.append({"properties": {"action": {"enum": uncovered}}, "required": ["action"]})
    out["anyOf"] = branches
    return out


def _action_condition(clause: Any) -> str | None:
    """The action of an ``if action = A then {properties, required}`` clause, else None."""
    if not isinstance(clause, dict) or set(clause) != {"if", "then"}:
        return None
    then = clause["then"]
    if not isinstance(then, dict) or not set(then) <= {"properties", "required"}:
        return None
    condition = clause["if"]
    const = condition.get("properties", {}).get("action", {}).get("const")
    if set(condition) != {"properties", "required"} or set(condition["properties"]) != {"action"}:
        return None
    return const if isinstance(const, str) else None


def install_openapi(app: FastAPI, max_batch: int) -> None:
    """Make ``app.openapi()`` liaison's document: embedded ``$defs`` hoisted, and the
    deployment's batch limit (``LIAISON_MAX_BATCH``) where the route states the default."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        fresh = app.openapi_schema is None
        document = generate()
        if fresh:
            _batch_limit(document, max_batch)
            _hoist_defs(document)
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def _batch_limit(document: dict[str, Any], max_batch: int) -> None:
    body = document["paths"][DECISIONS]["post"]["requestBody"]
    batch = body["content"]["application/json"]["schema"]["oneOf"][1]
    batch["maxItems"] = max_batch


def _hoist_defs(document: dict[str, Any]) -> None:
    """Move the ``$defs`` of embedded JSON Schemas into ``components/schemas``.

    The request and event schemas come from liaison's own models with local references
    (``#/$defs/Actor``), which inside an OpenAPI document would resolve against the
    document root; there they must name ``#/components/schemas/Actor``.
    """
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            for name, schema in node.pop("$defs", {}).items():
                if name in schemas and schemas[name] != schema:
                    raise ValueError(f"two different schemas named {name!r} in the API")
                schemas[name] = schema
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    def rewrite(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                node["$ref"] = "#/components/schemas/" + ref.removeprefix("#/$defs/")
            for value in node.values():
                rewrite(value)
        elif isinstance(node, list):
            for value in node:
                rewrite(value)

    collect(document.get("paths", {}))
    collect(schemas)
    rewrite(document)


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document of the API (no database or key is needed to make it)."""
    from liaison.api.app import create_app  # the app's routes import this module's helpers

    return create_app().openapi()


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m liaison.api.openapi [PATH]``: write the document to PATH or stdout."""
    return write_document("liaison.api.openapi", lambda: render_json(openapi_document()), argv)


if __name__ == "__main__":
    raise SystemExit(main())
