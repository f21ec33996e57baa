"""The gateway service on each backend (issue 4): decide and record atomically, group
commit, idempotent retries, events flagged when no permit came before them, encounters,
and instants that stay instants."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

import liaison.gateway.index_writes as index_writes
from conftest import BACKENDS, database_url
from liaison.errors import Conflict, Forbidden, InvalidRequest, NotFound
from liaison.gateway.auth import Principal
from liaison.gateway.deciding import RecordedDecision
from liaison.gateway.events import Event
from liaison.gateway.roles import KeyRole
from liaison.gateway.service import Gateway
from liaison.ledger.check import check_ledger
from liaison.ledger.committer import GroupCommitter
from liaison.ledger.entries import NewEntry
from liaison.ledger.log import Ledger
from liaison.ledger.note_keys import parse_verifier
from liaison.model.decision import Outcome
from liaison.model.request import parse_request
from liaison.policy import Engine as PolicyEngine
from liaison.storage.database import open_engine
from liaison.storage.migrate import upgrade
from liaison.storage.tables import decisions, encounters, events

ORIGIN = "test.example/gateway"
OFFICER = Principal("k-officer", KeyRole.OFFICER, "officer-1", "1D")
AUDITOR = Principal("k-auditor", KeyRole.AUDITOR, "auditor-1", None)
ICE = {"agency": "ICE-ERO", "type": "federal_immigration"}
HSI = {"agency": "HSI", "type": "federal_immigration"}


@pytest.fixture(scope="module", params=BACKENDS)
def shared(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    policy: PolicyEngine,
) -> Iterator[Gateway]:
    """One database per backend for the tests that need no empty ledger (unique ids,
    sizes compared before and after): fewer databases to make, a faster suite."""
    for url in database_url(request.param, tmp_path_factory.mktemp("gateway")):
        db = open_engine(url)
        upgrade(db)
        gw = Gateway(policy, Ledger(db, ORIGIN), db)
        try:
            yield gw
        finally:
            gw.close()
            db.dispose()


def actor(n: int = 1, unit: str = "1D") -> dict[str, Any]:
    return {"id": f"officer-{n}", "agency": "MPD", "role": "officer", "unit": unit}


def officer(n: int, unit: str = "1D") -> Principal:
    return Principal(f"k-{n}", KeyRole.OFFICER, f"officer-{n}", unit)


def inquiry(ident: str | None = "req-1", n: int = 1, **fields: Any) -> dict[str, Any]:
    """A WALES warrant check on a stopped driver: permitted (MPD-BASELINE)."""
    body: dict[str, Any] = {
        "at": "2025-08-15T12:00:00-04:00",
        "actor": actor(n),
        "action": "database_inquiry",
        "database": "WALES",
        "purposes": ["warrant_check"],
        "subject": {"id": "person-77", "custody": "stopped"},
        "case_number": "CCN-25-0001",
    }
    if ident is not None:
        body["id"] = ident
    body.update(fields)
    return body


def status_check(ident: str) -> dict[str, Any]:
    """An immigration-status inquiry on a stopped driver: denied (EO-25-005 forbids it)."""
    return inquiry(ident, database="NCIC", purposes=["immigration_status"])


def decide(gw: Gateway, body: dict[str, Any], who: Principal = OFFICER) -> RecordedDecision:
    return gw.decide_and_record(parse_request(body), who)


def rendered(done: RecordedDecision) -> dict[str, Any]:
    """The decision as the API renders it."""
    return done.decision.to_dict(done.zone)


def event(**fields: Any) -> Event:
    body: dict[str, Any] = {"at": "2025-08-15T12:30:00-04:00", "actor": actor()}
    body.update(fields)
    return Event.model_validate(body)


def size(gw: Gateway) -> int:
    return gw.ledger.head()[0]


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


# -- decide and record ---------------------------------------------------------------------


def test_decision_is_returned_with_its_ledger_entry(gateway: Gateway, engine: Engine) -> None:
    done = decide(gateway, inquiry("req-1"))
    assert done.id == "req-1"
    assert not done.replayed
    assert done.decision.decision is Outcome.PERMIT
    assert done.decision.citations[0].directive == "MPD-BASELINE"
    assert done.ledger_index == 0
    assert size(gateway) == 1

    stored = gateway.ledger.entry(done.ledger_index)
    body = stored.document()
    assert body["kind"] == "decision"
    assert body["actor"] == "officer-1"
    assert body["record"]["id"] == "req-1"
    assert body["record"]["decision"] == rendered(done)
    # The public record holds the request without what identifies the person acted upon;
    # that is kept apart, and the leaf only commits to it.
    request = body["record"]["request"]
    assert request["subject"] == {"custody": "stopped", "federal_criminal_charge": False}
    assert "case_number" not in request
    assert body["personal"].startswith("sha256:")
    assert b"person-77" not in stored.body
    assert b"CCN-25-0001" not in stored.body
    assert stored.personal == {"subject_id": "person-77", "case_number": "CCN-25-0001"}

    with engine.connect() as conn:
        row = conn.execute(select(decisions).where(decisions.c.id == "req-1")).one()
    assert row.ledger_index == done.ledger_index
    assert (row.decision, row.basis, row.actor_id, row.unit) == (
        "permit",
        "permit",
        "officer-1",
        "1D",
    )
    assert "person-77" not in row.document

    read = gateway.decision("req-1", OFFICER)
    assert read["ledger_index"] == 0
    assert read["decision"] == rendered(done)
    assert "id" not in read["request"]["subject"]


def test_an_id_is_given_when_the_request_has_none(shared: Gateway) -> None:
    first = decide(shared, inquiry(None))
    second = decide(shared, inquiry(None))
    assert first.id.startswith("dec-")
    assert first.id != second.id
    assert second.ledger_index == first.ledger_index + 1


def test_failed_index_insert_appends_nothing(
    gateway: Gateway, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    decide(gateway, inquiry("before"))
    head = gateway.ledger.head()

    def broken(*args: Any, **kwargs: Any) -> dict[str, Any]:
        raise RuntimeError("index row could not be written")

    monkeypatch.setattr(index_writes, "insert_rows", broken)
    with pytest.raises(RuntimeError, match="index row could not be written"):
        decide(gateway, inquiry("lost"))
    assert gateway.ledger.head() == head  # the entry rolled back with its index row
    assert count(engine, decisions) == 1
    monkeypatch.undo()
    assert decide(gateway, inquiry("after")).ledger_index == 1  # no gap


def test_forbidden_decision_appends_nothing(shared: Gateway) -> None:
    before = size(shared)
    with pytest.raises(Forbidden):
        decide(shared, inquiry("as-other", n=2))
    with pytest.raises(Forbidden):
        decide(shared, inquiry("other-unit", actor=actor(1, "3D")))
    with pytest.raises(Forbidden):
        decide(shared, inquiry("auditor"), AUDITOR)
    assert size(shared) == before


def test_group_commit_keeps_the_ledger_gap_free(
    gateway: Gateway, engine: Engine, keypair: tuple[str, str]
) -> None:
    threads, per_thread = 8, 25

    def work(t: int) -> list[RecordedDecision]:
        who = officer(t)
        return [
            decide(
                gateway,
                inquiry(f"t{t}-{k}", n=t, subject={"id": f"p-{t}-{k}", "custody": "stopped"}),
                who,
            )
            for k in range(per_thread)
        ]

    with ThreadPoolExecutor(max_workers=threads) as pool:
        done = [r for batch in pool.map(work, range(threads)) for r in batch]
    total = threads * per_thread
    assert sorted(r.ledger_index for r in done) == list(range(total))
    assert size(gateway) == total
    with engine.connect() as conn:
        rows = conn.execute(select(decisions.c.id, decisions.c.ledger_index)).all()
    assert {(r.id, int(r.ledger_index)) for r in rows} == {(r.id, r.ledger_index) for r in done}
    for r in done[::37]:  # each index holds its own decision
        assert gateway.ledger.entry(r.ledger_index).document()["record"]["id"] == r.id
    gateway.ledger.checkpoint()
    report = check_ledger(gateway.ledger, parse_verifier(keypair[1]))
    assert report.ok, report.problems


def test_a_failing_job_in_a_group_fails_alone(gateway: Gateway) -> None:
    """The committer batches what queued up; when the batch fails, each job is retried
    on its own, so only the bad one fails and the others are appended, gap-free."""
    holding, release = threading.Event(), threading.Event()

    def hook(conn: Any, written: Sequence[tuple[str, Any]]) -> None:
        for data, _ in written:
            if data == "hold":
                holding.set()
                assert release.wait(10)
            if data == "bad":
                raise ValueError("bad index row")

    committer: GroupCommitter[str] = GroupCommitter(gateway.ledger, hook)

    def entry(n: int) -> NewEntry:
        return NewEntry("test", {"n": n}, "tester")

    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            first = pool.submit(committer.submit, entry(0), "hold")
            assert holding.wait(10)  # the worker is inside the first transaction
            queued = [
                pool.submit(committer.submit, entry(1)),
                pool.submit(committer.submit, entry(2), "bad"),
                pool.submit(committer.submit, entry(3)),
            ]
            while committer._queue.qsize() < 3:  # all three wait for the next group
                threading.Event().wait(0.005)
            release.set()
            assert first.result(10).index == 0
            with pytest.raises(ValueError, match="bad index row"):
                queued[1].result(10)
            good = sorted(queued[i].result(10).index for i in (0, 2))
    finally:
        committer.close()
    assert good == [1, 2]
    assert size(gateway) == 3
    assert [e.document()["record"]["n"] for e in gateway.ledger.entries()] in ([0, 1, 3], [0, 3, 1])


def test_a_batch_is_recorded_in_order_and_each_item_stands_alone(shared: Gateway) -> None:
    before = size(shared)
    requests = [
        inquiry("batch-a"),
        inquiry("batch-b", n=2),  # another officer: forbidden
        inquiry("batch-c"),
        inquiry("batch-a"),  # the first again: a replay
        inquiry("batch-a", database="DMV"),  # the first's id, another request: a conflict
        inquiry("batch-d", at="9999-12-31T23:59:59-12:00"),  # invalid
        inquiry("batch-e"),
    ]
    done = shared.decide_and_record_many([parse_request(r) for r in requests], OFFICER)
    assert isinstance(done[1], Forbidden)
    assert isinstance(done[4], Conflict)
    assert isinstance(done[5], InvalidRequest)
    recorded = [d for d in done if isinstance(d, RecordedDecision)]
    assert [(r.id, r.ledger_index, r.replayed) for r in recorded] == [
        ("batch-a", before, False),
        ("batch-c", before + 1, False),
        ("batch-a", before, True),
        ("batch-e", before + 2, False),
    ]
    assert size(shared) == before + 3


# -- idempotency --------------------------------------------------------------------------


def test_retry_with_the_same_request_replays(shared: Gateway) -> None:
    first = decide(shared, inquiry("req-replay"))
    before = size(shared)
    again = decide(shared, inquiry("req-replay"))
    assert again.replayed
    assert again.ledger_index == first.ledger_index
    assert again.decision == first.decision
    assert rendered(again) == rendered(first)
    assert size(shared) == before


def test_same_id_for_a_different_request_is_a_conflict(shared: Gateway) -> None:
    decide(shared, inquiry("req-conflict"))
    before = size(shared)
    with pytest.raises(Conflict):
        decide(shared, inquiry("req-conflict", database="DMV"))
    # The personal part counts too: the same id about another person is another request.
    with pytest.raises(Conflict):
        decide(shared, inquiry("req-conflict", subject={"id": "person-78", "custody": "stopped"}))
    with pytest.raises(Conflict):
        decide(shared, inquiry("req-conflict", case_number="CCN-25-0002"))
    assert size(shared) == before


def test_concurrent_retries_of_the_same_id_replay(shared: Gateway) -> None:
    """The same request sent several times at once: one records it, the others (in the
    same group or not) hit the taken id and get the recorded decision back."""
    before = size(shared)
    with ThreadPoolExecutor(max_workers=8) as pool:
        done = list(pool.map(lambda _: decide(shared, inquiry("req-race")), range(8)))
    assert {r.ledger_index for r in done} == {before}
    assert sorted(r.replayed for r in done) == [False] + [True] * 7
    with ThreadPoolExecutor(max_workers=4) as pool:
        tries = [pool.submit(decide, shared, inquiry("req-race", database="DMV")) for _ in range(4)]
    for attempt in tries:
        with pytest.raises(Conflict):
            attempt.result()
    assert size(shared) == before + 1


# -- events ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def prior(shared: Gateway) -> dict[str, RecordedDecision]:
    """A permitted inquiry, a denied one and a permitted share, all at 12:00-04:00."""
    gateway = shared
    share = {
        "id": "share-1",
        "at": "2025-08-15T12:00:00-04:00",
        "actor": actor(),
        "action": "share_information",
        "purposes": ["assist_federal_agency"],
        "initiative": "proactive",
        "subject": {"id": "person-77", "custody": "stopped"},
        "recipient": ICE,
        "data_classes": ["identity", "location"],
    }
    supervisor = Principal("k-sup", KeyRole.SUPERVISOR, "sergeant-1", "1D")
    out = {
        "permit": decide(gateway, inquiry("inq-1")),
        "deny": decide(gateway, status_check("inq-2")),
        "share": decide(gateway, share),
        "other": decide(gateway, inquiry("inq-other", n=2), supervisor),
    }
    assert out["permit"].decision.decision is Outcome.PERMIT
    assert out["deny"].decision.decision is Outcome.DENY
    assert out["share"].decision.decision is Outcome.PERMIT
    return out


@pytest.mark.parametrize(
    ("fields", "flag"),
    [
        ({"kind": "arrest"}, "no_decision"),
        ({"kind": "notification_sent", "action": "share_information"}, "no_decision"),
        ({"kind": "handover", "decision_id": "no-such-decision"}, "decision_not_found"),
        (
            {"kind": "action_carried_out", "action": "database_inquiry", "decision_id": "inq-2"},
            "decision_denied",
        ),
        (
            {"kind": "action_carried_out", "action": "share_information", "decision_id": "inq-1"},
            "action_differs_from_decision",
        ),
        ({"kind": "notification_sent", "decision_id": "inq-1"}, "action_differs_from_decision"),
        (  # officer-2's permit, which officer-1's key may not read: its existence is not
            # revealed to officer-1 (an auditor can look the cited id up)
            {
                "kind": "action_carried_out",
                "action": "database_inquiry",
                "decision_id": "inq-other",
            },
            "decision_not_found",
        ),
        ({"kind": "transport", "decision_id": "share-1"}, "action_differs_from_decision"),
        (  # 15:30Z is before the decision (12:00-04:00 = 16:00Z), though "15:30" > "12:00"
            {
                "kind": "action_carried_out",
                "action": "database_inquiry",
                "decision_id": "inq-1",
                "at": "2025-08-15T15:30:00Z",
            },
            "decision_after_action",
        ),
        (
            {"kind": "action_carried_out", "action": "database_inquiry", "decision_id": "inq-1"},
            None,
        ),
        ({"kind": "notification_sent", "decision_id": "share-1"}, None),
        (
            {"kind": "action_carried_out", "decision_id": "share-1", "at": "2025-08-15T16:00:00Z"},
            None,
        ),
        ({"kind": "encounter_started", "encounter": {"kind": "traffic_stop", "id": "s-1"}}, None),
        ({"kind": "encounter_ended", "encounter": {"kind": "traffic_stop", "id": "s-1"}}, None),
        (  # encounter events are not actions: a bad decision id does not flag them
            {
                "kind": "encounter_started",
                "decision_id": "inq-2",
                "encounter": {"kind": "traffic_stop", "id": "s-2"},
            },
            None,
        ),
    ],
)
def test_events_are_recorded_and_flagged(
    shared: Gateway,
    prior: dict[str, RecordedDecision],
    fields: dict[str, Any],
    flag: str | None,
) -> None:
    gateway, engine = shared, shared.db
    before = size(gateway)
    done = gateway.record(event(**fields), OFFICER)
    assert done.flagged == flag
    assert done.ledger_index == before  # recorded, flagged or not: never dropped
    body = gateway.ledger.entry(done.ledger_index).document()
    assert body["kind"] == "event"
    assert body["record"]["kind"] == fields["kind"]
    assert body["record"].get("flagged") == flag
    with engine.connect() as conn:
        row = conn.execute(select(events).where(events.c.id == done.id)).one()
    assert row.flagged == flag
    assert row.ledger_index == done.ledger_index
    assert row.decision_id == fields.get("decision_id")


def test_an_action_on_another_actors_permit_is_flagged(
    shared: Gateway, prior: dict[str, RecordedDecision]
) -> None:
    """A supervisor files officer-1's action under officer-2's permit: the supervisor may
    read both, so the record says whose permit it was."""
    supervisor = Principal("k-sup", KeyRole.SUPERVISOR, "sergeant-1", "1D")
    done = shared.record(
        event(kind="action_carried_out", action="database_inquiry", decision_id="inq-other"),
        supervisor,
    )
    assert done.flagged == "decision_by_another_actor"


def test_an_officer_key_cannot_claim_a_supervisory_rank(shared: Gateway) -> None:
    before = size(shared)
    for rank in ("supervisor", "commander"):
        claimed = {**actor(), "role": rank}
        with pytest.raises(Forbidden, match=r"\(actor\.role\)"):
            decide(shared, inquiry(f"rank-{rank}", actor=claimed))
        with pytest.raises(Forbidden, match=r"\(actor\.role\)"):
            shared.record(event(kind="arrest", actor=claimed), OFFICER)
    assert size(shared) == before
    for rank in ("detective", "analyst"):  # ranks an officer's key may hold
        decide(shared, inquiry(f"rank-{rank}", actor={**actor(), "role": rank}))
    supervisor = Principal("k-sup", KeyRole.SUPERVISOR, "sergeant-1", "1D")
    lead = {"id": "sergeant-1", "agency": "MPD", "role": "commander", "unit": "1D"}
    decide(shared, inquiry("rank-commander-by-supervisor", actor=lead), supervisor)
    assert size(shared) == before + 3


def test_event_ids_are_unique_and_actors_checked(shared: Gateway) -> None:
    gateway = shared
    before = size(gateway)
    gateway.record(event(id="evt-unique", kind="arrest"), OFFICER)
    with pytest.raises(Conflict):
        gateway.record(event(id="evt-unique", kind="arrest"), OFFICER)
    with pytest.raises(Forbidden):
        gateway.record(event(kind="arrest", actor=actor(2)), OFFICER)
    with pytest.raises(Forbidden):
        gateway.record(event(kind="arrest", actor=actor(1, "3D")), OFFICER)
    supervisor = Principal("k-sup", KeyRole.SUPERVISOR, "sergeant-1", "1D")
    assert gateway.record(event(kind="arrest", actor=actor(2)), supervisor).flagged == "no_decision"
    assert size(gateway) == before + 2


# -- encounters -----------------------------------------------------------------------------


def test_encounter_keeps_declared_purpose_beside_what_records_show(shared: Gateway) -> None:
    gateway, engine = shared, shared.db
    lead = {"id": "sergeant-1", "agency": "MPD", "role": "commander", "unit": "1D"}
    commander = Principal("k-sup", KeyRole.SUPERVISOR, "sergeant-1", "1D")
    cp = {
        "kind": "checkpoint",
        "id": "cp-1",
        "district": "1D",
        "place": "14th St NW at Riggs St NW",
        "agencies": [{"agency": "MPD", "type": "state_local"}, HSI],
        "declared_purpose": "traffic safety compliance checkpoint",
        "participants": ["3D"],  # issue 8: only units it names record under it
    }
    ref = {"kind": "checkpoint", "id": "cp-1"}
    gateway.record(
        event(kind="encounter_started", at="2025-08-13T19:00:00-04:00", actor=lead, encounter=cp),
        commander,
    )
    decide(gateway, inquiry("cp-a", encounter=ref))
    decide(gateway, inquiry("cp-b", encounter=ref, subject={"id": "p-2", "custody": "stopped"}))
    decide(gateway, {**status_check("cp-c"), "encounter": ref})
    gateway.record(
        event(kind="handover", action="share_information", decision_id="cp-a", encounter=ref),
        OFFICER,
    )
    gateway.record(
        event(
            kind="encounter_ended",
            at="2025-08-13T22:00:00-04:00",
            actor=lead,
            encounter={**ref, "outcome": {"vehicles_stopped": 3, "arrests": 1}},
        ),
        commander,
    )
    # A second officer of a participating unit, with records of their own under it.
    other = officer(5, "3D")
    decide(
        gateway,
        inquiry("cp-d", n=5, actor=actor(5, "3D"), encounter=ref),
        other,
    )

    seen = gateway.encounter("cp-1", AUDITOR)
    assert seen["declared_purpose"] == "traffic safety compliance checkpoint"  # kept
    assert seen["place"] == "14th St NW at Riggs St NW"
    assert seen["district"] == "1D"
    assert seen["agencies"] == cp["agencies"]
    assert seen["flagged"] == ["joint_operation_not_decided"]  # with HSI, none decided
    assert seen["outcome"] == {"vehicles_stopped": 3, "arrests": 1}
    assert datetime.fromisoformat(seen["started_at"]) == datetime(2025, 8, 13, 23, tzinfo=UTC)
    assert datetime.fromisoformat(seen["ended_at"]) == datetime(2025, 8, 14, 2, tzinfo=UTC)
    assert seen["records_show"] == {
        "decisions_by_action": {"database_inquiry": {"permit": 3, "deny": 1}},
        "events_by_kind": {"encounter_started": 1, "handover": 1, "encounter_ended": 1},
        "flagged_events": 1,  # the handover: a share under an inquiry's permit
    }
    assert [d["id"] for d in seen["decisions"]] == ["cp-a", "cp-b", "cp-c", "cp-d"]
    with engine.connect() as conn:
        row = conn.execute(select(encounters).where(encounters.c.id == "cp-1")).one()
    assert json.loads(row.document)["declared_purpose"] == "traffic safety compliance checkpoint"

    # The officer of 3D sees the encounter, and only their own record in it.
    mine = gateway.encounter("cp-1", other)
    assert mine["declared_purpose"] == "traffic safety compliance checkpoint"
    assert [d["id"] for d in mine["decisions"]] == ["cp-d"]
    assert mine["events"] == []
    assert mine["records_show"]["decisions_by_action"] == {
        "database_inquiry": {"permit": 1, "deny": 0}
    }
    assert mine["records_show"]["flagged_events"] == 0
    # Whoever has no record under it does not see it at all.
    with pytest.raises(NotFound):
        gateway.encounter("cp-1", officer(9, "5D"))
    with pytest.raises(NotFound):
        gateway.encounter("no-such-encounter", AUDITOR)


def test_an_officer_sees_an_encounter_they_only_reported(shared: Gateway) -> None:
    stop = {"kind": "traffic_stop", "id": "stop-only-reported", "place": "U St NW"}
    shared.record(event(kind="encounter_started", encounter=stop), OFFICER)
    seen = shared.encounter("stop-only-reported", OFFICER)
    assert seen["place"] == "U St NW"
    assert seen["ended_at"] is None
    assert [e["kind"] for e in seen["events"]] == ["encounter_started"]


# -- instants ------------------------------------------------------------------------------


def test_instants_survive_as_instants(shared: Gateway) -> None:
    gateway, engine = shared, shared.db
    decide(gateway, inquiry("t-1", at="2025-08-15T12:00:00-04:00"))
    gateway.record(
        event(
            id="e-1",
            kind="action_carried_out",
            action="database_inquiry",
            decision_id="t-1",
            at="2025-08-15T12:00:00-04:00",
        ),
        OFFICER,
    )
    noon_edt = datetime(2025, 8, 15, 16, 0, tzinfo=UTC)
    with engine.connect() as conn:
        decided = conn.execute(select(decisions.c.at).where(decisions.c.id == "t-1")).scalar_one()
        done = conn.execute(select(events.c.at).where(events.c.id == "e-1")).scalar_one()
    for value in (decided, done):
        assert value == noon_edt
        assert value.utcoffset() is not None
        assert value.utcoffset().total_seconds() == 0
        assert value.hour == 16
    read = gateway.decision("t-1", OFFICER)
    assert read["request"]["at"] == "2025-08-15T12:00:00-04:00"
    assert datetime.fromisoformat(read["decision"]["at"]) == noon_edt
    # The same instant written as 16:00Z is the same decision time: not after the action.
    assert (
        gateway.record(
            event(
                kind="action_carried_out",
                action="database_inquiry",
                decision_id="t-1",
                at="2025-08-15T16:00:00Z",
            ),
            OFFICER,
        ).flagged
        is None
    )


def test_instants_out_of_range_are_invalid(shared: Gateway) -> None:
    before = size(shared)
    with pytest.raises(InvalidRequest) as caught:
        decide(shared, inquiry("far", at="9999-12-31T23:59:59-12:00"))
    assert caught.value.field == "at"
    with pytest.raises(InvalidRequest) as caught:
        shared.record(event(kind="arrest", at="0001-01-01T00:00:00+14:00"), OFFICER)
    assert caught.value.field == "at"
    assert size(shared) == before


def test_concurrent_requests_with_one_key_verify_it_once(engine: Engine) -> None:
    """Single flight: a burst of requests carrying one key costs one check of it."""
    import threading

    from liaison.errors import Unauthenticated
    from liaison.gateway.auth import KeyStore
    from liaison.gateway.roles import KeyRole

    keys = KeyStore(engine, b"s" * 32)
    key, principal = keys.create(KeyRole.OFFICER, "officer-77", "7D")
    calls: list[str] = []
    real = keys._check

    def counted(k: str, legacy: bool) -> object:
        calls.append(k)
        return real(k, legacy)

    keys._check = counted  # type: ignore[method-assign]
    start = threading.Barrier(16)
    seen: list[object] = []

    def hit() -> None:
        start.wait()
        seen.append(keys.authenticate(key))

    threads = [threading.Thread(target=hit) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == [principal] * 16
    assert len(calls) == 1
    bad = key[:-2] + "xx"
    for _ in range(3):
        with pytest.raises(Unauthenticated):
            keys.authenticate(bad)
    assert calls.count(bad) == 1  # a repeated bad key is not checked again
