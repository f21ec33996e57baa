"""Querying recorded decisions (issue 10, item 1): filters, counts, pages, scope.

Every expected number is counted here from the fixture's own requests and the decisions
the gateway answered when it recorded them, never through the query code.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from conftest import BACKENDS, database_url
from liaison.errors import Forbidden, InvalidRequest
from liaison.gateway.auth import Principal
from liaison.gateway.events import Event
from liaison.gateway.roles import KeyRole
from liaison.gateway.service import Gateway
from liaison.ledger.log import Ledger
from liaison.model.request import parse_request
from liaison.policy import Engine as PolicyEngine
from liaison.policy import load_pack, shipped_pack_path
from liaison.reports.query import counts, page, parse_group_by
from liaison.reports.query_filter import DECISION_FILTERS, Filter, parse_filter
from liaison.storage.database import open_engine
from liaison.storage.migrate import upgrade

EASTERN = ZoneInfo("America/New_York")
AUDITOR = Principal("k-auditor", KeyRole.AUDITOR, "auditor-1", None)
SERGEANT = Principal("k-sergeant", KeyRole.SUPERVISOR, "sergeant-1", "1D")
ADMIN = Principal("k-admin", KeyRole.ADMIN, "admin-1", None)
OFFICERS = [Principal(f"k-{n}", KeyRole.OFFICER, f"officer-{n}", u) for n, u in
            ((1, "1D"), (2, "1D"), (3, "3D"))]  # fmt: skip
# Instants around the end of August in D.C. (2025-09-01T02:00Z is still 31 August there).
INSTANTS = [
    "2025-08-01T03:30:00Z",
    "2025-08-15T12:00:00-04:00",
    "2025-09-01T02:00:00Z",
    "2025-09-01T04:00:00Z",
    "2025-09-20T09:15:00-04:00",
]


def actor(who: Principal) -> dict[str, Any]:
    return {"id": who.actor_id, "agency": "MPD", "role": "officer", "unit": who.unit}


def request_for(rng: random.Random, n: int) -> tuple[dict[str, Any], Principal]:
    who = rng.choice(OFFICERS)
    custody = rng.choice(["stopped", "free", "mpd_custody"])
    body: dict[str, Any] = {
        "id": f"q-{n}",
        "at": rng.choice(INSTANTS),
        "actor": actor(who),
        "subject": {"id": f"person-{n}", "custody": custody},
    }
    if rng.random() < 0.3:
        body["subject"]["federal_criminal_charge"] = True
    if rng.random() < 0.6:
        purposes = rng.choice([["warrant_check"], ["immigration_status"]])
        if rng.random() < 0.3:
            purposes = ["immigration_status", "warrant_check"]
        database = rng.choice(["WALES", "NCIC"])
        body.update(action="database_inquiry", database=database, purposes=purposes)
    else:
        body.update(
            action="share_information",
            purposes=["civil_immigration_enforcement"],
            recipient={"agency": "ICE", "type": "federal_immigration"},
            data_classes=rng.choice([["release_datetime"], ["home_address", "release_datetime"]]),
            initiative=rng.choice(["on_request", "proactive"]),
            legal_process=rng.choice(["none", "judicial_warrant"]),
        )
    return body, who


@dataclass
class Fixture:
    gateway: Gateway
    requests: list[dict[str, Any]]  # each with "decided": the outcome the gateway answered


@contextmanager
def gateways(backend: str, folder: Path) -> Iterator[Gateway]:
    """A gateway on a scratch database of ``backend`` (closed after)."""
    for url in database_url(backend, folder):
        db = open_engine(url)
        upgrade(db)
        gw = Gateway(PolicyEngine(load_pack(shipped_pack_path("dc"))), Ledger(db, "t/q"), db)
        try:
            yield gw
        finally:
            gw.close()
            db.dispose()


def record(gw: Gateway, body: dict[str, Any], who: Principal) -> dict[str, Any]:
    decided = gw.decide_and_record(parse_request(body), who).decision
    cited = {(c.directive, c.section) for c in decided.citations}
    return {**body, "decided": decided.decision.value, "cited": cited}


@pytest.fixture(scope="module", params=BACKENDS)
def fx(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Fixture]:
    with gateways(request.param, tmp_path_factory.mktemp("query")) as gw:
        rng = random.Random(10)
        made = [record(gw, *request_for(rng, n)) for n in range(60)]
        opened = {"kind": "traffic_stop", "id": "stop-1", "district": "1D"}
        one = OFFICERS[0]
        gw.record(
            Event.model_validate(
                {
                    "at": INSTANTS[1],
                    "kind": "encounter_started",
                    "actor": actor(one),
                    "encounter": opened,
                }
            ),
            one,
        )
        body, _ = request_for(random.Random(1), 99)
        body.update(actor=actor(one), encounter={"kind": "traffic_stop", "id": "stop-1"})
        made.append(record(gw, body, one))
        yield Fixture(gw, made)


def month(at: str) -> str:
    moment = datetime.fromisoformat(at.replace("Z", "+00:00")).astimezone(EASTERN)
    return f"{moment.year:04d}-{moment.month:02d}"


def everything(fx: Fixture, who: Principal, wanted: Filter, limit: int = 7) -> list[Any]:
    items, cursor = [], None
    while True:
        got = page(fx.gateway.db, fx.gateway.index, who, wanted, limit, cursor)
        items.extend(got.items)
        if got.next_cursor is None:
            return items
        cursor = got.next_cursor


def test_counts_by_action_decision_month_agree_with_the_requests(fx: Fixture) -> None:
    want = Counter((r["action"], r["decided"], month(r["at"])) for r in fx.requests)
    got = counts(fx.gateway.db, AUDITOR, Filter(), parse_group_by("action,decision,month"))
    assert {(g["action"], g["decision"], g["month"]): g["count"] for g in got["groups"]} == want
    assert got["total"] == len(fx.requests)
    assert {month(at) for at in INSTANTS} == {"2025-07", "2025-08", "2025-09"}


@pytest.mark.parametrize(
    ("where", "chosen"),
    [
        ({"purpose": "immigration_status"}, lambda r: "immigration_status" in r["purposes"]),
        ({"recipient_type": "federal_immigration", "custody": "free"},
         lambda r: "recipient" in r and r["subject"]["custody"] == "free"),
        ({"action": "share_information", "custody": "free,stopped"},
         lambda r: "recipient" in r and r["subject"]["custody"] != "mpd_custody"),
        ({"purpose": "warrant_check,immigration_status", "unit": "3D"},
         lambda r: r["actor"]["unit"] == "3D" and r["action"] == "database_inquiry"),
        ({"database": "NCIC", "decision": "deny"},
         lambda r: r.get("database") == "NCIC" and r["decided"] == "deny"),
        ({"directive": "EO-25-005"}, lambda r: any(d == "EO-25-005" for d, _ in r["cited"])),
        ({"from": "2025-09-01T00:00:00-04:00", "to": "2025-10-01T00:00:00-04:00"},
         lambda r: month(r["at"]) == "2025-09"),
        ({"district": "1D"}, lambda r: "encounter" in r),
        ({"encounter_kind": "traffic_stop"}, lambda r: "encounter" in r),
        ({"unit": "3D", "action": "share_information"},
         lambda r: r["actor"]["unit"] == "3D" and r["action"] == "share_information"),
        ({"initiative": "proactive"}, lambda r: r.get("initiative") == "proactive"),
        ({"initiative": "on_request", "action": "share_information"},
         lambda r: "recipient" in r and r["initiative"] == "on_request"),
        ({"legal_process": "judicial_warrant"},
         lambda r: r.get("legal_process") == "judicial_warrant"),
        ({"federal_charge": "true"}, lambda r: r["subject"].get("federal_criminal_charge")),
        ({"federal_charge": "false"},
         lambda r: not r["subject"].get("federal_criminal_charge")),
        ({"data_class": "home_address"}, lambda r: "home_address" in r.get("data_classes", ())),
    ],
)  # fmt: skip
def test_filters_select_what_the_requests_say(fx: Fixture, where: Any, chosen: Any) -> None:
    want = sorted(r["id"] for r in fx.requests if chosen(r))
    assert want
    assert len(want) < len(fx.requests)
    wanted = parse_filter(DECISION_FILTERS, where)
    items = everything(fx, AUDITOR, wanted)
    assert sorted(i["id"] for i in items) == want
    assert counts(fx.gateway.db, AUDITOR, wanted, ["action"])["total"] == len(want)
    first = page(fx.gateway.db, fx.gateway.index, AUDITOR, wanted, 1000)
    assert first.total == len(want)
    assert first.next_cursor is None


def test_counts_by_initiative_and_federal_charge_agree_with_the_requests(fx: Fixture) -> None:
    shared = [r for r in fx.requests if r["action"] == "share_information"]
    want = Counter(
        (r["initiative"], bool(r["subject"].get("federal_criminal_charge"))) for r in shared
    )
    wanted = parse_filter(DECISION_FILTERS, {"action": "share_information"})
    got = counts(fx.gateway.db, AUDITOR, wanted, ["initiative", "federal_charge"])
    assert {(g["initiative"], g["federal_charge"]): g["count"] for g in got["groups"]} == want
    assert len(want) == 4


def test_pages_are_in_time_order_with_purposes_and_citations(fx: Fixture) -> None:
    items = everything(fx, AUDITOR, Filter(), limit=9)
    by_id = {r["id"]: r for r in fx.requests}
    assert len(items) == len(fx.requests) == len({i["id"] for i in items})
    instants = [datetime.fromisoformat(i["at"]) for i in items]
    assert instants == sorted(instants)
    for i in items:
        # the request's instant as a person reads it (docs/api.md "Times"), not as sent
        assert i["request"]["at"] == i["at"]
        assert i["at"][-6:] in ("-04:00", "-05:00")
        assert i["purposes"] == sorted(by_id[i["id"]]["purposes"])
        assert i["citations"] == [f"{d} {s}" for d, s in sorted(by_id[i["id"]]["cited"])]


@pytest.mark.parametrize("who", [*OFFICERS, SERGEANT, AUDITOR], ids=lambda p: p.actor_id)
def test_each_role_counts_and_lists_only_what_it_may_read(fx: Fixture, who: Principal) -> None:
    want = sorted(
        r["id"] for r in fx.requests if who.may_read(r["actor"]["id"], r["actor"]["unit"])
    )
    assert sorted(i["id"] for i in everything(fx, who, Filter())) == want
    assert counts(fx.gateway.db, who, Filter(), ["decision"])["total"] == len(want)


def test_an_admin_reads_no_records(fx: Fixture) -> None:
    with pytest.raises(Forbidden):
        page(fx.gateway.db, fx.gateway.index, ADMIN, Filter())
    with pytest.raises(Forbidden):
        counts(fx.gateway.db, ADMIN, Filter(), ["action"])


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"action": "teleport"}, "action"),
        ({"from": "2025-08-01T00:00:00"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": "2025-09-01T00:00:00Z", "to": "2025-08-01T00:00:00Z"}, "to"),
        ({"purpose": "curiosity"}, "purpose"),
        ({"colour": "red"}, "colour"),
        ({"unit": ""}, "unit"),
        ({"unit": "1D,"}, "unit"),
        ({"custody": "free,jailed"}, "custody"),
        ({"federal_charge": "yes"}, "federal_charge"),
        ({"data_class": "shoe_size"}, "data_class"),
        ({"legal_process": "a_note"}, "legal_process"),
        ({"encounter_kind": "picnic"}, "encounter_kind"),
    ],
)
def test_a_bad_filter_names_its_field(given: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidRequest) as raised:
        parse_filter(DECISION_FILTERS, given)
    assert raised.value.field == field


def test_encounter_kind_is_the_encounter_row_s_kind(fx: Fixture) -> None:
    stopped = parse_filter(DECISION_FILTERS, {"encounter_kind": "traffic_stop"})
    assert counts(fx.gateway.db, AUDITOR, stopped, ["action"])["total"] == 1
    other = parse_filter(DECISION_FILTERS, {"encounter_kind": "checkpoint,arrest"})
    assert counts(fx.gateway.db, AUDITOR, other, ["action"])["total"] == 0


def test_bad_paging_and_grouping_name_their_field(fx: Fixture) -> None:
    for limit, cursor, field in ((0, None, "limit"), (1001, None, "limit"), (5, "xx", "cursor")):
        with pytest.raises(InvalidRequest) as raised:
            page(fx.gateway.db, fx.gateway.index, AUDITOR, Filter(), limit, cursor)
        assert raised.value.field == field
    for text in ("", "colour", "action,action"):
        with pytest.raises(InvalidRequest) as raised:
            parse_group_by(text)
        assert raised.value.field == "group_by"


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_row_is_paged_once_while_others_are_recorded(backend: str, tmp_path: Path) -> None:
    with gateways(backend, tmp_path) as gw:
        rng = random.Random(3)
        before = {record(gw, *request_for(rng, n))["id"] for n in range(40)}
        seen: list[str] = []
        cursor = None
        extra = 100
        while True:
            got = page(gw.db, gw.index, AUDITOR, Filter(), 6, cursor)
            seen.extend(i["id"] for i in got.items)
            for _ in range(3):  # recorded between pages: earlier, later, and alike
                record(gw, *request_for(rng, extra))
                extra += 1
            if got.next_cursor is None:
                break
            cursor = got.next_cursor
        assert len(seen) == len(set(seen))
        assert before <= set(seen)


@pytest.mark.parametrize("who", [*OFFICERS, SERGEANT], ids=lambda p: p.actor_id)
def test_a_page_total_counts_only_what_the_reader_may_read(fx: Fixture, who: Principal) -> None:
    want = [r for r in fx.requests if who.may_read(r["actor"]["id"], r["actor"]["unit"])]
    assert page(fx.gateway.db, fx.gateway.index, who, Filter(), limit=1).total == len(want)


def test_counts_by_purpose_directive_and_section_count_a_decision_in_each_group(
    fx: Fixture,
) -> None:
    """A decision with two purposes (or citations) counts once in each group; ``total``
    counts each decision once."""
    by_purpose = Counter(p for r in fx.requests for p in set(r["purposes"]))
    got = counts(fx.gateway.db, AUDITOR, Filter(), parse_group_by("purpose"))
    assert {g["purpose"]: g["count"] for g in got["groups"]} == by_purpose
    assert got["total"] == len(fx.requests) < sum(by_purpose.values())
    cited = Counter(
        (r["decided"], d) for r in fx.requests for d in {d for d, _ in r["cited"]} or {None}
    )
    got = counts(fx.gateway.db, AUDITOR, Filter(), parse_group_by("decision,directive"))
    assert {(g["decision"], g["directive"]): g["count"] for g in got["groups"]} == cited
    sections = Counter(f"{d} {s}" for r in fx.requests for d, s in r["cited"])
    wanted = parse_filter(DECISION_FILTERS, {"action": "share_information"})
    shared = [r for r in fx.requests if r["action"] == "share_information"]
    got = counts(fx.gateway.db, AUDITOR, wanted, parse_group_by("directive,section"))
    assert got["total"] == len(shared)
    want = Counter((d, f"{d} {s}") for r in shared for d, s in r["cited"]) + Counter(
        (None, None) for r in shared if not r["cited"]
    )
    assert {(g["directive"], g["section"]): g["count"] for g in got["groups"]} == want
    assert sections  # the history cites sections
    classes = Counter(c for r in shared for c in r["data_classes"])
    got = counts(fx.gateway.db, AUDITOR, wanted, parse_group_by("data_class"))
    assert {g["data_class"]: g["count"] for g in got["groups"]} == classes
    assert got["total"] == len(shared) < sum(classes.values())


def test_directive_and_section_filter_one_citation(fx: Fixture) -> None:
    """``directive=D&section=S`` selects decisions citing D's section S (not D and some
    other directive's S)."""
    pairs = Counter(c for r in fx.requests for c in r["cited"])
    (directive, section), _ = pairs.most_common(1)[0]
    wanted = parse_filter(DECISION_FILTERS, {"directive": directive, "section": section})
    want = sorted(r["id"] for r in fx.requests if (directive, section) in r["cited"])
    assert sorted(i["id"] for i in everything(fx, AUDITOR, wanted)) == want
