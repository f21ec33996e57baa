"""The ``before-after`` report laid out as tables for the HTML, CSV and PDF renderings
(issue 10, item 2; ``report_document.Table``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from liaison.reports.report_document import Table

if TYPE_CHECKING:
    from liaison.reports.report_before_after import BeforeAfterReport, Change, Counts

COUNTS = ["permit", "deny", "carried out", "of which denied", "permit/day", "deny/day",
          "carried out/day"]  # fmt: skip


def _cells(c: Counts) -> list[Any]:
    return [c.permit, c.deny, c.carried_out, c.carried_out_denied, c.permit_per_day, c.deny_per_day,
            c.carried_out_per_day]  # fmt: skip


def _row(c: Change, *lead: Any) -> list[Any]:
    return [*lead, *_cells(c.before), *_cells(c.after)]


def before_after_tables(report: BeforeAfterReport) -> list[Table]:
    b, a = report.before, report.after
    windows = (
        f"before: {b.from_} to {a.from_} ({b.days:g} days); "
        f"after: {a.from_} to {a.to} ({a.days:g} days)"
    )
    header = [*(f"before {c}" for c in COUNTS), *(f"after {c}" for c in COUNTS)]
    totals = Table(
        id="actions",
        title=f"Each action with federal immigration agencies, before and after {report.directive}"
        f" took effect ({report.effective_at}, view {report.effective_view})",
        note=f"{windows}. {report.effective_note}",
        columns=["action", *header, "records before", "records after"],
        rows=[[*_row(t, t.action), t.records_before, t.records_after] for t in report.actions],
    )
    rows = Table(
        id="by_district_unit",
        title="By district (of the encounter) and unit",
        note="district empty: not under an encounter naming one",
        columns=["action", "district", "unit", *header],
        rows=[_row(r, r.action, r.district, r.unit) for r in report.rows],
    )
    unattributed = Table(
        id="unattributed",
        title="Actions reported done citing no decision of their own actor (no recipient known)",
        columns=["event kind", "before", "after"],
        rows=[[u.kind, u.before, u.after] for u in report.unattributed],
    )
    return [totals, rows, unattributed]
