"""Encounter rows hold only the public part of what their events declared.

Since issue 8 an encounter's ``place`` and ``location`` are personal data, kept in the
ledger's erasable personal part (docs/ledger.md, "What is personal"), and the row an
encounter's events make (``liaison.gateway.encounters.encounter_row``) no longer holds
them. Rows written before keep a copy in ``document``; this removes it, so that the rows
agree with what their event entries make again (``liaison ledger verify``, and the check
before an encounter is served). Entries recorded before keep those fields in their public
record: a leaf cannot change.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

PERSONAL = ("place", "location")


def upgrade() -> None:
    conn = op.get_bind()
    table = sa.table(
        "encounters", sa.column("id"), sa.column("unit"), sa.column("document", sa.Text)
    )
    for ident, unit, text in conn.execute(sa.select(table.c.id, table.c.unit, table.c.document)):
        document = json.loads(text)
        if not isinstance(document, dict) or not any(k in document for k in PERSONAL):
            continue
        for key in PERSONAL:
            document.pop(key, None)
        conn.execute(
            table.update()
            .where(table.c.id == ident, table.c.unit == unit)
            .values(document=json.dumps(document, ensure_ascii=False))
        )


def downgrade() -> None:
    pass  # what was removed is in the entries' public records, where it always was
