"""Ids and encounters are scoped to whom they belong, on each backend (issue 8, item 5).

A client's decision or event id is an idempotency key of the actor the record is made for:
another actor's use of the same id is another record (answering "already used" told an
officer of another unit that a record they may not read exists). Reads by id answer the
one record the key may read, or name the choices when it may read several.

An encounter belongs to the unit that opened it and the units it names as participants;
nobody else can change it, record under it, or read it, and nothing tells them it exists:
another unit's events and decisions under the same id are under that unit's own encounter.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, column, insert, select, table

from conftest import BACKENDS, database_url
from liaison.errors import Ambiguous, Conflict, Forbidden, InvalidRequest, NotFound
from liaison.gateway.auth import Principal
from liaison.gateway.deciding import RecordedDecision
from liaison.gateway.encounters import encounter_row, resolve
from liaison.gateway.events import Event
from liaison.gateway.index_check import check_index
from liaison.gateway.records import decision_record
from liaison.gateway.roles import KeyRole
from liaison.gateway.service import Gateway
from liaison.ledger.entries import NewEntry
from liaison.ledger.log import Ledger
from liaison.model.request import parse_request
from liaison.policy import Engine as PolicyEngine
from liaison.policy import load_pack, shipped_pack_path
from liaison.storage.database import open_engine, write_transaction
from liaison.storage.migrate import upgrade
from liaison.storage.tables import decision_purposes, decisions, encounters, events

NOON = "2025-08-15T12:00:00-04:00"
AUDITOR = Principal("k-auditor", KeyRole.AUDITOR, "auditor-1", None)
SERGEANT = Principal("k-sergeant", KeyRole.SUPERVISOR, "sergeant-1", "1D")


def officer(n: int, unit: str) -> Principal:
    return Principal(f"k-{n}", KeyRole.OFFICER, f"officer-{n}", unit)


ONE = officer(1, "1D")  # officer-1 of 1D
TWO = officer(2, "1D")  # a unit-mate
THREE = officer(3, "3D")  # another unit
NINE = officer(9, "5D")  # yet another unit


@pytest.fixture(scope="module", params=BACKENDS)
def gw(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Gateway]:
    policy = PolicyEngine(load_pack(shipped_pack_path("dc")))
    for url in database_url(request.param, tmp_path_factory.mktemp("scopes")):
        db = open_engine(url)
        upgrade(db)
        gateway = Gateway(policy, Ledger(db, "test.example/scopes"), db)
        try:
            yield gateway
        finally:
            gateway.close()
            db.dispose()


def actor(who: Principal) -> dict[str, Any]:
    return {"id": who.actor_id, "agency": "MPD", "role": "officer", "unit": who.unit}


def inquiry(ident: str | None, who: Principal, **fields: Any) -> dict[str, Any]:
    """A WALES warrant check on a stopped driver: permitted."""
    body: dict[str, Any] = {
        "at": NOON,
        "actor": actor(who),
        "action": "database_inquiry",
        "database": "WALES",
        "purposes": ["warrant_check"],
        "subject": {"id": "person-77", "custody": "stopped"},
        **fields,
    }
    if ident is not None:
        body["id"] = ident
    return body


def decide(gw: Gateway, body: dict[str, Any], who: Principal) -> RecordedDecision:
    return gw.decide_and_record(parse_request(body), who)


def event(who: Principal, **fields: Any) -> Event:
    return Event.model_validate({"at": "2025-08-15T12:30:00-04:00", "actor": actor(who), **fields})


def size(gw: Gateway) -> int:
    return gw.ledger.head()[0]


# -- decision and event ids ------------------------------------------------------------------


def test_another_actors_decision_id_is_a_new_record(gw: Gateway) -> None:
    """Before: officer-3 (3D) reusing officer-1's id got 409 "already used" (and the
    decision itself answered 404): the existence of a record they may not read."""
    mine = decide(gw, inquiry("req-0001", ONE), ONE)
    before = size(gw)
    theirs = decide(gw, inquiry("req-0001", THREE, database="DMV"), THREE)
    assert not theirs.replayed
    assert theirs.ledger_index == before  # a record of its own
    assert theirs.id == "req-0001"
    # Each actor's retry still replays its own decision; a different request is a conflict.
    assert decide(gw, inquiry("req-0001", THREE, database="DMV"), THREE).replayed
    assert decide(gw, inquiry("req-0001", ONE), ONE).ledger_index == mine.ledger_index
    with pytest.raises(Conflict):
        decide(gw, inquiry("req-0001", THREE), THREE)
    assert size(gw) == before + 1
    # Each reads their own.
    assert gw.decision("req-0001", ONE)["ledger_index"] == mine.ledger_index
    assert gw.decision("req-0001", THREE)["ledger_index"] == theirs.ledger_index
    assert gw.decision("req-0001", SERGEANT)["ledger_index"] == mine.ledger_index
    with pytest.raises(NotFound):
        gw.decision("req-0001", NINE)
    with pytest.raises(NotFound):
        gw.decision("req-0001", ONE, actor="officer-3")


def test_reading_an_id_several_actors_used_names_the_choices(gw: Gateway) -> None:
    decide(gw, inquiry("req-amb", ONE), ONE)
    decide(gw, inquiry("req-amb", TWO), TWO)
    decide(gw, inquiry("req-amb", THREE), THREE)
    with pytest.raises(Ambiguous) as raised:
        gw.decision("req-amb", AUDITOR)
    assert raised.value.choices == ["officer-1", "officer-2", "officer-3"]
    assert raised.value.field == "actor"
    with pytest.raises(Ambiguous) as unit:  # the sergeant reads 1D's two, not 3D's
        gw.decision("req-amb", SERGEANT)
    assert unit.value.choices == ["officer-1", "officer-2"]
    chosen = gw.decision("req-amb", AUDITOR, actor="officer-3")
    assert chosen["request"]["actor"]["id"] == "officer-3"
    assert gw.decision("req-amb", SERGEANT, actor="officer-2")["request"]["actor"]["id"] == (
        "officer-2"
    )
    with pytest.raises(NotFound):
        gw.decision("req-amb", SERGEANT, actor="officer-3")


def test_concurrent_actors_with_one_id_each_get_a_record(gw: Gateway) -> None:
    """Through group commit: the same id for four actors at once, each retried twice."""
    who = [officer(n, "1D") for n in range(20, 24)]
    before = size(gw)
    with ThreadPoolExecutor(max_workers=8) as pool:
        done = list(pool.map(lambda p: decide(gw, inquiry("req-many", p), p), who * 3))
    assert size(gw) == before + 4
    assert sorted(r.replayed for r in done) == [False] * 4 + [True] * 8
    assert len({r.ledger_index for r in done}) == 4


def test_a_batch_may_reuse_another_actors_id(gw: Gateway) -> None:
    decide(gw, inquiry("req-batch", THREE), THREE)
    done = gw.decide_and_record_many(
        [parse_request(inquiry("req-batch", ONE)), parse_request(inquiry("req-batch", ONE))], ONE
    )
    assert [isinstance(d, RecordedDecision) and d.replayed for d in done] == [False, True]


def test_another_actors_event_id_is_a_new_record(gw: Gateway) -> None:
    """Before: 409 "already recorded" for officer-3, about officer-1's event."""
    gw.record(event(ONE, id="evt-0001", kind="arrest"), ONE)
    before = size(gw)
    done = gw.record(event(THREE, id="evt-0001", kind="arrest"), THREE)
    assert (done.id, done.ledger_index) == ("evt-0001", before)
    with pytest.raises(Conflict):  # the same actor's id again: still refused
        gw.record(event(THREE, id="evt-0001", kind="arrest"), THREE)
    with gw.db.connect() as conn:
        rows = conn.execute(select(events.c.actor_id).where(events.c.id == "evt-0001")).all()
    assert sorted(r.actor_id for r in rows) == ["officer-1", "officer-3"]


