"""The gateway: decisions, events, encounters, API keys.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "decisions",
        sa.Column("id", sa.String(256), primary_key=True),
        sa.Column("ledger_index", sa.BigInteger, nullable=False, unique=True),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor_id", sa.String(256), nullable=False),
        sa.Column("unit", sa.String(256), nullable=True),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("view", sa.String(64), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("basis", sa.String(16), nullable=False),
        sa.Column("policy_version", sa.String(80), nullable=False),
        sa.Column("encounter_id", sa.String(256), nullable=True),
        sa.Column("document", sa.Text, nullable=False),
    )
    for column in ("at", "actor_id", "unit", "encounter_id"):
        op.create_index(f"ix_decisions_{column}", "decisions", [column])
    op.create_table(
        "events",
        sa.Column("id", sa.String(256), primary_key=True),
        sa.Column("ledger_index", sa.BigInteger, nullable=False, unique=True),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("actor_id", sa.String(256), nullable=False),
        sa.Column("unit", sa.String(256), nullable=True),
        sa.Column("decision_id", sa.String(256), nullable=True),
        sa.Column("flagged", sa.String(80), nullable=True),
        sa.Column("encounter_id", sa.String(256), nullable=True),
        sa.Column("document", sa.Text, nullable=False),
    )
    for column in ("at", "kind", "actor_id", "decision_id", "flagged", "encounter_id"):
        op.create_index(f"ix_events_{column}", "events", [column])
    op.create_table(
        "encounters",
        sa.Column("id", sa.String(256), primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("started_at", TS, nullable=True),
        sa.Column("ended_at", TS, nullable=True),
        sa.Column("district", sa.String(64), nullable=True),
        sa.Column("document", sa.Text, nullable=False),
    )
    op.create_index("ix_encounters_district", "encounters", ["district"])
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("secret_hash", sa.String(256), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("actor_id", sa.String(256), nullable=False),
        sa.Column("unit", sa.String(256), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
    )


def downgrade() -> None:
    for name in ("api_keys", "encounters", "events", "decisions"):
        op.drop_table(name)
