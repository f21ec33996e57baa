"""What happens in the demo history, August to September 2025: the steps of each traffic
stop, of the 14th Street checkpoint and of a joint patrol with ICE, as ``(kind, body)``
pairs, ``kind`` being ``"decide"`` (an action request, docs/request-schema.md) or
``"event"`` (docs/api.md, "Events and flags").

What the records must catch happens in it (issue 10, item 4): the checkpoint goes ahead
after its ``joint_operation`` was denied, the patrol without one ever decided; after
EO-25-005 some refused status inquiries are carried out anyway, and officers drive
federal immigration agents (§ E2 allows it).

Deterministic: every draw comes from a ``random.Random`` seeded from the seed given, in a
fixed order, so a seed always makes the same history.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

Plan = list[tuple[str, dict[str, Any]]]

SEED = 2025
EASTERN = ZoneInfo("America/New_York")
EO_25_005 = datetime(2025, 8, 14, tzinfo=EASTERN)  # in force from then, in the mpd view
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
MPD = {"agency": "MPD", "type": "state_local"}
ICE = {"agency": "ICE-ERO", "type": "federal_immigration"}
HSI = {"agency": "HSI", "type": "federal_immigration"}
USPP = {"agency": "USPP", "type": "federal_other"}
TRAFFIC = ["traffic_enforcement"]


def _actor(officer: int, district: str) -> dict[str, Any]:
    return {"id": f"officer-{officer}", "agency": "MPD", "role": "officer", "unit": district}


def _iso(moment: datetime) -> str:
    return moment.isoformat()


class Stop:
    """One traffic stop: what was asked, decided and done under it."""

    def __init__(self, rng: random.Random, n: int, when: datetime, district: str) -> None:
        self.rng, self.n, self.when, self.district = rng, n, when, district
        self.officer = rng.randrange(1000, 1400)
        self.stop_id = f"stop-{when:%Y%m%d}-{n:05d}"
        self.person = f"person-{rng.randrange(10**6):06d}"

    def actor(self) -> dict[str, Any]:
        return _actor(self.officer, self.district)

    def ref(self) -> dict[str, Any]:
        """The stop as a request or event names it."""
        return {"kind": "traffic_stop", "id": self.stop_id}

    def request(self, k: int, minutes: int, **fields: Any) -> dict[str, Any]:
        return {
            "id": f"{self.stop_id}-r{k}",
            "at": _iso(self.when + timedelta(minutes=minutes)),
            "actor": self.actor(),
            "encounter": self.ref(),
            **fields,
        }

    def event(self, minutes: int, kind: str, **fields: Any) -> dict[str, Any]:
        return {"at": _iso(self.when + timedelta(minutes=minutes)), "kind": kind, **fields}

    def subject(self, custody: str = "stopped") -> dict[str, Any]:
        return {"id": self.person, "custody": custody}


def stops(seed: int, per_day: int) -> list[Stop]:
    """``per_day`` stops on each day from 1 August to 30 September 2025, in order."""
    rng = random.Random(seed)
    out: list[Stop] = []
    day = datetime(2025, 8, 1, tzinfo=EASTERN)
    n = 0
    while day < datetime(2025, 10, 1, tzinfo=EASTERN):
        for _ in range(per_day):
            when = day + timedelta(minutes=rng.randrange(6 * 60, 24 * 60 - 60))
            out.append(Stop(random.Random(rng.random()), n, when, rng.choice(DISTRICTS)))
            n += 1
        day += timedelta(days=1)
    return out


def stop_plan(stop: Stop) -> Plan:
    """The sequence of ('decide' | 'event', body) for one stop."""
    rng = stop.rng
    # Drawn apart from ``rng`` (seeded by the stop's id), so the steps drawn before these
    # were added stay as they were: a refused status check carried out anyway, agents driven.
    later = random.Random(f"{stop.stop_id}/carried-out-and-driven")
    carried_out, drives, pretext = later.random(), later.random(), later.random()
    after_order = stop.when >= EO_25_005
    encounter = {
        "kind": "traffic_stop",
        "id": stop.stop_id,
        "district": stop.district,
        "place": rng.choice(STREETS),
        "agencies": [MPD],
    }
    plan: Plan = [
        ("event", stop.event(0, "encounter_started", actor=stop.actor(), encounter=encounter)),
        ("decide", _inquiry(stop, 1, 2, "WALES", ["warrant_check", "traffic_enforcement"])),
    ]
    roll = rng.random()
    if roll < 0.25:  # an immigration status check on the stopped driver
        plan.append(("decide", _inquiry(stop, 2, 4, "NCIC", ["immigration_status"])))
        if after_order and carried_out < 0.4:  # refused under § E3, and run anyway
            plan.append(("event", _carried_out(stop)))
        elif after_order and pretext < 0.02:  # asked again naming a traffic purpose (§ E3)
            plan.append(("decide", _inquiry(stop, 6, 5, "NCIC", [*TRAFFIC, "immigration_status"])))
    elif roll < 0.32:
        plan.append(("decide", _inquiry(stop, 2, 4, "NLETS_IAQ", ["identity_verification"])))
    if rng.random() < 0.35:  # tell ICE about the stop
        plan.extend(_tell_ice(stop))
    if after_order and drives < 0.1:  # ICE agents driven to the stop
        plan.extend(_drive_agents(stop))
    if rng.random() < 0.03:  # an action reported with no decision before it
        unreported = stop.event(
            12,
            "notification_sent",
            action="share_information",
            actor=stop.actor(),
            note="called the ICE field office from the scene",
            encounter=stop.ref(),
        )
        plan.append(("event", unreported))
    outcome = {
        "vehicles_stopped": 1,
        "infractions": rng.choice([0, 1, 1, 2]),
        "arrests": 1 if rng.random() < 0.05 else 0,
    }
    ended = {**encounter, "outcome": outcome}
    plan.append(("event", stop.event(50, "encounter_ended", actor=stop.actor(), encounter=ended)))
    return plan


def _inquiry(
    stop: Stop, k: int, minutes: int, database: str, purposes: list[str]
) -> dict[str, Any]:
    return stop.request(
        k,
        minutes,
        action="database_inquiry",
        database=database,
        purposes=purposes,
        subject=stop.subject(),
    )


def _carried_out(stop: Stop) -> dict[str, Any]:
    """The status inquiry (request ``r2``) carried out after it was refused."""
    return stop.event(
        5,
        "action_carried_out",
        action="database_inquiry",
        decision_id=f"{stop.stop_id}-r2",
        actor=stop.actor(),
        encounter=stop.ref(),
        note="ran the NCIC status query after it was refused",
    )


def _drive_agents(stop: Stop) -> Plan:
    """Federal immigration agents driven to the stop in an MPD car (EO-25-005 § E2)."""
    drive = stop.request(
        5,
        20,
        action="transport",
        purposes=["assist_federal_agency"],
        subject=stop.subject(),
        recipient=ICE,
        transport={"passengers": "federal_employees"},
    )
    driven = stop.event(
        28,
        "transport",
        decision_id=f"{stop.stop_id}-r5",
        actor=stop.actor(),
        encounter=stop.ref(),
        note="drove two ERO officers to the stop",
    )
    return [("decide", drive), ("event", driven)]


def _tell_ice(stop: Stop) -> Plan:
    """Information shared with ICE at a stop, and sometimes the driver taken to its agents."""
    share = stop.request(
        3,
        6,
        action="share_information",
        purposes=["assist_federal_agency"],
        initiative="proactive",
        subject=stop.subject(),
        recipient=ICE,
        data_classes=["identity", "location"],
    )
    sent = stop.event(
        7,
        "notification_sent",
        decision_id=f"{stop.stop_id}-r3",
        action="share_information",
        actor=stop.actor(),
        encounter=stop.ref(),
    )
    plan: Plan = [("decide", share), ("event", sent)]
    if stop.rng.random() < 0.2:  # and drive the detained person to the federal agents
        transport = stop.request(
            4,
            30,
            action="transport",
            purposes=["assist_federal_agency"],
            subject=stop.subject("federal_custody"),
            recipient=ICE,
            transport={"passengers": "detained_subject"},
        )
        moved = stop.event(
            45,
            "transport",
            decision_id=f"{stop.stop_id}-r4",
            actor=stop.actor(),
            encounter=stop.ref(),
        )
        plan += [("decide", transport), ("event", moved)]
    return plan


CHECKPOINT_START = datetime(2025, 8, 13, 19, 0, tzinfo=EASTERN)
CHECKPOINT_LEAD = {"id": "commander-310", "agency": "MPD", "role": "commander", "unit": "3D"}
CHECKPOINT = {
    "kind": "checkpoint",
    "id": "checkpoint-2025-08-13-14th-st",
    "district": "3D",
    "place": "14th St NW at Riggs St NW",
    "agencies": [MPD, USPP, HSI, ICE],
    "declared_purpose": "traffic safety compliance checkpoint",
    "participants": ["2D"],
}


def checkpoint_plan() -> Plan:
    """The 14th Street checkpoint of 13 August 2025, with federal partners: opened by 3D's
    commander, with officers of 3D and of 2D, which it names as a participant (an
    encounter belongs to the unit that opened it and the units it names)."""
    start, lead, cp = CHECKPOINT_START, CHECKPOINT_LEAD, dict(CHECKPOINT)
    ref = {"kind": "checkpoint", "id": cp["id"]}
    joint = {
        "id": "cp-14th-joint",
        "at": _iso(start),
        "actor": lead,
        "action": "joint_operation",
        "purposes": ["traffic_enforcement"],
        "operation": {"kind": "checkpoint", "partners": [USPP, HSI, ICE]},
        "encounter": ref,
    }
    plan: Plan = [
        ("event", {"at": _iso(start), "kind": "encounter_started", "actor": lead, "encounter": cp}),
        ("decide", joint),
    ]
    rng = random.Random(813)
    for k in range(40):
        plan.extend(_checkpoint_car(k, rng, ref))
    outcome = {"vehicles_stopped": 40, "infractions": 22, "arrests": 6}
    ended = {
        "at": _iso(start + timedelta(hours=3)),
        "kind": "encounter_ended",
        "actor": lead,
        "encounter": {**cp, "outcome": outcome},
    }
    plan.append(("event", ended))
    return plan


def _checkpoint_car(k: int, rng: random.Random, ref: dict[str, Any]) -> Plan:
    """The ``k``th car through the checkpoint: a WALES inquiry, and half the time the
    driver's details shared with HSI and handed over."""
    unit = "2D" if k % 4 == 3 else "3D"  # one officer in four from the 2nd District
    officer = {
        "id": f"officer-{(2100 if unit == '2D' else 3100) + k % 12}",
        "agency": "MPD",
        "role": "officer",
        "unit": unit,
    }
    at = CHECKPOINT_START + timedelta(minutes=3 * k)
    person = {"id": f"person-cp-{k:03d}", "custody": "stopped"}
    inquiry = {
        "id": f"cp-14th-{k}-wales",
        "at": _iso(at),
        "actor": officer,
        "action": "database_inquiry",
        "database": "WALES",
        "purposes": ["traffic_enforcement"],
        "subject": person,
        "encounter": ref,
    }
    plan: Plan = [("decide", inquiry)]
    if rng.random() < 0.5:
        share = {
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
        }
        handover = {
            "at": _iso(at + timedelta(minutes=2)),
            "kind": "handover",
            "actor": officer,
            "decision_id": f"cp-14th-{k}-share",
            "action": "share_information",
            "encounter": ref,
            "note": "driver's details given to HSI agents at the checkpoint",
        }
        plan += [("decide", share), ("event", handover)]
    return plan


