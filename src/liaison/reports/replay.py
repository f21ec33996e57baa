"""Replay under another reading or a draft pack (issue 10, item 3): every decision
recorded with ``at`` in [from, to) is decided again, under another view of the pack in
force or under a draft pack, and what would have changed is counted
(``liaison.reports.replay_tally``). This is how a Council tests a proposed order against
real history before adopting it.

The request replayed is the one in the decision's ledger entry, never the index row: rows
are found through the ``decisions`` index and each is checked against its entry
(``IndexReader.verified_entries``, with the signed tree), whose record holds the request.
Personal data is kept apart from entries (``liaison.gateway.records``): the subject's id
and the case number are restored from the entry's personal row when its commitment
matches. The subject's id is never read by a policy (the Cedar context holds the subject's
custody and federal charge only, ``liaison.policy.context``), but whether there was a case
number is (``has_case_number``). When the personal data has been erased, the request is
decided both with and without a case number: if both agree, that is its outcome; if not,
the record is "not replayable" with that reason, never counted as unchanged. A record
whose personal row does not match its commitment, whose request no longer validates, or
whose view the draft pack lacks is not replayable either, with its reason.

Without a view the replay decides each request under the view its decision was made
under; with one, under that view whatever the request named. Replaying under the pack
that made the decisions and their own views changes nothing (``tests/test_replay.py``).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import and_, func, or_, select

from liaison.errors import InvalidRequest
from liaison.gateway.index_reads import IndexReader
from liaison.gateway.index_rows import instant
from liaison.gateway.packs import StoredPack
from liaison.ledger.entries import parse_body, personal_matches
from liaison.ledger.reads import StoredEntry
from liaison.ledger.store import blob
from liaison.model.decision import Decision
from liaison.model.json_input import invalid_request_from
from liaison.model.request import ActionRequest, check_action_fields
from liaison.model.timestamps import render
from liaison.policy.engine import Engine as PolicyEngine
from liaison.policy.loader import load_pack_files
from liaison.policy.pack_files import pack_digest
from liaison.reports.query import ZONE
from liaison.reports.replay_tally import MAX_LISTED, Recorded, Tally
from liaison.storage.tables import decisions, ledger_personal

BATCH = 5000  # decisions read, verified and decided at a time
ERASED = "(erased)"  # stands for an erased subject id, which no policy reads


@dataclass(frozen=True, slots=True)
class ReplayPlan:
    """What to replay: decisions with ``at`` in [``start``, ``stop``), decided by
    ``engine`` under ``view`` (None: each under its own), listing at most ``limit``
    records of each kind; ``pack`` describes the pack for the report."""

    start: datetime
    stop: datetime
    view: str | None
    engine: PolicyEngine
    pack: dict[str, Any]
    limit: int = 100


def make_plan(
    start: datetime,
    stop: datetime,
    view: str | None,
    engine: PolicyEngine,
    pack: dict[str, Any],
    limit: int = 100,
) -> ReplayPlan:
    """A checked plan: ``to`` after ``from``, a view the pack has (``InvalidRequest``
    naming ``view``, with the pack's views as ``choices``), 0 to ``MAX_LISTED`` listed."""
    if stop <= start:
        raise InvalidRequest("to", "to: must be after from")
    views = sorted(engine.pack.views)
    if view is not None and view not in views:
        raise InvalidRequest(
            "view",
            f"view: pack {engine.pack.id} has no view {view!r}; it has {', '.join(views)}",
            views,
        )
    if not 0 <= limit <= MAX_LISTED:
        raise InvalidRequest("limit", f"limit: must be 0 to {MAX_LISTED}")
    return ReplayPlan(start, stop, view, engine, pack, limit)


def draft_pack(
    files: Mapping[str, str], root: Path | None = None
) -> tuple[PolicyEngine, dict[str, Any]]:
    """A draft pack's engine and how the report names it; ``PackError`` naming each file
    and line of every problem when it does not load (``load_pack_files``)."""
    pack = load_pack_files(files, root=root)
    described = {"source": "draft", "id": pack.id, "digest": pack_digest(files)}
    if root is not None:
        described["folder"] = str(root)
    return PolicyEngine(pack), described


def pack_in_force(stored: StoredPack) -> tuple[PolicyEngine, dict[str, Any]]:
    """The engine of the pack in force as the ledger recorded it, and its description."""
    engine = PolicyEngine(load_pack_files(stored.files))
    return engine, in_force(engine, stored)


def in_force(engine: PolicyEngine, stored: StoredPack | None) -> dict[str, Any]:
    """How the report names the pack in force (``stored``: its recorded version)."""
    described: dict[str, Any] = {"source": "in_force", "id": engine.pack.id}
    if stored is not None:
        described.update(seq=stored.seq, digest=stored.digest)
    return described


def count_in_range(reader: IndexReader, start: datetime, stop: datetime) -> int:
    """How many decisions the index holds with ``at`` in [``start``, ``stop``)."""
    c = decisions.c
    query = select(func.count()).select_from(decisions).where(c.at >= start, c.at < stop)
    with reader.ledger.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def replay(reader: IndexReader, plan: ReplayPlan) -> dict[str, Any]:
    """The report: every decision in the plan's range decided again, and what changed."""
    head = reader.ledger.head()
    return report(plan, tally_range(reader, plan, plan.start, plan.stop), head)


def tally_range(reader: IndexReader, plan: ReplayPlan, start: datetime, stop: datetime) -> Tally:
    """What changed among the decisions with ``at`` in [``start``, ``stop``)."""
    tally = Tally(plan.limit)
    for rows in _row_batches(reader, start, stop):
        _decide(plan, _records(reader, rows), tally)
    return tally


def report(plan: ReplayPlan, tally: Tally, head: tuple[int, bytes]) -> dict[str, Any]:
    """The report of ``tally``, read from the ledger of ``head`` (size, root)."""
    size, root = head
    return {
        "from": _local(plan.start),
        "to": _local(plan.stop),
        "view": plan.view,
        "pack": plan.pack,
        "ledger": {"size": size, "root": base64.b64encode(root).decode()},
        **tally.to_dict(),
    }


def _local(moment: datetime) -> str:
    return render(moment, ZONE)


def _row_batches(
    reader: IndexReader, start: datetime, stop: datetime
) -> Iterator[list[dict[str, Any]]]:
    """The index rows in range, ``BATCH`` at a time, in (``at``, ``ledger_index``) order
    (a keyset: each batch starts after the last row of the one before)."""
    c = decisions.c
    after: tuple[datetime, int] | None = None
    while True:
        query = select(decisions).where(c.at >= start, c.at < stop)
        if after is not None:
            at, index = after
            query = query.where(or_(c.at > at, and_(c.at == at, c.ledger_index > index)))
        query = query.order_by(c.at, c.ledger_index).limit(BATCH)
        with reader.ledger.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(query)]
        if not rows:
            return
        yield rows
        if len(rows) < BATCH:
            return
        after = (rows[-1]["at"], rows[-1]["ledger_index"])


