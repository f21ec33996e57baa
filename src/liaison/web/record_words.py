"""How the records' pages say what a record holds (issue 11, item 3: "for people"): an
outcome in words (never by colour alone), the basis it was decided on, what a flag means
(an event's: ``gateway.recording.EVENT_FLAGS``; an encounter's:
``gateway.encounter_flags.ENCOUNTER_FLAGS``; docs/api.md, "Events and flags"), and a
vocabulary value as words."""

from __future__ import annotations

from liaison.gateway.encounter_flags import ENCOUNTER_FLAGS
from liaison.gateway.recording import EVENT_FLAGS
from liaison.reports.query_filter import ANY, NONE

OUTCOMES = {"permit": "Permitted", "deny": "Denied"}
BASES = {
    "permit": "a directive in force permits it",
    "forbid": "a directive in force forbids it",
    "default": "no directive in force authorises it",
    "error": "its evaluation failed (denied)",
}
FLAGS: dict[str, str] = {
    **EVENT_FLAGS,
    **ENCOUNTER_FLAGS,
    ANY: "flagged, for any reason",
    NONE: "not flagged",
}


def outcome(decision: str | None) -> str:
    """``permit`` -> "Permitted", ``deny`` -> "Denied" (anything else as it is)."""
    if decision is None:
        return ""
    return OUTCOMES.get(decision, decision)


def basis(name: str | None) -> str:
    """Why a decision came out as it did, in words."""
    if name is None:
        return ""
    return BASES.get(name, name)


def flag(name: str) -> str:
    """What a flag means (an event's or an encounter's)."""
    return FLAGS.get(name, name)


def words(value: object) -> str:
    """A vocabulary value as words: ``database_inquiry`` -> "database inquiry"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value).replace("_", " ")


# What the records' templates call (passed in their context, not made globals).
HELPERS = {"outcome": outcome, "basis": basis, "flag_meaning": flag, "words": words}
