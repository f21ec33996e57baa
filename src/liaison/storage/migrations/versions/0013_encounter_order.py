"""Encounters listed in their order from an index (issue 11, item 5).

The encounters' list (``GET /v1/encounters``, the ``/encounters`` page) orders them by when
they started, those never started last (``coalesce(started_at, LAST)``), then id and unit.
With no index on that order, each page sorted every encounter: 1.5 s a page over the
404,208 encounters of the bench's year. ``ix_encounters_order`` is that expression's
index; the query writes ``LAST`` as the same literal (``storage.tables.LAST_TEXT``), so
the planner matches it.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# ``storage.tables.LAST_TEXT`` (not imported: a migration does not follow later code).
LAST_TEXT = "'9999-12-31 00:00:00.000000'"


def upgrade() -> None:
    order = sa.text(f"coalesce(started_at, {LAST_TEXT})")
    op.create_index("ix_encounters_order", "encounters", [order, "id", "unit"])


def downgrade() -> None:
    op.drop_index("ix_encounters_order", "encounters")
