"""What every report states of itself (issue 10, item 2; ``report_document``): its name,
title, jurisdiction, checkpoint, period, view and when it was computed; and the
``GET /v1/decisions`` query that selects the records behind one of its answers.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from liaison.model.timestamps import now_utc
from liaison.reports.report_document import CheckpointField, PeriodField
from liaison.reports.report_scope import ReportScope


def head(scope: ReportScope, report: str, title: str) -> dict[str, Any]:
    """The fields of ``ReportDocument`` for a report computed over ``scope``."""
    return {
        "report": report,
        "title": title,
        "jurisdiction": scope.policy.pack.jurisdiction,
        "checkpoint": CheckpointField(**scope.checkpoint.to_dict()),
        "period": PeriodField.model_validate(scope.period()),
        "view": scope.view,
        "generated_at": scope.local(now_utc()),
    }


def records_query(scope: ReportScope, **filters: str | None) -> str:
    """The query string of ``GET /v1/decisions`` (the filter keys of
    ``reports.query_filter``) for the period, the view and ``filters`` (None: left out).
    The checkpoint is not a filter: a later list may hold records recorded since."""
    period = scope.period()
    given = {"from": period["from"], "to": period["to"], "view": scope.view, **filters}
    return urlencode({k: v for k, v in given.items() if v is not None}, safe=":,")
