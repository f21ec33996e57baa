"""A history recorded through the Gateway for the report tests (issue 10, items 2 and 7):
decisions of every action the council and annual reports count, events carrying some of
them out (some after a refusal), a traffic stop, and two operations with ICE. Each
recorded request keeps the outcome the gateway answered and its ledger order, so that
tests count what a report should say with plain Python over these lists."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from liaison.gateway.auth import Principal
from liaison.gateway.events import Event
from liaison.gateway.roles import KeyRole
from liaison.gateway.service import Gateway
from liaison.model.request import parse_request

ICE = {"agency": "ICE", "type": "federal_immigration"}
LOADER = Principal("k-loader", KeyRole.SUPERVISOR, "sergeant-1", "1D")
INSTANTS = [
    "2025-08-05T12:00:00-04:00",
    "2025-08-20T09:30:00-04:00",
    "2025-09-10T16:45:00-04:00",
    "2025-12-31T23:30:00-05:00",  # still 2025 in D.C., 2026 in UTC
    "2026-01-15T12:00:00-05:00",
]
DONE_KIND = {
    "share_information": "notification_sent",
    "transport": "transport",
    "custody_transfer": "handover",
    "database_inquiry": "action_carried_out",
    "hold": "action_carried_out",
}


def actor(n: int) -> dict[str, Any]:
    return {"id": f"officer-{n}", "agency": "MPD", "role": "officer", "unit": "1D"}


@dataclass
class History:
    decisions: list[dict[str, Any]] = field(default_factory=list)  # with "decided", "cited"
    events: list[dict[str, Any]] = field(default_factory=list)  # with "decision"
    encounters: dict[str, dict[str, Any]] = field(default_factory=dict)


def _request(rng: random.Random, n: int) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": f"r-{n}",
        "at": rng.choice(INSTANTS),
        "actor": actor(n % 3),
        "initiative": rng.choice(["on_request", "proactive"]),
        "legal_process": rng.choice(["none", "judicial_warrant", "ice_detainer"]),
    }
    custody = rng.choice(["free", "stopped", "mpd_custody"])
    subject = {"id": f"p-{n}", "custody": custody, "federal_criminal_charge": rng.random() < 0.3}
    kind = rng.choice(["share", "share", "hold", "transport", "handover", "inquiry", "inquiry"])
    if kind == "share":
        classes = rng.sample(["identity", "location", "home_address", "release_datetime"], 2)
        body.update(action="share_information", purposes=["assist_federal_agency"],
                    recipient=ICE, data_classes=classes)  # fmt: skip
    elif kind == "hold":
        body.update(action="hold", recipient=ICE)
        subject["custody"] = "mpd_custody"
    elif kind == "transport":
        passengers = rng.choice(["federal_employees", "detained_subject"])
        body.update(action="transport", purposes=["assist_federal_agency"], recipient=ICE,
                    transport={"passengers": passengers})  # fmt: skip
    elif kind == "handover":
        body.update(action="custody_transfer", recipient=ICE)
        subject["custody"] = "mpd_custody"
    else:
        purposes = rng.choice([["immigration_status"], ["immigration_status", "warrant_check"],
                               ["warrant_check"]])  # fmt: skip
        body.update(action="database_inquiry", database="NCIC", purposes=purposes)
    body["subject"] = subject
    return body


def decide(gw: Gateway, history: History, body: dict[str, Any]) -> dict[str, Any]:
    decided = gw.decide_and_record(parse_request(body), LOADER).decision
    made = {
        **body,
        "decided": decided.decision.value,
        "cited": sorted((c.directive, c.section) for c in decided.citations),
        "order": len(history.decisions) + len(history.events),
    }
    history.decisions.append(made)
    return made


def event(gw: Gateway, history: History, body: dict[str, Any], decision: Any = None) -> None:
    recorded = gw.record(Event.model_validate(body), LOADER)
    history.events.append({**body, "id": recorded.id, "flagged": recorded.flagged,
                           "decision": decision})  # fmt: skip


def later(at: str, minutes: int) -> str:
    return (datetime.fromisoformat(at) + timedelta(minutes=minutes)).isoformat()


def record_history(gw: Gateway, seed: int = 7, count: int = 90) -> History:
    """The fixture's history: ``count`` random requests, some carried out, under a traffic
    stop for some, and two operations with ICE."""
    rng = random.Random(seed)
    history = History()
    stop = {"kind": "traffic_stop", "id": "stop-1", "district": "1D"}
    event(gw, history, {"at": INSTANTS[0], "kind": "encounter_started", "actor": actor(0),
                        "encounter": stop})  # fmt: skip
    for n in range(count):
        body = _request(rng, n)
        if n % 3 == 0 and rng.random() < 0.5:
            body["encounter"] = {"kind": "traffic_stop", "id": "stop-1"}
        made = decide(gw, history, body)
        if rng.random() < 0.6:
            done = {
                "at": later(body["at"], 5),
                "kind": DONE_KIND[body["action"]],
                "actor": body["actor"],
                "decision_id": body["id"],
                "action": body["action"],
            }
            event(gw, history, done, made)
    _operations(gw, history)
    return history


def _operations(gw: Gateway, history: History) -> None:
    """A checkpoint with ICE whose joint operation is decided first, and a patrol with ICE
    never decided; each goes ahead (an arrest reported)."""
    at = INSTANTS[2]
    for ident, kind, joint in (("cp-1", "checkpoint", True), ("patrol-1", "other", False)):
        info = {"kind": kind, "id": ident, "district": "1D", "agencies": [ICE]}
        event(gw, history, {"at": at, "kind": "encounter_started", "actor": actor(0),
                            "encounter": info})  # fmt: skip
        decision = None
        if joint:
            decision = decide(gw, history, {
                "id": f"joint-{ident}", "at": later(at, 1), "actor": actor(0),
                "action": "joint_operation", "purposes": ["traffic_enforcement"],
                "operation": {"kind": "checkpoint", "partners": [ICE]},
                "encounter": {"kind": kind, "id": ident},
            })  # fmt: skip
        went = {"at": later(at, 30), "kind": "arrest", "actor": actor(0),
                "encounter": {"kind": kind, "id": ident}}  # fmt: skip
        event(gw, history, went)
        history.encounters[ident] = {"kind": kind, "at": at, "joint": decision}
