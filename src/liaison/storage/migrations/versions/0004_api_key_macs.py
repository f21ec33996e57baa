"""API keys stored as HMAC-SHA256 under the server secret; argon2id kept for old keys only.

``secret_mac`` is added; ``secret_hash`` (argon2id) becomes optional: keys made before
this revision keep it until their first successful use, which writes the MAC and drops
the argon2 hash (``gateway.auth``).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("secret_mac", sa.String(64), nullable=True))
        batch.alter_column("secret_hash", existing_type=sa.String(256), nullable=True)


def downgrade() -> None:
    # Keys that only have a MAC cannot be verified by argon2: an empty hash refuses them
    # (fail closed); keys still hashed with argon2 keep working.
    op.execute(sa.text("UPDATE api_keys SET secret_hash = '' WHERE secret_hash IS NULL"))
    with op.batch_alter_table("api_keys") as batch:
        batch.alter_column("secret_hash", existing_type=sa.String(256), nullable=False)
        batch.drop_column("secret_mac")
