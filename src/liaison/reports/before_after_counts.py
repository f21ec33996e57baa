"""The counts of the ``before-after`` report (issue 10, item 2): actions with federal
immigration agencies in one window, by action, district and unit, counted in the database.

*With federal immigration agencies*: a decision whose recipient is of type
``federal_immigration``, or a ``joint_operation`` whose partners include one (the partners
are read from the decisions' records: joint operations are few). Decisions count by
outcome; *carried out* counts the events reporting an action done (``events.ACTION_KINDS``)
that cite such a decision of their own actor, under the decision's action. The district
is the encounter's (``decisions.encounter_id``/``encounter_unit``, or the event's, to
``encounters.district``); the unit the acting officer's. Events reporting an action
without a decision of their own to cite name no recipient: they are counted apart, by kind.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select

from liaison.gateway.encounter_flags import JOINT_OPERATION
from liaison.gateway.events import ACTION_KINDS
from liaison.gateway.index_reads import IndexReader
from liaison.reports.report_scope import ReportScope
from liaison.storage.tables import decisions, encounters, events

FEDERAL_IMMIGRATION = "federal_immigration"
# What an event that cites no decision of its own actor is flagged with (gateway.recording).
UNATTRIBUTED = ("no_decision", "decision_not_found", "decision_by_another_actor")

Key = tuple[str, str | None, str | None]  # (action, district, unit)
ACTED = sorted(k.value for k in ACTION_KINDS)


def joint_with_immigration(
    scope: ReportScope, until: datetime | None, reader: IndexReader | None
) -> list[int]:
    """The ledger indexes of the ``joint_operation`` decisions (of the checkpoint, before
    ``until``, in the view) with a federal immigration partner; each row checked against
    its ledger entry when a ``reader`` is given."""
    d = decisions
    query = select(d).where(*replace(scope, start=None, end=until).within(d))
    query = query.where(d.c.action == JOINT_OPERATION)
    with scope.db.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
    if reader is not None:
        rows = reader.verified_many("decisions", rows)
    return [int(r["ledger_index"]) for r in rows if _partners_immigration(r["document"])]


def _partners_immigration(document: str | Mapping[str, Any]) -> bool:
    record = json.loads(document) if isinstance(document, str) else document
    operation = record["request"].get("operation") or {}
    return any(p.get("type") == FEDERAL_IMMIGRATION for p in operation.get("partners", ()))


def federal(joint: list[int]) -> ColumnElement[bool]:
    """A decision with federal immigration agencies (module docstring)."""
    d = decisions.c
    return or_(d.recipient_type == FEDERAL_IMMIGRATION, d.ledger_index.in_(joint))


def decided(scope: ReportScope, joint: list[int]) -> dict[Key, dict[str, int]]:
    """Decisions in ``scope`` with federal immigration agencies: key -> outcome -> count."""
    d, e = decisions, encounters
    joined = d.outerjoin(e, and_(e.c.id == d.c.encounter_id, e.c.unit == d.c.encounter_unit))
    query = (
        select(d.c.action, e.c.district, d.c.unit, d.c.decision, func.count())
        .select_from(joined)
        .where(*scope.within(d), federal(joint))
        .group_by(d.c.action, e.c.district, d.c.unit, d.c.decision)
    )
    out: dict[Key, dict[str, int]] = {}
    with scope.db.connect() as conn:
        for action, district, unit, outcome, n in conn.execute(query):
            out.setdefault((action, district, unit), {})[outcome] = int(n)
    return out


def carried_out(scope: ReportScope, joint: list[int]) -> dict[Key, dict[str, int]]:
    """Events in ``scope`` reporting an action done that cite a decision of their own actor
    with federal immigration agencies: key (the decision's action) -> the cited decision's
    outcome (an action done against a denial is counted too) -> count."""
    d, e, v = decisions, encounters, events
    cites = and_(d.c.id == v.c.decision_id, d.c.actor_id == v.c.actor_id)
    joined = v.join(d, cites).outerjoin(
        e, and_(e.c.id == v.c.encounter_id, e.c.unit == v.c.encounter_unit)
    )
    mine = [d.c.ledger_index < scope.checkpoint.size, federal(joint)]
    if scope.view is not None:
        mine.append(d.c.view == scope.view)
    query = (
        select(d.c.action, e.c.district, v.c.unit, d.c.decision, func.count())
        .select_from(joined)
        .where(*scope.within(v), v.c.kind.in_(ACTED), *mine)
        .group_by(d.c.action, e.c.district, v.c.unit, d.c.decision)
    )
    out: dict[Key, dict[str, int]] = {}
    with scope.db.connect() as conn:
        for action, district, unit, outcome, n in conn.execute(query):
            out.setdefault((action, district, unit), {})[outcome] = int(n)
    return out


def unattributed(scope: ReportScope) -> dict[str, int]:
    """Events in ``scope`` reporting an action done without a decision of their own actor
    to cite (so naming no recipient), by kind."""
    v = events
    query = (
        select(v.c.kind, func.count())
        .where(*scope.within(v), v.c.kind.in_(ACTED), v.c.flagged.in_(UNATTRIBUTED))
        .group_by(v.c.kind)
    )
    with scope.db.connect() as conn:
        return {str(kind): int(n) for kind, n in conn.execute(query)}
