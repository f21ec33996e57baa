"""One year of a large department's work, as episodes of action requests and events
(issue 10, item 6): the workload of ``bench/oversight_data.py``.

Each episode is a list of ``("decide", request)`` / ``("event", event)`` steps in the order
they happen, in the formats of docs/request-schema.md and docs/api.md ("Events and
flags"). The mix is weighted as a city police department works: traffic stops and calls
for service in the 7 D.C. police districts, desk inquiries, mostly database inquiries and
information shared among local agencies, a few per cent with federal immigration
recipients, transports, custody transfers, holds, access requests, and a few joint
operations (checkpoints, patrols, task forces) with federal partners a week. Some
refused actions are carried out anyway, some actions are reported with no decision, and
some operations go ahead after their ``joint_operation`` was denied or with none: what
the records must catch (issue 10, item 4) is in it.

Deterministic: one ``random.Random`` per day, seeded from the seed and the date.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

Step = tuple[str, dict[str, Any]]
Episode = list[Step]

EASTERN = ZoneInfo("America/New_York")
DISTRICTS = [f"{n}D" for n in range(1, 8)]
OFFICERS_PER_DISTRICT = 500
ICE = {"agency": "ICE-ERO", "type": "federal_immigration"}
HSI = {"agency": "HSI", "type": "federal_immigration"}
CBP = {"agency": "CBP", "type": "federal_immigration"}
LOCAL = [
    {"agency": "PGPD", "type": "state_local"},
    {"agency": "MCPD", "type": "state_local"},
    {"agency": "ACPD", "type": "state_local"},
    {"agency": "MSP", "type": "state_local"},
    {"agency": "USAO-DC", "type": "federal_other"},
    {"agency": "FBI", "type": "federal_other"},
    {"agency": "USMS", "type": "federal_other"},
    {"agency": "USPP", "type": "federal_other"},
]
MPD_CCB = {"agency": "MPD-CCB", "type": "state_local"}
DATABASES = ["WALES", "NCIC", "NCIC", "III", "DMV", "RMS", "ALPR"]
LOCAL_DATA = ["identity", "vehicle", "stop_details", "criminal_history", "location"]


class Day:
    """The episodes of one day: ids unique by the day's date and a counter."""

    def __init__(self, seed: int, day: date) -> None:
        self.rng = random.Random(f"{seed}/{day.isoformat()}")
        self.day = day
        self.start = datetime(day.year, day.month, day.day, tzinfo=EASTERN)
        self.n = 0

    def ident(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}-{self.day:%Y%m%d}-{self.n:05d}"

    def moment(self, earliest_hour: int = 0) -> datetime:
        minutes = self.rng.randrange(earliest_hour * 60, 24 * 60 - 90)
        return self.start + timedelta(minutes=minutes, seconds=self.rng.randrange(60))

    def actor(self, district: str, role: str = "officer") -> dict[str, Any]:
        number = DISTRICTS.index(district) * OFFICERS_PER_DISTRICT
        number += self.rng.randrange(OFFICERS_PER_DISTRICT)
        return {"id": f"officer-{number + 1000}", "agency": "MPD", "role": role, "unit": district}


class Scene:
    """Steps under one actor (and encounter, if any), each at minutes after ``when``."""

    def __init__(self, day: Day, prefix: str, district: str, role: str = "officer") -> None:
        self.day, self.rng = day, day.rng
        self.id = day.ident(prefix)
        self.when = day.moment(5)
        self.district = district
        self.actor = day.actor(district, role)
        self.person = f"person-{self.rng.randrange(10**7):07d}"
        self.ref: dict[str, Any] | None = None
        self.steps: Episode = []
        self.k = 0

    def at(self, minutes: float) -> str:
        return (self.when + timedelta(minutes=minutes)).isoformat()

    def decide(self, minutes: float, action: str, **fields: Any) -> str:
        self.k += 1
        ident = f"{self.id}-r{self.k}"
        body = {"id": ident, "at": self.at(minutes), "actor": self.actor, "action": action}
        if self.ref is not None:
            body["encounter"] = self.ref
        self.steps.append(("decide", {**body, **fields}))
        return ident

    def event(self, minutes: float, kind: str, **fields: Any) -> None:
        self.k += 1
        body = {"id": f"{self.id}-e{self.k}", "at": self.at(minutes), "kind": kind}
        body["actor"] = self.actor
        if self.ref is not None and "encounter" not in fields:
            body["encounter"] = self.ref
        self.steps.append(("event", {**body, **fields}))

    def subject(self, custody: str = "stopped") -> dict[str, Any]:
        return {"id": self.person, "custody": custody}

    def open(self, kind: str, agencies: list[dict[str, str]], **more: Any) -> dict[str, Any]:
        self.ref = {"kind": kind, "id": self.id}
        info = {**self.ref, "district": self.district, "agencies": agencies, **more}
        self.event(0, "encounter_started", encounter=info)
        return info

    def close(self, info: dict[str, Any], minutes: float, **outcome: int) -> None:
        self.event(minutes, "encounter_ended", encounter={**info, "outcome": outcome})

    def inquiry(self, minutes: float, database: str, purposes: list[str], done: float) -> None:
        """A database inquiry, carried out (an event citing it) ``done`` of the time."""
        ident = self.decide(
            minutes,
            "database_inquiry",
            database=database,
            purposes=purposes,
            subject=self.subject(),
        )
        if self.rng.random() < done:
            self.event(
                minutes + 1, "action_carried_out", action="database_inquiry", decision_id=ident
            )

    def share(self, minutes: float, to: dict[str, str], purposes: list[str], **more: Any) -> None:
        rng = self.rng
        data = more.pop("data_classes", None) or rng.sample(LOCAL_DATA, rng.choice([1, 1, 2]))
        ident = self.decide(
            minutes,
            "share_information",
            purposes=purposes,
            recipient=to,
            data_classes=data,
            subject=self.subject(more.pop("custody", "stopped")),
            **more,
        )
        self.event(minutes + 2, "notification_sent", action="share_information", decision_id=ident)


