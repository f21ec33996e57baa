"""Encounter rows hold their flags (docs/api.md, "Events and flags"; issue 10, item 4).

Since issue 10 the row an encounter's events make (``liaison.gateway.encounters.
encounter_row``) lists why it stands out (``flagged``): an operation with federal
immigration partners that went ahead after its ``joint_operation`` was denied, or with
none decided (``liaison.gateway.encounter_flags``). Rows written before lack the list;
this replays, in ledger order, the events and ``joint_operation`` decisions filed under
each encounter that an event declared a federal immigration agency for, with the
functions ``liaison ledger verify`` replays them with, and writes the document they make,
so that the rows agree with the ledger again. No entry changes: the flags were always
determined by them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

EVENTS = sa.table(
    "events",
    sa.column("ledger_index"),
    sa.column("encounter_id"),
    sa.column("encounter_unit"),
    sa.column("document", sa.Text),
)
DECISIONS = sa.table(
    "decisions",
    sa.column("ledger_index"),
    sa.column("encounter_id"),
    sa.column("encounter_unit"),
    sa.column("action"),
    sa.column("decision"),
    sa.column("at"),
)
ENCOUNTERS = sa.table(
    "encounters", sa.column("id"), sa.column("unit"), sa.column("document", sa.Text)
)


def upgrade() -> None:
    conn = op.get_bind()
    e = EVENTS.c
    named = conn.execute(
        sa.select(e.encounter_id, e.encounter_unit)
        .where(e.encounter_id.is_not(None), e.document.like("%federal_immigration%"))
        .distinct()
    ).all()
    for ident, unit in named:
        document = _replayed(conn, ident, unit)
        if document is not None:
            conn.execute(
                ENCOUNTERS.update()
                .where(ENCOUNTERS.c.id == ident, ENCOUNTERS.c.unit == unit)
                .values(document=document)
            )


def _replayed(conn: Any, ident: str, unit: str) -> str | None:
    """The document unit ``unit``'s encounter ``ident`` has after its records, replayed."""
    from liaison.gateway.encounter_flags import JOINT_OPERATION, JointDecision
    from liaison.gateway.index_rows import encounter_step, instant

    e, d = EVENTS.c, DECISIONS.c
    done = conn.execute(
        sa.select(e.ledger_index, e.document)
        .where(e.encounter_id == ident, e.encounter_unit == unit)
        .order_by(e.ledger_index)
    ).all()
    joint = conn.execute(
        sa.select(d.ledger_index, d.at, d.decision)
        .where(d.encounter_id == ident, d.encounter_unit == unit, d.action == JOINT_OPERATION)
        .order_by(d.ledger_index)
    ).all()
    decided = [(i, when, str(said)) for i, at, said in joint if (when := instant(at))]
    current: dict[str, Any] | None = None
    for index, text in done:
        before = [JointDecision(when, said) for i, when, said in decided if i < index]
        current = encounter_step(current, json.loads(text), before)
    return None if current is None else str(current["document"])


def downgrade() -> None:
    pass  # the flags are determined by the entries, where they always were
