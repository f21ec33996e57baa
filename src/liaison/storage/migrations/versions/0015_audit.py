"""Audits of other systems' logs (issue 13): imports and their rows.

``audit_imports`` and ``audit_rows`` are caches of the ledger's ``audit_import``,
``audit_row`` and ``audit_review`` entries (``liaison.storage.tables``), which ``liaison
ledger verify`` checks against them.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "audit_imports",
        sa.Column("id", sa.String(80), primary_key=True),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False, index=True),
        sa.Column("format", sa.String(40), nullable=False),
        sa.Column("pack", sa.String(64), nullable=True),
        sa.Column("agency", sa.String(256), nullable=True, index=True),
        sa.Column("timezone", sa.String(64), nullable=True),
        sa.Column("rules_version", sa.String(80), nullable=False),
        sa.Column("ledger_index", sa.BigInteger(), nullable=True, unique=True),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("bad_rows", sa.Integer(), nullable=False),
        sa.Column("imported_at", TS, nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
    )
    op.create_table(
        "audit_rows",
        sa.Column("import_id", sa.String(80), primary_key=True),
        sa.Column("row", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("ledger_index", sa.BigInteger(), nullable=False, unique=True),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.String(256), nullable=True),
        sa.Column("at", TS, nullable=True, index=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("agency", sa.String(256), nullable=True, index=True),
        sa.Column("organisation", sa.String(256), nullable=True, index=True),
        sa.Column("org_type", sa.String(40), nullable=True),
        sa.Column("org_jurisdiction", sa.String(16), nullable=True),
        sa.Column("purposes", sa.Text(), nullable=False),
        sa.Column("immigration", sa.Boolean(), nullable=True),
        sa.Column("rule", sa.String(120), nullable=False),
        sa.Column("reviewed", sa.Boolean(), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("basis", sa.String(16), nullable=True),
        sa.Column("finding", sa.Boolean(), nullable=False),
        sa.Column("citations", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("audit_rows")
    op.drop_table("audit_imports")
