"""What every report states of itself (issue 10, item 2; ``report_document``): its name,
title, jurisdiction, checkpoint, period, view and when it was computed.
"""

from __future__ import annotations

from typing import Any

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
