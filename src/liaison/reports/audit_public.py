"""What the public may read of the audits (issue 13, item 4; docs/audit.md, "Reports";
docs/pages.md, "Small cells"): counts only, never a row, a user id, a plate or a reason;
over every complete import, with no filter (two filtered tables could be subtracted); each
table published with the public figures' small-cell suppression (``suppression.protect``:
1 to 10 shown as ``<11``, and complementary cells withheld so that none can be worked out).

The tables: rows by agency and purpose class, and by month (in each agency's zone) and
purpose class; and findings by agency.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from liaison.reports import audit_query
from liaison.reports.audit_filter import PURPOSE_CLASSES, complete
from liaison.reports.suppression import MEANING, CountTable, protect

TABLES = (
    ("agency-purpose", "Audited rows by agency and purpose class", "agency", PURPOSE_CLASSES),
    ("month-purpose", "Audited rows by month and purpose class", "month", PURPOSE_CLASSES),
    ("agency-findings", "Findings by agency", "agency", ("findings",)),
)
NONE = {"month": "no time", "agency": "unknown agency"}


def public_summary(db: Engine) -> dict[str, Any]:
    """The public tables (module docstring), each as ``Published.to_dict`` gives it."""
    with db.connect() as conn:
        where = complete()
        tallies = audit_query.tallies(conn, where, ("agency", "month"))
    out = []
    for ident, title, key, columns in TABLES:
        groups = tallies[key]
        labels = [NONE[key] if g[key] is None else str(g[key]) for g in groups]
        grid = [[g[c] for c in columns] for g in groups]
        published = protect(CountTable.of(labels, list(columns), grid))
        out.append({"id": ident, "title": title, "by": key, **published.to_dict()})
    return {"tables": out, "legend": MEANING}
