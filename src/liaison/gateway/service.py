"""The gateway service: decide and record, record what was done, read it back.

``decide_and_record`` evaluates a request against the directives in force, appends the
decision to the ledger and returns both: the ledger entry and the row that indexes it
commit in one transaction (shared with concurrent requests by group commit), and the
decision is returned only after that commit. A permit is never returned that is not
durable in the ledger; if recording fails, the caller gets an error, never a decision.

Decisions are made under the newest recorded version of the directive pack
(``liaison.gateway.packs``). Each one commits only if that version is still the newest
inside its transaction; otherwise it is made again under the new one. So in the ledger
every decision after a ``pack_change`` entry was made under that change, whichever
process or host made it.
"""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table, insert, select, update
from sqlalchemy.exc import IntegrityError

from liaison.errors import (
    Conflict,
    Forbidden,
    IntegrityFailure,
    InvalidRequest,
    LiaisonError,
    NotFound,
    PackChanged,
    PackError,
    StalePack,
    Unavailable,
)
from liaison.gateway.auth import Principal
from liaison.gateway.committer import Check, GroupCommitter, SideEffect
from liaison.gateway.encounters import owner_unit, read_encounter, record_encounter, require_unit
from liaison.gateway.events import ACTION_KINDS, Event
from liaison.gateway.index_reads import IndexReader
from liaison.gateway.pack_ledger import LedgerPackStore, verified_pack
from liaison.gateway.packs import PackStore, PreparedChange, StoredPack, current_seq, prepare_change
from liaison.gateway.records import decision_record, event_record, only_one
from liaison.gateway.roles import KeyRole
from liaison.ledger.entries import NewEntry
from liaison.ledger.store import Appended, Ledger
from liaison.logs import get_logger
from liaison.model.decision import Decision
from liaison.model.request import ActionRequest, Actor
from liaison.model.timestamps import check_representable
from liaison.model.vocabulary import ActorRole
from liaison.policy.engine import Engine as PolicyEngine
from liaison.policy.loader import load_pack_files
from liaison.policy.pack_files import PackFiles
from liaison.storage.tables import decisions, events

log = get_logger("liaison.gateway")

# How many times a decision is made again because the pack changed before it committed.
PACK_RETRIES = 5


@dataclass(frozen=True, slots=True)
class _Rules:
    """The pack version decisions are made under: its ``seq`` (0: none recorded), the
    engine built from it, and the in-transaction check that it is still the newest. No
    engine: nothing is decided, because of ``fault`` (the pack in the database disagrees
    with the ledger) or because no pack is recorded."""

    seq: int
    engine: PolicyEngine | None
    check: Check
    fault: str | None = None


def _rules(seq: int, engine: PolicyEngine | None, fault: str | None = None) -> _Rules:
    def check(conn: Connection) -> None:
        if current_seq(conn) != seq:
            raise PackChanged(f"the directive pack changed after version {seq}")

    return _Rules(seq, engine, check, fault)


@dataclass(frozen=True, slots=True)
class RecordedDecision:
    id: str
    decision: dict[str, Any]
    ledger_index: int
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    id: str
    ledger_index: int
    flagged: str | None


@dataclass(frozen=True, slots=True)
class _Pending:
    """A decision made and queued for the ledger, not yet durable (never returned as is)."""

    request: ActionRequest
    who: Principal
    id: str
    decision: dict[str, Any]
    public: dict[str, Any]  # the request without personal data, as its index row holds it
    personal: dict[str, Any] | None
    future: Future[Appended]


