"""Flock organization audits and network audits (``--format flock-org``, ``flock-network``),
as CSV or XLSX (issue 13).

Both exports share their columns (``ID, Name, Org Name, Total Networks Searched, Total
Devices Searched, Time Frame, License Plate, Reason, Case #, Filters, Search Time, Search
Type, Text Prompt, Moderation``; some add ``Offense Type``, some leave columns out),
matched by name in any order; every cell is kept in ``fields``. What a row means differs:

- an **organization audit** lists the searches made by the agency's own users, whatever
  cameras they covered: each is the agency's own search (``OWN_SEARCH``), the agency being
  its ``Org Name`` (or ``--agency`` when the export has no such column); a row naming
  another organisation than the rows before it is a row problem (a network audit read as
  an organization audit would otherwise pass other agencies' searches off as own ones);
- a **network audit** lists every search, by any organisation, that covered the agency's
  cameras: a row whose ``Org Name`` is the agency itself (``--agency``, required, compared
  ignoring case and spacing) is its own search; any other is another organisation's search
  of its cameras (``OUTSIDE_SEARCH``, request-schema.md: a ``grant_access`` of ``data``),
  ``organisation`` being that ``Org Name``; a row whose ``Org Name`` is empty or redacted
  is an outside search by an organisation unknown (never assumed to be the agency).

``Search Time`` is ``MM/DD/YYYY, hh:mm:ss AM UTC`` (or ISO 8601); ``Search Type``,
``Moderation`` and ``Offense Type`` go to ``codes`` for the classifier (``Filters`` and
``Text Prompt`` stay in ``fields``: they can hold a civilian's plate). A redaction marker
(``cells.is_redacted``) empties the value and names it in ``redacted``.
"""

from __future__ import annotations

from liaison.audit.cells import (
    MARKER_STARTS,
    column_key,
    duplicate_columns,
    find_column,
    is_redacted,
    snake,
)
from liaison.audit.options import Source
from liaison.audit.rows import AuditRow, Provenance, RowKind, RowProblem
from liaison.audit.times import TimeReader
from liaison.errors import AuditInputError

# Normalised name -> the column names (``column_key``) that hold it, first match wins.
ALIASES: dict[str, tuple[str, ...]] = {
    "at": ("search time", "search date/time", "search date time", "searched at", "search date"),
    "reason": ("reason", "search reason"),
    "source_id": ("id", "search id"),
    "user": ("name", "user", "user name", "username", "userid"),
    "organisation": ("org name", "organization name", "organization", "organisation"),
    "case_number": ("case #", "case number", "case no.", "case no", "case"),
}
CODES = {"search type": "SEARCH_TYPE", "moderation": "MODERATION", "offense type": "OFFENSE_TYPE"}
# Columns any Flock audit export has (for telling one apart).
SIGNATURE = ("total networks searched", "search time", "reason")


def is_audit_header(keys: list[str]) -> bool:
    """Whether a header (``column_key``s) is a Flock organization or network audit's."""
    return all(key in keys for key in SIGNATURE) or (
        find_column(keys, ALIASES["at"]) is not None
        and "reason" in keys
        and ("org name" in keys or "total devices searched" in keys)
    )


class AuditPlan:
    """The columns of one organization or network audit export, found once."""

    def __init__(self, source: Source, header: list[str], line: int) -> None:
        keys = [column_key(name) for name in header]
        where = f"{source.file}:{line}"
        if repeated := duplicate_columns(keys):
            raise AuditInputError(f"{where}: columns named twice: {repeated}")
        index = {name: find_column(keys, aliases) for name, aliases in ALIASES.items()}
        for name in ("at", "reason"):
            if index[name] is None:
                wanted = " or ".join(repr(alias) for alias in ALIASES[name][:2])
                raise AuditInputError(f"{where}: not a Flock audit export: no column {wanted}")
        self.network = source.format == "flock-network"
        agency = source.options.agency
        if self.network and not agency:
            raise AuditInputError(
                f"{source.file}: a network audit needs --agency (the agency whose cameras "
                "were searched, as its Org Name is spelled), to tell its own searches apart"
            )
        if self.network and index["organisation"] is None:
            raise AuditInputError(f"{where}: a network audit needs its 'Org Name' column")
        self.source, self.header, self.width = source, header, len(header)
        self.agency_key = column_key(agency) if agency else None
        self.index = {name: at for name, at in index.items() if at is not None}
        named = {at: name for name, at in self.index.items()}
        self.names = [named.get(at) or snake(header[at]) for at in range(len(keys))]
        self.codes = [(at, CODES[key]) for at, key in enumerate(keys) if key in CODES]
        self.time_index = self.index["at"]
        self.time_column = header[self.time_index]
        # San Jose's split sheets: the day in "Search Date", the clock in "Search Time".
        split = keys[self.time_index] == "search time" and "search date" in keys
        self.day_index = keys.index("search date") if split else None
        self.times = TimeReader(source.options.timezone)
        self.org_key: str | None = None  # an organization audit's organisation, once seen
        self.org_seen = ""

    def build(self, cells: list[str], row: int, line: int) -> AuditRow | RowProblem:
        """One data row (its cells as many as the header's)."""
        file = self.source.file
        names = self.names
        redacted = frozenset(
            [
                names[at]
                for at, cell in enumerate(cells)
                if cell[:1] in MARKER_STARTS and is_redacted(cell)
            ]
        )

        def value(name: str) -> str | None:
            at = self.index.get(name)
            if at is None or name in redacted:
                return None
            return cells[at].strip() or None

        at_text = value("at")
        if at_text is not None and self.day_index is not None:
            at_text = f"{cells[self.day_index].strip()} {at_text}"
        try:
            at = self.times.read(at_text) if at_text else None
        except ValueError as error:
            return RowProblem(file, line, row, self.time_column, str(error))
        org = value("organisation")
        if org is not None and not self.network and self._other_org(org):
            message = (
                f"{org!r} is not {self.org_seen!r}, the organisation of the rows before: an "
                "organization audit lists one organisation's searches (a network audit? "
                "--format flock-network)"
            )
            return RowProblem(file, line, row, self.header[self.index["organisation"]], message)
        kind, agency, organisation = self._who(org)
        reason = None if "reason" in redacted else cells[self.index["reason"]]
        return AuditRow(
            format=self.source.format,
            provenance=Provenance(file, self.source.sha256, row, line),
            kind=kind,
            database="ALPR",
            source_id=value("source_id"),
            at=at,
            agency=agency,
            organisation=organisation,
            user=value("user"),
            reason=reason if reason and reason.strip() else None,
            case_number=value("case_number"),
            codes={
                code: cells[at].strip()
                for at, code in self.codes
                if cells[at].strip() and self.names[at] not in redacted
            },
            redacted=redacted,
            fields=dict(zip(self.header, cells, strict=True)),
        )

    def _other_org(self, org: str) -> bool:
        """Whether an organization audit's row names another organisation than its first."""
        key = column_key(org)
        if self.org_key is None:
            self.org_key, self.org_seen = key, org
        return key != self.org_key

    def _who(self, org: str | None) -> tuple[RowKind, str | None, str | None]:
        """(kind, agency, searching organisation) of a row whose ``Org Name`` is ``org``."""
        if not self.network:
            return RowKind.OWN_SEARCH, org or self.source.options.agency, None
        if org is not None and column_key(org) == self.agency_key:
            return RowKind.OWN_SEARCH, self.source.options.agency, None
        return RowKind.OUTSIDE_SEARCH, self.source.options.agency, org
