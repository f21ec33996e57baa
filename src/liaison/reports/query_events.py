"""Querying recorded events (issue 10, item 1; docs/api.md, "Querying the records"): what
``GET /v1/events``, ``GET /v1/stats/events`` and ``liaison query events`` list and count,
as ``liaison.reports.query`` lists decisions. An event row is served once it agrees with
its ledger entry; its ``flagged`` column (docs/api.md, "Events and flags") is one of the
filters and group keys.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement

from liaison.gateway.events import EventKind
from liaison.gateway.recording import EVENT_FLAGS
from liaison.model.timestamps import render
from liaison.model.vocabulary import EncounterKind
from liaison.reports.query import ZONE, Listing, Row, verified_records
from liaison.reports.query_filter import (
    ANY,
    NONE,
    Condition,
    Filters,
    equals,
    flag_condition,
    record_scope,
    under_encounter,
    vocabulary,
)
from liaison.storage.tables import events

_FLAGGED: ColumnElement[bool] = events.c.flagged.is_not(None)
_KEYS: dict[str, Condition] = {
    "kind": equals(events, "kind"),
    "flag": flag_condition(_FLAGGED, equals(events, "flagged")),
    "unit": equals(events, "unit"),
    "actor": equals(events, "actor_id"),
    "encounter": equals(events, "encounter_id"),
    "district": under_encounter(events, "district"),
    "encounter_kind": under_encounter(events, "kind"),
    "decision": equals(events, "decision_id"),
}
EVENT_FILTERS = Filters(
    "events",
    events,
    "at",
    _KEYS,
    {
        "kind": vocabulary(EventKind),
        "flag": (ANY, NONE, *EVENT_FLAGS),  # why one stands out (docs/api.md, "Events and flags")
        "encounter_kind": vocabulary(EncounterKind),
    },
    record_scope(events),
)
CSV_COLUMNS = (
    "id",
    "ledger_index",
    "at",
    "kind",
    "action",
    "actor_id",
    "unit",
    "decision_id",
    "flagged",
    "encounter_id",
)


def item(row: Row) -> dict[str, Any]:
    """A verified event row as served: its columns, ``at`` in D.C.'s zone with its offset
    (docs/api.md, "Times"), the action it reports (if any) and its public record (no
    personal data)."""
    record = row["document"]
    return {
        "id": row["id"],
        "ledger_index": row["ledger_index"],
        "at": render(row["at"], ZONE),
        "kind": row["kind"],
        "action": record.get("action"),
        "actor_id": row["actor_id"],
        "unit": row["unit"],
        "decision_id": row["decision_id"],
        "flagged": row["flagged"],
        "encounter_id": row["encounter_id"],
        "record": record,
    }


EVENTS = Listing(
    EVENT_FILTERS,
    ("ledger_index",),
    verified_records("events", "event"),
    item,
    {
        "kind": events.c.kind,
        "flag": events.c.flagged,
        "unit": events.c.unit,
        "actor": events.c.actor_id,
        "month": None,
    },
    CSV_COLUMNS,
)
