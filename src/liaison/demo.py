"""A realistic demo history, August to September 2025, loaded through the gateway.

Traffic stops across the seven districts, with the inquiries, notifications and
transports officers ask for under them; the 14th Street "traffic safety compliance
checkpoint" of 13 August with federal partners; denied inquiries; and some actions
that no directive allowed, reported afterwards and flagged. Everything goes through
``Gateway.decide_and_record`` and ``Gateway.record``, so it is in the ledger exactly
as live traffic would be. Deterministic (seeded); loading twice does nothing the
second time.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from liaison.gateway.auth import Principal
from liaison.gateway.events import Event
from liaison.gateway.roles import KeyRole
from liaison.gateway.service import Gateway
from liaison.model.request import parse_request
from liaison.storage.tables import decisions, events

EASTERN = ZoneInfo("America/New_York")
DISTRICTS = [f"{n}D" for n in range(1, 8)]
STREETS = [
    "14th St NW",
    "Georgia Ave NW",
    "Benning Rd NE",
    "Pennsylvania Ave SE",
    "Martin Luther King Jr Ave SE",
    "Connecticut Ave NW",
    "New York Ave NE",
    "U St NW",
    "H St NE",
    "Minnesota Ave NE",
]
ICE = {"agency": "ICE-ERO", "type": "federal_immigration"}
HSI = {"agency": "HSI", "type": "federal_immigration"}
USPP = {"agency": "USPP", "type": "federal_other"}


@dataclass
class DemoResult:
    decisions: int
    events: int
    skipped: bool


def _actor(officer: int, district: str) -> dict[str, Any]:
    return {"id": f"officer-{officer}", "agency": "MPD", "role": "officer", "unit": district}


def _iso(moment: datetime) -> str:
    return moment.isoformat()


class _Stop:
    """One traffic stop: what was asked, decided and done under it."""

    def __init__(self, rng: random.Random, n: int, when: datetime, district: str) -> None:
        self.rng, self.n, self.when, self.district = rng, n, when, district
        self.officer = rng.randrange(1000, 1400)
        self.stop_id = f"stop-{when:%Y%m%d}-{n:05d}"
        self.person = f"person-{rng.randrange(10**6):06d}"

    def request(self, k: int, minutes: int, **fields: Any) -> dict[str, Any]:
        return {
            "id": f"{self.stop_id}-r{k}",
            "at": _iso(self.when + timedelta(minutes=minutes)),
            "actor": _actor(self.officer, self.district),
            "encounter": {"kind": "traffic_stop", "id": self.stop_id},
            **fields,
        }

    def subject(self, custody: str = "stopped") -> dict[str, Any]:
        return {"id": self.person, "custody": custody}


def _stop_plan(stop: _Stop) -> list[tuple[str, dict[str, Any]]]:
    """The sequence of ('decide' | 'event', body) for one stop."""
    rng, plan = stop.rng, []
    encounter = {
        "kind": "traffic_stop",
        "id": stop.stop_id,
        "district": stop.district,
        "place": rng.choice(STREETS),
        "agencies": [{"agency": "MPD", "type": "state_local"}],
    }
    plan.append(
        (
            "event",
            {
                "at": _iso(stop.when),
                "kind": "encounter_started",
                "actor": _actor(stop.officer, stop.district),
                "encounter": encounter,
            },
        )
    )
    plan.append(
        (
            "decide",
            stop.request(
                1,
                2,
                action="database_inquiry",
                database="WALES",
                purposes=["warrant_check", "traffic_enforcement"],
                subject=stop.subject(),
            ),
        )
    )
    roll = rng.random()
    if roll < 0.25:  # an immigration status check on the stopped driver
        plan.append(
            (
                "decide",
                stop.request(
                    2,
                    4,
                    action="database_inquiry",
                    database="NCIC",
                    purposes=["immigration_status"],
                    subject=stop.subject(),
                ),
            )
        )
    elif roll < 0.32:
        plan.append(
            (
                "decide",
                stop.request(
                    2,
                    4,
                    action="database_inquiry",
                    database="NLETS_IAQ",
                    purposes=["identity_verification"],
                    subject=stop.subject(),
                ),
            )
        )
    if rng.random() < 0.35:  # tell ICE about the stop
        plan.append(
            (
                "decide",
                stop.request(
                    3,
                    6,
                    action="share_information",
                    purposes=["assist_federal_agency"],
                    initiative="proactive",
                    subject=stop.subject(),
                    recipient=ICE,
                    data_classes=["identity", "location"],
                ),
            )
        )
        plan.append(
            (
                "event",
                {
                    "at": _iso(stop.when + timedelta(minutes=7)),
                    "kind": "notification_sent",
                    "decision_id": f"{stop.stop_id}-r3",
                    "action": "share_information",
                    "actor": _actor(stop.officer, stop.district),
                    "encounter": {"kind": "traffic_stop", "id": stop.stop_id},
                },
            )
        )
        if rng.random() < 0.2:  # and drive the detained person to the federal agents
            plan.append(
                (
                    "decide",
                    stop.request(
                        4,
                        30,
                        action="transport",
                        purposes=["assist_federal_agency"],
                        subject=stop.subject("federal_custody"),
                        recipient=ICE,
                        transport={"passengers": "detained_subject"},
                    ),
                )
            )
            plan.append(
                (
                    "event",
                    {
                        "at": _iso(stop.when + timedelta(minutes=45)),
                        "kind": "transport",
                        "decision_id": f"{stop.stop_id}-r4",
                        "actor": _actor(stop.officer, stop.district),
                        "encounter": {"kind": "traffic_stop", "id": stop.stop_id},
                    },
                )
            )
    if rng.random() < 0.03:  # an action reported with no decision before it
        plan.append(
            (
                "event",
                {
                    "at": _iso(stop.when + timedelta(minutes=12)),
                    "kind": "notification_sent",
                    "action": "share_information",
                    "actor": _actor(stop.officer, stop.district),
                    "note": "called the ICE field office from the scene",
                    "encounter": {"kind": "traffic_stop", "id": stop.stop_id},
                },
            )
        )
    outcome = {
        "vehicles_stopped": 1,
        "infractions": rng.choice([0, 1, 1, 2]),
        "arrests": 1 if rng.random() < 0.05 else 0,
    }
    plan.append(
        (
            "event",
            {
                "at": _iso(stop.when + timedelta(minutes=50)),
                "kind": "encounter_ended",
                "actor": _actor(stop.officer, stop.district),
                "encounter": {**encounter, "outcome": outcome},
            },
        )
    )
    return plan


def _checkpoint_plan() -> list[tuple[str, dict[str, Any]]]:
    """The 14th Street checkpoint of 13 August 2025, with federal partners: opened by 3D's
    commander, with officers of 3D and of 2D, which it names as a participant (an
    encounter belongs to the unit that opened it and the units it names)."""
    start = datetime(2025, 8, 13, 19, 0, tzinfo=EASTERN)
    lead = {"id": "commander-310", "agency": "MPD", "role": "commander", "unit": "3D"}
    cp = {
        "kind": "checkpoint",
        "id": "checkpoint-2025-08-13-14th-st",
        "district": "3D",
        "place": "14th St NW at Riggs St NW",
        "agencies": [{"agency": "MPD", "type": "state_local"}, USPP, HSI, ICE],
        "declared_purpose": "traffic safety compliance checkpoint",
        "participants": ["2D"],
    }
    ref = {"kind": "checkpoint", "id": cp["id"]}
    plan: list[tuple[str, dict[str, Any]]] = [
        ("event", {"at": _iso(start), "kind": "encounter_started", "actor": lead, "encounter": cp}),
        (
            "decide",
            {
                "id": "cp-14th-joint",
                "at": _iso(start),
                "actor": lead,
                "action": "joint_operation",
                "purposes": ["traffic_enforcement"],
                "operation": {"kind": "checkpoint", "partners": [USPP, HSI, ICE]},
                "encounter": ref,
            },
        ),
    ]
    rng = random.Random(813)
    for k in range(40):
        unit = "2D" if k % 4 == 3 else "3D"  # one officer in four from the 2nd District
        officer = {
            "id": f"officer-{(2100 if unit == '2D' else 3100) + k % 12}",
            "agency": "MPD",
            "role": "officer",
            "unit": unit,
        }
        at = start + timedelta(minutes=3 * k)
        person = {"id": f"person-cp-{k:03d}", "custody": "stopped"}
        plan.append(
            (
                "decide",
                {
                    "id": f"cp-14th-{k}-wales",
                    "at": _iso(at),
                    "actor": officer,
                    "action": "database_inquiry",
                    "database": "WALES",
                    "purposes": ["traffic_enforcement"],
                    "subject": person,
                    "encounter": ref,
                },
            )
        )
        if rng.random() < 0.5:
            plan.append(
                (
                    "decide",
                    {
                        "id": f"cp-14th-{k}-share",
                        "at": _iso(at + timedelta(minutes=1)),
                        "actor": officer,
                        "action": "share_information",
                        "purposes": ["assist_federal_agency"],
                        "initiative": "proactive",
                        "subject": person,
                        "recipient": HSI,
                        "data_classes": ["identity", "location"],
                        "encounter": ref,
                    },
                )
            )
            plan.append(
                (
                    "event",
                    {
                        "at": _iso(at + timedelta(minutes=2)),
                        "kind": "handover",
                        "actor": officer,
                        "decision_id": f"cp-14th-{k}-share",
                        "action": "share_information",
                        "encounter": ref,
                        "note": "driver's details given to HSI agents at the checkpoint",
                    },
                )
            )
    plan.append(
        (
            "event",
            {
                "at": _iso(start + timedelta(hours=3)),
                "kind": "encounter_ended",
                "actor": lead,
                "encounter": {
                    **cp,
                    "outcome": {"vehicles_stopped": 40, "infractions": 22, "arrests": 6},
                },
            },
        )
    )
    return plan


def _stops(seed: int, per_day: int) -> list[_Stop]:
    rng = random.Random(seed)
    out: list[_Stop] = []
    day = datetime(2025, 8, 1, tzinfo=EASTERN)
    n = 0
    while day < datetime(2025, 10, 1, tzinfo=EASTERN):
        for _ in range(per_day):
            when = day + timedelta(minutes=rng.randrange(6 * 60, 24 * 60 - 60))
            out.append(_Stop(random.Random(rng.random()), n, when, rng.choice(DISTRICTS)))
            n += 1
        day += timedelta(days=1)
    return out


def load_demo(
    gateway: Gateway,
    *,
    per_day: int = 30,
    seed: int = 2025,
    progress: Callable[[int], None] | None = None,
) -> DemoResult:
    """Record the demo history through ``gateway``. Every step has a fixed id, so a load
    that was interrupted resumes where it stopped, and a finished one is not repeated."""
    plans = _pending(
        gateway,
        [_with_ids(_checkpoint_plan())] + [_with_ids(_stop_plan(s)) for s in _stops(seed, per_day)],
    )
    if not plans:
        return DemoResult(0, 0, True)
    # The loader speaks for each district as its supervisor would (no API key is made).
    loaders = {
        d: Principal(f"demo-{d}", KeyRole.SUPERVISOR, f"demo-loader-{d}", d) for d in DISTRICTS
    }

    def run(plan: list[tuple[str, dict[str, Any]]]) -> tuple[int, int]:
        decided = recorded = 0
        for kind, body in plan:
            who = _who(loaders, body["actor"]["unit"])
            if kind == "decide":
                gateway.decide_and_record(parse_request(body), who)
                decided += 1
            else:
                gateway.record(Event.model_validate(body), who)
                recorded += 1
        if progress is not None:
            progress(1)
        return decided, recorded

    with ThreadPoolExecutor(max_workers=16) as pool:  # concurrency lets group commit batch
        counts = list(pool.map(run, plans))  # per plan: no shared counter across threads
    return DemoResult(sum(c[0] for c in counts), sum(c[1] for c in counts), False)


Plan = list[tuple[str, dict[str, Any]]]


def _with_ids(plan: Plan) -> Plan:
    """``plan`` with an id for each event: its encounter's id and its place in the plan."""
    key = plan[0][1]["encounter"]["id"]  # every plan opens its encounter
    return [
        (kind, body if kind == "decide" or "id" in body else {**body, "id": f"evt-{key}-{n}"})
        for n, (kind, body) in enumerate(plan)
    ]


def _pending(gateway: Gateway, plans: list[Plan]) -> list[Plan]:
    """The steps of ``plans`` not recorded yet (each plan keeps its order); empty plans go."""
    done: set[tuple[str, str]] = set()  # (actor, id): ids are per actor
    for table, kind in ((decisions, "decide"), (events, "event")):
        ids = [body["id"] for plan in plans for k, body in plan if k == kind]
        with gateway.db.connect() as conn:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                found = conn.execute(
                    select(table.c.actor_id, table.c.id).where(table.c.id.in_(chunk))
                )
                done.update((row.actor_id, row.id) for row in found)
    left = [
        [(k, body) for k, body in plan if (body["actor"]["id"], body["id"]) not in done]
        for plan in plans
    ]
    return [plan for plan in left if plan]


def _who(loaders: dict[str, Principal], unit: str) -> Principal:
    return loaders[unit]
