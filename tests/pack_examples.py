"""Helpers of the worked-example tests of the state packs (ca-pack.md, il-pack.md).

``build`` makes a request dict; ``check`` asserts a decision's outcome, basis and exact set of
(directive, section) citations, and that each citation carries the directive's normative
``effective_from``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from liaison.model import Basis, Decision, Outcome, parse_request
from liaison.policy import Engine

ACTOR = {"id": "officer-1", "agency": "PD", "role": "officer"}
ICE = {"agency": "ICE-ERO", "type": "federal_immigration"}
FREE = {"id": "plate-1", "custody": "free"}


def build(action: str, at: str, **fields: Any) -> dict[str, Any]:
    """A request dict; keyword arguments add fields."""
    raw: dict[str, Any] = {"id": "req-worked", "at": at, "actor": dict(ACTOR), "action": action}
    raw.update(fields)
    return raw


def own_alpr_search(at: str, purposes: list[str]) -> dict[str, Any]:
    """The agency's own ALPR search (a search-audit row of its own users)."""
    return build("database_inquiry", at, purposes=purposes, subject=FREE, database="ALPR")


def camera_search(at: str, recipient: dict[str, Any], purposes: list[str], **more: Any) -> dict:
    """Another organisation's search of the agency's cameras: grant_access of kind data."""
    return build(
        "grant_access",
        at,
        purposes=purposes,
        subject=FREE,
        recipient=recipient,
        access={"kind": "data"},
        data_classes=["alpr_reads"],
        **more,
    )


def cited(decision: Decision) -> set[tuple[str, str]]:
    return {(c.directive, c.section) for c in decision.citations}


def decide(engine: Engine, raw: dict[str, Any]) -> Decision:
    return engine.decide(parse_request(raw))


def check(
    decision: Decision,
    outcome: str,
    basis: str,
    citations: set[tuple[str, str]],
    effective_from: dict[str, str],
) -> None:
    got = (decision.decision, decision.basis, cited(decision))
    assert got == (Outcome(outcome), Basis(basis), citations), decision.errors
    assert len(decision.citations) == len(cited(decision))
    for c in decision.citations:
        assert c.effective_from == datetime.fromisoformat(effective_from[c.directive])
        assert c.title and c.issuer
    assert decision.policy_version.startswith("sha256:")
