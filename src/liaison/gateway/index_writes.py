"""The index rows written in the transaction that appends their entries: the gateway's hook
into the group committer (``liaison.ledger.committer.IndexHook``).

A job carries data, never code: the row of a decision (built by
``index_rows.decision_row``, the function ``ledger verify`` checks it with), the event
whose row and encounter it writes, or a pack change. ``write_index`` writes a whole
group's, in job order, after its entries, so the rows commit with their entries or not
at all (docs/ledger.md, "The index is checked against the ledger"):

1. every decision row, in one bulk insert straight to the driver, and the rows of its
   side tables (purposes, citations, data classes: ``index_rows.SIDES``) likewise;
2. in job order: a decision filed under its encounter's owner (``encounters.resolve``),
   an event's row and the row it makes of its encounter, a pack change's row;
3. each pack version a decision was made under must still be the newest: the decisions
   made under an older one are refused (a ``Refusal``) and made again by the service, so
   in the ledger every decision after a ``pack_change`` entry was made under it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table, insert, select, update
from sqlalchemy.types import TypeDecorator

from liaison.errors import Conflict, PackChanged
from liaison.gateway.encounter_flags import JointDecision
from liaison.gateway.encounters import joint_decision_rows, owner_unit, record_encounter
from liaison.gateway.events import Event
from liaison.gateway.index_reads import checked_rows
from liaison.gateway.index_rows import SIDES, Side, joint_decision
from liaison.gateway.packs import PreparedChange, current_seq
from liaison.ledger.committer import Refusal
from liaison.ledger.sequencer import Appended
from liaison.storage.bulk import insert_rows
from liaison.storage.tables import decisions, events, side_tables


@dataclass(frozen=True, slots=True)
class DecisionIndex:
    """A decision's ``decisions`` row but its ledger index, the pack version (``seq``) it
    was made under, the (encounter id, actor's unit) it is filed under, if any, and its
    side tables' rows but their ledger index (``index_rows.decision_sides``)."""

    row: dict[str, Any]
    seq: int
    encounter: tuple[str, str] | None = None
    sides: Mapping[str, Side] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EventIndex:
    """An event's ``events`` row but its ledger index and encounter owner, and the event
    (whose encounter row it writes)."""

    event: Event
    row: dict[str, Any]


@dataclass(frozen=True, slots=True)
class PackIndex:
    """A pack change's row (``PreparedChange.write``)."""

    change: PreparedChange


IndexData = DecisionIndex | EventIndex | PackIndex


def write_index(conn: Connection, written: Sequence[tuple[IndexData, Appended]]) -> Refusal | None:
    """The hook: the rows of a group's entries, in their transaction; the decisions made
    under a pack version that is no longer the newest are refused."""
    _insert_decisions(conn, [(d, at) for d, at in written if isinstance(d, DecisionIndex)])
    for data, at in written:
        if isinstance(data, DecisionIndex):
            if data.encounter is not None:
                _file_under_encounter(conn, at.index, *data.encounter)
        elif isinstance(data, EventIndex):
            _write_event(conn, data, at.index)
        else:
            data.change.write(conn, at)
    return _check_versions(conn, written)


def _insert_decisions(conn: Connection, found: list[tuple[DecisionIndex, Appended]]) -> None:
    if not found:
        return
    named = tuple(found[0][0].row)  # every decision row names the same columns
    columns = (*named, "ledger_index")
    rows = [
        _bound(decisions, columns, [*(d.row[c] for c in named), at.index], conn) for d, at in found
    ]
    insert_rows(conn, decisions, columns, rows)
    for table, (names, _) in SIDES.items():
        rows = [(at.index, *r) for d, at in found for r in sorted(d.sides.get(table, ()))]
        insert_rows(conn, side_tables[table], ("ledger_index", *names), rows)


def _file_under_encounter(conn: Connection, index: int, encounter_id: str, unit: str) -> None:
    """File the decision at ``index`` under the encounter its actor's unit means by the id
    (``encounters.resolve``): a participant's record is under the owner's encounter."""
    owner = owner_unit(conn, encounter_id, unit)
    if owner != unit:
        conn.execute(
            update(decisions).where(decisions.c.ledger_index == index).values(encounter_unit=owner)
        )


def _write_event(conn: Connection, data: EventIndex, index: int) -> None:
    event, row = data.event, data.row
    mine = (events.c.id == row["id"], events.c.actor_id == row["actor_id"])
    if conn.execute(select(events.c.id).where(*mine)).first():  # the actor's own id
        raise Conflict(f"event id {row['id']!r} was already recorded")
    owner = None
    if event.encounter is not None:
        owner = record_encounter(conn, event, index, _joint_decisions)
    conn.execute(insert(events), [{**row, "ledger_index": index, "encounter_unit": owner}])


def _joint_decisions(
    conn: Connection, encounter_id: str, unit: str, before: int
) -> list[JointDecision]:
    """The ``joint_operation`` decisions filed under unit ``unit``'s encounter of the id
    before ledger index ``before``, as their entries (read in this transaction) say: a
    row edited behind the ledger's back fails closed, never clears a flag."""
    rows = joint_decision_rows(conn, encounter_id, unit, before)
    checked = checked_rows(conn, "decisions", rows)
    # ``ledger verify``'s own reading of each record (``index_rows.joint_decision``).
    made = [joint_decision(expected["document"]) for expected, _ in checked]
    return [j for j in made if j is not None]


def _check_versions(
    conn: Connection, written: Sequence[tuple[IndexData, Appended]]
) -> Refusal | None:
    """The decisions made under a pack version that is no longer the newest (the first
    such version's; the others are checked again when the rest is committed)."""
    made_under: dict[int, list[int]] = {}
    for position, (data, _) in enumerate(written):
        if isinstance(data, DecisionIndex):
            made_under.setdefault(data.seq, []).append(position)
    for seq, positions in made_under.items():
        if current_seq(conn) != seq:
            changed = PackChanged(f"the directive pack changed after version {seq}")
            return Refusal(changed, frozenset(positions))
    return None


def _bound(
    table: Table, columns: Sequence[str], values: Sequence[Any], conn: Connection
) -> tuple[Any, ...]:
    """The row's values as its columns' own types bind them (``UTCDateTime`` refuses a
    naive timestamp), for ``insert_rows``, which goes to the driver directly."""
    dialect = conn.dialect
    return tuple(
        kind.process_bind_param(value, dialect) if isinstance(kind, TypeDecorator) else value
        for kind, value in zip((table.c[name].type for name in columns), values, strict=True)
    )
