"""What the records under each checkpoint and joint operation show (issue 10, item 2, the
``operations`` report): which encounters are operations, and per operation the counts of
its decisions and events, in the database (SQLAlchemy Core, grouped by encounter).

An *operation* is an encounter of kind ``checkpoint``, one that declares a federal
immigration agency among its agencies (``encounter_flags.with_federal_immigration``), or
one with a ``joint_operation`` decision filed under it. A record is under an encounter
by its ``encounter_id`` and ``encounter_unit`` (``gateway.encounters.resolve``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, or_, select

from liaison.gateway.encounter_flags import JOINT_OPERATION, with_federal_immigration
from liaison.reports.report_encounters import replayed_row
from liaison.reports.report_records import mixed_inquiry
from liaison.reports.report_scope import ReportScope
from liaison.storage.tables import (
    decision_citations,
    decision_purposes,
    decisions,
    encounters,
    events,
)

Key = tuple[str, str]  # an encounter: (id, the unit that owns it)
MAX_IDS = 20
_d, _e, _n = decisions.c, events.c, encounters.c


@dataclass
class Shown:
    """What one operation's records in the scope show."""

    decisions: dict[tuple[str, str], int] = field(default_factory=dict)  # (action, outcome)
    purposes: dict[tuple[str, str], int] = field(default_factory=dict)  # database inquiries
    events: dict[str, int] = field(default_factory=dict)  # kind -> count
    flags: dict[str, int] = field(default_factory=dict)  # events.flagged -> count
    flagged_ids: list[str] = field(default_factory=list)
    mixed_ids: list[str] = field(default_factory=list)  # immigration_status beside another
    mixed: int = 0
    joint: list[dict[str, Any]] = field(default_factory=list)

    def any(self) -> bool:
        return bool(self.decisions or self.events)


def is_operation(kind: str, document: Mapping[str, Any], joint_decided: bool) -> bool:
    """Whether an encounter of ``kind`` whose row holds ``document`` (its declared agencies)
    is an operation (module docstring); ``joint_decided``: a ``joint_operation`` decision is
    filed under it."""
    return kind == "checkpoint" or joint_decided or with_federal_immigration(document)


def operations(conn: Connection, scope: ReportScope) -> list[dict[str, Any]]:
    """The encounter rows that are operations (module docstring), in start order."""
    joint = select(_d.encounter_id, _d.encounter_unit).where(
        *scope.within(decisions), _d.action == JOINT_OPERATION, _d.encounter_id.is_not(None)
    )
    with_joint = {(str(i), str(u)) for i, u in conn.execute(joint)}
    # A federal immigration agency is named in the document's text; confirmed below.
    maybe = or_(_n.kind == "checkpoint", _n.document.contains('"federal_immigration"'))
    if with_joint:
        maybe = or_(maybe, _n.id.in_(sorted({i for i, _ in with_joint})))
    current = conn.execute(select(encounters.c.id, encounters.c.unit).where(maybe)).all()
    # Each as the event entries in the checkpoint's tree make it (its flags, purpose and
    # outcome then), not as its row stands now.
    replayed = [replayed_row(conn, scope, str(i), str(u)) for i, u in current]
    rows = [found[0] for found in replayed if found is not None]
    found = [
        r
        for r in rows
        if is_operation(r["kind"], json.loads(r["document"]), (r["id"], r["unit"]) in with_joint)
    ]
    return sorted(found, key=lambda r: (r["started_at"] is None, r["started_at"], r["id"]))


def shown(conn: Connection, scope: ReportScope, keys: Sequence[Key]) -> dict[Key, Shown]:
    """Per operation, what its decisions and events in the scope show."""
    out: dict[Key, Shown] = {k: Shown() for k in keys}
    ids = sorted({i for i, _ in keys})
    if not ids:
        return out
    under_d = [*scope.within(decisions), _d.encounter_id.in_(ids)]
    under_e = [*scope.within(events), _e.encounter_id.in_(ids)]
    by = (_d.encounter_id, _d.encounter_unit)
    for i, u, action, outcome, n in conn.execute(
        select(*by, _d.action, _d.decision, func.count())
        .where(*under_d)
        .group_by(*by, _d.action, _d.decision)
    ):
        _at(out, i, u).decisions[(action, outcome)] = int(n)
    p = decision_purposes.c
    for i, u, purpose, outcome, n in conn.execute(
        select(*by, p.purpose, _d.decision, func.count())
        .select_from(decisions.join(decision_purposes, p.ledger_index == _d.ledger_index))
        .where(*under_d, _d.action == "database_inquiry")
        .group_by(*by, p.purpose, _d.decision)
    ):
        _at(out, i, u).purposes[(purpose, outcome)] = int(n)
    _events(conn, out, under_e)
    _mixed(conn, out, under_d)
    _joint(conn, scope, out, under_d)
    return out


def _at(out: dict[Key, Shown], encounter_id: Any, unit: Any) -> Shown:
    """The operation's tally (a throwaway one for a record under another encounter of the
    same id, which the query's id condition also selects)."""
    return out.get((str(encounter_id), str(unit))) or Shown()


def _events(conn: Connection, out: dict[Key, Shown], under: list[Any]) -> None:
    by = (_e.encounter_id, _e.encounter_unit)
    query = select(*by, _e.kind, _e.flagged, func.count()).where(*under)
    for i, u, kind, flag, n in conn.execute(query.group_by(*by, _e.kind, _e.flagged)):
        tally = _at(out, i, u)
        tally.events[kind] = tally.events.get(kind, 0) + int(n)
        if flag is not None:
            tally.flags[flag] = tally.flags.get(flag, 0) + int(n)
    flagged = select(*by, _e.id).where(*under, _e.flagged.is_not(None))
    for i, u, ident in conn.execute(flagged.order_by(_e.at, _e.ledger_index)):
        ids = _at(out, i, u).flagged_ids
        if len(ids) < MAX_IDS:
            ids.append(ident)


def _mixed(conn: Connection, out: dict[Key, Shown], under: list[Any]) -> None:
    """Inquiries naming immigration_status beside another purpose."""
    query = select(_d.encounter_id, _d.encounter_unit, _d.id).where(*under, mixed_inquiry())
    for i, u, ident in conn.execute(query.order_by(_d.at, _d.ledger_index)):
        tally = _at(out, i, u)
        tally.mixed += 1
        if len(tally.mixed_ids) < MAX_IDS:
            tally.mixed_ids.append(ident)


def _joint(conn: Connection, scope: ReportScope, out: dict[Key, Shown], under: list[Any]) -> None:
    """The ``joint_operation`` decisions filed under each operation, with what they cited."""
    query = (
        select(_d.encounter_id, _d.encounter_unit, _d.ledger_index, _d.id, _d.at)
        .add_columns(_d.decision, _d.basis, _d.view)
        .where(*under, _d.action == JOINT_OPERATION)
        .order_by(_d.at, _d.ledger_index)
    )
    rows = conn.execute(query).all()
    c = decision_citations.c
    cited: dict[int, list[str]] = {}
    indexes = [int(r.ledger_index) for r in rows]
    if indexes:
        found = select(c.ledger_index, c.directive, c.section).where(c.ledger_index.in_(indexes))
        for index, directive, section in conn.execute(found):
            cited.setdefault(int(index), []).append(f"{directive} {section}")
    for r in rows:
        _at(out, r.encounter_id, r.encounter_unit).joint.append(
            {
                "id": r.id,
                "at": scope.local(r.at),
                "decision": r.decision,
                "basis": r.basis,
                "view": r.view,
                "sections": sorted(cited.get(int(r.ledger_index), [])),
            }
        )
