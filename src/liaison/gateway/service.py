"""The gateway service: decide and record, record what was done, read it back.

``Gateway`` holds what a process decides under and hands each job to its module:
deciding and recording a decision (``liaison.gateway.deciding``), recording an event
(``liaison.gateway.recording``), the rows written with the entries
(``liaison.gateway.index_writes``, the group committer's hook), reading records back
(``liaison.gateway.index_reads``, ``liaison.gateway.encounters``).

Decisions are made under the newest recorded version of the directive pack
(``liaison.gateway.packs``). Each one commits only if that version is still the newest
inside its transaction; otherwise it is made again under the new one. So in the ledger
every decision after a ``pack_change`` entry was made under that change, whichever
process or host made it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select

from liaison.errors import (
    IntegrityFailure,
    LiaisonError,
    NotFound,
    PackError,
    StalePack,
    Unavailable,
)
from liaison.gateway.auth import Principal
from liaison.gateway.deciding import (
    RecordedDecision,
    decide_many,
    submit,
    wait_durable,
)
from liaison.gateway.encounters import read_encounter
from liaison.gateway.events import Event
from liaison.gateway.explaining import explain_recorded
from liaison.gateway.index_reads import IndexReader
from liaison.gateway.index_writes import IndexData, PackIndex, write_index
from liaison.gateway.pack_ledger import LedgerPackStore, verified_pack
from liaison.gateway.packs import PreparedChange, StoredPack, prepare_change
from liaison.gateway.recording import RecordedEvent, record_event
from liaison.gateway.records import only_one, shown_request
from liaison.gateway.roles import KeyRole
from liaison.ledger.committer import GroupCommitter
from liaison.ledger.log import Ledger
from liaison.ledger.reads import StoredEntry
from liaison.logs import get_logger
from liaison.model.request import ActionRequest
from liaison.policy.engine import Engine as PolicyEngine
from liaison.policy.loader import load_pack_files
from liaison.policy.pack_files import PackFiles
from liaison.storage.tables import decisions

log = get_logger("liaison.gateway")


@dataclass(frozen=True, slots=True)
class Rules:
    """The pack version decisions are made under: its ``seq`` (0: none recorded) and the
    engine built from it; each decision commits only while ``seq`` is the newest
    (``index_writes``). No engine: nothing is decided, because of ``fault`` (the pack in
    the database disagrees with the ledger) or because no pack is recorded."""

    seq: int
    engine: PolicyEngine | None
    fault: str | None = None


class Gateway:
    """One process's service: the pack it decides under, its ledger and group committer."""

    def __init__(
        self, policy: PolicyEngine | None, ledger: Ledger, db: Engine, seq: int = 0
    ) -> None:
        """``policy`` decides until a pack is recorded in ``db``; from then on, the newest
        pack the ledger recorded does (``record_pack``, ``change_pack``), checked against
        the ledger (``pack_ledger.verified_pack``). None: load it from the ledger now.
        ``seq``: the recorded version ``policy`` was built from (0: none)."""
        self.ledger = ledger
        self.db = db
        self.committer: GroupCommitter[IndexData] = GroupCommitter(ledger, write_index)
        self.packs = LedgerPackStore(db, ledger)  # versions from the ledger
        self.index = IndexReader(ledger)
        self._rules_lock = threading.Lock()
        self.rules = Rules(seq, policy)
        self.reload(force=policy is None)

    @property
    def policy(self) -> PolicyEngine:
        """The engine of the newest pack this process knows of; ``IntegrityFailure`` when
        the pack in the database disagrees with the ledger (nothing is decided)."""
        engine = self.rules.engine
        if engine is None:
            raise self.refusal()
        return engine

    def fault(self) -> str | None:
        """Why this process refuses to decide (None: it decides)."""
        rules = self.rules
        if rules.fault is not None:
            return rules.fault
        return None if rules.engine is not None else "no directive pack is recorded"

    def refuse_untrusted_index(self, what: str) -> None:
        """Refuse ``what`` (counts, a report, a replay: read from the index rows) while this
        process knows its database disagrees with the ledger (``IntegrityFailure``)."""
        fault = self.rules.fault
        if fault is not None:
            raise IntegrityFailure(
                f"no {what} while the database disagrees with the ledger: {fault}"
            )

    def refusal(self) -> LiaisonError:
        """The error a request gets while nothing is decided (``fault``)."""
        fault = self.rules.fault
        if fault is not None:
            return IntegrityFailure(f"nothing is decided: {fault}")
        return Unavailable("no directive pack is recorded; nothing is decided")

    def current_policy(self) -> PolicyEngine:
        """The engine of the newest recorded pack (one query, to see other processes' changes)."""
        if self.packs.seq() != self.rules.seq:
            self.reload()
        return self.policy

    def close(self) -> None:
        self.committer.close()

    # -- the directive pack -------------------------------------------------------------

    def reload(self, *, force: bool = False) -> None:
        """Load the newest pack the ledger recorded, once it agrees with the database's
        rows; on any difference decide nothing (fail closed, logged) until a later
        reload finds them agreeing again."""
        with self._rules_lock:
            seq = self.packs.seq()
            if seq == self.rules.seq and not force:  # another caller reloaded it already
                return
            try:
                stored = verified_pack(self.ledger)
                if stored is None:
                    return  # none recorded (and no row claims one): ``policy`` decides
                if stored.seq != self.rules.seq or self.rules.engine is None or force:
                    engine = PolicyEngine(load_pack_files(stored.files))
                    self.rules = Rules(stored.seq, engine)
            except (IntegrityFailure, PackError) as exc:
                log.error("pack_refused", seq=seq, problem=str(exc))
                self.rules = Rules(seq, None, str(exc))

    def _install(self, seq: int, engine: PolicyEngine) -> None:
        with self._rules_lock:
            if seq > self.rules.seq:
                self.rules = Rules(seq, engine)

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
            self.reload()
            return None
        try:
            prepared = prepare_change(
                None, None, actor=actor, reason=reason, base=None, whole=files
            )
            return self._commit_pack(prepared)
        except StalePack:  # another process recorded the first pack meanwhile
            self.reload()
            return None

    def _commit_pack(self, prepared: PreparedChange) -> StoredPack:
        engine = PolicyEngine(prepared.pack)  # built before anything is written
        stored = prepared.stored(self.committer.submit(prepared.entry, PackIndex(prepared)))
        self._install(stored.seq, engine)
        return stored

    # -- deciding and recording (``deciding``, ``recording``) ---------------------------

    def decide_and_record(self, request: ActionRequest, who: Principal) -> RecordedDecision:
        return wait_durable(self, submit(self, request, who))

    async def decide_and_record_async(
        self, request: ActionRequest, who: Principal
    ) -> RecordedDecision:
        """``decide_and_record`` on an event loop: the decision is made on the calling
        thread (it reads no database) and the commit is awaited without holding a thread;
        only a failed append (a retried id is looked up, or a decision is made again after a
        pack change) goes to a worker thread."""
        pending = submit(self, request, who)
        done = asyncio.wrap_future(pending.future)
        # wait() never cancels the future: the committer resolves every job it dequeued.
        await asyncio.wait([done])
        if done.exception() is None:
            return pending.recorded(done.result())
        return await asyncio.to_thread(wait_durable, self, pending)

    def decide_and_record_many(
        self, requests: Sequence[ActionRequest], who: Principal
    ) -> list[RecordedDecision | LiaisonError]:
        """Each request decided and recorded, in order, or the error that refused it."""
        return decide_many(self, requests, who)

    def record(self, event: Event, who: Principal) -> RecordedEvent:
        return record_event(self, event, who)

    # -- reading --------------------------------------------------------------------

    def decision(
        self, decision_id: str, who: Principal, actor: str | None = None
    ) -> dict[str, Any]:
        """The decision of ``decision_id`` that ``who`` may read (of ``actor``, if named):
        ids are per actor, so a key that may read several is asked to name one. Its request's
        ``at``, when it has one, is shown in the pack's zone (docs/api.md "Times")."""
        expected, _ = self.decision_row(decision_id, who, actor)
        document = expected["document"]
        return {
            "id": expected["id"],
            "ledger_index": expected["ledger_index"],
            "request": shown_request(document["request"], self.policy.pack.timezone),
            "decision": document["decision"],
        }

    def decision_row(
        self, decision_id: str, who: Principal, actor: str | None = None
    ) -> tuple[dict[str, Any], StoredEntry]:
        """The row of the decision of ``decision_id`` that ``who`` may read, as its ledger
        entry determines it, and that entry (with its personal data, never served)."""
        if "\x00" in decision_id or "\x00" in (actor or ""):  # PostgreSQL text holds no NUL
            raise NotFound(f"no decision {decision_id!r}")
        query = select(decisions).where(decisions.c.id == decision_id)
        if actor is not None:
            query = query.where(decisions.c.actor_id == actor)
        with self.db.connect() as conn:
            found = conn.execute(query).all()
        rows = [self.index.verified("decisions", dict(r._mapping)) for r in found]
        return only_one(
            [r for r in rows if who.may_read(r[0]["actor_id"], r[0]["unit"])],
            f"decision {decision_id!r}",
            "actor",
            lambda r: str(r[0]["actor_id"]),
        )

    def explanation(
        self, decision_id: str, who: Principal, actor: str | None = None
    ) -> dict[str, Any]:
        """The recorded decision of ``decision_id`` explained as ``liaison explain`` does
        (``liaison.gateway.explaining``), for whoever may read it."""
        return explain_recorded(self, *self.decision_row(decision_id, who, actor))

    def encounter(
        self, encounter_id: str, who: Principal, unit: str | None = None
    ) -> dict[str, Any]:
        """An encounter as declared, the decisions and events under it that ``who`` may
        read, and what those show (``liaison.gateway.encounters.read_encounter``)."""
        if "\x00" in encounter_id or "\x00" in (unit or ""):
            raise NotFound(f"no encounter {encounter_id!r}")
        with self.db.connect() as conn:
            return read_encounter(
                conn, encounter_id, who, unit, self.index, self.policy.pack.timezone
            )


__all__ = ["Gateway", "Rules"]