def test_a_cited_decision_is_the_event_actors_own_first(gw: Gateway) -> None:
    """Officer-3's permit ``d-shared`` and officer-1's denial of the same id: each officer's
    action under ``d-shared`` is judged by their own decision; a key that reads only
    another actor's is told nothing more than before."""
    decide(gw, inquiry("d-shared", ONE, database="NCIC", purposes=["immigration_status"]), ONE)
    decide(gw, inquiry("d-shared", THREE), THREE)
    carried = {"kind": "action_carried_out", "action": "database_inquiry"}
    assert gw.record(event(ONE, decision_id="d-shared", **carried), ONE).flagged == (
        "decision_denied"
    )
    assert gw.record(event(THREE, decision_id="d-shared", **carried), THREE).flagged is None
    decide(gw, inquiry("d-only-3", THREE), THREE)
    assert gw.record(event(ONE, decision_id="d-only-3", **carried), ONE).flagged == (
        "decision_not_found"
    )
    decide(gw, inquiry("d-only-2", TWO), TWO)
    assert gw.record(event(ONE, decision_id="d-only-2", **carried), SERGEANT).flagged == (
        "decision_by_another_actor"
    )


# -- encounters ------------------------------------------------------------------------------


def checkpoint(ident: str, **fields: Any) -> dict[str, Any]:
    return {
        "kind": "checkpoint",
        "id": ident,
        "district": "1D",
        "place": "14th St NW at Riggs St NW",
        "declared_purpose": "traffic safety compliance checkpoint",
        **fields,
    }


