"""Deciding and recording: a decision is returned only once it is durable in the ledger.

``submit`` evaluates a request against the directives in force and queues the decision's
ledger entry, with its index row, to the group committer; ``wait_durable`` waits for that
commit. A permit is never returned that is not durable in the ledger; if recording fails,
the caller gets an error, never a decision. Each decision commits only if the pack version
it was made under is still the newest inside its transaction
(``index_writes.write_index``); otherwise it is made again under the new one.

The decision stays a typed ``Decision`` (with the zone its instants are shown in) until
the edge that renders it (``liaison.api``); only the ledger record holds it rendered.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from liaison.errors import Conflict, LiaisonError, PackChanged, Unavailable
from liaison.gateway.acting import require_acting_for
from liaison.gateway.encounters import require_unit
from liaison.gateway.index_rows import decision_row, decision_sides
from liaison.gateway.index_writes import DecisionIndex
from liaison.gateway.records import decision_record
from liaison.ledger.entries import NewEntry
from liaison.ledger.sequencer import Appended
from liaison.model.decision import Decision, decision_from_dict
from liaison.model.request import ActionRequest
from liaison.storage.tables import decisions

if TYPE_CHECKING:
    from liaison.gateway.auth import Principal
    from liaison.gateway.service import Gateway

# How many times a decision is made again because the pack changed before it committed.
PACK_RETRIES = 5


@dataclass(frozen=True, slots=True)
class RecordedDecision:
    """A decision durable in the ledger at ``ledger_index``; its instants are shown in
    ``zone`` (the pack's) when it is rendered (``Decision.to_dict``)."""

    id: str
    decision: Decision
    zone: tzinfo
    ledger_index: int
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class Pending:
    """A decision made and queued for the ledger, not yet durable (never returned as is)."""

    request: ActionRequest
    who: Principal
    decision: Decision  # its id is the record's
    zone: tzinfo
    public: dict[str, Any]  # the request without personal data, as its index row holds it
    personal: dict[str, Any] | None
    future: Future[Appended]

    def recorded(self, appended: Appended) -> RecordedDecision:
        return RecordedDecision(self.id, self.decision, self.zone, appended.index)

    @property
    def id(self) -> str:
        return str(self.decision.id)


def submit(gw: Gateway, request: ActionRequest, who: Principal) -> Pending:
    """Decide ``request`` and queue its ledger entry (with its index row), to commit only
    while the pack it was decided under is the newest."""
    require_acting_for(who, request.actor, "decide")
    require_unit(request.actor, request.encounter)
    rules = gw.rules
    policy = rules.engine
    if policy is None:
        raise gw.refusal()
    decided = policy.decide(request)  # refuses an instant it cannot represent
    decision = decided._replace(id=request.id or f"dec-{uuid.uuid4().hex}")
    zone = policy.pack.timezone
    record, personal = decision_record(request, decision, zone)
    now = datetime.now(UTC)
    entry = NewEntry("decision", record, request.actor.id, personal, recorded_at=now)
    row = _decision_row(record, now)  # off the commit thread
    under = (request.encounter.id, str(request.actor.unit)) if request.encounter else None
    sides = decision_sides(record)
    future = gw.committer.enqueue(entry, DecisionIndex(row, rules.seq, under, sides))
    return Pending(request, who, decision, zone, record["request"], personal, future)


def _decision_row(record: dict[str, Any], recorded_at: datetime) -> dict[str, Any]:
    """The decision's index row but its ledger index (known once it is appended): what
    ``ledger verify`` holds it to (``index_rows.decision_row``), and the unit whose
    encounter it is under (the actor's, unless ``index_writes`` files it under a
    participant's)."""
    row = decision_row(0, {"record": record, "recorded_at": recorded_at})
    del row["ledger_index"]
    encounter = record["request"].get("encounter")
    row["encounter_unit"] = record["request"]["actor"].get("unit") if encounter else None
    row["document"] = json.dumps(record, ensure_ascii=False)
    return row


def wait_durable(gw: Gateway, pending: Pending) -> RecordedDecision:
    """Wait until ``pending`` is durable; a decision is returned only then. One that met
    a pack change before it committed is made again under the new pack."""
    for attempt in range(PACK_RETRIES):
        try:
            appended = pending.future.result()
        except PackChanged:
            if attempt == PACK_RETRIES - 1:
                break  # nothing is left queued: the refusal below is the whole answer
            gw.reload()
            pending = submit(gw, pending.request, pending.who)
            continue
        except IntegrityError:
            # The id is taken (the primary key said so, atomically): a retry of the same
            # request gets the recorded decision back; anything else is a conflict.
            existing = existing_decision(gw, pending)
            if existing is None:
                raise
            return existing
        return pending.recorded(appended)
    raise Unavailable("the directive pack kept changing; the request was not decided")


def existing_decision(gw: Gateway, pending: Pending) -> RecordedDecision | None:
    """An idempotent retry returns the recorded decision; a different request is a conflict.

    An id is the actor's (an idempotency key scoped to the actor the record is made for):
    only the same actor's decision of that id is compared, which the caller, who may act
    for that actor, may read; another actor's is another record. The request is compared
    whole with the entry the index row points to (verified against the row and its leaf
    hash): its public part, and its personal part (subject id, case number: kept apart,
    in the ledger only).
    """
    decision_id = pending.id
    with gw.db.connect() as conn:
        row = conn.execute(
            select(decisions).where(
                decisions.c.id == decision_id,
                decisions.c.actor_id == pending.request.actor.id,
            )
        ).one_or_none()
    if row is None:
        return None
    expected, entry = gw.index.verified("decisions", dict(row._mapping))
    document = expected["document"]
    if document["request"] != pending.public or entry.personal != pending.personal:
        raise Conflict(f"decision id {decision_id!r} was already used for a different request")
    recorded = decision_from_dict(document["decision"])
    return RecordedDecision(decision_id, recorded, pending.zone, entry.index, True)


def decide_many(
    gw: Gateway, requests: Sequence[ActionRequest], who: Principal
) -> list[RecordedDecision | LiaisonError]:
    """Decide and record each request, in order, as one stream into the group committer
    (a batch of N costs about N/256 commits, not N). Each item stands alone: its
    recorded decision, or the error (forbidden, invalid, conflict) that refused it."""
    pending: list[Pending | LiaisonError] = []
    for request in requests:
        try:
            pending.append(submit(gw, request, who))
        except LiaisonError as exc:
            pending.append(exc)
    out: list[RecordedDecision | LiaisonError] = []
    for item in pending:
        if isinstance(item, LiaisonError):
            out.append(item)
            continue
        try:
            out.append(wait_durable(gw, item))
        except LiaisonError as exc:
            out.append(exc)
    return out
