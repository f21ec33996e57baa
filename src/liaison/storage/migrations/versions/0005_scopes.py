"""Ids scoped to whom they belong: a decision's or event's id to its actor, an encounter's
to the unit that opened it (issue 8, item 5; docs/api.md, "Ids" and "Encounters").

- ``decisions``, ``events``: primary key ``(id)`` becomes ``(id, actor_id)``, so that
  another actor's use of an id is another record, not a "conflict" that reveals the
  first; ``encounter_unit`` names the unit owning the encounter a record is under.
- ``encounters``: ``unit`` (the owner) and ``participants`` (a JSON array of units);
  primary key ``(id, unit)``.

Existing rows are kept. An existing encounter belongs to the unit of its first event (by
ledger index; ``''``, readable by auditors only, when that event has no unit) and names
no participants: nobody else was ever named, so nobody else is let in. An existing
record is under its own unit's encounter of its id, as it would be recorded now.

Downgrading restores the primary keys on ``id`` alone, which fails once two actors (or
units) share an id.

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import warnings

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UNIT = sa.String(256)


def _primary_key(table: str, columns: list[str]) -> None:
    """Make ``columns`` the primary key of ``table`` (named ``<table>_pkey``, as PostgreSQL
    names it by default); SQLite cannot alter a key, so the table is copied (batch mode)."""
    name = f"{table}_pkey"
    if op.get_bind().dialect.name == "sqlite":
        # SQLAlchemy warns that the reflected columns' key is replaced: that is the point.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Table '_alembic_tmp_", sa.exc.SAWarning)
            with op.batch_alter_table(table, recreate="always") as batch:
                batch.create_primary_key(name, columns)
    else:
        op.drop_constraint(name, table, type_="primary")
        op.create_primary_key(name, table, columns)


def upgrade() -> None:
    for table in ("decisions", "events"):
        op.add_column(table, sa.Column("encounter_unit", UNIT, nullable=True))
        op.execute(
            sa.text(
                f"UPDATE {table} SET encounter_unit = COALESCE(unit, '') "
                "WHERE encounter_id IS NOT NULL"
            )
        )
        _primary_key(table, ["id", "actor_id"])
    op.add_column("encounters", sa.Column("unit", UNIT, nullable=True))
    op.add_column("encounters", sa.Column("participants", sa.Text, nullable=True))
    op.execute(
        sa.text(
            "UPDATE encounters SET participants = '[]', unit = COALESCE(("
            "SELECT e.unit FROM events e WHERE e.encounter_id = encounters.id "
            "ORDER BY e.ledger_index LIMIT 1), '')"
        )
    )
    with op.batch_alter_table("encounters") as batch:
        batch.alter_column("unit", existing_type=UNIT, nullable=False)
        batch.alter_column("participants", existing_type=sa.Text, nullable=False)
    _primary_key("encounters", ["id", "unit"])


def downgrade() -> None:
    _primary_key("encounters", ["id"])
    with op.batch_alter_table("encounters") as batch:
        batch.drop_column("participants")
        batch.drop_column("unit")
    for table in ("events", "decisions"):
        _primary_key(table, ["id"])
        with op.batch_alter_table(table) as batch:
            batch.drop_column("encounter_unit")
