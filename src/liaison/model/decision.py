"""The decision of request-schema.md ("The decision").

Plain frozen dataclasses: decisions are made on the hot path and are never
parsed from untrusted input, so they skip pydantic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import StrEnum
from typing import Any, NamedTuple

from liaison.model.timestamps import render


class Outcome(StrEnum):
    PERMIT = "permit"
    DENY = "deny"


class Basis(StrEnum):
    PERMIT = "permit"  # a permitting section decided
    FORBID = "forbid"  # a forbidding section decided
    DEFAULT = "default"  # nothing in force authorises the action
    ERROR = "error"  # evaluation failed: deny


@dataclass(frozen=True, slots=True)
class Citation:
    """A directive section that decided, named exactly as the pack defines it."""

    directive: str
    section: str
    title: str
    issuer: str
    effective_from: datetime

    def to_dict(self, zone: tzinfo) -> dict[str, Any]:
        return {
            "directive": self.directive,
            "section": self.section,
            "title": self.title,
            "issuer": self.issuer,
            "effective_from": render(self.effective_from, zone),
        }


class Decision(NamedTuple):
    """The outcome for one request, with every deciding section cited.

    A NamedTuple: immutable and cheap to build on the hot path.
    """

    id: str | None
    decision: Outcome
    basis: Basis
    citations: tuple[Citation, ...]
    view: str
    at: datetime
    in_force: tuple[str, ...]
    policy_version: str
    errors: tuple[str, ...] = ()

    def to_dict(self, zone: tzinfo) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "decision": self.decision.value,
            "basis": self.basis.value,
            "citations": [c.to_dict(zone) for c in self.citations],
            "view": self.view,
            "at": render(self.at, zone),
            "in_force": list(self.in_force),
            "policy_version": self.policy_version,
        }
        if self.errors:
            out["errors"] = list(self.errors)
        return out


def decision_from_dict(rendered: Mapping[str, Any]) -> Decision:
    """The typed decision that ``Decision.to_dict`` rendered (a recorded one, replayed):
    rendered again in the zone it was rendered in, it is the same."""
    return Decision(
        rendered["id"],
        Outcome(rendered["decision"]),
        Basis(rendered["basis"]),
        tuple(
            Citation(
                c["directive"],
                c["section"],
                c["title"],
                c["issuer"],
                datetime.fromisoformat(c["effective_from"]),
            )
            for c in rendered["citations"]
        ),
        rendered["view"],
        datetime.fromisoformat(rendered["at"]),
        tuple(rendered["in_force"]),
        rendered["policy_version"],
        tuple(rendered.get("errors", ())),
    )
