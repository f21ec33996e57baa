"""What a set of policies reads of the context (liaison.policy.reads)."""

from __future__ import annotations

import pytest

from liaison.policy.cedar_policies import compile_section
from liaison.policy.reads import context_reads


def _reads(condition: str) -> object:
    text = (
        '@directive("D")\n@section("s")\n'
        'permit (principal, action == Liaison::Action::"hold", resource)\n'
        f"when {{ {condition} }};"
    )
    policies, problems = compile_section(text, "D", "s")
    assert problems == []
    return context_reads(policies)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("true", {}),
        ('context.purposes.contains("booking")', {"purposes": None}),
        ('context.subject.custody == "free"', {"subject": frozenset({"custody"})}),
        ("context has recipient", {"recipient": frozenset()}),
        (
            'context has recipient && context.recipient.type == "private"',
            {"recipient": frozenset({"type"})},
        ),
        ("context.subject has custody", {"subject": frozenset({"custody"})}),
        (
            'context.subject == {"custody": "free", "federal_criminal_charge": false}',
            {"subject": None},
        ),
        (
            'context.subject.custody == "free" && context.subject == context.subject',
            {"subject": None},
        ),
        (
            'context.operation.partner_types.contains("x")',
            {"operation": frozenset({"partner_types"})},
        ),
    ],
)
def test_reads(condition: str, expected: object) -> None:
    assert _reads(condition) == expected


def test_context_used_as_a_value_reads_everything() -> None:
    assert _reads('context == {"a": 1} || true') is None
