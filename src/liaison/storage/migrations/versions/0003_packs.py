"""Directive pack changes: every version of the pack in force, each a ledger entry.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pack_changes",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("pack_id", sa.String(64), nullable=False),
        sa.Column("digest", sa.String(80), nullable=False),
        sa.Column("previous", sa.String(80), nullable=True),
        sa.Column("ledger_index", sa.BigInteger, nullable=False, unique=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(256), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("files", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("pack_changes")