def test_another_unit_cannot_change_an_encounter(gw: Gateway) -> None:
    """Before: officer-3 (3D) opening 1D's ``cp-hijack`` overwrote its declared purpose and
    place, and then read it back after recording under it."""
    gw.record(event(ONE, kind="encounter_started", encounter=checkpoint("cp-hijack")), ONE)
    forged = checkpoint("cp-hijack", place="somewhere else", declared_purpose="routine patrol")
    gw.record(event(THREE, kind="encounter_started", encounter=forged), THREE)
    ref = {"kind": "checkpoint", "id": "cp-hijack"}
    decide(gw, inquiry("cp-hijack-3", THREE, encounter=ref), THREE)
    gw.record(event(THREE, kind="arrest", encounter=ref), THREE)

    seen = gw.encounter("cp-hijack", ONE)
    assert seen["declared_purpose"] == "traffic safety compliance checkpoint"
    assert seen["place"] == "14th St NW at Riggs St NW"
    assert (seen["unit"], seen["participants"]) == ("1D", [])
    assert [e["actor"] for e in seen["events"]] == ["officer-1"]
    audited = gw.encounter("cp-hijack", AUDITOR, unit="1D")
    assert audited["declared_purpose"] == "traffic safety compliance checkpoint"
    assert audited["decisions"] == []
    assert [e["kind"] for e in audited["events"]] == ["encounter_started"]
    # Officer-3 reads only the encounter of their own unit, which they opened.
    theirs = gw.encounter("cp-hijack", THREE)
    assert (theirs["unit"], theirs["declared_purpose"]) == ("3D", "routine patrol")
    assert [d["id"] for d in theirs["decisions"]] == ["cp-hijack-3"]
    with gw.db.connect() as conn:
        rows = conn.execute(select(encounters).where(encounters.c.id == "cp-hijack")).all()
    assert sorted(r.unit for r in rows) == ["1D", "3D"]


def test_another_units_encounter_cannot_be_joined_nor_read(gw: Gateway) -> None:
    """Before: recording under 1D's encounter id, then reading it, showed 1D's purpose."""
    gw.record(event(ONE, kind="encounter_started", encounter=checkpoint("cp-closed")), ONE)
    ref = {"kind": "checkpoint", "id": "cp-closed"}
    decide(gw, inquiry("cp-closed-3", THREE, encounter=ref), THREE)
    with pytest.raises(NotFound):  # nothing of 1D's encounter; and 3D opened none
        gw.encounter("cp-closed", THREE)
    gw.record(
        event(THREE, kind="action_carried_out", decision_id="cp-closed-3", encounter=ref), THREE
    )
    theirs = gw.encounter("cp-closed", THREE)  # an event naming it opened 3D's own
    assert theirs["unit"] == "3D"
    assert "declared_purpose" not in theirs
    assert "place" not in theirs
    assert [d["id"] for d in theirs["decisions"]] == ["cp-closed-3"]
    mine = gw.encounter("cp-closed", ONE)
    assert mine["decisions"] == []
    assert [e["actor"] for e in mine["events"]] == ["officer-1"]
    with gw.db.connect() as conn:
        owner = conn.execute(
            select(decisions.c.encounter_unit).where(decisions.c.id == "cp-closed-3")
        ).scalar_one()
    assert owner == "3D"  # under 3D's own encounter of that id


