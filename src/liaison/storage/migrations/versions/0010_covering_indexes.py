"""Covering indexes for the queries over ``decisions`` (issue 10, item 6: a filtered list
page and a group-by count in <= 100 ms p95 on a year of a large department's records).

A ``decisions`` row holds its whole public record (``document``, about a kilobyte), so a
count that reads the table reads a page per row: on a year's records (bench/oversight_bench.py)
the ``total`` of a broad list page and the group-by counts spent their time there. Each of
the two orders the queries read in now carries every column a filter or a group compares
(``liaison.reports.query_filter``, ``query.GROUP_KEYS``), so counting is read from the index
alone; the order is kept as the index's first columns, so pages and cursors use it as before:

- ``ix_decisions_at_cover``: (at, ledger_index, ...), the page order, instead of
  ``ix_decisions_at_ledger_index``;
- ``ix_decisions_action_cover``: (action, at, ...), the first condition of most report
  queries, instead of ``ix_decisions_action_at``.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# What a filter or a group compares, after each index's leading columns (``storage.tables``).
COVERED = (
    "decision",
    "basis",
    "view",
    "unit",
    "actor_id",
    "recipient_type",
    "recipient_agency",
    "database",
    "custody",
    "initiative",
    "legal_process",
    "federal_charge",
    "arrest_basis",
    "passengers",
    "operation_kind",
    "encounter_id",
    "encounter_unit",
)


def upgrade() -> None:
    op.drop_index("ix_decisions_at_ledger_index", "decisions")
    op.drop_index("ix_decisions_action_at", "decisions")
    op.create_index(
        "ix_decisions_at_cover", "decisions", ["at", "ledger_index", "action", *COVERED]
    )
    op.create_index(
        "ix_decisions_action_cover", "decisions", ["action", "at", "ledger_index", *COVERED]
    )


def downgrade() -> None:
    op.drop_index("ix_decisions_action_cover", "decisions")
    op.drop_index("ix_decisions_at_cover", "decisions")
    op.create_index("ix_decisions_action_at", "decisions", ["action", "at"])
    op.create_index("ix_decisions_at_ledger_index", "decisions", ["at", "ledger_index"])
