"""Domain types of a directive pack: directives, sections, views.

What they mean: dc-pack.md, "How "in force" works".

These are the validated, immutable objects the engine works with; the loader
(``liaison.policy.loader``) builds them from the pack's files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from liaison.errors import NotFound

TextKind = Literal["quote", "paraphrase"]
Effect = Literal["permit", "forbid"]


@dataclass(frozen=True, slots=True)
class Policy:
    """One Cedar policy of a section, in Cedar's JSON form (EST) under liaison's own id."""

    id: str  # "<directive>/<section>/<n>": liaison's key, never shown as a citation
    directive: str
    section: str
    effect: Effect
    est: dict[str, Any] = field(hash=False, compare=False)
    text: str = ""


@dataclass(frozen=True, slots=True)
class Section:
    label: str
    heading: str
    text: str
    text_kind: TextKind
    source: str
    policy_text: str
    policies: tuple[Policy, ...]
    line: int | None = None
    evidence: str | None = None  # "verified", "secondary", "interpretation"; None: unmarked
    interpretation: str = ""  # where the encoding chooses what the text does not settle


@dataclass(frozen=True, slots=True)
class Reference:
    """A rescission or supersession target: a whole directive, or listed sections of it."""

    directive: str
    sections: tuple[str, ...] | None = None

    @property
    def whole(self) -> bool:
        return self.sections is None


@dataclass(frozen=True, slots=True)
class Authority:
    """What a directive relies on: a directive of the pack, or a law outside it."""

    directive: str | None = None
    external: str | None = None

    def __str__(self) -> str:
        return self.directive or self.external or ""


@dataclass(frozen=True, slots=True)
class Source:
    title: str
    url: str | None = None
    date: str | None = None


@dataclass(frozen=True, slots=True)
class Directive:
    id: str
    title: str
    kind: str
    issuer: str
    issuer_name: str | None
    issued_at: datetime
    effective_from: datetime
    effective_until: datetime | None
    authority: tuple[Authority, ...]
    rescinds: tuple[Reference, ...]
    supersedes: tuple[Reference, ...]
    notes: str
    sources: tuple[Source, ...]
    sections: tuple[Section, ...]
    file: Path

    def section(self, label: str) -> Section:
        for section in self.sections:
            if section.label == label:
                return section
        raise NotFound(f"directive {self.id} has no section {label!r}")

    @property
    def pack_authorities(self) -> tuple[str, ...]:
        return tuple(a.directive for a in self.authority if a.directive)

    def removals(self) -> tuple[tuple[Reference, str], ...]:
        """Every (target, verb) this directive rescinds or supersedes."""
        return tuple((r, "rescinded") for r in self.rescinds) + tuple(
            (r, "superseded") for r in self.supersedes
        )


@dataclass(frozen=True, slots=True)
class View:
    """A named reading: the set of directives whose acts are recognised."""

    name: str
    description: str
    recognised: frozenset[str]


@dataclass(frozen=True, slots=True)
class Pack:
    """A validated directive pack. Build it with ``liaison.policy.load_pack``."""

    id: str
    name: str
    jurisdiction: str
    timezone: ZoneInfo
    root: Path
    schema_text: str
    directives: dict[str, Directive]
    views: dict[str, View]
    default_view: str
    state: str | None = None  # the home state's two-letter postal code (pack.toml ``state``)

    def directive(self, directive_id: str) -> Directive:
        try:
            return self.directives[directive_id]
        except KeyError:
            known = ", ".join(sorted(self.directives))
            raise NotFound(f"no directive {directive_id!r} in pack {self.id} ({known})") from None

    def view(self, name: str | None) -> View:
        key = self.default_view if name is None else name
        try:
            return self.views[key]
        except KeyError:
            known = ", ".join(sorted(self.views))
            raise NotFound(f"unknown view {key!r}; pack {self.id} defines: {known}") from None