PATROL_START = datetime(2025, 9, 4, 9, 0, tzinfo=EASTERN)
PATROL_LEAD = {"id": "sergeant-140", "agency": "MPD", "role": "supervisor", "unit": "1D"}
PATROL = {
    "kind": "other",
    "id": "patrol-2025-09-04-1d-ere",
    "district": "1D",
    "place": "Navy Yard and Southwest Waterfront",
    "agencies": [MPD, ICE],
    "declared_purpose": "joint patrol with ICE-ERO",
}


def patrol_plan() -> Plan:
    """A joint patrol of 1D with ICE-ERO on 4 September 2025, for which no
    ``joint_operation`` was ever asked: its sergeant drives the agents (§ E2 allows that)
    and tells them about a person stopped (§ E1), so it went ahead undecided."""
    start, lead = PATROL_START, PATROL_LEAD
    ref = {"kind": "other", "id": PATROL["id"]}
    person = {"id": "person-patrol-001", "custody": "stopped"}

    def at(minutes: int) -> str:
        return _iso(start + timedelta(minutes=minutes))

    drive = {
        "id": "patrol-0904-drive",
        "at": at(10),
        "actor": lead,
        "action": "transport",
        "purposes": ["assist_federal_agency"],
        "subject": person,
        "recipient": ICE,
        "transport": {"passengers": "federal_employees"},
        "encounter": ref,
    }
    share = {
        "id": "patrol-0904-share",
        "at": at(70),
        "actor": lead,
        "action": "share_information",
        "purposes": ["assist_federal_agency"],
        "initiative": "on_request",
        "subject": person,
        "recipient": ICE,
        "data_classes": ["identity", "location"],
        "encounter": ref,
    }
    ended = {**PATROL, "outcome": {"vehicles_stopped": 2, "infractions": 0, "arrests": 0}}
    return [
        ("event", {"at": at(0), "kind": "encounter_started", "actor": lead, "encounter": PATROL}),
        ("decide", drive),
        ("event", _done(at(15), "transport", lead, "patrol-0904-drive", ref)),
        ("decide", share),
        ("event", _done(at(75), "notification_sent", lead, "patrol-0904-share", ref)),
        ("event", {"at": at(240), "kind": "encounter_ended", "actor": lead, "encounter": ended}),
    ]


def _done(at: str, kind: str, actor: dict[str, Any], decision: str, ref: Any) -> dict[str, Any]:
    return {"at": at, "kind": kind, "actor": actor, "decision_id": decision, "encounter": ref}
