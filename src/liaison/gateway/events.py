"""Events: what was actually done, recorded after the fact and linked to the decision
that allowed it (``POST /v1/events``; ``Gateway.record``).

An event that reports an action (an inquiry made, information shared, a notification
sent, a handover, a transport, an arrest) without a prior permitting decision is
recorded and flagged, never dropped. Encounter events (a traffic stop, a checkpoint
with federal partners, an arrest) open and close encounters; a checkpoint's declared
purpose is kept beside what its records show was done.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from liaison.model.request import MAX_ITEMS, Actor, Instant, Name, Party
from liaison.model.vocabulary import Action, EncounterKind


class EventKind(StrEnum):
    ACTION_CARRIED_OUT = "action_carried_out"
    NOTIFICATION_SENT = "notification_sent"
    HANDOVER = "handover"
    TRANSPORT = "transport"
    ARREST = "arrest"
    ENCOUNTER_STARTED = "encounter_started"
    ENCOUNTER_ENDED = "encounter_ended"


# Kinds that report an action taken, which a permitting decision must precede.
ACTION_KINDS = frozenset(
    {
        EventKind.ACTION_CARRIED_OUT,
        EventKind.NOTIFICATION_SENT,
        EventKind.HANDOVER,
        EventKind.TRANSPORT,
        EventKind.ARREST,
    }
)
IMPLIED_ACTION = {
    EventKind.NOTIFICATION_SENT: Action.SHARE_INFORMATION,
    EventKind.HANDOVER: Action.CUSTODY_TRANSFER,
    EventKind.TRANSPORT: Action.TRANSPORT,
    EventKind.ARREST: Action.ARREST,
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Location(_Strict):
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]


class EncounterOutcome(_Strict):
    """What an encounter came to: vehicles stopped, infractions, arrests (counts)."""

    vehicles_stopped: Annotated[StrictInt, Field(ge=0)] = 0
    infractions: Annotated[StrictInt, Field(ge=0)] = 0
    arrests: Annotated[StrictInt, Field(ge=0)] = 0


class EncounterInfo(_Strict):
    """An encounter or operation: a traffic stop, a checkpoint, an arrest.

    It belongs to the unit of the actor who opened it and to the units it names as
    ``participants`` (only that unit may name them; absent: unchanged). Its id is that
    unit's: another unit's encounter of the same id is another encounter
    (``liaison.gateway.encounters``)."""

    kind: EncounterKind
    id: Name
    participants: Annotated[list[Name], Field(max_length=64)] | None = None
    district: Name | None = None
    place: Annotated[str, Field(max_length=512)] | None = None
    location: Location | None = None
    agencies: Annotated[list[Party], Field(max_length=MAX_ITEMS)] = []
    declared_purpose: Annotated[str, Field(max_length=2000)] | None = None
    outcome: EncounterOutcome | None = None


class Event(_Strict):
    """Something done, reported after the fact."""

    id: Name | None = None
    at: Instant
    kind: EventKind
    actor: Actor
    decision_id: Name | None = None
    action: Action | None = None
    # The person the event concerns, if any: kept in the personal part with ``note`` (and an
    # encounter's ``place`` and ``location``), erased by ``liaison ledger erase --subject``.
    subject_id: Name | None = None
    encounter: EncounterInfo | None = None
    note: Annotated[str, Field(max_length=2000)] | None = None

    def reported_action(self) -> Action | None:
        return self.action or IMPLIED_ACTION.get(self.kind)
