"""Signed-in sessions of the pages (issue 11, item 2): ``web_sessions``.

A session is opened at ``/signin`` with an API key; its cookie holds a random token of
which only HMAC-SHA256 under the server secret is stored (``id``), as for API keys. The
key it was opened with (``key_id``) ends it when revoked; ``created_at`` bounds its
lifetime, ``seen_at`` its idle time (``liaison.web.sessions``).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("seen_at", TS, nullable=False),
    )
    op.create_index("ix_web_sessions_key_id", "web_sessions", ["key_id"])
    op.create_index("ix_web_sessions_seen_at", "web_sessions", ["seen_at"])


def downgrade() -> None:
    op.drop_table("web_sessions")
