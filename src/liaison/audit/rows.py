"""The shared types of an audit: an imported row, where it came from, a row that could not
be read, and what the classifier made of a row (issue 13; request-schema.md, its additions
for state packs and imported logs).

A reader turns each data row of an export (Flock transparency-portal, organization or
network audit; Nlets IAQ message log; a mapped CSV or JSON-lines file) into one
``AuditRow`` or one ``RowProblem``, in input order; nothing else about a format leaks past
it. ``fields`` keeps every column of the row verbatim (extra columns included), so a
finding can always show its source row as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from liaison.model.vocabulary import Jurisdiction, Purpose, RecipientType

# ``Jurisdiction`` (``recipient.jurisdiction``) is defined once, in the request vocabulary;
# it is re-exported here for the audit modules that import it from this contract.
__all__ = [
    "FORMATS",
    "AuditRow",
    "Classification",
    "Jurisdiction",
    "OrganisationType",
    "Provenance",
    "RowKind",
    "RowProblem",
]

# The ``--format`` names (fixed by the issue).
FORMATS = ("flock-portal", "flock-org", "flock-network", "nlets-iaq", "mapped")


class RowKind(StrEnum):
    """What a row records, which decides the request it becomes (request-schema.md)."""

    # The agency's own search (of its cameras, its network's, or a database): a
    # ``database_inquiry``.
    OWN_SEARCH = "own_search"
    # Another organisation's search of the agency's cameras (a Flock network audit): a
    # ``grant_access`` of kind ``data`` of ``alpr_reads`` to that organisation.
    OUTSIDE_SEARCH = "outside_search"
    # An export of the agency's data to another organisation: a ``share_information``.
    EXPORT = "export"


# Provenance and AuditRow are read-only by convention, not frozen: a frozen dataclass's
# __init__ sets each field through object.__setattr__, ~7x slower, and a reader makes one
# of each per row (the classify and import paths' largest cost after splitting the line).
@dataclass(slots=True)
class Provenance:
    """Where a row came from: the file (its name as given and the SHA-256 of its bytes),
    the 1-based data row number (header rows, repeated headers and blank lines not counted)
    and the 1-based physical line (or XLSX sheet row) the row starts on."""

    file: str
    sha256: str
    row: int
    line: int


@dataclass(slots=True)
class AuditRow:
    """One data row of an imported log, normalised.

    ``at`` is an aware instant (UTC) or None when the row has no usable time; ``agency``
    the agency whose log it is (from ``--agency`` or the export); ``organisation`` the
    searching organisation an export names (a network audit's ``Org Name``), None when it
    names none; ``user`` the user id, None when empty or redacted; ``reason`` the free-text
    reason as written; ``codes`` the structured fields a classifier may read (an Nlets
    message's ``PUR``, ``CUS``, ``OFF``; a Flock ``Search Type``), by upper-case name;
    ``redacted`` the normalised names (``user``, ``reason``, ...) whose cell held a
    redaction marker (``***``, ``REDACTED``): redacted is not the same as empty.
    """

    format: str
    provenance: Provenance
    kind: RowKind
    database: str  # request-schema.md ``database``: ``ALPR`` for Flock, ``NLETS_IAQ``, ...
    source_id: str | None
    at: datetime | None
    agency: str | None
    organisation: str | None
    user: str | None
    reason: str | None
    case_number: str | None
    codes: dict[str, str] = field(default_factory=dict)
    redacted: frozenset[str] = frozenset()
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A row that could not be read: skipped, and reported with its file and line; the
    rest of the file is imported."""

    file: str
    line: int
    row: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        what = f" {self.field}:" if self.field else ""
        return f"{where}:{what} {self.message}"


@dataclass(frozen=True, slots=True)
class Classification:
    """What the purpose classifier made of a row, and why.

    ``immigration`` is True (an immigration purpose), False (none) or None (ambiguous: the
    row goes to the review queue, no verdict); ``rule`` the id of the rule that decided
    (``<rule id>``), ``rules_version`` the version of the rule set it belongs to.
    ``recipient_type`` is the type of the organisation the row is about (the searching
    organisation of an outside search, or an agency the reason names), None when unknown.
    """

    purposes: tuple[Purpose, ...]
    recipient_type: RecipientType | None
    immigration: bool | None
    rule: str
    rules_version: str


@dataclass(frozen=True, slots=True)
class OrganisationType:
    """What the organisation table says of a name: its recipient type and, for a state or
    local agency, its jurisdiction relative to a home state; None where it cannot tell
    (never assumed in-state). ``rule`` names the table entry that matched."""

    type: RecipientType | None
    jurisdiction: Jurisdiction | None
    state: str | None  # the two-letter state the name places it in, when it does
    rule: str
