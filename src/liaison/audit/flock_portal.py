"""Flock transparency-portal search audits (``--format flock-portal``; issue 13).

A portal publishes the agency's own searches as CSV: ``id,userId,searchDate,networkCount,
reason`` (some portals ``cameraCount``), columns matched by name in any order, others kept.
``searchDate`` is ISO 8601 with ``Z``, or a local time with no offset
(``2025-06-18 00:02:04.789``: read in ``--timezone``); ``userId`` is a pseudonymous id or
``***`` when redacted. Each row is the agency's own search of ALPR data
(request-schema.md, additions for imported logs: a ``database_inquiry`` of ``ALPR``); the
agency is ``--agency`` (a portal does not name it).
"""

from __future__ import annotations

from liaison.audit.cells import MARKER_STARTS, column_key, duplicate_columns, is_redacted
from liaison.audit.options import Source
from liaison.audit.rows import AuditRow, Provenance, RowKind, RowProblem
from liaison.audit.times import TimeReader
from liaison.errors import AuditInputError

FORMAT = "flock-portal"
REQUIRED = ("id", "userid", "searchdate", "reason")
COUNTS = ("networkcount", "cameracount")
OWN_SEARCH = RowKind.OWN_SEARCH
_NONE: frozenset[str] = frozenset()


def is_portal_header(keys: list[str]) -> bool:
    """Whether a header (``column_key``s) is a portal export's."""
    return all(key in keys for key in REQUIRED) and any(key in keys for key in COUNTS)


class PortalPlan:
    """The columns of one portal export, found once; ``build`` makes each row."""

    def __init__(self, source: Source, header: list[str], line: int) -> None:
        keys = [column_key(name) for name in header]
        missing = [name for name in REQUIRED if name not in keys]
        if missing:
            raise AuditInputError(
                f"{source.file}:{line}: not a Flock portal export: no column "
                + ", ".join(missing)
                + f" (columns: {', '.join(header)})"
            )
        if repeated := duplicate_columns(keys):
            raise AuditInputError(f"{source.file}:{line}: columns named twice: {repeated}")
        self.source = source
        self.header = header
        self.width = len(header)
        self.id_index = keys.index("id")
        self.user_index = keys.index("userid")
        self.time_index = keys.index("searchdate")
        self.reason_index = keys.index("reason")
        self.time_column = header[self.time_index]
        self.times = TimeReader(source.options.timezone)
        self.provenance = (source.file, source.sha256)
        self.agency = source.options.agency

    def build(self, cells: list[str], row: int, line: int) -> AuditRow | RowProblem:
        """One data row (its cells as many as the header's)."""
        file, sha256 = self.provenance
        stamp = cells[self.time_index]
        at = None
        if stamp:
            try:
                at = self.times.read(stamp)
            except ValueError as error:
                return RowProblem(file, line, row, self.time_column, str(error))
        source_id, user, reason = (
            cells[self.id_index],
            cells[self.user_index],
            cells[self.reason_index],
        )
        redacted = _NONE
        if (
            user[:1] in MARKER_STARTS
            or reason[:1] in MARKER_STARTS
            or source_id[:1] in MARKER_STARTS
        ):
            redacted = frozenset(
                name
                for name, cell in (("source_id", source_id), ("user", user), ("reason", reason))
                if is_redacted(cell)
            )
            if redacted:
                source_id = "" if "source_id" in redacted else source_id
                user = "" if "user" in redacted else user
                reason = "" if "reason" in redacted else reason
        return AuditRow(
            FORMAT,
            Provenance(file, sha256, row, line),
            OWN_SEARCH,
            "ALPR",
            source_id or None,
            at,
            self.agency,
            None,
            user or None,
            reason if reason and not reason.isspace() else None,
            None,
            {},
            redacted,
            dict(zip(self.header, cells, strict=True)),
        )
