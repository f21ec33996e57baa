"""The organisation table: a searching organisation's recipient type from its name, and for
a state or local agency its jurisdiction relative to the audited agency's state (issue 13,
item 3: "typed from their names ... by a maintained, tested table; an organisation that
cannot be typed stays unknown and is never assumed in-state"; request-schema.md,
``recipient.type`` and ``recipient.jurisdiction``; docs/audit.md, "Organisations").

The table is data (``liaison/audit/rules/organisations.toml``): entries tried in order, the
first whose names occur whole in the organisation's name decides. The state comes from
``liaison.audit.states``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from liaison.audit.rows import Jurisdiction, OrganisationType
from liaison.audit.rule_files import (
    RULES_DIR,
    OrganisationsDoc,
    duplicate,
    line_of,
    problem,
    read_rule_file,
)
from liaison.audit.rule_match import phrase_regex
from liaison.audit.states import STATES, place, state_code
from liaison.errors import AuditInputError
from liaison.model.vocabulary import RecipientType

DEFAULT_ORGANISATIONS = RULES_DIR / "organisations.toml"
_US = re.compile(r"\bu\.\s?s\.?(?=\s|$)|\bu\.s\.a\.?", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Entry:
    id: str
    type: RecipientType | None
    regex: re.Pattern[str]
    when_state: str  # "any"; "absent": only names that place no state; "named": only names
    # that write their state's full name ("Oklahoma DHS", not "DHS San Diego CA")
    state: str | None


def normalise(name: str) -> str:
    """A name as the table reads it: lower case, apostrophes dropped, "U.S." as "us",
    "&" as "and", every other run of punctuation a space."""
    text = _US.sub(" us ", name).replace("&", " and ")
    text = re.sub(r"['’`]", "", text)
    return " ".join(re.sub(r"[\W_]+", " ", text).lower().split())


def load_organisations(path: Path | None = None) -> OrganisationTable:
    """The organisation table in ``path`` (default: the one shipped in the package), checked
    strictly: ``AuditInputError`` naming the file, line and key of a problem."""
    path = path or DEFAULT_ORGANISATIONS
    doc, digest = read_rule_file(path, OrganisationsDoc)
    ids = [entry.id for entry in doc.organisation]
    again = duplicate(ids)
    if again is not None:
        line = line_of(path, ("organisation", len(ids) - 1 - ids[::-1].index(again), "id"))
        raise problem(path, line, "id", f"organisation id {again!r} is used twice")
    # A name twice could never match the second time, unless the first is limited to
    # names that place no state ("homeland security").
    names = [f"{entry.when_state}:{normalise(name)}" for entry in doc.organisation
             for name in entry.names]  # fmt: skip
    twice = duplicate(names)
    if twice is not None:
        name = twice.partition(":")[2]
        raise problem(path, None, "names", f"the name {name!r} is in the table twice")
    entries = []
    for entry in doc.organisation:
        alternatives = "|".join(phrase_regex(normalise(name)) for name in entry.names)
        entries.append(
            _Entry(
                id=entry.id,
                type=None if entry.type == "unknown" else RecipientType(entry.type),
                regex=re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)"),
                when_state=entry.when_state,
                state=entry.state,
            )
        )
    return OrganisationTable(f"{doc.version}+{digest[:12]}", digest, tuple(entries))


class OrganisationTable:
    """The loaded table: ``type_of`` answers for a name (remembered per name)."""

    def __init__(self, version: str, digest: str, entries: tuple[_Entry, ...]) -> None:
        self.version = version
        self.digest = digest
        self._entries = entries
        self._typed = lru_cache(maxsize=16384)(self._type)

    def type_of(self, name: str | None, home_state: str | None) -> OrganisationType:
        """The type of the organisation ``name`` and, for a state or local agency, whether
        it is of ``home_state`` (a code or a state's name); unknown (None) where the name
        does not tell. An unknown ``home_state`` is an ``AuditInputError``."""
        home = state_code(home_state)
        if home_state is not None and home is None:
            raise AuditInputError(
                f"home state {home_state!r} is not a U.S. state, D.C. or their two-letter code",
                field="home_state",
            )
        return self._typed((name or "").strip(), home)

    def _type(self, name: str, home: str | None) -> OrganisationType:
        if not name:
            return OrganisationType(None, None, None, "organisation.none")
        text = normalise(name)
        placed = place(name)
        for entry in self._entries:
            if not _applies(entry.when_state, text, placed):
                continue
            if entry.regex.search(text):
                state = entry.state or placed
                return OrganisationType(entry.type, _jurisdiction(entry.type, state, home),
                                        state, entry.id)  # fmt: skip
        return OrganisationType(None, None, placed, "organisation.unknown")


def _applies(when_state: str, text: str, placed: str | None) -> bool:
    """Whether an entry limited by ``when_state`` reads a name (``text`` normalised) that
    places ``placed``."""
    if when_state == "absent":
        return placed is None
    if when_state == "named":
        full = phrase_regex(STATES[placed].lower()) if placed is not None else None
        return full is not None and re.search(rf"(?<!\w){full}(?!\w)", text) is not None
    return True


def _jurisdiction(
    kind: RecipientType | None, state: str | None, home: str | None
) -> Jurisdiction | None:
    if kind is not RecipientType.STATE_LOCAL or state is None or home is None:
        return None
    return Jurisdiction.IN_STATE if state == home else Jurisdiction.OUT_OF_STATE