def test_participants_join_and_read(gw: Gateway) -> None:
    opened = checkpoint("cp-joint", participants=["3D"])
    gw.record(event(SERGEANT, kind="encounter_started", encounter=opened), SERGEANT)
    ref = {"kind": "checkpoint", "id": "cp-joint"}
    decide(gw, inquiry("cp-joint-1", ONE, encounter=ref), ONE)
    decide(gw, inquiry("cp-joint-3", THREE, encounter=ref), THREE)
    gw.record(event(THREE, kind="handover", decision_id="cp-joint-3", encounter=ref), THREE)
    decide(gw, inquiry("cp-joint-9", NINE, encounter=ref), NINE)  # 5D: not a participant

    audited = gw.encounter("cp-joint", AUDITOR)  # 5D opened none: only 1D's exists
    assert (audited["unit"], audited["participants"]) == ("1D", ["3D"])
    assert [d["id"] for d in audited["decisions"]] == ["cp-joint-1", "cp-joint-3"]
    assert audited["records_show"]["events_by_kind"] == {"encounter_started": 1, "handover": 1}
    theirs = gw.encounter("cp-joint", THREE)  # a participant: the declared purpose, its records
    assert theirs["declared_purpose"] == "traffic safety compliance checkpoint"
    assert [d["id"] for d in theirs["decisions"]] == ["cp-joint-3"]
    assert [e["kind"] for e in theirs["events"]] == ["handover"]
    with pytest.raises(NotFound):
        gw.encounter("cp-joint", NINE)
    # A participant records under it, but only the unit that opened it names participants.
    ended = {"kind": "checkpoint", "id": "cp-joint", "outcome": {"vehicles_stopped": 4}}
    gw.record(event(THREE, kind="encounter_ended", encounter=ended), THREE)
    assert gw.encounter("cp-joint", ONE)["outcome"] == {"vehicles_stopped": 4}
    before = size(gw)
    widened = {"kind": "checkpoint", "id": "cp-joint", "participants": ["3D", "5D"]}
    with pytest.raises(Forbidden, match="participants"):
        gw.record(event(THREE, kind="encounter_ended", encounter=widened), THREE)
    assert size(gw) == before
    gw.record(event(SERGEANT, kind="encounter_ended", encounter=widened), SERGEANT)
    assert gw.encounter("cp-joint", ONE)["participants"] == ["3D", "5D"]


def test_reading_an_id_several_units_opened_names_the_choices(gw: Gateway) -> None:
    gw.record(event(ONE, kind="encounter_started", encounter=checkpoint("cp-twice")), ONE)
    gw.record(event(THREE, kind="encounter_started", encounter=checkpoint("cp-twice")), THREE)
    with pytest.raises(Ambiguous) as raised:
        gw.encounter("cp-twice", AUDITOR)
    assert (raised.value.field, raised.value.choices) == ("unit", ["1D", "3D"])
    assert gw.encounter("cp-twice", AUDITOR, unit="3D")["unit"] == "3D"
    assert gw.encounter("cp-twice", ONE)["unit"] == "1D"  # each unit reads its own
    with pytest.raises(NotFound):
        gw.encounter("cp-twice", ONE, unit="3D")


def test_a_unit_is_needed_to_name_an_encounter(gw: Gateway) -> None:
    loner = Principal("k-loner", KeyRole.OFFICER, "officer-0", None)
    ref = {"kind": "traffic_stop", "id": "stop-loner"}
    before = size(gw)
    with pytest.raises(InvalidRequest) as raised:
        gw.record(event(loner, kind="encounter_started", encounter=ref), loner)
    assert raised.value.field == "actor.unit"
    with pytest.raises(InvalidRequest):
        decide(gw, inquiry("loner-1", loner, encounter=ref), loner)
    assert size(gw) == before
    decide(gw, inquiry("loner-2", loner), loner)  # without an encounter, as before


# -- existing deployments -------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_existing_database_migrates(backend: str, tmp_path: Path) -> None:
    """Rows recorded before migration 0005 are kept: a decision still replays for its actor
    and its id is free for others; an encounter belongs to its first event's unit."""
    policy = PolicyEngine(load_pack(shipped_pack_path("dc")))
    for url in database_url(backend, tmp_path):
        db = open_engine(url)
        upgrade(db, "0003")
        legacy = _legacy(db)
        upgrade(db)
        gateway = Gateway(policy, Ledger(db, "test.example/scopes"), db)
        try:
            # The rows agree with the entries (0006 took the place out of the encounter row).
            assert check_index(gateway.ledger) == []
            with db.connect() as conn:  # 0008 filled the query columns from the document
                row = conn.execute(select(decisions).where(decisions.c.id == "old-1")).one()
                purposes = conn.execute(select(decision_purposes.c.purpose)).scalars().all()
            assert (row.database, row.custody, row.recipient_type) == ("WALES", "stopped", None)
            # 0009 likewise, the defaults the request was recorded with included
            assert (row.initiative, row.legal_process) == ("on_request", "none")
            assert (row.federal_charge, row.passengers, row.operation_kind) == (False, None, None)
            assert purposes == ["warrant_check"]
            assert decide(gateway, legacy, ONE).replayed
            assert not decide(gateway, inquiry("old-1", THREE), THREE).replayed
            seen = gateway.encounter("old-cp", ONE)
            assert (seen["unit"], seen["participants"]) == ("1D", [])
            assert seen["declared_purpose"] == "traffic safety compliance checkpoint"
            assert [d["id"] for d in seen["decisions"]] == ["old-1"]
            with pytest.raises(NotFound):
                gateway.encounter("old-cp", THREE)
            assert check_index(gateway.ledger) == []
        finally:
            gateway.close()
            db.dispose()


