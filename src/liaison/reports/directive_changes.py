"""The directive changes under a view in a period (issue 11, item 1: "directive changes
marked on the time axis"): each directive the view recognises that was issued, took effect,
or stopped being in force (rescinded, superseded, expired, lapsed with its authority), or
lost sections to a superseding directive, at an instant in [start, end).

Worked out from the pack alone (``liaison.policy.in_force``): the standing of every
directive just before and at each instant where a standing can change (``boundaries``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from liaison.model.timestamps import render
from liaison.policy.directives import Pack
from liaison.policy.in_force import Resolver, Status, boundaries

JUST_BEFORE = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class Change:
    """What happened to ``directive`` at ``at``: ``issued``, ``effective``, ``rescinded``,
    ``superseded``, ``expired``, ``lapsed`` or ``superseded_in_part`` (``by``: the
    directive that did it, or the lapsed authority)."""

    at: datetime
    directive: str
    title: str
    change: str
    by: str | None = None

    @property
    def label(self) -> str:
        words = self.change.replace("_", " ")
        return f"{self.directive} {words}" + (f" ({self.by})" if self.by else "")

    def to_dict(self, pack: Pack) -> dict[str, Any]:
        return {
            "at": render(self.at, pack.timezone),
            "directive": self.directive,
            "title": self.title,
            "change": self.change,
            "by": self.by,
        }


def _changed(before: Status, now: Status) -> str | None:
    if now.in_force and not before.in_force:
        return "effective"
    if before.in_force and not now.in_force:
        return now.standing.value
    if now.in_force and len(now.removed_sections) > len(before.removed_sections):
        return "superseded_in_part"
    return None


def changes(pack: Pack, view: str, start: datetime, end: datetime) -> list[Change]:
    """The changes of ``pack``'s directives under ``view`` at instants in [start, end), in
    time order (then by directive)."""
    recognised = pack.views[view].recognised
    resolver = Resolver(pack, pack.views[view])
    found = [
        Change(d.issued_at, d.id, d.title, "issued")
        for d in pack.directives.values()
        if d.id in recognised and start <= d.issued_at < end
    ]
    for moment in boundaries(pack):
        if not start <= moment < end:
            continue
        for d in sorted(recognised & set(pack.directives)):
            before = resolver.status(d, moment - JUST_BEFORE)
            now = resolver.status(d, moment)
            change = _changed(before, now)
            if change is None:
                continue
            by = now.removed_sections[-1][1] if change == "superseded_in_part" else now.by
            by = None if change == "effective" else by
            found.append(Change(moment, d, pack.directives[d].title, change, by))
    return sorted(found, key=lambda c: (c.at, c.directive, c.change))