class Gateway:
    def __init__(
        self, policy: PolicyEngine | None, ledger: Ledger, db: Engine, seq: int = 0
    ) -> None:
        """``policy`` decides until a pack is recorded in ``db``; from then on, the newest
        pack the ledger recorded does (``record_pack``, ``change_pack``), checked against
        the ledger (``pack_ledger.verified_pack``). None: load it from the ledger now.
        ``seq``: the recorded version ``policy`` was built from (0: none)."""
        self.ledger = ledger
        self.db = db
        self.committer = GroupCommitter(ledger)
        self.packs: PackStore = LedgerPackStore(db, ledger)  # versions from the ledger
        self.index = IndexReader(ledger)
        self._rules_lock = threading.Lock()
        self._rules = _rules(seq, policy)
        self._reload(force=policy is None)

    @property
    def policy(self) -> PolicyEngine:
        """The engine of the newest pack this process knows of; ``IntegrityFailure`` when
        the pack in the database disagrees with the ledger (nothing is decided)."""
        engine = self._rules.engine
        if engine is None:
            raise self._refusal()
        return engine

    def fault(self) -> str | None:
        """Why this process refuses to decide (None: it decides)."""
        rules = self._rules
        if rules.fault is not None:
            return rules.fault
        return None if rules.engine is not None else "no directive pack is recorded"

    def _refusal(self) -> LiaisonError:
        fault = self._rules.fault
        if fault is not None:
            return IntegrityFailure(f"nothing is decided: {fault}")
        return Unavailable("no directive pack is recorded; nothing is decided")

    def current_policy(self) -> PolicyEngine:
        """The engine of the newest recorded pack (one query, to see other processes' changes)."""
        if self.packs.seq() != self._rules.seq:
            self._reload()
        return self.policy

    def close(self) -> None:
        self.committer.close()

    # -- the directive pack -------------------------------------------------------------

    def _reload(self, *, force: bool = False) -> None:
        """Load the newest pack the ledger recorded, once it agrees with the database's
        rows; on any difference decide nothing (fail closed, logged) until a later
        reload finds them agreeing again."""
        with self._rules_lock:
            seq = self.packs.seq()
            if seq == self._rules.seq and not force:  # another caller reloaded it already
                return
            try:
                stored = verified_pack(self.ledger)
                if stored is None:
                    return  # none recorded (and no row claims one): ``policy`` decides
                if stored.seq != self._rules.seq or self._rules.engine is None or force:
                    engine = PolicyEngine(load_pack_files(stored.files))
                    self._rules = _rules(stored.seq, engine)
            except (IntegrityFailure, PackError) as exc:
                log.error("pack_refused", seq=seq, problem=str(exc))
                self._rules = _rules(seq, None, str(exc))

    def _install(self, seq: int, engine: PolicyEngine) -> None:
        with self._rules_lock:
            if seq > self._rules.seq:
                self._rules = _rules(seq, engine)

    def change_pack(
        self,
        who: Principal,
        *,
        reason: str,
        base: str | None,
        changes: dict[str, str | None] | None = None,
        whole: PackFiles | None = None,
    ) -> StoredPack:
        """Change the pack in force (admins only): validate the whole new pack, append the
        change to the ledger with its row, and decide under it from then on."""
        who.require(KeyRole.ADMIN)
        prepared = prepare_change(
            self.packs.latest(),  # the ledger's version, never an edited row
            changes,
            actor=who.actor_id,
            reason=reason,
            base=base,
            whole=whole,
        )
        return self._commit_pack(prepared)

    def record_pack(self, files: PackFiles, *, actor: str, reason: str) -> StoredPack | None:
        """Record ``files`` as the first pack of a deployment that has none (at start-up);
        None if one is recorded already (by this or another process)."""
        if self.packs.seq() > 0:
            self._reload()
            return None
        try:
            prepared = prepare_change(
                None, None, actor=actor, reason=reason, base=None, whole=files
            )
            return self._commit_pack(prepared)
        except StalePack:  # another process recorded the first pack meanwhile
            self._reload()
            return None

    def _commit_pack(self, prepared: PreparedChange) -> StoredPack:
        engine = PolicyEngine(prepared.pack)  # built before anything is written
        stored = prepared.stored(self.committer.submit(prepared.entry, prepared.write))
        self._install(stored.seq, engine)
        return stored

    # -- deciding -----------------------------------------------------------------

    def decide_and_record(self, request: ActionRequest, who: Principal) -> RecordedDecision:
        return self._recorded(self._submit(request, who))

    async def decide_and_record_async(
        self, request: ActionRequest, who: Principal
    ) -> RecordedDecision:
        """``decide_and_record`` on an event loop: the decision is made on the calling
        thread (it reads no database) and the commit is awaited without holding a thread;
        only a failed append (a retried id is looked up, or a decision is made again after a
        pack change) goes to a worker thread."""
        pending = self._submit(request, who)
        done = asyncio.wrap_future(pending.future)
        # wait() never cancels the future: the committer resolves every job it dequeued.
        await asyncio.wait([done])
        if done.exception() is None:
            return RecordedDecision(pending.id, pending.decision, done.result().index)
        return await asyncio.to_thread(self._recorded, pending)

    def decide_and_record_many(
        self, requests: Sequence[ActionRequest], who: Principal
    ) -> list[RecordedDecision | LiaisonError]:
        """Decide and record each request, in order, as one stream into the group committer
        (a batch of N costs about N/256 commits, not N). Each item stands alone: its
        recorded decision, or the error (forbidden, invalid, conflict) that refused it."""
        pending: list[_Pending | LiaisonError] = []
        for request in requests:
            try:
                pending.append(self._submit(request, who))
            except LiaisonError as exc:
                pending.append(exc)
        out: list[RecordedDecision | LiaisonError] = []
        for item in pending:
            if isinstance(item, LiaisonError):
                out.append(item)
                continue
            try:
                out.append(self._recorded(item))
            except LiaisonError as exc:
                out.append(exc)
        return out

    def _submit(self, request: ActionRequest, who: Principal) -> _Pending:
        """Decide ``request`` and queue its ledger entry (with its index row), to commit
        only while the pack it was decided under is the newest."""
        _require_acting_for(who, request.actor, "decide")
        require_unit(request.actor, request.encounter)
        rules = self._rules
        policy = rules.engine
        if policy is None:
            raise self._refusal()
        decision = policy.decide(request)  # refuses an instant it cannot represent
        decision_id = request.id or f"dec-{uuid.uuid4().hex}"
        record, personal = decision_record(policy, decision_id, request, decision)
        now = datetime.now(UTC)
        entry = NewEntry("decision", record, request.actor.id, personal, recorded_at=now)
        row = _decision_row(decision_id, now, request, decision, record)  # off the commit thread

        def index(at: Appended) -> list[tuple[Table, dict[str, Any]]]:
            return [(decisions, {**row, "ledger_index": at.index})]

        under = _under_encounter(request) if request.encounter else None
        future = self.committer.enqueue(entry, under, index, rules.check)
        return _Pending(
            request, who, decision_id, record["decision"], record["request"], personal, future
        )

    def _recorded(self, pending: _Pending) -> RecordedDecision:
        """Wait until ``pending`` is durable; a decision is returned only then. One that
        met a pack change before it committed is made again under the new pack."""
        for attempt in range(PACK_RETRIES):
            try:
                appended = pending.future.result()
            except PackChanged:
                if attempt == PACK_RETRIES - 1:
                    break  # nothing is left queued: the refusal below is the whole answer
                self._reload()
                pending = self._submit(pending.request, pending.who)
                continue
            except IntegrityError:
                # The id is taken (the primary key said so, atomically): a retry of the same
                # request gets the recorded decision back; anything else is a conflict.
                existing = self._existing_decision(pending)
                if existing is None:
                    raise
                return existing
            return RecordedDecision(pending.id, pending.decision, appended.index)
        raise Unavailable("the directive pack kept changing; the request was not decided")

    def _existing_decision(self, pending: _Pending) -> RecordedDecision | None:
        """An idempotent retry returns the recorded decision; a different request is a conflict.

        An id is the actor's (an idempotency key scoped to the actor the record is made for):
        only the same actor's decision of that id is compared, which the caller, who may
        act for that actor, may read; another actor's is another record. The request is
        compared whole with the entry the index row points to (verified against the row and
        its leaf hash): its public part, and its personal part (subject id, case number:
        kept apart, in the ledger only).
        """
        decision_id = pending.id
        with self.db.connect() as conn:
            row = conn.execute(
                select(decisions).where(
                    decisions.c.id == decision_id,
                    decisions.c.actor_id == pending.request.actor.id,
                )
            ).one_or_none()
        if row is None:
            return None
        expected, entry = self.index.verified("decisions", dict(row._mapping))
        document = expected["document"]
        if document["request"] != pending.public or entry.personal != pending.personal:
            raise Conflict(f"decision id {decision_id!r} was already used for a different request")
        return RecordedDecision(decision_id, document["decision"], entry.index, True)

    # -- recording what was done ------------------------------------------------------

    def record(self, event: Event, who: Principal) -> RecordedEvent:
        _require_acting_for(who, event.actor, "record")
        require_unit(event.actor, event.encounter)
        check_representable(event.at, "at", self.policy.pack.timezone)
        event_id = event.id or f"evt-{uuid.uuid4().hex}"
        flag = self._flag(event, who)
        document, personal = event_record(event_id, event, flag)
        now = datetime.now(UTC)
        entry = NewEntry("event", document, event.actor.id, personal, recorded_at=now)

        def index(conn: Connection, at: Appended) -> None:
            mine = (events.c.id == event_id, events.c.actor_id == event.actor.id)
            if conn.execute(select(events.c.id).where(*mine)).first():  # the actor's own id
                raise Conflict(f"event id {event_id!r} was already recorded")
            owner = record_encounter(conn, event) if event.encounter is not None else None
            conn.execute(
                insert(events),
                [
                    {
                        "id": event_id,
                        "ledger_index": at.index,
                        "recorded_at": now,
                        "at": event.at,
                        "kind": event.kind.value,
                        "actor_id": event.actor.id,
                        "unit": event.actor.unit,
                        "decision_id": event.decision_id,
                        "flagged": flag,
                        "encounter_id": event.encounter.id if event.encounter else None,
                        "encounter_unit": owner,
                        "document": json.dumps(document, ensure_ascii=False),
                    }
                ],
            )

        appended = self.committer.submit(entry, index)
        return RecordedEvent(event_id, appended.index, flag)

    def _flag(self, event: Event, who: Principal) -> str | None:
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
        with self.db.connect() as conn:
            found = conn.execute(select(decisions).where(decisions.c.id == event.decision_id)).all()
        # The entries' values, each row verified against its entry first (fails closed).
        rows = [self.index.verified("decisions", dict(f._mapping))[0] for f in found]
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

    # -- reading --------------------------------------------------------------------

    def decision(
        self, decision_id: str, who: Principal, actor: str | None = None
    ) -> dict[str, Any]:
        """The decision of ``decision_id`` that ``who`` may read (of ``actor``, if named):
        ids are per actor, so a key that may read several is asked to name one."""
        if "\x00" in decision_id or "\x00" in (actor or ""):  # PostgreSQL text holds no NUL
            raise NotFound(f"no decision {decision_id!r}")
        query = select(decisions).where(decisions.c.id == decision_id)
        if actor is not None:
            query = query.where(decisions.c.actor_id == actor)
        with self.db.connect() as conn:
            found = conn.execute(query).all()
        rows = [self.index.verified("decisions", dict(r._mapping))[0] for r in found]
        expected = only_one(
            [r for r in rows if who.may_read(r["actor_id"], r["unit"])],
            f"decision {decision_id!r}",
            "actor",
            lambda r: str(r["actor_id"]),
        )
        document = expected["document"]
        return {
            "id": expected["id"],
            "ledger_index": expected["ledger_index"],
            "request": document["request"],
            "decision": document["decision"],
        }

    def encounter(
        self, encounter_id: str, who: Principal, unit: str | None = None
    ) -> dict[str, Any]:
        """An encounter as declared, the decisions and events under it that ``who`` may
        read, and what those show (``liaison.gateway.encounters.read_encounter``)."""
        if "\x00" in encounter_id or "\x00" in (unit or ""):
            raise NotFound(f"no encounter {encounter_id!r}")
        with self.db.connect() as conn:
            return read_encounter(conn, encounter_id, who, unit, self.index)