def traffic_stop(day: Day, after_order: bool) -> Episode:
    """A stop: WALES, sometimes NCIC, a share with a local agency, rarely with ICE."""
    ep = Scene(day, "stop", day.rng.choice(DISTRICTS))
    rng = ep.rng
    info = ep.open("traffic_stop", [{"agency": "MPD", "type": "state_local"}])
    ep.inquiry(2, "WALES", ["warrant_check", "traffic_enforcement"], 0.4)
    if rng.random() < 0.3:
        ep.inquiry(4, rng.choice(DATABASES), ["identity_verification"], 0.3)
    if rng.random() < 0.02:  # a status check on the driver: refused under § E3 after the order
        ident = ep.decide(
            5,
            "database_inquiry",
            database="NCIC",
            purposes=["immigration_status"],
            subject=ep.subject(),
        )
        if rng.random() < 0.3:
            ep.event(6, "action_carried_out", action="database_inquiry", decision_id=ident)
    if rng.random() < 0.1:
        purpose = rng.choice(["criminal_investigation", "warrant_check", "traffic_enforcement"])
        ep.share(8, rng.choice(LOCAL), [purpose])
    if rng.random() < 0.015:
        ep.share(
            9,
            ICE,
            ["assist_federal_agency"],
            initiative=rng.choice(["proactive", "on_request"]),
            data_classes=["identity", "location"],
        )
    if after_order and rng.random() < 0.004:  # federal agents driven to the stop (§ E2)
        ident = ep.decide(
            10,
            "transport",
            purposes=["assist_federal_agency"],
            subject=ep.subject(),
            recipient=ICE,
            transport={"passengers": "federal_employees"},
        )
        ep.event(18, "transport", decision_id=ident)
    if rng.random() < 0.005:  # reported, never decided
        ep.event(12, "notification_sent", action="share_information")
    arrests = 0
    if rng.random() < 0.04:
        arrests = 1
        _arrest(ep, 15, rng.choice(["offense", "criminal_warrant"]))
    ep.close(info, 40, vehicles_stopped=1, infractions=rng.choice([0, 1, 1, 2]), arrests=arrests)
    return ep.steps


def _arrest(ep: Scene, minutes: float, basis: str) -> None:
    ident = ep.decide(minutes, "arrest", arrest_basis=basis, subject=ep.subject())
    ep.event(minutes + 1, "arrest", decision_id=ident)
    moved = ep.decide(
        minutes + 5,
        "transport",
        purposes=["booking"],
        subject=ep.subject("mpd_custody"),
        recipient=MPD_CCB,
        transport={"passengers": "mpd_arrestee"},
    )
    ep.event(minutes + 20, "transport", decision_id=moved)


def call_for_service(day: Day, after_order: bool) -> Episode:
    """A call: inquiries, an arrest now and then, custody to the marshals, rarely ICE."""
    ep = Scene(day, "call", day.rng.choice(DISTRICTS))
    rng = ep.rng
    info = ep.open("call_for_service", [{"agency": "MPD", "type": "state_local"}])
    ep.inquiry(3, rng.choice(["WALES", "NCIC", "RMS"]), ["criminal_investigation"], 0.4)
    if rng.random() < 0.2:
        ep.decide(4, "verbal_inquiry", purposes=["identity_verification"], subject=ep.subject())
    arrests = 0
    if rng.random() < 0.15:
        arrests = 1
        _arrest(ep, 10, rng.choice(["offense", "offense", "criminal_warrant"]))
        _custody(ep, rng)
    ep.close(info, 90, arrests=arrests)
    return ep.steps


