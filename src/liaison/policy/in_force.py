"""Which directives are in force at an instant under a view.

The rules of dc-pack.md, "How "in force" works".

A directive D is in force at t in view V when:
1. V recognises D;
2. ``effective_from <= t`` and (no ``effective_until`` or ``t < effective_until``);
3. every directive D names as its authority (in the pack) is in force at t in V;
4. no directive R recognised by V, itself in force at ``R.effective_from``, rescinds or
   supersedes D with ``R.effective_from <= t``. Rescission is permanent (it stays after R
   lapses); superseding listed sections removes only those sections.

Every answer carries the reason, so ``liaison directives in-force`` can say why each
directive counts or does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from liaison.policy.directives import Directive, Pack, View


class Standing(StrEnum):
    IN_FORCE = "in_force"
    NOT_RECOGNISED = "not_recognised"
    NOT_YET_EFFECTIVE = "not_yet_effective"
    EXPIRED = "expired"
    LAPSED = "lapsed"
    RESCINDED = "rescinded"
    SUPERSEDED = "superseded"


@dataclass(frozen=True, slots=True)
class Status:
    """Whether one directive is in force at an instant in a view, and why."""

    directive: Directive
    standing: Standing
    reason: str
    by: str | None = None  # the directive that rescinded/superseded it, or the lapsed authority
    since: datetime | None = None
    removed_sections: tuple[tuple[str, str], ...] = ()  # (section label, superseding directive)

    @property
    def in_force(self) -> bool:
        return self.standing is Standing.IN_FORCE

    @property
    def active_sections(self) -> tuple[str, ...]:
        removed = {label for label, _ in self.removed_sections}
        return tuple(s.label for s in self.directive.sections if s.label not in removed)


class Resolver:
    """Evaluates the four rules for one view, memoising (directive, instant)."""

    def __init__(self, pack: Pack, view: View) -> None:
        self._pack = pack
        self._view = view
        self._memo: dict[tuple[str, datetime], Status] = {}
        self._active: set[tuple[str, datetime]] = set()
        self._removers = _removers(pack)

    def status(self, directive_id: str, at: datetime) -> Status:
        key = (directive_id, at)
        if key in self._memo:
            return self._memo[key]
        if key in self._active:  # the loader rejects cycles; this is a last line of defence
            raise RuntimeError(f"cycle while resolving {directive_id} at {at.isoformat()}")
        self._active.add(key)
        try:
            result = self._resolve(self._pack.directives[directive_id], at)
        finally:
            self._active.discard(key)
        self._memo[key] = result
        return result

    def _resolve(self, d: Directive, at: datetime) -> Status:
        if d.id not in self._view.recognised:
            return Status(d, Standing.NOT_RECOGNISED, f"not recognised in view {self._view.name!r}")
        if at < d.effective_from:
            return Status(
                d, Standing.NOT_YET_EFFECTIVE, "not yet effective", since=d.effective_from
            )
        if d.effective_until is not None and at >= d.effective_until:
            return Status(
                d, Standing.EXPIRED, "its effective period ended", since=d.effective_until
            )
        for authority in d.pack_authorities:
            basis = self.status(authority, at)
            if not basis.in_force:
                return Status(
                    d,
                    Standing.LAPSED,
                    f"lapsed with its authority {authority} ({basis.reason})",
                    by=authority,
                    since=basis.since,
                )
        removed: list[tuple[str, str]] = []
        for remover_id, ref_sections, verb in self._removers.get(d.id, ()):
            remover = self._pack.directives[remover_id]
            if remover.effective_from > at or remover_id not in self._view.recognised:
                continue
            if not self.status(remover_id, remover.effective_from).in_force:
                continue
            if ref_sections is None:
                standing = Standing.RESCINDED if verb == "rescinded" else Standing.SUPERSEDED
                return Status(
                    d,
                    standing,
                    f"{verb} by {remover_id}",
                    by=remover_id,
                    since=remover.effective_from,
                )
            removed.extend((label, remover_id) for label in ref_sections)
        return Status(
            d,
            Standing.IN_FORCE,
            "in force",
            since=d.effective_from,
            removed_sections=tuple(removed),
        )


def _removers(pack: Pack) -> dict[str, list[tuple[str, tuple[str, ...] | None, str]]]:
    """For each directive, who rescinds or supersedes it: (remover, sections or None, verb)."""
    out: dict[str, list[tuple[str, tuple[str, ...] | None, str]]] = {}
    for remover in sorted(pack.directives.values(), key=lambda d: (d.effective_from, d.id)):
        for ref, verb in remover.removals():
            out.setdefault(ref.directive, []).append((remover.id, ref.sections, verb))
    return out


def statuses(pack: Pack, view: View, at: datetime) -> list[Status]:
    """The standing of every directive of ``pack`` at ``at`` in ``view``, in id order."""
    resolver = Resolver(pack, view)
    return [resolver.status(d, at) for d in sorted(pack.directives)]


def boundaries(pack: Pack) -> list[datetime]:
    """Every instant at which some directive's standing can change, sorted."""
    instants = {d.effective_from for d in pack.directives.values()}
    instants |= {d.effective_until for d in pack.directives.values() if d.effective_until}
    return sorted(instants)
