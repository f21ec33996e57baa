"""Querying encounters (issue 10, item 1; docs/api.md, "Querying the records"): what
``GET /v1/encounters``, ``GET /v1/stats/encounters`` and ``liaison query encounters`` list
and count, as ``liaison.reports.query`` lists decisions, in (``started_at``, id, unit)
order (an encounter no event started sorts last).

Who reads one is ``GET /v1/encounters/{id}``'s rule (``gateway.encounters.read_encounter``):
auditors all; a supervisor's or officer's key those of its unit (opened by it, or naming
it as a participant) under which it may read a decision or an event. An encounter is
served only once its row is what its event entries make, replayed in ledger order beside
its ``joint_operation`` decisions, every one of them checked against its entry
(``IndexReader.check_encounter``). Its ``flagged`` list (``gateway.encounter_flags``), its
agencies and its participants are JSON in its row: they are filtered with
``query_json.JsonHas``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    and_,
    exists,
    false,
    literal_column,
    or_,
    select,
    true,
    tuple_,
    union_all,
)

from liaison.errors import IntegrityFailure
from liaison.gateway.auth import Principal
from liaison.gateway.encounter_flags import ENCOUNTER_FLAGS, JOINT_OPERATION, JointDecision
from liaison.gateway.encounters import members
from liaison.gateway.index_reads import IndexReader
from liaison.gateway.index_rows import instant
from liaison.model.timestamps import render
from liaison.model.vocabulary import EncounterKind, RecipientType
from liaison.reports.query import ZONE, Listing, Row, Side
from liaison.reports.query_filter import (
    ANY,
    NONE,
    Condition,
    Filter,
    Filters,
    Values,
    equals,
    flag_condition,
    record_scope,
    vocabulary,
)
from liaison.reports.query_json import JsonHas
from liaison.storage.tables import decisions, encounters, events

_E = encounters.c


def _unit(values: Values, _: Filter) -> ColumnElement[bool]:
    """Opened by one of the units, or naming one as a participant."""
    return or_(_E.unit.in_(values), JsonHas(_E.participants, None, values))


def _flagged(values: Values, _: Filter) -> ColumnElement[bool]:
    return JsonHas(_E.document, "flagged", values)


def _agency(key: str) -> Condition:
    return lambda values, _: JsonHas(_E.document, "agencies", values, key)


def scope(who: Principal) -> ColumnElement[bool]:
    """What ``who`` may read (module docstring) as a condition on ``encounters``."""
    mine = {table: record_scope(table)(who) for table in (decisions, events)}  # or Forbidden
    if who.reads_everything:
        return true()
    if who.unit is None:
        return false()
    member = or_(_E.unit == who.unit, JsonHas(_E.participants, None, [who.unit]))
    readable = [
        exists(
            select(t.c.ledger_index).where(
                t.c.encounter_id == _E.id, t.c.encounter_unit == _E.unit, condition
            )
        )
        for t, condition in mine.items()
    ]
    return and_(member, or_(*readable))


ENCOUNTER_FILTERS = Filters(
    "encounters",
    encounters,
    "started_at",
    {
        "kind": equals(encounters, "kind"),
        "district": equals(encounters, "district"),
        "unit": _unit,
        "flag": flag_condition(JsonHas(_E.document, "flagged", None), _flagged),
        "agency_type": _agency("type"),
        "agency": _agency("agency"),
    },
    {
        "kind": vocabulary(EncounterKind),
        "flag": (ANY, NONE, *ENCOUNTER_FLAGS),
        "agency_type": vocabulary(RecipientType),
    },
    scope,
)


def verify(engine: Engine, reader: IndexReader, who: Principal, found: list[Row]) -> list[Row]:
    """A page's encounter rows, each once it is what its event entries make (beside its
    ``joint_operation`` decisions), every row under it checked against its entry, and
    readable by ``who`` as ``GET /v1/encounters/{id}`` reads it."""
    if not found:
        return []
    listed = sorted({(r["id"], r["unit"]) for r in found})
    under: dict[tuple[str, str], dict[str, list[Row]]] = defaultdict(lambda: defaultdict(list))
    with engine.connect() as conn:
        for table in (events, decisions):
            c = table.c
            mine = tuple_(c.encounter_id, c.encounter_unit).in_(listed)
            # the ids alone as well, and no index to sort by: else SQLite walks the whole
            # table in ledger order (0.9 s a page over a year of a large department's)
            ids = c.encounter_id.in_(sorted({i for i, _ in listed}))
            query = select(table).where(ids, mine).order_by(c.ledger_index + 0)
            stored = [dict(r._mapping) for r in conn.execute(query)]
            checked = reader.verified_many(table.name, stored)
            for row, expected in zip(stored, checked, strict=True):
                under[(row["encounter_id"], row["encounter_unit"])][table.name].append(expected)
    for row in found:
        records = under[(row["id"], row["unit"])]
        joint = [
            (d["ledger_index"], JointDecision(d["at"], d["decision"]))
            for d in records["decisions"]
            if d["action"] == JOINT_OPERATION
        ]
        reader.check_encounter(row, records["events"], joint)
        everything = [*records["events"], *records["decisions"]]
        readable = who.unit in members(row) and any(
            who.may_read(r["actor_id"], r["unit"]) for r in everything
        )
        if not (who.reads_everything or readable):
            raise IntegrityFailure("a listed encounter is outside the reader's scope")
    return found


def item(row: Row) -> dict[str, Any]:
    """A verified encounter row as served: as declared (no personal data: its place and
    location are read one at a time, ``GET /v1/encounters/{id}``), its times in D.C.'s
    zone with their offset, and why it is flagged."""
    document = json.loads(row["document"])
    return {
        "id": row["id"],
        "unit": row["unit"],
        "participants": json.loads(row["participants"]),
        "kind": row["kind"],
        "district": row["district"],
        "started_at": _eastern(row["started_at"]),
        "ended_at": _eastern(row["ended_at"]),
        "flagged": document.get("flagged", []),
        "agencies": document.get("agencies", []),
        "declared_purpose": document.get("declared_purpose"),
        "outcome": document.get("outcome"),
    }


def _eastern(value: object) -> str | None:
    """An instant in D.C.'s zone with its offset (docs/api.md, "Times"), or None."""
    moment = instant(value)
    return None if moment is None else render(moment, ZONE)


# The flags as a table of one column, to join each encounter to each flag it has.
_FLAGS = union_all(
    *(select(literal_column(f"'{f}'").label("flag")) for f in ENCOUNTER_FLAGS)
).subquery("encounter_flag")
CSV_COLUMNS = (
    "id",
    "unit",
    "participants",
    "kind",
    "district",
    "started_at",
    "ended_at",
    "flagged",
    "declared_purpose",
)
ENCOUNTERS = Listing(
    ENCOUNTER_FILTERS,
    ("id", "unit"),
    verify,
    item,
    {
        "kind": _E.kind,
        "district": _E.district,
        "unit": _E.unit,
        "flag": Side(_FLAGS, JsonHas(_E.document, "flagged", [_FLAGS.c.flag]), _FLAGS.c.flag),
        "month": None,
    },
    CSV_COLUMNS,
)