def _records(reader: IndexReader, rows: Sequence[dict[str, Any]]) -> list[Recorded]:
    """Each row's entry (verified), with its request restored as far as it can be."""
    checked = reader.verified_entries("decisions", rows)
    indexes = [entry.index for _, entry in checked]
    with reader.ledger.engine.connect() as conn:
        found = conn.execute(
            select(ledger_personal.c.idx, ledger_personal.c.salt, ledger_personal.c.data).where(
                ledger_personal.c.idx.in_(indexes)
            )
        ).all()
    personal = {int(i): (blob(salt), blob(data)) for i, salt, data in found}
    return [_recorded(expected, entry, personal.get(entry.index)) for expected, entry in checked]


def _recorded(
    expected: dict[str, Any], entry: StoredEntry, personal: tuple[bytes, bytes] | None
) -> Recorded:
    record = expected["document"]
    at = instant(expected["at"])
    assert at is not None  # decision_row made it from the entry; checked_row compared it
    recorded = Recorded(
        str(expected["id"]),
        entry.index,
        at,
        str(expected["action"]),
        expected["actor_id"],
        expected["unit"],
        record["decision"],
    )
    request = dict(record["request"])
    body = _commitment(entry.body)
    if "personal" not in body:  # nothing personal was recorded: the request is whole
        return replace(recorded, variants=(request,))
    if personal is None:  # erased: the subject's id (read by no policy); a case number?
        if isinstance(request.get("subject"), dict):
            request["subject"] = {**request["subject"], "id": ERASED}
        return replace(recorded, variants=(request, {**request, "case_number": ERASED}))
    salt, data = personal
    if not personal_matches(body, salt, data):
        why = "its personal data does not match its entry's commitment (`liaison ledger verify`)"
        return replace(recorded, reason=why)
    return replace(recorded, variants=(_restored(request, parse_body(data)),))


