"""Encounters: whose they are, the row each event makes of one, and reading one.

An encounter belongs to the unit whose actor opened it (its first event) and to the units
it names as ``participants``; only the opening unit names them. Nobody else can change
it, record under it or read it (auditors read everything), and nothing tells them it
exists: encounter ids are per unit, so another unit's events and decisions under the same
id are under *that* unit's encounter of the id (refusing them would tell them the id is
taken). A record of unit U citing id X is under (docs/api.md "Encounters"):

1. U's own encounter X, if U opened one;
2. else the encounter X that names U as a participant (two such: ``Ambiguous``);
3. else U's own encounter X, opened or not yet (an event naming it opens it).

``resolve`` (1-3) and ``encounter_row`` (the row after an event, from the row before and
the ``joint_operation`` decisions filed under it so far, ``encounter_flags``) are pure:
replaying the ledger's event and decision entries in order through them gives the
``encounters`` rows and each record's ``encounter_unit`` again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, select

from liaison.errors import Ambiguous, Forbidden, InvalidRequest
from liaison.gateway.auth import Principal
from liaison.gateway.encounter_flags import (
    JOINT_OPERATION,
    JointDecision,
    flag_encounter,
    operation_flag,
    went_ahead,
)
from liaison.gateway.events import Event, EventKind
from liaison.gateway.records import encounter_personal, encounter_public, only_one
from liaison.model.request import Actor
from liaison.model.timestamps import render
from liaison.storage.tables import decisions, encounters, events

if TYPE_CHECKING:  # the reader imports this module's encounter_row
    from liaison.gateway.index_reads import IndexReader

Row = Mapping[str, Any]  # an ``encounters`` row


def participants(row: Row) -> list[str]:
    names: list[str] = json.loads(row["participants"])
    return names


def members(row: Row) -> set[str]:
    """The units an encounter belongs to: the one that opened it, and its participants."""
    return {row["unit"], *participants(row)}


def require_unit(actor: Actor, named: object | None) -> None:
    """An encounter belongs to units: a record naming one needs its actor's unit."""
    if named is not None and actor.unit is None:
        raise InvalidRequest(
            "actor.unit", "actor.unit is required to record under an encounter (it names the unit)"
        )


def resolve(candidates: Sequence[Row], unit: str) -> Row | None:
    """Among the encounters of one id, the one a record of ``unit`` is under: the unit's
    own, else the one that names it as a participant; None when neither (the record is
    under the unit's own, not opened yet). Pure."""
    own = [row for row in candidates if row["unit"] == unit]
    if own:
        return own[0]
    joined = [row for row in candidates if unit in participants(row)]
    if len(joined) > 1:
        owners = sorted(row["unit"] for row in joined)
        raise Ambiguous(
            f"unit {unit} is a participant of {len(joined)} encounters {joined[0]['id']!r} "
            f"(of units {', '.join(owners)}); one of them must drop it",
            "encounter.id",
            owners,
        )
    return joined[0] if joined else None


def encounter_row(
    event: Event, previous: Row | None, joint: Sequence[JointDecision] = ()
) -> dict[str, Any]:
    """The ``encounters`` row after ``event`` (which names an encounter), from the row its
    actor's unit resolves the id to (``resolve``; None: the event opens the unit's own),
    flagged when it went ahead with federal immigration partners without a permitting
    ``joint_operation`` decision (``joint``: those filed under it before ``event``, in
    ledger order; ``encounter_flags``). Only the unit that opened it may change its
    participants. Pure: no database."""
    info, unit = event.encounter, event.actor.unit
    if info is None or unit is None:
        raise ValueError("an encounter row needs an event naming an encounter, by a unit")
    declared = encounter_public(info)  # place and location stay in the ledger only
    named = declared.pop("participants", None)
    owner: str = unit if previous is None else previous["unit"]
    document = {"id": info.id} if previous is None else json.loads(previous["document"])
    listed = [] if previous is None else participants(previous)
    if named is not None and sorted(set(named) - {owner}) != listed:
        if unit != owner:
            raise Forbidden(
                f"only unit {owner}, which opened encounter {info.id!r}, names its participants"
            )
        listed = sorted(set(named) - {owner})
    document.update(declared)
    flag_encounter(document, operation_flag(event, document, joint))
    started: datetime | None = None if previous is None else previous["started_at"]
    ended: datetime | None = None if previous is None else previous["ended_at"]
    if event.kind is EventKind.ENCOUNTER_STARTED:
        started = event.at
    if event.kind is EventKind.ENCOUNTER_ENDED:
        ended = event.at
    return {
        "id": info.id,
        "unit": owner,
        "participants": json.dumps(listed),
        "kind": info.kind.value,
        "started_at": started,
        "ended_at": ended,
        "district": document.get("district"),
        "document": json.dumps(document, ensure_ascii=False),
    }


# -- in the database --------------------------------------------------------------------------


def candidates(conn: Connection, encounter_id: str) -> list[dict[str, Any]]:
    """Every unit's encounter of the id."""
    found = conn.execute(select(encounters).where(encounters.c.id == encounter_id))
    return [dict(row._mapping) for row in found]


def owner_unit(conn: Connection, encounter_id: str, unit: str) -> str:
    """The unit owning the encounter a record of ``unit`` citing ``encounter_id`` is under."""
    row = resolve(candidates(conn, encounter_id), unit)
    return unit if row is None else str(row["unit"])


