"""Witnesses' cosignatures of the kept checkpoints (issue 12, item 1; C2SP tlog-cosignature).

``ledger_checkpoints.cosignatures`` holds the cosignature lines witnesses returned for the
checkpoint (signed-note signature lines, each ending in a newline; empty until a witness
cosigns). The note with them appended is the cosigned checkpoint the service publishes.
The database is not trusted with them: each line is verified with the witness's key by
whoever relies on it, so a line can be deleted here, never forged.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ledger_checkpoints") as batch:
        batch.add_column(sa.Column("cosignatures", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("ledger_checkpoints") as batch:
        batch.drop_column("cosignatures")
