"""A history recorded through the Gateway for the authority and before-after report tests
(issue 10, item 7): what each record was (its instant, action, recipient, outcome,
citations, unit, district), kept here so that tests count from it in plain Python.

Instants fall on both sides of EO-25-005 (2025-08-14T00:00-04:00), one exactly on it, one
before the period and one recorded after the checkpoint the reports are computed from.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from liaison.gateway.auth import Principal
from liaison.gateway.events import Event
from liaison.gateway.roles import KeyRole
from liaison.gateway.service import Gateway
from liaison.ledger.log import Ledger
from liaison.model.request import parse_request
from liaison.policy import Engine as PolicyEngine
from liaison.policy import load_pack, shipped_pack_path
from liaison.storage.database import open_engine
from liaison.storage.migrate import upgrade

OFFICERS = [Principal(f"k-{n}", KeyRole.OFFICER, f"officer-{n}", u) for n, u in
            ((1, "1D"), (2, "3D"), (3, "5D"))]  # fmt: skip
DISTRICT = {"1D": "1D", "3D": "2D", "5D": None}  # the district of each unit's stop (None: none)
ICE = {"agency": "ICE", "type": "federal_immigration"}
FBI = {"agency": "FBI", "type": "federal_other"}
USPP = {"agency": "USPP", "type": "federal_other"}
INSTANTS = [
    "2025-08-05T10:00:00-04:00",
    "2025-08-13T23:59:00-04:00",
    "2025-08-14T00:00:00-04:00",
    "2025-08-14T22:00:00-04:00",
    "2025-08-20T12:00:00-04:00",
    "2025-09-05T09:00:00-04:00",
]
OUTSIDE = "2025-07-20T10:00:00-04:00"  # before the period
PERIOD = ("2025-08-01T00:00:00-04:00", "2025-09-30T00:00:00-04:00")
EFFECTIVE = "2025-08-14T00:00:00-04:00"  # EO-25-005 under the mpd view


def when(text: str) -> datetime:
    return datetime.fromisoformat(text)


@dataclass
class Made:
    body: dict[str, Any]
    unit: str
    district: str | None
    decided: str = ""
    basis: str = ""
    cited: set[tuple[str, str]] = field(default_factory=set)
    index: int = 0

    @property
    def at(self) -> datetime:
        return when(self.body["at"])

    @property
    def action(self) -> str:
        return str(self.body["action"])

    @property
    def with_immigration(self) -> bool:
        if self.body.get("recipient", {}).get("type") == "federal_immigration":
            return True
        partners = self.body.get("operation", {}).get("partners", [])
        return any(p["type"] == "federal_immigration" for p in partners)


@dataclass
class Done:
    at: datetime
    kind: str
    unit: str
    district: str | None
    cites: Made | None
    index: int = 0


@dataclass
class History:
    gateway: Gateway
    made: list[Made]
    done: list[Done]
    size: int  # the checkpoint's tree size: records at or after it are not counted


def actor(who: Principal) -> dict[str, Any]:
    return {"id": who.actor_id, "agency": "MPD", "role": "officer", "unit": who.unit}


def fields(rng: random.Random) -> dict[str, Any]:
    custody = rng.choice(["free", "stopped", "mpd_custody"])
    subject = {"id": f"p-{rng.randrange(10**6)}", "custody": custody}
    kind = rng.choice(["share", "share", "share_fbi", "transport", "inquiry", "joint"])
    if kind.startswith("share"):
        return {"action": "share_information", "purposes": ["assist_federal_agency"],
                "subject": subject, "recipient": ICE if kind == "share" else FBI,
                "data_classes": ["location"], "initiative": rng.choice(["on_request", "proactive"]),
                "legal_process": "none"}  # fmt: skip
    if kind == "transport":
        passengers = rng.choice(["federal_employees", "detained_subject"])
        return {"action": "transport", "purposes": ["assist_federal_agency"],
                "subject": {**subject, "custody": "federal_custody"}, "recipient": ICE,
                "transport": {"passengers": passengers}}  # fmt: skip
    if kind == "inquiry":
        purposes = rng.choice([["immigration_status"], ["warrant_check"]])
        return {"action": "database_inquiry", "purposes": purposes, "subject": subject,
                "database": "NCIC"}  # fmt: skip
    partners = [rng.choice([ICE, USPP])]
    return {"action": "joint_operation", "purposes": ["criminal_investigation"],
            "operation": {"kind": "checkpoint", "partners": partners}}  # fmt: skip


def decide(gw: Gateway, made: Made, who: Principal) -> Made:
    recorded = gw.decide_and_record(parse_request(made.body), who)
    made.decided = recorded.decision.decision.value
    made.basis = recorded.decision.basis.value
    made.cited = {(c.directive, c.section) for c in recorded.decision.citations}
    made.index = recorded.ledger_index
    return made


def report(gw: Gateway, who: Principal, body: dict[str, Any]) -> int:
    return gw.record(Event.model_validate({"actor": actor(who), **body}), who).ledger_index


def open_stops(gw: Gateway) -> None:
    for who in OFFICERS:
        stop: dict[str, Any] = {"kind": "traffic_stop", "id": f"stop-{who.unit}"}
        if DISTRICT[who.unit] is not None:
            stop["district"] = DISTRICT[who.unit]
        report(gw, who, {"at": "2025-07-01T08:00:00-04:00", "kind": "encounter_started",
                         "encounter": stop})  # fmt: skip


def one(gw: Gateway, rng: random.Random, n: int, at: str, done: list[Done]) -> Made:
    """One request decided and recorded, and maybe the action reported done after it."""
    who = OFFICERS[n % len(OFFICERS)]
    unit = str(who.unit)
    under = rng.random() < 0.7
    body = {"id": f"r-{n}", "at": at, "actor": actor(who), **fields(rng)}
    if under:
        body["encounter"] = {"kind": "traffic_stop", "id": f"stop-{unit}"}
    made = decide(gw, Made(body, unit, DISTRICT[unit] if under else None), who)
    kind = {"share_information": "notification_sent", "transport": "transport"}.get(made.action)
    if kind is not None and rng.random() < 0.7:
        event: dict[str, Any] = {"at": at.replace(":00-04:00", ":30-04:00"), "kind": kind,
                                 "decision_id": body["id"]}  # fmt: skip
        if under:
            event["encounter"] = body["encounter"]
        index = report(gw, who, event)
        district = made.district if under else None
        done.append(Done(when(event["at"]), kind, unit, district, made, index))
    return made


def record_history(url: str) -> History:
    db = open_engine(url)
    upgrade(db)
    gw = Gateway(PolicyEngine(load_pack(shipped_pack_path("dc"))), Ledger(db, "t/r"), db)
    rng = random.Random(2025)
    open_stops(gw)
    done: list[Done] = []
    made = [one(gw, rng, n, rng.choice(INSTANTS), done) for n in range(90)]
    made.append(one(gw, rng, 90, OUTSIDE, done))
    for who in OFFICERS[:2]:  # an action reported with no decision to cite: no recipient
        at = "2025-08-21T10:00:00-04:00"
        index = report(gw, who, {"at": at, "kind": "notification_sent"})
        done.append(Done(when(at), "notification_sent", str(who.unit), None, None, index))
    size = max([m.index for m in made] + [d.index for d in done]) + 1
    made.append(one(gw, rng, 91, INSTANTS[-1], done))  # after the checkpoint: not counted
    return History(gw, made, done, size)


def recorded(backend: str, tmp: Path) -> Iterator[History]:
    """The history recorded on ``backend`` (a module fixture's body), the gateway closed after."""
    from conftest import database_url

    for url in database_url(backend, tmp):
        found = record_history(url)
        try:
            yield found
        finally:
            found.gateway.close()
            found.gateway.db.dispose()
