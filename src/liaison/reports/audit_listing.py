"""Audited rows listed a page at a time (issue 13, item 4; docs/api.md, "Audits"): what
``GET /v1/audit/rows`` and the ``/audit`` pages page through, with the records' paging
(``reports.query.page``: a keyset cursor on time, import and row; a row without a time
last) over the filter of ``audit_filter`` (auditors only).

Each page's rows are read from the ``audit_rows`` cache and checked against their ledger
entries before they are served (``audit_verified``: a row that differs is refused, 503),
with the row as exported (its entry's personal part) and their import's file name and zone
(the row's time is shown in its agency's zone, with its offset); the routes serve nothing
while the service knows its database disagrees with the ledger
(``Gateway.refuse_untrusted_index``).
"""

from __future__ import annotations

from sqlalchemy import Engine, select

from liaison.gateway.auth import Principal
from liaison.gateway.index_reads import IndexReader
from liaison.reports.audit_filter import AUDIT_FILTERS, PURPOSE_CLASS, import_zone
from liaison.reports.audit_query import shown
from liaison.reports.audit_tables import ROW_COLUMNS
from liaison.reports.audit_verified import verified
from liaison.reports.query import Listing, Row
from liaison.storage.tables import audit_imports, audit_rows

# The columns of a row in CSV (lists joined with ``;``): the report's, then the rest.
CSV_COLUMNS = (
    *ROW_COLUMNS,
    "ledger_index",
    "kind",
    "org_jurisdiction",
    "immigration",
    "reviewed",
    "finding",
)


def with_imports(
    engine: Engine, reader: IndexReader, who: Principal, found: list[Row]
) -> list[Row]:
    """A page's rows, each checked against its ledger entry (``audit_verified``: with the
    row as exported), with their import's file name and zone (``zone``)."""
    del who  # the scope is part of the query (auditors only)
    ids = sorted({r["import_id"] for r in found})
    i = audit_imports.c
    with engine.connect() as conn:
        found = verified(conn, found, reader)
        names = {
            ident: (name, zone)
            for ident, name, zone in conn.execute(
                select(i.id, i.file_name, import_zone()).where(i.id.in_(ids))
            )
        }
    return [
        {**r, "file_name": names[r["import_id"]][0], "zone": names[r["import_id"]][1]}
        for r in found
    ]


AUDIT_ROWS = Listing(
    AUDIT_FILTERS,
    ("import_id", "row"),
    with_imports,
    shown,
    {
        "import": audit_rows.c.import_id,
        "agency": audit_rows.c.agency,
        "organisation": audit_rows.c.organisation,
        "decision": audit_rows.c.decision,
        "finding": audit_rows.c.finding,
        "purpose_class": PURPOSE_CLASS,
    },
    CSV_COLUMNS,
)
