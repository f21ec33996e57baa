"""The ``review`` report laid out as tables for the HTML, CSV and PDF renderings (issue 10,
item 2; ``ReportDocument.tables``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from liaison.reports.report_document import Table

if TYPE_CHECKING:
    from liaison.reports.report_review import ReviewReport


def review_tables(doc: ReviewReport) -> list[Table]:
    """Flagged actions, inquiries naming immigration_status beside another purpose (by
    section and by the other purpose), and what the views disagree on."""
    mixed, views = doc.mixed_purpose_inquiries, doc.view_disagreements
    return [
        Table(
            id="flagged-actions",
            title="Actions recorded without a permitting decision or against one",
            note=f"{doc.flagged_total} in all",
            columns=["flag", "meaning", "count", "first", "last", "kinds", "ids", "query"],
            rows=[
                [
                    f.flag,
                    f.meaning,
                    f.count,
                    f.first,
                    f.last,
                    ", ".join(f"{k}: {n}" for k, n in f.by_kind.items()),
                    " ".join(f.ids),
                    f.query,
                ]
                for f in doc.flagged_actions
            ],
        ),
        Table(
            id="mixed-purpose-inquiries",
            title="Inquiries naming immigration_status beside another purpose",
            note=(
                f"{mixed.count} ({mixed.permitted} permitted, {mixed.denied} denied). "
                f"First {mixed.first}, last {mixed.last}; "
                f"ids: {' '.join(mixed.ids) or '-'}; {mixed.query}"
            ),
            columns=["action", "decision", "section", "count"],
            rows=[[s.action, s.decision, s.section or "(none)", s.count] for s in mixed.by_section],
        ),
        Table(
            id="mixed-purpose-by-purpose",
            title="The purposes named beside immigration_status",
            columns=["purpose", "permitted", "denied"],
            rows=[[p.purpose, p.permitted, p.denied] for p in mixed.by_purpose],
        ),
        Table(
            id="view-disagreements",
            title="Actions permitted under one view and denied under another",
            note=(
                f"views {', '.join(views.views)}: {views.compared} records decided again "
                f"({views.requests_decided} distinct requests), {views.undetermined} undetermined"
            ),
            columns=[
                "action",
                "permitted under",
                "permitted by",
                "denied under",
                "denied by",
                "count",
                "first",
                "last",
                "ids",
            ],
            rows=[
                [
                    v.action,
                    v.permitted_under,
                    ", ".join(v.permitted_by),
                    v.denied_under,
                    ", ".join(v.denied_by) or f"({v.deny_basis})",
                    v.count,
                    v.first,
                    v.last,
                    " ".join(v.ids),
                ]
                for v in views.disagreements
            ],
        ),
    ]