def _decision_row(
    decision_id: str,
    recorded_at: datetime,
    request: ActionRequest,
    decision: Decision,
    record: dict[str, Any],
) -> dict[str, Any]:
    """The decision's index row, but its ledger index (known once it is appended)."""
    return {
        "id": decision_id,
        "recorded_at": recorded_at,
        "at": decision.at,
        "actor_id": request.actor.id,
        "unit": request.actor.unit,
        "action": request.action.value,
        "view": decision.view,
        "decision": decision.decision.value,
        "basis": decision.basis.value,
        "policy_version": decision.policy_version,
        "encounter_id": request.encounter.id if request.encounter else None,
        # The actor's unit's own encounter, unless it is a participant's (``_under_encounter``).
        "encounter_unit": request.actor.unit if request.encounter else None,
        "document": json.dumps(record, ensure_ascii=False),
    }


def _under_encounter(request: ActionRequest) -> SideEffect:
    """The side effect that files a decision under the encounter its actor's unit means by
    the id (``encounters.resolve``), in the transaction that records it."""
    assert request.encounter is not None
    assert request.actor.unit is not None
    encounter_id, unit = request.encounter.id, request.actor.unit

    def file(conn: Connection, at: Appended) -> None:
        owner = owner_unit(conn, encounter_id, unit)
        if owner != unit:  # a participant's record: under the owner's encounter
            conn.execute(
                update(decisions)
                .where(decisions.c.ledger_index == at.index)
                .values(encounter_unit=owner)
            )

    return file


# Ranks an officer's key may not claim for its actor (a supervisor's key may claim any).
SUPERVISORY_RANKS = frozenset({ActorRole.SUPERVISOR, ActorRole.COMMANDER})


def _require_acting_for(who: Principal, actor: Actor, verb: str) -> None:
    if not who.may_act_for(actor.id, actor.unit):
        raise Forbidden(
            f"{who.role.value} {who.actor_id} may not {verb} as {actor.id} (unit {actor.unit})"
        )
    if who.role is KeyRole.OFFICER and actor.role in SUPERVISORY_RANKS:
        raise Forbidden(
            f"an officer's key may not {verb} as a {actor.role.value} (actor.role); "
            "a supervisor's key may"
        )


__all__ = [
    "Gateway",
    "InvalidRequest",
    "RecordedDecision",
    "RecordedEvent",
]
