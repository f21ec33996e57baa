"""A deterministic, realistic mix of D.C. action requests for benchmarks.

August-September 2025, both views, every action, weighted toward what officers
do most (database inquiries and information sharing).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

ACTIONS = [
    ("database_inquiry", 40),
    ("share_information", 25),
    ("verbal_inquiry", 10),
    ("transport", 8),
    ("arrest", 6),
    ("custody_transfer", 3),
    ("hold", 3),
    ("grant_access", 3),
    ("joint_operation", 2),
]
PURPOSES = [
    "criminal_investigation",
    "traffic_enforcement",
    "identity_verification",
    "warrant_check",
    "officer_safety",
    "immigration_status",
    "assist_federal_agency",
    "civil_immigration_enforcement",
    "smuggling_harboring_investigation",
]
DATA = [
    "identity",
    "location",
    "home_address",
    "release_datetime",
    "immigration_status",
    "citizenship",
    "vehicle",
    "stop_details",
    "criminal_history",
]
AGENCIES = [
    ("ICE-ERO", "federal_immigration"),
    ("HSI", "federal_immigration"),
    ("CBP", "federal_immigration"),
    ("FBI", "federal_other"),
    ("USMS", "federal_other"),
    ("MSP", "state_local"),
]
START = datetime(2025, 8, 1, 4, tzinfo=UTC)


def request(rng: random.Random, n: int) -> dict[str, Any]:
    action = rng.choices([a for a, _ in ACTIONS], [w for _, w in ACTIONS])[0]
    at = START + timedelta(minutes=rng.randrange(60 * 24 * 60))
    agency, kind = rng.choice(AGENCIES)
    req: dict[str, Any] = {
        "id": f"req-{n}",
        "at": at.isoformat(),
        "view": rng.choice(["mpd", "mpd", "mpd", "doj"]),
        "actor": {
            "id": f"officer-{rng.randrange(3800)}",
            "agency": "MPD",
            "role": rng.choice(["officer", "officer", "detective", "supervisor"]),
            "unit": f"{rng.randrange(1, 8)}D",
        },
        "action": action,
        "subject": {
            "id": f"person-{rng.randrange(10**6)}",
            "custody": rng.choice(["free", "stopped", "stopped", "mpd_custody"]),
            "federal_criminal_charge": rng.random() < 0.1,
        },
        "purposes": rng.sample(PURPOSES, rng.choice([1, 1, 2])),
        "legal_process": rng.choice(
            ["none"] * 6 + ["ice_detainer", "judicial_warrant", "criminal_warrant"]
        ),
    }
    if rng.random() < 0.3:
        req["case_number"] = f"CCN-{rng.randrange(10**6)}"
    if rng.random() < 0.5:
        req["encounter"] = {"kind": "traffic_stop", "id": f"stop-{rng.randrange(10**5)}"}
    if action in ("share_information", "transport", "custody_transfer", "hold", "grant_access"):
        req["recipient"] = {"agency": agency, "type": kind}
    if action == "database_inquiry":
        req["database"] = rng.choice(["NCIC", "NCIC", "WALES", "NLETS_IAQ", "DMV", "III"])
    if action == "share_information":
        req["data_classes"] = rng.sample(DATA, rng.choice([1, 1, 2, 3]))
    if action == "transport":
        req["transport"] = {
            "passengers": rng.choice(["federal_employees", "detained_subject", "mpd_arrestee"])
        }
    if action == "arrest":
        req["arrest_basis"] = rng.choice(
            ["criminal_warrant", "offense", "immigration_warrant_only", "detainer_only"]
        )
    if action == "grant_access":
        req["access"] = {
            "kind": rng.choice(["facility", "interview"]),
            "detainee_requested": rng.random() < 0.5,
            "counsel": rng.choice(["present", "waived", "none"]),
        }
    if action == "joint_operation":
        del req["subject"]
        req["operation"] = {
            "kind": rng.choice(["checkpoint", "task_force", "patrol"]),
            "partners": [
                dict(zip(("agency", "type"), rng.choice(AGENCIES), strict=True))
                for _ in range(rng.randrange(1, 3))
            ],
        }
    return req


def requests(count: int, seed: int = 2025) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [request(rng, n) for n in range(count)]
