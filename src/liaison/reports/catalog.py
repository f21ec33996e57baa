"""The reports there are (issue 10, item 2; docs/reports.md): each name, its document model
(``ReportDocument`` subclass; its JSON Schema is docs/schemas/report-NAME.schema.json)
and the function that builds it over a ``ReportScope``. ``liaison report NAME``,
``GET /v1/reports/NAME`` and ``python -m liaison.reports.schemas`` read this table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from liaison.errors import NotFound
from liaison.reports import (
    report_annual,
    report_authority,
    report_before_after,
    report_council,
    report_operations,
    report_review,
)
from liaison.reports.report_document import ReportDocument
from liaison.reports.report_scope import ReportScope


@dataclass(frozen=True, slots=True)
class Entry:
    """A report: its title, document model and builder, and the options it takes beside
    the period and view (``report_run.OPTIONS``: ``decision``, ``actor``, ``directive``,
    ``days``), passed to the builder by keyword with the index reader (``reader``)."""

    name: str
    title: str
    model: type[ReportDocument]
    build: Callable[..., ReportDocument]
    options: tuple[str, ...] = ()
    reads_index: bool = False

    def run(self, scope: ReportScope, reader: Any, given: dict[str, Any]) -> ReportDocument:
        """The document over ``scope`` with the options ``given`` (already checked)."""
        extra = dict(given)
        if self.reads_index:
            extra["reader"] = reader
        return self.build(scope, **extra)


CATALOG: dict[str, Entry] = {
    e.name: e
    for e in (
        Entry(
            report_council.NAME,
            report_council.TITLE,
            report_council.CouncilReport,
            report_council.build,
        ),
        Entry(
            report_annual.NAME,
            report_annual.TITLE,
            report_annual.AnnualReport,
            report_annual.build,
        ),
        Entry(
            report_authority.NAME,
            report_authority.TITLE,
            report_authority.AuthorityReport,
            report_authority.build,
            ("decision_id", "actor"),
            reads_index=True,
        ),
        Entry(
            report_before_after.NAME,
            report_before_after.TITLE,
            report_before_after.BeforeAfterReport,
            report_before_after.build,
            ("directive", "days"),
            reads_index=True,
        ),
        Entry(
            report_operations.NAME,
            report_operations.TITLE,
            report_operations.OperationsReport,
            report_operations.build,
        ),
        Entry(
            report_review.NAME,
            report_review.TITLE,
            report_review.ReviewReport,
            report_review.build,
        ),
    )
}


def entry(name: str) -> Entry:
    """The report of ``name``; ``NotFound`` naming it and the reports there are."""
    found = CATALOG.get(name)
    if found is None:
        raise NotFound(
            f"no report {name!r}: the reports are {', '.join(CATALOG)}",
            field="name",
            choices=list(CATALOG),
        )
    return found
