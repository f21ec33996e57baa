"""Who gave the orders (issue 10, item 2, the ``authority`` report): a directive's chain
of authority up to the statute or emergency power it rests on, what each of its sections
allows or forbids, and where it stood under each view of the pack over a period.

The chain follows each directive's ``authority`` (packs.md, "References between directives"): a
directive of the pack is followed further, a law outside it is a root. Standing over a
period follows the rules of dc-pack.md, "How "in force" works" (``policy.in_force``),
evaluated at the period's start and at every instant in it where some directive's standing
can change (``in_force.boundaries``): between two such instants nothing changes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import ConfigDict, Field

from liaison.policy.directives import Directive, Pack, Section
from liaison.policy.engine import Engine as PolicyEngine
from liaison.policy.in_force import Status, boundaries
from liaison.reports.directives import authority_chain
from liaison.reports.report_document import Strict


class ChainLink(Strict):
    """One step of a chain of authority: a directive of the pack (with its issuer), or a
    law outside the pack (``external``: a root). ``depth`` 1 is what the directive itself
    names; a directive at depth n names the links at depth n + 1 below it."""

    depth: int = Field(ge=1)
    directive: str | None = None
    title: str | None = None
    issuer: str | None = None
    issuer_name: str | None = None
    external: str | None = Field(default=None, description="a law outside the pack: a root")


class SectionRule(Strict):
    """What a section does, in brief: its heading, whether its policies permit or forbid,
    and which actions they can apply to (none: descriptive, it decides nothing)."""

    label: str
    heading: str
    effects: list[Literal["permit", "forbid"]]
    actions: list[str]


class Interval(Strict):
    """[from, until) within the period, in the pack's zone (``until`` null: to its end)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    from_: str | None = Field(alias="from", serialization_alias="from")
    until: str | None


class ViewStanding(Strict):
    """A directive under one view over the period: when it was in force, and otherwise
    why not (its standing at the period's end, or at its start if it never was)."""

    view: str
    in_force: bool = Field(description="in force at some instant of the period")
    intervals: list[Interval]
    standing: str = Field(description="in_force, not_recognised, rescinded, ... (in_force.py)")
    reason: str
    removed_sections: list[str] = Field(description="'label (superseded by X)' in the period")


def chain_of(pack: Pack, directive: Directive) -> list[ChainLink]:
    """Every link of ``directive``'s authority, depth first, down to the laws outside the
    pack: ``reports.directives.authority_chain`` (as ``directives show`` gives it), flat."""
    return _flat(authority_chain(pack, directive), 1)


def _flat(chain: list[Any], depth: int) -> list[ChainLink]:
    out: list[ChainLink] = []
    for link in chain:
        if "external" in link:
            out.append(ChainLink(depth=depth, external=link["external"]))
            continue
        out.append(
            ChainLink(
                depth=depth,
                directive=link["directive"],
                title=link["title"],
                issuer=link["issuer"],
                issuer_name=link["issuer_name"],
            )
        )
        out.extend(_flat(link["authority"], depth + 1))
    return out


def roots(chain: list[ChainLink]) -> list[str]:
    """The laws outside the pack a chain ends in, in order, each once."""
    return list(dict.fromkeys(link.external for link in chain if link.external))


def section_rule(section: Section) -> SectionRule:
    """A section in brief (``cedar_policies.applies_to`` reads the same action scope)."""
    effects: list[Literal["permit", "forbid"]] = []
    actions: list[str] = []
    for policy in section.policies:
        if policy.effect not in effects:
            effects.append(policy.effect)
        scope = policy.est.get("action", {})
        named = scope.get("entities") or ([scope["entity"]] if "entity" in scope else [])
        for entity in named if named else [{"id": "(any)"}]:
            if entity["id"] not in actions:
                actions.append(str(entity["id"]))
    return SectionRule(
        label=section.label, heading=section.heading, effects=effects, actions=actions
    )


def checks(pack: Pack, start: datetime | None, end: datetime | None) -> list[datetime]:
    """The instants at which standing is evaluated over [start, end): the start (or, for
    an open start, just before the pack's first instant) and every boundary inside."""
    bounds = boundaries(pack)
    first = start if start is not None else bounds[0] - timedelta(microseconds=1)
    inside = [b for b in bounds if b > first and (end is None or b < end)]
    return [first, *inside]


def standing(
    policy: PolicyEngine,
    directive: str,
    view: str,
    at: list[datetime],
    start: datetime | None,
    end: datetime | None,
) -> ViewStanding:
    """``directive`` under ``view`` over the period whose check instants are ``at``."""
    found = [status_at(policy, directive, view, moment) for moment in at]
    spans: list[list[datetime | None]] = []
    for n, status in enumerate(found):
        before = found[n - 1].in_force if n else False
        if status.in_force and not before:
            spans.append([at[n] if n or start is not None else None, end])
        elif before and not status.in_force:
            spans[-1][1] = at[n]
    intervals = [
        Interval.model_validate({"from": _local(policy, a), "until": _local(policy, b)})
        for a, b in spans
    ]
    last = found[-1]
    removed = {f"{label} (superseded by {by})" for s in found for label, by in s.removed_sections}
    return ViewStanding(
        view=view,
        in_force=bool(intervals),
        intervals=intervals,
        standing=last.standing.value,
        reason=last.reason,
        removed_sections=sorted(removed),
    )


def status_at(policy: PolicyEngine, directive: str, view: str, at: datetime) -> Status:
    """``directive``'s status at ``at`` under ``view``: from the engine's regime there."""
    for status in policy.regime(at, view).statuses:
        if status.directive.id == directive:
            return status
    raise KeyError(directive)  # every regime holds every directive of the pack


def _local(policy: PolicyEngine, moment: datetime | None) -> str | None:
    return None if moment is None else policy.local(moment)
