"""More of the request as real columns, for the reports (issue 10, items 1 and 2).

- ``decisions``: ``initiative`` (on request or proactive), ``legal_process`` (which
  warrant or detainer came with it), ``federal_charge`` (the subject's federal criminal
  charge), ``arrest_basis``, ``passengers`` (whom a transport carried) and
  ``operation_kind`` (checkpoint, task force, patrol), from the request
  (``liaison.gateway.index_rows.filter_columns``); ``ix_decisions_action_at`` on
  (action, at), the first condition of most report queries.
- ``decision_data_classes`` (ledger index, data class): the kinds of information a
  ``share_information`` decision shared, one row each (``index_rows.SIDES``).

Existing rows are filled from their ``document`` (the entry's public record, which
``liaison ledger verify`` holds them to), so that the rows agree with their entries again.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

from liaison.gateway.index_rows import decision_data_classes, filter_columns

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

COLUMNS: dict[str, sa.types.TypeEngine[Any]] = {
    "initiative": sa.String(16),
    "legal_process": sa.String(40),
    "federal_charge": sa.Boolean(),
    "arrest_basis": sa.String(40),
    "passengers": sa.String(40),
    "operation_kind": sa.String(40),
}


def upgrade() -> None:
    for name, kind in COLUMNS.items():
        op.add_column("decisions", sa.Column(name, kind, nullable=True))
    op.create_index("ix_decisions_action_at", "decisions", ["action", "at"])
    classes = op.create_table(
        "decision_data_classes",
        sa.Column("ledger_index", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("data_class", sa.String(40), primary_key=True),
    )
    op.create_index("ix_decision_data_classes_data_class", "decision_data_classes", ["data_class"])
    _backfill(classes)


def _backfill(classes: sa.Table) -> None:
    conn = op.get_bind()
    table = sa.table(
        "decisions",
        sa.column("ledger_index"),
        sa.column("document", sa.Text),
        *(sa.column(name, kind) for name, kind in COLUMNS.items()),
    )
    found = conn.execute(sa.select(table.c.ledger_index, table.c.document)).all()
    for index, text in found:
        record = json.loads(text)
        values = {k: v for k, v in filter_columns(record["request"]).items() if k in COLUMNS}
        conn.execute(table.update().where(table.c.ledger_index == index).values(**values))
        wanted = [{"ledger_index": index, "data_class": c} for c in decision_data_classes(record)]
        if wanted:
            conn.execute(classes.insert(), wanted)


def downgrade() -> None:
    op.drop_table("decision_data_classes")
    op.drop_index("ix_decisions_action_at", "decisions")
    with op.batch_alter_table("decisions") as batch:
        for name in COLUMNS:
            batch.drop_column(name)