# The start of a decision entry's canonical body (RFC 8785: keys sorted, no spaces) when it
# commits to personal data: the actor (one JSON string), the kind, the commitment.
_PERSONAL = re.compile(
    rb'\{"actor":"(?:[^"\\]|\\.)*","kind":"decision","personal":"(sha256:[0-9a-f]{64})","'
)


def _commitment(body: bytes) -> dict[str, Any]:
    """``{"personal": commitment}`` of an entry's (verified) body, or ``{}`` when it holds
    none: read from the canonical form's start, parsing the whole body only when it does
    not begin as the writer's canonical form does."""
    if b'"personal":' not in body:
        return {}
    found = _PERSONAL.match(body)
    if found is not None:
        return {"personal": found.group(1).decode()}
    parsed = parse_body(body)
    return {"personal": parsed["personal"]} if "personal" in parsed else {}


def _restored(request: dict[str, Any], personal: dict[str, Any]) -> dict[str, Any]:
    """The request as it was decided: its public part with its personal part put back."""
    subject = request.get("subject")
    if isinstance(subject, dict) and "subject_id" in personal:
        request["subject"] = {**subject, "id": personal["subject_id"]}
    if "case_number" in personal:
        request["case_number"] = personal["case_number"]
    return request


def _decide(plan: ReplayPlan, records: Sequence[Recorded], tally: Tally) -> None:
    """Decide every replayable record's request(s) in one ``decide_many`` and tally."""
    requests: list[ActionRequest] = []
    spans: list[tuple[Recorded, int, int]] = []
    for rec in records:
        if rec.reason is not None:
            tally.cannot(rec, rec.reason)
            continue
        try:
            variants = [_request(v, rec, plan.view) for v in rec.variants]
        except InvalidRequest as exc:
            tally.cannot(rec, f"its recorded request is not valid now: {exc.message}")
            continue
        spans.append((rec, len(requests), len(requests) + len(variants)))
        requests.extend(variants)
    decided = plan.engine.decide_many(requests)
    for rec, first, last in spans:
        _compare(rec, decided[first:last], tally)


def _request(document: dict[str, Any], rec: Recorded, view: str | None) -> ActionRequest:
    """The request to decide: as recorded, at the instant its decision was made, under
    ``view`` (None: the view its decision was made under)."""
    wanted = view if view is not None else rec.old.get("view")
    try:  # from a verified entry: the model's checks (vocabulary, required fields) suffice
        request = ActionRequest.model_validate({**document, "at": rec.old["at"], "view": wanted})
    except ValidationError as exc:
        raise invalid_request_from(exc) from None
    check_action_fields(request)
    return request


def _compare(rec: Recorded, decided: Sequence[Decision | InvalidRequest], tally: Tally) -> None:
    problem = next((d for d in decided if isinstance(d, InvalidRequest)), None)
    if problem is not None:
        tally.cannot(rec, f"it cannot be decided under this pack: {problem.message}")
        return
    outcomes = [d for d in decided if isinstance(d, Decision)]
    first = outcomes[0]
    if any(_outcome(d) != _outcome(first) for d in outcomes[1:]):
        tally.cannot(
            rec,
            "its personal data was erased, and whether it had a case number (which the "
            "policies read) decides the new outcome",
        )
        return
    tally.add(rec, first)


def _outcome(d: Decision) -> tuple[str, tuple[tuple[str, str], ...]]:
    return d.decision.value, tuple(sorted((c.directive, c.section) for c in d.citations))


__all__ = [
    "BATCH",
    "ERASED",
    "ReplayPlan",
    "count_in_range",
    "draft_pack",
    "in_force",
    "make_plan",
    "pack_in_force",
    "replay",
    "report",
    "tally_range",
]
