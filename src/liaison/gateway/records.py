"""What of a decision or event goes into the public record, and what is personal.

The ledger leaf commits to the public record and to a salted hash of the personal
data, which is stored apart and can be erased (docs/ledger.md, "What is personal").
Personal here means what identifies the person acted upon, or can: the subject's id
and the criminal case number of a decision; the subject an event names, its free-text
``note``, and where an encounter took place (``place``, ``location``). Officers'
identities, units, districts, declared purposes and the content of the decision are
public: they are what oversight must be able to read.

Index tables (``events.document``, ``encounters.document``) hold the public part only:
personal data lives in ``ledger_personal`` alone, and reads join it there
(``encounter_personal``), so an erasure leaves nothing of it behind anywhere.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import tzinfo
from typing import Any, TypeVar

from sqlalchemy import Connection, select

from liaison.errors import Ambiguous, NotFound
from liaison.gateway.events import EncounterInfo, Event
from liaison.ledger.entries import parse_body, personal_matches
from liaison.model.decision import Decision
from liaison.model.request import ActionRequest
from liaison.model.timestamps import parse_instant, render
from liaison.storage.tables import events, ledger_entries, ledger_personal

# The additions for state packs (request-schema.md,
# "Additions for state packs and imported logs") are recorded only when set: a request that
# does not use them is recorded exactly as before they existed (absent reads as false).
UNSET_WHEN_FALSE = (("subject", "qualifying_conviction"), ("recipient", "declaration_on_file"))

# The fields of an event, and of the encounter it reports, kept in the personal part.
EVENT_PERSONAL = ("subject_id", "note")
ENCOUNTER_PERSONAL = ("place", "location")


def request_document(request: ActionRequest) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(public request, personal data or None)."""
    public = request.model_dump(mode="json", exclude_none=True)
    for outer, name in UNSET_WHEN_FALSE:
        part = public.get(outer)
        if isinstance(part, dict) and part.get(name) is False:
            del part[name]
    personal: dict[str, Any] = {}
    subject = public.get("subject")
    if isinstance(subject, dict) and "id" in subject:
        personal["subject_id"] = subject.pop("id")
    if "case_number" in public:
        personal["case_number"] = public.pop("case_number")
    return public, (personal or None)


def shown_request(public: dict[str, Any], zone: tzinfo) -> dict[str, Any]:
    """A recorded request as served to a reader: its ``at``, recorded as the client wrote it
    (``Z`` or any offset), shown in ``zone``, the pack's (the same instant; docs/api.md
    "Times", issue 10 item 5)."""
    at = public.get("at")
    if not isinstance(at, str):
        return public
    return {**public, "at": render(parse_instant(at), zone)}


def decision_record(
    request: ActionRequest, decision: Decision, zone: tzinfo
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(public record, personal data or None) of a decision: the request without its
    personal part, and the decision rendered as the API shows it (instants in ``zone``,
    the pack's), under the decision's id."""
    public, personal = request_document(request)
    decision_id = decision.id
    return {"id": decision_id, "request": public, "decision": decision.to_dict(zone)}, personal


def event_record(
    event_id: str, event: Event, flag: str | None
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(public record, personal data or None) of an event: the subject it names, its note,
    and the place and location of its encounter are personal (``{"subject_id", "note",
    "encounter": {"place", "location"}}``, each only when given)."""
    document = event.model_dump(mode="json", exclude_none=True)
    document["id"] = event_id
    if flag:
        document["flagged"] = flag
    personal = {key: document.pop(key) for key in EVENT_PERSONAL if key in document}
    encounter = document.get("encounter")
    if isinstance(encounter, dict):
        where = {key: encounter.pop(key) for key in ENCOUNTER_PERSONAL if key in encounter}
        if where:
            personal["encounter"] = where
    return document, (personal or None)


def encounter_public(info: EncounterInfo) -> dict[str, Any]:
    """What an encounter's index row may hold of ``info``: all but its personal fields."""
    return info.model_dump(
        mode="json", exclude_none=True, exclude_defaults=True, exclude=set(ENCOUNTER_PERSONAL)
    )


def encounter_personal(conn: Connection, encounter_id: str, unit: str) -> dict[str, Any]:
    """Where an encounter took place, as its events still hold it in the ledger's personal
    store (the latest recorded wins, as for the public fields); nothing once erased.
    A row that does not match its entry's commitment is not served (``ledger verify``
    names it)."""
    rows = conn.execute(
        select(ledger_entries.c.body, ledger_personal.c.salt, ledger_personal.c.data)
        .join(events, events.c.ledger_index == ledger_personal.c.idx)
        .join(ledger_entries, ledger_entries.c.idx == ledger_personal.c.idx)
        .where(events.c.encounter_id == encounter_id, events.c.encounter_unit == unit)
        .order_by(events.c.ledger_index)
    ).all()
    found: dict[str, Any] = {}
    for body, salt, data in rows:
        if not personal_matches(parse_body(bytes(body)), bytes(salt), bytes(data)):
            continue
        where = json.loads(bytes(data)).get("encounter")
        if isinstance(where, dict):
            found.update({k: v for k, v in where.items() if k in ENCOUNTER_PERSONAL})
    return found


T = TypeVar("T")


def only_one(found: Sequence[T], what: str, field: str, key: Callable[[T], str]) -> T:
    """The one record of ``found`` (those of an id that the caller may read): not found when
    there is none, ``Ambiguous`` naming each one's ``key`` (to ask again with ``?field=``)
    when there are several. Ids are scoped (docs/api.md "Ids"), so one id can name several."""
    if not found:
        raise NotFound(f"no {what}")
    if len(found) > 1:
        choices = sorted(key(f) for f in found)
        raise Ambiguous(
            f"{len(found)} records are {what} ({field}: {', '.join(choices)}); "
            f"name one with ?{field}=",
            field,
            choices,
        )
    return found[0]
