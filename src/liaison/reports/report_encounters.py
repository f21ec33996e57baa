"""Encounters with federal immigration agencies as they stood at a report's checkpoint
(issue 10, items 2 and 4; docs/reports.md, "Joint operations").

An encounter row is what its event entries make, replayed in ledger order
(``index_rows.encounter_step``, the writer's own ``encounters.encounter_row``) beside the
``joint_operation`` decisions filed under it: replaying only the entries in the
checkpoint's tree gives the encounter, and its flags (``joint_operation_denied``,
``joint_operation_not_decided``), as they were at that checkpoint, whatever was recorded
since. Only encounters that declare a ``federal_immigration`` agency now are replayed (a
small set, found with a text match on the row and confirmed on the replayed document).
An encounter is in the period when its first event is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from liaison.gateway.encounter_flags import JOINT_OPERATION, JointDecision, with_federal_immigration
from liaison.gateway.index_rows import encounter_step, instant
from liaison.reports.report_scope import ReportScope
from liaison.storage.tables import decisions, encounters, events


@dataclass(frozen=True, slots=True)
class Held:
    """An encounter with federal immigration agencies at the checkpoint: its id and unit,
    kind, first instant, and the flags it carried."""

    id: str
    unit: str
    kind: str
    first: datetime
    flagged: tuple[str, ...]


def with_federal_immigration_agencies(scope: ReportScope) -> list[Held]:
    """The encounters in scope that declared a federal immigration agency, at the checkpoint."""
    e = encounters.c
    out: list[Held] = []
    with scope.db.connect() as conn:
        found = conn.execute(
            select(e.id, e.unit).where(e.document.like('%"federal_immigration"%'))
        ).all()
        for encounter_id, unit in found:
            held = _replayed(conn, scope, str(encounter_id), str(unit))
            if held is not None and _in_period(scope, held.first):
                out.append(held)
    return sorted(out, key=lambda h: (h.first, h.id, h.unit))


def _in_period(scope: ReportScope, moment: datetime) -> bool:
    return (scope.start is None or moment >= scope.start) and (
        scope.end is None or moment < scope.end
    )


def _replayed(conn: Connection, scope: ReportScope, encounter_id: str, unit: str) -> Held | None:
    """The encounter as the entries in the checkpoint's tree make it (None: not opened by
    then, or without a federal immigration agency then)."""
    found = replayed_row(conn, scope, encounter_id, unit)
    if found is None:
        return None
    row, first = found
    declared = json.loads(row["document"])
    if not with_federal_immigration(declared):
        return None
    flags = tuple(str(f) for f in declared.get("flagged", []))
    return Held(encounter_id, unit, str(row["kind"]), first, flags)


def replayed_row(
    conn: Connection, scope: ReportScope, encounter_id: str, unit: str
) -> tuple[dict[str, Any], datetime] | None:
    """The ``encounters`` row the event entries in the checkpoint's tree make, replayed in
    ledger order beside the ``joint_operation`` decisions filed under it, and its first
    event's instant (None: not opened by then)."""
    ev, d = events.c, decisions.c
    size = scope.checkpoint.size
    done = conn.execute(
        select(ev.ledger_index, ev.at, ev.document)
        .where(ev.encounter_id == encounter_id, ev.encounter_unit == unit, ev.ledger_index < size)
        .order_by(ev.ledger_index)
    ).all()
    joint = conn.execute(
        select(d.ledger_index, d.at, d.decision)
        .where(
            d.encounter_id == encounter_id,
            d.encounter_unit == unit,
            d.action == JOINT_OPERATION,
            d.ledger_index < size,
        )
        .order_by(d.ledger_index)
    ).all()
    row: dict[str, Any] | None = None
    for index, _, document in done:
        before = [
            JointDecision(_at(j.at), str(j.decision)) for j in joint if j.ledger_index < index
        ]
        row = encounter_step(row, json.loads(document), before)
    if row is None:
        return None
    return row, min(_at(at) for _, at, _ in done)


def _at(value: Any) -> datetime:
    moment = instant(value)
    if moment is None:
        raise ValueError(f"an unreadable instant in the index: {value!r}")
    return moment
