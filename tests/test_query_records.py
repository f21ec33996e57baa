"""Querying events and encounters (issue 10, item 1): filters, counts, pages, scope, and an
edited index row refused, on each backend.

Every expected number is counted here from the fixture's own records: the events as they
were recorded (with the flag the gateway answered), and the encounters as this history
made them (an operation with ICE that went ahead after its joint operation was denied,
one that went ahead with none decided), never through the query code.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select, update

from conftest import BACKENDS
from liaison.errors import Forbidden, IntegrityFailure, InvalidRequest
from liaison.gateway.auth import Principal
from liaison.gateway.events import Event
from liaison.gateway.service import Gateway
from liaison.model.request import parse_request
from liaison.reports.query import Listing, counts, page, parse_group_by
from liaison.reports.query_encounters import ENCOUNTERS
from liaison.reports.query_events import EVENTS
from liaison.reports.query_filter import Filter, parse_filter
from liaison.storage.tables import encounters, events
from test_query import ADMIN, AUDITOR, INSTANTS, OFFICERS, SERGEANT, actor, gateways, month

ICE = {"agency": "ICE-ERO", "type": "federal_immigration"}
USPP = {"agency": "USPP", "type": "federal_other"}
AUG13 = "2025-08-13T19:00:00-04:00"  # before EO-25-005: a joint operation with ICE is denied
READERS = [*OFFICERS, SERGEANT, AUDITOR]


@dataclass
class Enc:
    """An encounter as this history makes it."""

    kind: str
    district: str | None
    started: str | None
    participants: list[str] = field(default_factory=list)
    agencies: list[dict[str, str]] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    by: list[tuple[str, str]] = field(default_factory=list)  # (actor, unit) of its records


@dataclass
class History:
    gateway: Gateway
    events: list[dict[str, Any]]  # id, kind, actor, unit, flagged, encounter, decision, at
    encounters: dict[tuple[str, str], Enc]  # by (id, owning unit)


class Recorder:
    def __init__(self, gw: Gateway) -> None:
        self.gw = gw
        self.history = History(gw, [], {})

    def event(self, who: Principal, body: dict[str, Any], owner: str | None = None) -> None:
        done = self.gw.record(Event.model_validate({**body, "actor": actor(who)}), who)
        ref = body.get("encounter")
        key = (ref["id"], owner or str(who.unit)) if ref else None
        if key is not None:
            info = self.history.encounters.setdefault(
                key, Enc(ref["kind"], ref.get("district"), None)
            )
            info.by.append((who.actor_id, str(who.unit)))
            if body["kind"] == "encounter_started":
                info.started = body["at"]
        self.history.events.append(
            {
                "id": done.id,
                "kind": body["kind"],
                "actor": who.actor_id,
                "unit": who.unit,
                "flagged": done.flagged,
                "encounter": key,
                "decision": body.get("decision_id"),
                "at": body["at"],
            }
        )

    def decide(self, who: Principal, body: dict[str, Any], owner: str | None = None) -> str:
        decided = self.gw.decide_and_record(parse_request({**body, "actor": actor(who)}), who)
        ref = body.get("encounter")
        if ref is not None:
            self.history.encounters[(ref["id"], owner or str(who.unit))].by.append(
                (who.actor_id, str(who.unit))
            )
        return decided.decision.decision.value


def inquiry(n: int, purpose: str) -> dict[str, Any]:
    return {
        "id": f"inq-{n}",
        "at": INSTANTS[n % len(INSTANTS)],
        "action": "database_inquiry",
        "database": "NCIC",
        "purposes": [purpose],
        "subject": {"id": f"person-{n}", "custody": "stopped"},
    }


def stops(rec: Recorder) -> None:
    """Traffic stops: some with an inquiry carried out (denied or not), some with a
    notification citing no decision."""
    rng = random.Random(7)
    for n in range(24):
        who = rng.choice(OFFICERS)
        at = INSTANTS[n % len(INSTANTS)]
        stop = {"kind": "traffic_stop", "id": f"stop-{n}", "district": who.unit}
        rec.event(who, {"at": at, "kind": "encounter_started", "encounter": stop})
        ref = {"kind": "traffic_stop", "id": f"stop-{n}"}
        if n % 3 == 0:
            purpose = rng.choice(["immigration_status", "warrant_check"])
            rec.decide(who, {**inquiry(n, purpose), "encounter": ref})
            done = {"at": at, "kind": "action_carried_out", "action": "database_inquiry"}
            rec.event(who, {**done, "decision_id": f"inq-{n}", "encounter": ref})
        elif n % 3 == 1:
            rec.event(who, {"at": at, "kind": "notification_sent", "encounter": ref})
        if n % 4 != 3:
            rec.event(who, {"at": at, "kind": "encounter_ended", "encounter": ref})
    # Another unit's encounter of an id officer-1's unit used: another encounter.
    three = OFFICERS[2]
    own = {"kind": "traffic_stop", "id": "stop-0", "district": "3D"}
    rec.event(three, {"at": INSTANTS[4], "kind": "encounter_started", "encounter": own})


def operations(rec: Recorder) -> None:
    """A 1D checkpoint with ICE and 3D taking part, its joint operation denied before a
    handover; a 3D operation with ICE that went ahead with none decided; a 1D checkpoint
    with the Park Police (not flagged); an action under an encounter never started."""
    one, three = OFFICERS[0], OFFICERS[2]
    cp = {"kind": "checkpoint", "id": "cp-1", "district": "1D", "participants": ["3D"]}
    rec.event(
        one, {"at": AUG13, "kind": "encounter_started", "encounter": {**cp, "agencies": [ICE]}}
    )
    rec.history.encounters[("cp-1", "1D")].participants = ["3D"]
    rec.history.encounters[("cp-1", "1D")].agencies = [ICE]
    ref = {"kind": "checkpoint", "id": "cp-1"}
    joint = {
        "id": "cp-1-joint",
        "at": "2025-08-13T19:01:00-04:00",
        "action": "joint_operation",
        "purposes": ["traffic_enforcement"],
        "operation": {"kind": "checkpoint", "partners": [ICE]},
        "encounter": ref,
    }
    said = rec.decide(one, joint)
    handover = {"at": "2025-08-13T19:10:00-04:00", "kind": "handover", "encounter": ref}
    rec.event(three, {**handover, "action": "custody_transfer"}, owner="1D")
    assert said == "deny"  # the history this test counts from
    rec.history.encounters[("cp-1", "1D")].flags = ["joint_operation_denied"]
    op = {"kind": "other", "id": "op-2", "district": "3D", "agencies": [ICE]}
    rec.event(three, {"at": INSTANTS[3], "kind": "encounter_started", "encounter": op})
    rec.history.encounters[("op-2", "3D")].agencies = [ICE]
    went = {"at": INSTANTS[3], "kind": "arrest", "encounter": {"kind": "other", "id": "op-2"}}
    rec.event(three, went)
    rec.history.encounters[("op-2", "3D")].flags = ["joint_operation_not_decided"]
    park = {"kind": "checkpoint", "id": "cp-3", "district": "1D", "agencies": [USPP]}
    two = OFFICERS[1]
    rec.event(two, {"at": INSTANTS[2], "kind": "encounter_started", "encounter": park})
    rec.history.encounters[("cp-3", "1D")].agencies = [USPP]
    never = {"kind": "arrest", "id": "never-started"}
    rec.event(two, {"at": INSTANTS[1], "kind": "notification_sent", "encounter": never})


@pytest.fixture(scope="module", params=BACKENDS)
def hx(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[History]:
    with gateways(request.param, tmp_path_factory.mktemp("records")) as gw:
        rec = Recorder(gw)
        stops(rec)
        operations(rec)
        yield rec.history


def everything(
    hx: History, listing: Listing, who: Principal, wanted: Filter, limit: int = 5
) -> list[Any]:
    items, cursor = [], None
    while True:
        got = page(hx.gateway.db, hx.gateway.index, who, wanted, limit, cursor, listing)
        items.extend(got.items)
        if got.next_cursor is None:
            return items
        cursor = got.next_cursor


def in_district(hx: History, e: dict[str, Any], district: str) -> bool:
    return e["encounter"] is not None and hx.encounters[e["encounter"]].district == district


EVENT_CASES: list[tuple[dict[str, str], Callable[[History, dict[str, Any]], bool]]] = [
    ({"flag": "any"}, lambda h, e: e["flagged"] is not None),
    ({"flag": "none"}, lambda h, e: e["flagged"] is None),
    ({"flag": "no_decision"}, lambda h, e: e["flagged"] == "no_decision"),
    ({"flag": "decision_denied,no_decision", "unit": "3D"},
     lambda h, e: e["flagged"] in ("decision_denied", "no_decision") and e["unit"] == "3D"),
    ({"kind": "encounter_started,encounter_ended"}, lambda h, e: "encounter" in e["kind"]),
    ({"actor": "officer-2"}, lambda h, e: e["actor"] == "officer-2"),
    ({"encounter": "stop-0"}, lambda h, e: e["encounter"] is not None and
     e["encounter"][0] == "stop-0"),
    ({"district": "3D"}, lambda h, e: in_district(h, e, "3D")),
    ({"encounter_kind": "checkpoint,other"}, lambda h, e: e["encounter"] is not None and
     h.encounters[e["encounter"]].kind in ("checkpoint", "other")),
    ({"decision": "inq-0,inq-3"}, lambda h, e: e["decision"] in ("inq-0", "inq-3")),
    ({"from": "2025-09-01T00:00:00-04:00"}, lambda h, e: month(e["at"]) == "2025-09"),
]  # fmt: skip


@pytest.mark.parametrize(("where", "chosen"), EVENT_CASES, ids=lambda c: str(c))
def test_event_filters_select_what_the_history_says(hx: History, where: Any, chosen: Any) -> None:
    want = sorted(e["id"] for e in hx.events if chosen(hx, e))
    assert 0 < len(want) < len(hx.events)
    wanted = parse_filter(EVENTS.filters, where)
    items = everything(hx, EVENTS, AUDITOR, wanted)
    assert sorted(i["id"] for i in items) == want
    assert counts(hx.gateway.db, AUDITOR, wanted, ["kind"], EVENTS)["total"] == len(want)
    instants = [datetime.fromisoformat(i["at"]) for i in items]
    assert instants == sorted(instants)
    assert all(i["at"].endswith(("-04:00", "-05:00")) for i in items)  # D.C.'s zone


def test_events_count_by_kind_flag_and_month(hx: History) -> None:
    want = Counter((e["kind"], e["flagged"], month(e["at"])) for e in hx.events)
    keys = parse_group_by("kind,flag,month", EVENTS)
    got = counts(hx.gateway.db, AUDITOR, Filter(), keys, EVENTS)
    assert {(g["kind"], g["flag"], g["month"]): g["count"] for g in got["groups"]} == want
    assert got["total"] == len(hx.events)
    assert {e["flagged"] for e in hx.events} >= {None, "no_decision", "decision_denied"}


@pytest.mark.parametrize("who", READERS, ids=lambda p: p.actor_id)
def test_each_role_lists_and_counts_the_events_it_may_read(hx: History, who: Principal) -> None:
    want = sorted(e["id"] for e in hx.events if who.may_read(e["actor"], e["unit"]))
    assert sorted(i["id"] for i in everything(hx, EVENTS, who, Filter())) == want
    assert counts(hx.gateway.db, who, Filter(), ["flag"], EVENTS)["total"] == len(want)


def readable(who: Principal, key: tuple[str, str], enc: Enc) -> bool:
    """``GET /v1/encounters/{id}``'s rule, from this history's records under it."""
    if who.reads_everything:
        return True
    members = {key[1], *enc.participants}
    return who.unit in members and any(who.may_read(a, u) for a, u in enc.by)


ENCOUNTER_CASES: list[tuple[dict[str, str], Callable[[Enc, tuple[str, str]], bool]]] = [
    ({"flag": "any"}, lambda c, k: bool(c.flags)),
    ({"flag": "none"}, lambda c, k: not c.flags),
    ({"flag": "joint_operation_denied"}, lambda c, k: c.flags == ["joint_operation_denied"]),
    ({"kind": "checkpoint"}, lambda c, k: c.kind == "checkpoint"),
    ({"district": "3D"}, lambda c, k: c.district == "3D"),
    ({"unit": "3D"}, lambda c, k: k[1] == "3D" or "3D" in c.participants),
    ({"agency_type": "federal_immigration"}, lambda c, k: ICE in c.agencies),
    ({"agency": "USPP,Nobody"}, lambda c, k: USPP in c.agencies),
    ({"from": "2025-09-01T00:00:00-04:00", "to": "2025-10-01T00:00:00-04:00"},
     lambda c, k: c.started is not None and month(c.started) == "2025-09"),
]  # fmt: skip


@pytest.mark.parametrize(("where", "chosen"), ENCOUNTER_CASES, ids=lambda c: str(c))
def test_encounter_filters_select_what_the_history_says(
    hx: History, where: Any, chosen: Any
) -> None:
    want = sorted(k for k, c in hx.encounters.items() if chosen(c, k))
    assert 0 < len(want) < len(hx.encounters)
    wanted = parse_filter(ENCOUNTERS.filters, where)
    items = everything(hx, ENCOUNTERS, AUDITOR, wanted, limit=3)
    assert sorted((i["id"], i["unit"]) for i in items) == want
    for i in items:
        assert i["flagged"] == hx.encounters[(i["id"], i["unit"])].flags
    assert counts(hx.gateway.db, AUDITOR, wanted, ["kind"], ENCOUNTERS)["total"] == len(want)


def test_encounters_page_by_start_with_the_unstarted_last(hx: History) -> None:
    items = everything(hx, ENCOUNTERS, AUDITOR, Filter(), limit=4)
    assert len(items) == len(hx.encounters) == len({(i["id"], i["unit"]) for i in items})
    started = [datetime.fromisoformat(i["started_at"]) for i in items if i["started_at"]]
    assert started == sorted(started)
    assert [i["id"] for i in items if i["started_at"] is None] == ["never-started"]
    assert items[-1]["id"] == "never-started"


def test_encounters_count_by_kind_flag_and_month(hx: History) -> None:
    want: Counter[tuple[Any, ...]] = Counter()
    for c in hx.encounters.values():
        for flag in c.flags or [None]:
            want[(c.kind, flag, month(c.started) if c.started else None)] += 1
    keys = parse_group_by("kind,flag,month", ENCOUNTERS)
    got = counts(hx.gateway.db, AUDITOR, Filter(), keys, ENCOUNTERS)
    assert {(g["kind"], g["flag"], g["month"]): g["count"] for g in got["groups"]} == want
    assert got["total"] == len(hx.encounters)


@pytest.mark.parametrize("who", READERS, ids=lambda p: p.actor_id)
def test_each_role_lists_the_encounters_it_may_read(hx: History, who: Principal) -> None:
    want = sorted(k for k, c in hx.encounters.items() if readable(who, k, c))
    got = everything(hx, ENCOUNTERS, who, Filter(), limit=3)
    assert sorted((i["id"], i["unit"]) for i in got) == want
    assert counts(hx.gateway.db, who, Filter(), ["unit"], ENCOUNTERS)["total"] == len(want)
    if who.actor_id == "officer-3":  # cp-1 is 1D's, named 3D, and officer-3 recorded there
        assert ("cp-1", "1D") in want


def test_an_admin_reads_no_events_nor_encounters(hx: History) -> None:
    for listing in (EVENTS, ENCOUNTERS):
        with pytest.raises(Forbidden):
            page(hx.gateway.db, hx.gateway.index, ADMIN, Filter(), listing=listing)
        with pytest.raises(Forbidden):
            counts(hx.gateway.db, ADMIN, Filter(), ["kind"], listing)


@pytest.mark.parametrize(
    ("listing", "given", "field"),
    [
        (EVENTS, {"flag": "joint_operation_denied"}, "flag"),
        (EVENTS, {"kind": "checkpoint"}, "kind"),
        (EVENTS, {"purpose": "warrant_check"}, "purpose"),
        (EVENTS, {"decision": "a,,b"}, "decision"),
        (ENCOUNTERS, {"flag": "no_decision"}, "flag"),
        (ENCOUNTERS, {"agency_type": "spies"}, "agency_type"),
        (ENCOUNTERS, {"actor": "officer-1"}, "actor"),
        (ENCOUNTERS, {"from": "2025-09-01"}, "from"),
    ],
    ids=lambda c: str(c),
)
def test_a_bad_filter_names_its_field(listing: Listing, given: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidRequest) as raised:
        parse_filter(listing.filters, given)
    assert raised.value.field == field


def test_bad_grouping_and_cursor_name_their_field(hx: History) -> None:
    for listing, text in ((EVENTS, "purpose"), (ENCOUNTERS, "action"), (ENCOUNTERS, "flag,flag")):
        with pytest.raises(InvalidRequest) as raised:
            parse_group_by(text, listing)
        assert raised.value.field == "group_by"
    decisions_cursor = page(hx.gateway.db, hx.gateway.index, AUDITOR, Filter(), 1).next_cursor
    assert decisions_cursor is not None
    with pytest.raises(InvalidRequest) as raised:  # (at, index) is not (started, id, unit)
        page(hx.gateway.db, hx.gateway.index, AUDITOR, Filter(), 1, decisions_cursor, ENCOUNTERS)
    assert raised.value.field == "cursor"


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_edited_row_fails_closed(backend: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """An event's flag cleared in SQL, or an encounter's: the page is refused, not served
    without it."""
    with gateways(backend, tmp_path_factory.mktemp("edited")) as gw:
        rec = Recorder(gw)
        operations(rec)
        flagged = next(e for e in rec.history.events if e["flagged"])
        with gw.db.begin() as conn:
            conn.execute(update(events).where(events.c.id == flagged["id"]).values(flagged=None))
        with pytest.raises(IntegrityFailure):
            page(gw.db, gw.index, AUDITOR, Filter(), 1000, listing=EVENTS)
        with gw.db.begin() as conn:
            again = update(events).where(events.c.id == flagged["id"])
            conn.execute(again.values(flagged=flagged["flagged"]))
        assert len(page(gw.db, gw.index, AUDITOR, Filter(), listing=ENCOUNTERS).items) == 4
        where = (encounters.c.id == "cp-1", encounters.c.unit == "1D")
        with gw.db.begin() as conn:
            stored = json.loads(conn.execute(select(encounters.c.document).where(*where)).one()[0])
            del stored["flagged"]
            conn.execute(update(encounters).where(*where).values(document=json.dumps(stored)))
        with pytest.raises(IntegrityFailure):
            page(gw.db, gw.index, AUDITOR, Filter(), 1000, listing=ENCOUNTERS)
