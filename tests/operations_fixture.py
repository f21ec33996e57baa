"""A small history recorded through the Gateway for the ``operations`` and ``review``
reports' tests (issue 10, items 2 and 7): a checkpoint with ICE whose joint operation is
decided, a joint patrol with none, a traffic stop, and requests drawn at random across the
days the D.C. pack's views part (EO-25-005, the Attorney General's orders). Each record
keeps what the gateway answered, so the tests count from the fixture's own records.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
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
from liaison.reports.report_scope import CheckpointRef, ReportScope
from liaison.storage.database import open_engine
from liaison.storage.migrate import upgrade

MPD = {"agency": "MPD", "type": "state_local"}
ICE = {"agency": "ICE-ERO", "type": "federal_immigration"}
# Days on which the views decide differently, and one before EO-25-005.
INSTANTS = [
    "2025-08-10T10:00:00-04:00",
    "2025-08-15T12:00:00-04:00",
    "2025-08-20T09:30:00-04:00",
    "2025-09-05T14:00:00-04:00",
    "2025-09-20T09:15:00-04:00",
]
PURPOSES = [
    ["immigration_status"],
    ["traffic_enforcement", "immigration_status"],
    ["warrant_check", "immigration_status"],
    ["traffic_enforcement"],
]


def who(unit: str) -> Principal:
    return Principal(f"k-{unit}", KeyRole.SUPERVISOR, f"loader-{unit}", unit)


def actor(n: int, unit: str) -> dict[str, Any]:
    return {"id": f"officer-{n}", "agency": "MPD", "role": "officer", "unit": unit}


@dataclass
class History:
    gateway: Gateway
    decisions: list[dict[str, Any]] = field(default_factory=list)  # body + what was decided
    events: list[dict[str, Any]] = field(default_factory=list)  # body + its flag

    def decide(self, body: dict[str, Any]) -> dict[str, Any]:
        decided = self.gateway.decide_and_record(
            parse_request(body), who(body["actor"]["unit"])
        ).decision
        cited = sorted({f"{c.directive} {c.section}" for c in decided.citations})
        made = {**body, "decided": decided.decision.value, "cited": cited, "view": decided.view}
        self.decisions.append(made)
        return made

    def event(self, body: dict[str, Any]) -> dict[str, Any]:
        done = self.gateway.record(Event.model_validate(body), who(body["actor"]["unit"]))
        made = {**body, "id": done.id, "flagged": done.flagged}
        self.events.append(made)
        return made

    def scope(self, **given: Any) -> ReportScope:
        size, root = self.gateway.ledger.head()
        ref = CheckpointRef(size, base64.b64encode(root).decode())
        return ReportScope(self.gateway.db, self.gateway.policy, ref, **given)


def make_gateway(url: str) -> Gateway:
    db = open_engine(url)
    upgrade(db)
    return Gateway(PolicyEngine(load_pack(shipped_pack_path("dc"))), Ledger(db, "t/r3"), db)


def record_history(gw: Gateway) -> History:
    h = History(gw)
    _checkpoint(h)
    _patrol(h)
    rng = random.Random(3)
    for n in range(70):
        _request(h, rng, n)
    return h


def _checkpoint(h: History) -> None:
    at = "2025-08-20T19:00:00-04:00"
    ref = {"kind": "checkpoint", "id": "cp-1"}
    declared = {**ref, "district": "3D", "agencies": [MPD, ICE], "declared_purpose": "safety"}
    lead = actor(1, "3D")
    h.event({"at": at, "kind": "encounter_started", "actor": lead, "encounter": declared})
    h.decide(
        {"id": "cp-1-joint", "at": at, "actor": lead, "action": "joint_operation",
         "purposes": ["traffic_enforcement"], "encounter": ref,
         "operation": {"kind": "checkpoint", "partners": [ICE]}}
    )  # fmt: skip
    for k, purposes in enumerate(PURPOSES * 2):
        h.decide(
            {"id": f"cp-1-q{k}", "at": f"2025-08-20T19:{10 + k}:00-04:00", "actor": actor(2, "3D"),
             "action": "database_inquiry", "database": "NCIC", "purposes": purposes,
             "subject": {"id": f"p-{k}", "custody": "stopped"}, "encounter": ref}
        )  # fmt: skip
    share = h.decide(
        {"id": "cp-1-share", "at": "2025-08-20T19:40:00-04:00", "actor": actor(2, "3D"),
         "action": "share_information", "purposes": ["assist_federal_agency"],
         "initiative": "proactive", "subject": {"id": "p-1", "custody": "mpd_custody"},
         "recipient": ICE, "data_classes": ["home_address"], "encounter": ref}
    )  # fmt: skip
    assert share["decided"] == "deny"
    done = [
        ("handover", "cp-1-share", "share_information", 45),
        ("action_carried_out", "cp-1-q0", "database_inquiry", 46),
        ("notification_sent", None, "share_information", 47),
        ("arrest", None, "arrest", 48),
    ]
    for kind, decision, action, minute in done:
        body = {"at": f"2025-08-20T19:{minute}:00-04:00", "kind": kind, "actor": actor(2, "3D"),
                "action": action, "encounter": ref}  # fmt: skip
        h.event(body if decision is None else {**body, "decision_id": decision})
    outcome = {"vehicles_stopped": 9, "infractions": 3, "arrests": 1}
    ended = {**declared, "outcome": outcome}
    end = {"at": "2025-08-20T22:00:00-04:00", "kind": "encounter_ended", "actor": lead}
    h.event({**end, "encounter": ended})


def _patrol(h: History) -> None:
    ref = {"kind": "other", "id": "patrol-1"}
    declared = {**ref, "district": "1D", "agencies": [MPD, ICE], "declared_purpose": "patrol"}
    lead = actor(9, "1D")
    h.event({"at": INSTANTS[3], "kind": "encounter_started", "actor": lead, "encounter": declared})
    drive = h.decide(
        {"id": "patrol-1-drive", "at": "2025-09-05T14:10:00-04:00", "actor": lead,
         "action": "transport", "purposes": ["assist_federal_agency"], "recipient": ICE,
         "subject": {"id": "p-9", "custody": "stopped"},
         "transport": {"passengers": "federal_employees"}, "encounter": ref}
    )  # fmt: skip
    h.event(
        {"at": "2025-09-05T14:20:00-04:00", "kind": "transport", "actor": lead,
         "decision_id": drive["id"], "encounter": ref}
    )  # fmt: skip
    # A traffic stop with no federal partner: not an operation.
    stop = {"kind": "traffic_stop", "id": "stop-1", "district": "1D", "agencies": [MPD]}
    h.event({"at": INSTANTS[3], "kind": "encounter_started", "actor": lead, "encounter": stop})


def _request(h: History, rng: random.Random, n: int) -> None:
    unit = rng.choice(["1D", "3D"])
    body: dict[str, Any] = {
        "id": f"r-{n}",
        "at": rng.choice(INSTANTS),
        "actor": actor(100 + n % 5, unit),
        "subject": {"id": f"person-{n}", "custody": rng.choice(["stopped", "free", "mpd_custody"])},
    }
    if rng.random() < 0.2:
        body["view"] = "doj"
    roll = rng.random()
    if roll < 0.5:
        database = rng.choice(["NCIC", "NLETS_IAQ", "WALES"])
        body.update(action=rng.choice(["database_inquiry", "verbal_inquiry"]),
                    purposes=rng.choice(PURPOSES))  # fmt: skip
        if body["action"] == "database_inquiry":
            body["database"] = database
        if rng.random() < 0.4:
            body["case_number"] = f"CCN-{n}"
    elif roll < 0.8:
        body.update(action="share_information", purposes=["assist_federal_agency"],
                    initiative=rng.choice(["on_request", "proactive"]), recipient=ICE,
                    data_classes=rng.choice([["identity"], ["immigration_status"]]))  # fmt: skip
        if rng.random() < 0.4:
            body["case_number"] = f"CCN-{n}"
    else:
        carried = rng.choice(["federal_employees", "detained_subject"])
        body.update(action="transport", purposes=["assist_federal_agency"], recipient=ICE,
                    transport={"passengers": carried})  # fmt: skip
    made = h.decide(body)
    if rng.random() < 0.3:  # carried out, whatever was decided
        kind = "action_carried_out" if body["action"].endswith("inquiry") else "transport"
        if body["action"] == "share_information":
            kind = "notification_sent"
        event = {"at": body["at"], "kind": kind, "actor": body["actor"], "action": body["action"]}
        h.event(event if rng.random() < 0.2 else {**event, "decision_id": made["id"]})


def recorded(backend: str, tmp: Path) -> Iterator[History]:
    """The history recorded on ``backend`` (a module fixture's body), the gateway closed after."""
    from conftest import database_url

    for url in database_url(backend, tmp):
        gw = make_gateway(url)
        try:
            yield record_history(gw)
        finally:
            gw.close()
            gw.db.dispose()