def joint_decision_rows(
    conn: Connection, encounter_id: str, unit: str, before: int
) -> list[dict[str, Any]]:
    """The ``decisions`` rows of the ``joint_operation`` decisions filed under unit
    ``unit``'s encounter of the id, recorded before ledger index ``before``, in ledger
    order: rows, to be checked against their entries before they are acted on."""
    d = decisions.c
    found = conn.execute(
        select(decisions)
        .where(
            d.encounter_id == encounter_id,
            d.encounter_unit == unit,
            d.action == JOINT_OPERATION,
            d.ledger_index < before,
        )
        .order_by(d.ledger_index)
    )
    return [dict(row._mapping) for row in found]


# The ``joint_operation`` decisions (checked against the ledger) filed under the encounter
# of (id, owning unit) before a ledger index (``index_writes``).
JointLookup = Callable[[Connection, str, str, int], Sequence[JointDecision]]


def record_encounter(conn: Connection, event: Event, index: int, joint: JointLookup) -> str:
    """Write the row ``event`` (at ledger ``index``) makes of its encounter, beside the
    ``joint_operation`` decisions ``joint`` finds filed under it; return the unit owning it."""
    assert event.encounter is not None
    assert event.actor.unit is not None
    encounter_id = event.encounter.id
    previous = resolve(candidates(conn, encounter_id), event.actor.unit)
    owner = event.actor.unit if previous is None else str(previous["unit"])
    # Only an event that went ahead can be flagged by them: the others need no lookup.
    joint_decided = joint(conn, encounter_id, owner, index) if went_ahead(event) else ()
    row = encounter_row(event, previous, joint_decided)
    if previous is None:
        conn.execute(insert(encounters), [row])
    else:
        conn.execute(
            encounters.update()
            .where(encounters.c.id == encounter_id, encounters.c.unit == previous["unit"])
            .values(**row)
        )
    return str(row["unit"])


def read_encounter(
    conn: Connection,
    encounter_id: str,
    who: Principal,
    unit: str | None,
    index: IndexReader,
    zone: tzinfo,
) -> dict[str, Any]:
    """The encounter of ``encounter_id`` that ``who`` may read (of ``unit``, if named): as
    declared, the records under it that ``who`` may read, what those show. One is readable
    by its units' keys that may read a record under it, and by auditors. Served only once
    every row under it agrees with its ledger entry and the encounter row with what its
    event entries make (``index``: the rows are an index, never the record). Its instants
    are shown in ``zone``, the pack's, with their offset (issue 10 item 5; docs/api.md
    "Times"), as decisions are."""
    found = [
        row
        for row in candidates(conn, encounter_id)
        if (unit is None or row["unit"] == unit)
        and (who.reads_everything or who.unit in members(row))
    ]
    views = [_records(conn, row, who, index) for row in found]
    readable = [v for v in views if who.reads_everything or v[1] or v[2]]
    row, visible, seen = only_one(
        readable, f"encounter {encounter_id!r}", "unit", lambda v: str(v[0]["unit"])
    )
    document = json.loads(row["document"])
    return {
        **document,
        **encounter_personal(conn, row["id"], row["unit"]),  # from the ledger, while kept
        "flagged": document.get("flagged", []),  # what it must catch (encounter_flags)
        "unit": row["unit"],
        "participants": participants(row),
        "started_at": _when(row["started_at"], zone),
        "ended_at": _when(row["ended_at"], zone),
        "decisions": [
            {
                "id": d.id,
                "action": d.action,
                "decision": d.decision,
                "basis": d.basis,
                "actor": d.actor_id,
                "at": render(d.at, zone),
            }
            for d in visible
        ],
        "events": [
            {
                "id": e.id,
                "kind": e.kind,
                "flagged": e.flagged,
                "actor": e.actor_id,
                "decision_id": e.decision_id,
                "at": render(e.at, zone),
            }
            for e in seen
        ],
        "records_show": _summary(visible, seen),
    }


def _records(
    conn: Connection, row: Row, who: Principal, index: IndexReader
) -> tuple[Row, list[Any], list[Any]]:
    """The decisions and events under the encounter ``row`` that ``who`` may read, each
    row verified against its entry, and the encounter row against its events' entries."""
    d, e = decisions.c, events.c
    found = conn.execute(
        select(decisions)
        .where(d.encounter_id == row["id"], d.encounter_unit == row["unit"])
        .order_by(d.at, d.ledger_index)
    ).all()
    done = conn.execute(
        select(events)
        .where(e.encounter_id == row["id"], e.encounter_unit == row["unit"])
        .order_by(e.at, e.ledger_index)
    ).all()
    filed = index.verified_many("decisions", [dict(r._mapping) for r in found])
    joint = [
        (d["ledger_index"], JointDecision(d["at"], d["decision"]))
        for d in filed
        if d["action"] == JOINT_OPERATION
    ]
    index.check_encounter(
        row, index.verified_many("events", [dict(r._mapping) for r in done]), joint
    )
    visible = [r for r in found if who.may_read(r.actor_id, r.unit)]
    return row, visible, [r for r in done if who.may_read(r.actor_id, r.unit)]


def _summary(found: Sequence[Any], done: Sequence[Any]) -> dict[str, Any]:
    """What the records under an encounter show, to set beside its declared purpose."""
    by_action: dict[str, dict[str, int]] = {}
    for d in found:
        counts = by_action.setdefault(d.action, {"permit": 0, "deny": 0})
        counts[d.decision] += 1
    return {
        "decisions_by_action": by_action,
        "events_by_kind": _count(e.kind for e in done),
        "flagged_events": sum(1 for e in done if e.flagged),
    }


def _count(items: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        out[item] = out.get(item, 0) + 1
    return out


def _when(value: datetime | None, zone: tzinfo) -> str | None:
    return render(value, zone) if value is not None else None  # read back aware, in UTC