def _legacy(db: Engine) -> dict[str, Any]:
    """Record, on a database at revision 0003, what the service recorded then: officer-1
    opens 1D's checkpoint (its place in the public record and the row, as then) and
    decides under it; the entries and the rows as that version wrote them."""
    body = inquiry("old-1", ONE, encounter={"kind": "checkpoint", "id": "old-cp"})
    request = parse_request(body)
    ledger = Ledger(db, "test.example/scopes")
    policy = PolicyEngine(load_pack(shipped_pack_path("dc")))
    decision = policy.decide(request)
    decision = decision._replace(id="old-1")
    record, personal = decision_record(request, decision, policy.pack.timezone)
    now = datetime.now(UTC)
    started = {
        "id": "old-evt",
        "at": "2025-08-15T15:30:00Z",
        "kind": "encounter_started",
        "actor": actor(ONE),
        "encounter": {**checkpoint("old-cp"), "agencies": []},
    }
    opened = ledger.append(NewEntry("event", started, "officer-1", recorded_at=now))
    appended = ledger.append(NewEntry("decision", record, "officer-1", personal, recorded_at=now))
    with write_transaction(db) as conn:
        conn.execute(
            insert(decisions).values(
                id="old-1",
                ledger_index=appended.index,
                recorded_at=now,
                at=decision.at,
                actor_id="officer-1",
                unit="1D",
                action="database_inquiry",
                view=decision.view,
                decision=decision.decision.value,
                basis=decision.basis.value,
                policy_version=decision.policy_version,
                encounter_id="old-cp",
                document=json.dumps(record),
            )
        )
        conn.execute(
            insert(events).values(
                id="old-evt",
                ledger_index=opened.index,
                recorded_at=now,
                at=datetime(2025, 8, 15, 15, 30, tzinfo=UTC),
                kind="encounter_started",
                actor_id="officer-1",
                unit="1D",
                encounter_id="old-cp",
                document=json.dumps(started),
            )
        )
        legacy_encounters = table(  # as 0003 has it: no unit, no participants
            "encounters",
            column("id"),
            column("kind"),
            column("district"),
            column("started_at"),
            column("document"),
        )
        conn.execute(
            insert(legacy_encounters).values(
                id="old-cp",
                kind="checkpoint",
                district="1D",
                started_at=datetime(2025, 8, 15, 15, 30, tzinfo=UTC),
                document=json.dumps({"id": "old-cp", **checkpoint("old-cp")}),
            )
        )
    return body


# -- the encounter row, computed without the database ------------------------------------------


def test_encounter_row_is_computed_from_the_event_and_the_row_before() -> None:
    opened = encounter_row(
        event(ONE, kind="encounter_started", encounter=checkpoint("cp-p", participants=["3D"])),
        None,
    )
    assert (opened["id"], opened["unit"], json.loads(opened["participants"])) == (
        "cp-p",
        "1D",
        ["3D"],
    )
    assert opened["started_at"] is not None
    assert opened["ended_at"] is None
    assert json.loads(opened["document"])["declared_purpose"] == (
        "traffic safety compliance checkpoint"
    )
    assert "participants" not in json.loads(opened["document"])
    # Records of 3D are under it; 5D's are not (they open their own).
    assert resolve([opened], "3D") == opened
    assert resolve([opened], "5D") is None
    ended = encounter_row(
        event(THREE, kind="encounter_ended", encounter={"kind": "checkpoint", "id": "cp-p"}),
        opened,
    )
    assert (ended["unit"], ended["participants"]) == ("1D", opened["participants"])
    assert ended["started_at"] == opened["started_at"]
    assert ended["ended_at"] is not None
    with pytest.raises(Forbidden):
        encounter_row(
            event(
                THREE,
                kind="encounter_ended",
                encounter={"kind": "checkpoint", "id": "cp-p", "participants": []},
            ),
            opened,
        )
    other = {**opened, "unit": "2D"}
    with pytest.raises(Ambiguous):  # 3D named by two units' encounters of one id
        resolve([opened, other], "3D")
    assert resolve([opened, other, {**opened, "unit": "3D"}], "3D")["unit"] == "3D"
