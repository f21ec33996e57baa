"""Recording what was done: an event, flagged when the action it reports stands out
(docs/api.md, "Events and flags"), appended with its index row and its encounter's row
in one transaction (``index_writes``); returned once durable."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from liaison.gateway.acting import require_acting_for
from liaison.gateway.encounters import require_unit
from liaison.gateway.events import ACTION_KINDS, Event
from liaison.gateway.index_rows import event_row
from liaison.gateway.index_writes import EventIndex
from liaison.gateway.records import event_record
from liaison.ledger.entries import NewEntry
from liaison.model.timestamps import check_representable
from liaison.storage.tables import decisions

if TYPE_CHECKING:
    from liaison.gateway.auth import Principal
    from liaison.gateway.service import Gateway


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    id: str
    ledger_index: int
    flagged: str | None


def record_event(gw: Gateway, event: Event, who: Principal) -> RecordedEvent:
    """Record ``event`` as ``who``; returned once durable."""
    require_acting_for(who, event.actor, "record")
    require_unit(event.actor, event.encounter)
    check_representable(event.at, "at", gw.policy.pack.timezone)
    event_id = event.id or f"evt-{uuid.uuid4().hex}"
    flag = flag_of(gw, event, who)
    document, personal = event_record(event_id, event, flag)
    now = datetime.now(UTC)
    entry = NewEntry("event", document, event.actor.id, personal, recorded_at=now)
    # The row ``ledger verify`` holds it to (``index_rows.event_row``), but its ledger index
    # and the unit owning its encounter (both known in the transaction).
    row = event_row(0, {"record": document, "recorded_at": now})
    del row["ledger_index"]
    row["document"] = json.dumps(document, ensure_ascii=False)
    appended = gw.committer.submit(entry, EventIndex(event, row))
    return RecordedEvent(event_id, appended.index, flag)


# Why a reported action stands out (``flag_of``), and what each reason means to a reader
# (docs/api.md, "Events and flags"); the queries and reports read their names here.
EVENT_FLAGS = {
    "no_decision": "carried out with no decision cited",
    "decision_not_found": "citing a decision that does not exist (or the reporting key may "
    "not read)",
    "decision_by_another_actor": "citing another officer's decision",
    "decision_denied": "carried out after it was denied",
    "action_differs_from_decision": "another action than the one decided",
    "decision_after_action": "decided only after it was carried out",
}


def flag_of(gw: Gateway, event: Event, who: Principal) -> str | None:
    """Why a reported action stands out, or None: no decision cited, one not found (or
    not one the reporting key may read: existence is not revealed, and an auditor can
    still look the id up), one made by another actor (the permit was someone else's,
    whatever it said), denied, for another action, or made after the action.

    Decision ids are per actor: the cited id names the event actor's own decision of
    that id if there is one, else one the key may read of another actor."""
    if event.kind not in ACTION_KINDS:
        return None
    if event.decision_id is None:
        return "no_decision"
    with gw.db.connect() as conn:
        found = conn.execute(select(decisions).where(decisions.c.id == event.decision_id)).all()
    # The entries' values, each row verified against its entry first (fails closed).
    rows = [gw.index.verified("decisions", dict(f._mapping))[0] for f in found]
    readable = [r for r in rows if who.may_read(r["actor_id"], r["unit"])]
    own = [r for r in readable if r["actor_id"] == event.actor.id]
    if not own:
        return "decision_by_another_actor" if readable else "decision_not_found"
    row = own[0]
    if row["decision"] != "permit":
        return "decision_denied"
    action = event.reported_action()
    if action is not None and action.value != row["action"]:
        return "action_differs_from_decision"
    if row["at"] > event.at:
        return "decision_after_action"
    return None