def _custody(ep: Scene, rng: random.Random) -> None:
    """After an arrest: a transfer to the marshals; rarely an ICE hold or handover."""
    roll = rng.random()
    if roll < 0.1:
        ident = ep.decide(
            60,
            "custody_transfer",
            subject=ep.subject("mpd_custody"),
            recipient=LOCAL[6],
            legal_process="criminal_warrant",
        )
        ep.event(70, "handover", decision_id=ident)
    elif roll < 0.13:
        process = rng.choice(["ice_detainer", "ice_administrative_warrant", "judicial_warrant"])
        ep.decide(
            60, "hold", subject=ep.subject("mpd_custody"), recipient=ICE, legal_process=process
        )
        ident = ep.decide(
            62,
            "custody_transfer",
            subject=ep.subject("mpd_custody"),
            recipient=ICE,
            legal_process=process,
        )
        if rng.random() < 0.5:
            ep.event(80, "handover", decision_id=ident)
    elif roll < 0.15:
        ep.decide(
            60,
            "grant_access",
            subject=ep.subject("mpd_custody"),
            recipient=ICE,
            access={
                "kind": "interview",
                "detainee_requested": rng.random() < 0.3,
                "counsel": rng.choice(["present", "waived", "none"]),
            },
        )


def desk(day: Day, after_order: bool) -> Episode:
    """A detective's inquiries and shares with no encounter."""
    ep = Scene(day, "desk", day.rng.choice(DISTRICTS), "detective")
    rng = ep.rng
    purposes = rng.choice([["criminal_investigation"], ["missing_person"], ["warrant_check"]])
    for k in range(rng.choice([1, 1, 2, 3])):
        ep.inquiry(5 * k, rng.choice(DATABASES), purposes, 0.5)
    if rng.random() < 0.3:
        ep.share(20, rng.choice(LOCAL), ["criminal_investigation"], custody="free")
    if rng.random() < 0.02:
        ep.share(
            25,
            rng.choice([ICE, HSI]),
            rng.choice([["assist_federal_agency"], ["smuggling_harboring_investigation"]]),
            custody="free",
            data_classes=["identity", "home_address"],
        )
    return ep.steps


def operation(day: Day, after_order: bool) -> Episode:
    """A checkpoint, patrol or task force with partners; with immigration partners some are
    denied and go ahead anyway, some are never decided."""
    rng = day.rng
    ep = Scene(day, "op", rng.choice(DISTRICTS), "commander")
    kind = rng.choice(["checkpoint", "patrol", "task_force"])
    partners = [rng.choice(LOCAL[4:])] + (
        [rng.choice([ICE, HSI, CBP])] if rng.random() < 0.25 else []
    )
    mpd = {"agency": "MPD", "type": "state_local"}
    encounter_kind = "checkpoint" if kind == "checkpoint" else "other"
    info = ep.open(encounter_kind, [mpd, *partners], declared_purpose=f"{kind} with partners")
    if rng.random() < 0.9:
        ep.decide(
            1,
            "joint_operation",
            purposes=["traffic_enforcement"]
            if kind == "checkpoint"
            else ["criminal_investigation"],
            operation={"kind": kind, "partners": partners},
        )
    cars = rng.randrange(5, 30)
    for k in range(cars):
        ep.inquiry(5 + k * 3, "WALES", ["traffic_enforcement"], 0.3)
        if partners[-1]["type"] == "federal_immigration" and rng.random() < 0.05:
            ep.share(
                6 + k * 3,
                partners[-1],
                ["assist_federal_agency"],
                data_classes=["identity", "location"],
            )
    ep.close(info, 5 + cars * 3 + 10, vehicles_stopped=cars, infractions=cars // 3)
    return ep.steps


# (episode maker, its share of the episodes); operations are drawn per day below.
KINDS = [(traffic_stop, 0.55), (call_for_service, 0.27), (desk, 0.18)]
STEPS_PER_EPISODE = 4.06  # measured over a year of this mix at 2,000,000 (sets the day's count)
OPERATIONS_PER_DAY = 0.4


def year(
    seed: int, total: int, first: date = date(2025, 1, 1), days: int = 365
) -> Iterator[Episode]:
    """About ``total`` steps over ``days`` days from ``first``, episode by episode, each
    day's in the order they start."""
    per_day = max(1, round(total / days / STEPS_PER_EPISODE))
    order = datetime(2025, 8, 14, tzinfo=EASTERN)  # EO-25-005 in force (mpd view)
    for offset in range(days):
        day = Day(seed, first + timedelta(days=offset))
        after_order = day.start >= order
        made = [
            day.rng.choices([k for k, _ in KINDS], [w for _, w in KINDS])[0](day, after_order)
            for _ in range(per_day)
        ]
        if day.rng.random() < OPERATIONS_PER_DAY:
            made.append(operation(day, after_order))
        made.sort(key=lambda steps: steps[0][1]["at"])
        yield from made
