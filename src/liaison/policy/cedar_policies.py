"""Compiling a section's Cedar text into policies liaison can cite, and checking them.

Each policy is converted to Cedar's JSON form (EST) and re-keyed under
liaison's own id (``<directive>/<section>/<n>``), so a decision is mapped to
its citations through the ``@directive``/``@section`` annotations resolved at
load time, never through Cedar's positional ``policyN`` ids. Policies are
validated against the pack's Cedar schema with ``cedarpy.validate_policies``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import cedarpy

from liaison.policy.directives import Policy

_POLICY_START = re.compile(r"^\s*(permit|forbid)\s*\(", re.MULTILINE)


def policy_line_offsets(text: str) -> list[int]:
    """0-based line offsets, within ``text``, where each policy's effect keyword stands."""
    return [text.count("\n", 0, m.start()) for m in _POLICY_START.finditer(text)]


def _mentions_var(node: Any, names: frozenset[str]) -> bool:
    if isinstance(node, dict):
        if node.get("Var") in names:
            return True
        return any(_mentions_var(v, names) for v in node.values())
    if isinstance(node, list):
        return any(_mentions_var(v, names) for v in node)
    return False


def _policy_problems(est: dict[str, Any], directive: str, section: str) -> Iterator[str]:
    annotations = est.get("annotations", {})
    if annotations.get("directive") != directive:
        yield f'policy must be annotated @directive("{directive}")'
    if annotations.get("section") != section:
        yield f'policy must be annotated @section("{section}")'
    for var in ("principal", "resource"):
        if est.get(var, {}).get("op") != "All":
            yield f"policy may not constrain {var} in its scope (policies read action and context)"
    if _mentions_var(est.get("conditions", []), frozenset({"principal", "resource"})):
        yield "policy may not read principal or resource (policies read action and context)"


def compile_section(
    text: str, directive: str, section: str
) -> tuple[tuple[Policy, ...], list[tuple[int, str]]]:
    """Policies of one section, and problems as (line offset within ``text``, message)."""
    if not text.strip():
        return (), []
    try:
        parsed = json.loads(cedarpy.policies_to_json_str(text))
    except ValueError as exc:
        return (), [(syntax_error_offset(text, str(exc)), f"Cedar syntax error: {exc}")]
    offsets = policy_line_offsets(text)
    if parsed.get("templates"):
        first = min(_policy_index(pid) for pid in parsed["templates"])
        offset = offsets[first] if 0 <= first < len(offsets) else 0
        return (), [
            (offset, "templates (policies with ?principal/?resource slots) are not allowed")
        ]
    chunks = _split_texts(text, offsets)
    policies: list[Policy] = []
    problems: list[tuple[int, str]] = []
    for n, est in enumerate(parsed["staticPolicies"].values()):
        offset = offsets[n] if n < len(offsets) else 0
        problems.extend((offset, message) for message in _policy_problems(est, directive, section))
        policies.append(
            Policy(
                id=f"{directive}/{section}/{n}",
                directive=directive,
                section=section,
                effect=est["effect"],
                est=est,
                text=chunks[n] if n < len(chunks) else "",
            )
        )
    return tuple(policies), problems


def _policy_index(policy_id: str) -> int:
    """Position in the source text of the policy Cedar calls ``policy<N>`` (-1 if unknown)."""
    match = re.fullmatch(r"policy(\d+)", policy_id)
    return int(match.group(1)) if match else -1


def syntax_error_offset(text: str, message: str) -> int:
    """0-based line, within ``text``, of the Cedar syntax error ``message``.

    cedarpy's parse errors carry no position: the line is the first at which a prefix of
    ``text`` fails with the same error (an earlier prefix is merely incomplete). An error at
    the end of the input (a missing ``;`` or ``}``) is placed on the last non-blank line.
    """
    lines = text.split("\n")
    last = max((n for n, line in enumerate(lines) if line.strip()), default=0)
    if "end of input" in message:
        return last
    for n in range(last + 1):
        try:
            cedarpy.policies_to_json_str("\n".join(lines[: n + 1]))
        except ValueError as exc:
            if str(exc) == message:
                return n
    return 0


def _split_texts(text: str, offsets: list[int]) -> list[str]:
    lines = text.splitlines()
    starts = [_annotation_start(lines, o) for o in offsets]
    ends = [*starts[1:], len(lines)]
    return ["\n".join(lines[s:e]).strip() for s, e in zip(starts, ends, strict=True)]


def _annotation_start(lines: list[str], offset: int) -> int:
    start = offset
    while start > 0 and lines[start - 1].lstrip().startswith(("@", "//")):
        start -= 1
    return start


def validate_against_schema(text: str, schema: Any) -> list[tuple[int, str]]:
    """Cedar validation errors of ``text`` (against a schema text or parsed handle) as
    (line offset of the policy, message)."""
    result = cedarpy.validate_policies(text, schema)
    if result.validation_passed:
        return []
    offsets = policy_line_offsets(text)
    problems: list[tuple[int, str]] = []
    for error in result.errors:
        index = _policy_index(error.policy_id or "")
        offset = offsets[index] if 0 <= index < len(offsets) else 0
        message = re.sub(r"for policy `policy\d+`", "for this policy", error.error)
        message = re.sub(r"\bpolicy\d+\b", "this policy", message)
        problems.append((offset, f"Cedar validation: {message}"))
    return problems


def applies_to(policy: Policy, action: str) -> bool:
    """Whether ``policy``'s action scope can match ``action`` (policy slicing)."""
    scope = policy.est.get("action", {})
    op = scope.get("op")
    if op == "==":
        return bool(scope["entity"]["id"] == action)
    if op == "in" and "entities" in scope:
        return any(e["id"] == action for e in scope["entities"])
    if op == "in" and "entity" in scope:
        return bool(scope["entity"]["id"] == action)
    return True  # "All" or anything unusual: keep the policy, never drop one that might apply


def policy_set_json(policies: tuple[Policy, ...]) -> str:
    """Cedar JSON policy set of ``policies`` keyed by liaison's ids."""
    return json.dumps(
        {
            "staticPolicies": {p.id: p.est for p in policies},
            "templates": {},
            "templateLinks": [],
        },
        sort_keys=True,
    )
