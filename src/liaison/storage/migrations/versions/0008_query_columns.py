"""Columns a query filters on, as real indexed columns (issue 10, item 1).

- ``decisions``: ``recipient_type``, ``recipient_agency``, ``database``, ``custody`` (from
  the request, ``liaison.gateway.index_rows.decision_row``), each indexed, and an index on
  ``(at, ledger_index)``, the order a query pages in.
- ``decision_purposes`` (ledger index, purpose) and ``decision_citations`` (ledger index,
  directive, section): the multi-valued fields, one row each
  (``index_rows.decision_purposes`` / ``decision_citations``).

Existing rows are filled from their ``document`` (the entry's public record, which
``liaison ledger verify`` holds them to), so that the rows agree with their entries again.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from liaison.gateway.index_rows import decision_citations, decision_purposes, filter_columns

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

COLUMNS = {
    "recipient_type": sa.String(40),
    "recipient_agency": sa.String(256),
    "database": sa.String(40),
    "custody": sa.String(40),
}


def upgrade() -> None:
    for name, kind in COLUMNS.items():
        op.add_column("decisions", sa.Column(name, kind, nullable=True))
        op.create_index(f"ix_decisions_{name}", "decisions", [name])
    op.create_index("ix_decisions_at_ledger_index", "decisions", ["at", "ledger_index"])
    purposes = op.create_table(
        "decision_purposes",
        sa.Column("ledger_index", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("purpose", sa.String(40), primary_key=True),
    )
    op.create_index("ix_decision_purposes_purpose", "decision_purposes", ["purpose"])
    citations = op.create_table(
        "decision_citations",
        sa.Column("ledger_index", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("directive", sa.String(256), primary_key=True),
        sa.Column("section", sa.String(256), primary_key=True),
    )
    op.create_index(
        "ix_decision_citations_directive_section", "decision_citations", ["directive", "section"]
    )
    _backfill(purposes, citations)


def _backfill(purposes: sa.Table, citations: sa.Table) -> None:
    conn = op.get_bind()
    table = sa.table(
        "decisions",
        sa.column("ledger_index"),
        sa.column("document", sa.Text),
        *(sa.column(name) for name in COLUMNS),
    )
    found = conn.execute(sa.select(table.c.ledger_index, table.c.document)).all()
    for index, text in found:
        record = json.loads(text)
        values = {k: v for k, v in filter_columns(record["request"]).items() if k in COLUMNS}
        conn.execute(table.update().where(table.c.ledger_index == index).values(**values))
        wanted = [{"ledger_index": index, "purpose": p} for p in decision_purposes(record)]
        if wanted:
            conn.execute(purposes.insert(), wanted)
        cited = [
            {"ledger_index": index, "directive": d, "section": s}
            for d, s in decision_citations(record)
        ]
        if cited:
            conn.execute(citations.insert(), cited)


def downgrade() -> None:
    op.drop_table("decision_citations")
    op.drop_table("decision_purposes")
    op.drop_index("ix_decisions_at_ledger_index", "decisions")
    with op.batch_alter_table("decisions") as batch:
        for name in COLUMNS:
            batch.drop_index(f"ix_decisions_{name}")
            batch.drop_column(name)
