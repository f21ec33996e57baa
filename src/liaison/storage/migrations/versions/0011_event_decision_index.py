"""Events found by the decision they carried out, with its actor (issue 10, item 6).

The reports join each decision to the events that carried it out on (decision id, actor),
the key a decision is known by. With ``decision_id`` and ``actor_id`` indexed apart,
SQLite chose the actor's index (every event an officer ever recorded) for each decision:
the council report spent 30 s over a year of a large department's records there.
``ix_events_decision_actor`` (decision_id, actor_id, kind) answers the join from the index
alone, and replaces ``ix_events_decision_id``, whose lookups it serves as well.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_events_decision_actor", "events", ["decision_id", "actor_id", "kind"])
    op.drop_index("ix_events_decision_id", "events")


def downgrade() -> None:
    op.create_index("ix_events_decision_id", "events", ["decision_id"])
    op.drop_index("ix_events_decision_actor", "events")
