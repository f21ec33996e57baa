"""The "Worked examples" table of dc-pack.md, row by row, against the shipped `dc` pack.

Each row asserts the outcome, the basis and the exact set of (directive, section)
citations. Times are Eastern (August and September 2025: -04:00).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from liaison.model import Basis, Decision, Outcome, parse_request
from liaison.policy import Engine, load_pack, shipped_pack_path

ACTOR = {"id": "officer-1", "agency": "MPD", "role": "officer", "unit": "1D"}
ICE = {"agency": "ICE-ERO", "type": "federal_immigration"}

# Normative effective_from of every directive (dc-pack.md, "Directives").
EFFECTIVE_FROM = {
    "USC-8-1373": "1996-09-30T00:00:00-04:00",
    "DC-CODE-24-211.07": "2021-04-27T00:00:00-04:00",
    "DC-MO-2011-174": "2011-10-19T00:00:00-04:00",
    "MPD-PRIOR-POLICY": "2003-01-01T00:00:00-05:00",
    "MPD-BASELINE": "2003-01-01T00:00:00-05:00",
    "EO-14333": "2025-08-11T00:00:00-04:00",
    "EO-25-005": "2025-08-14T00:00:00-04:00",
    "AG-ORDER-2025-08-14": "2025-08-14T21:00:00-04:00",
    "AG-DIRECTIVE-2025-08-15": "2025-08-15T18:30:00-04:00",
    "MO-2025-090": "2025-09-02T00:00:00-04:00",
}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load_pack(shipped_pack_path("dc")))


def build(action: str, at: str, view: str | None, **fields: Any) -> dict[str, Any]:
    """A request dict with sensible defaults; keyword arguments override or add fields."""
    raw: dict[str, Any] = {"id": "req-worked", "at": at, "actor": dict(ACTOR), "action": action}
    if view is not None:
        raw["view"] = view
    raw.update(fields)
    return raw


def decide(engine: Engine, raw: dict[str, Any]) -> Decision:
    return engine.decide(parse_request(raw))


def cited(decision: Decision) -> set[tuple[str, str]]:
    return {(c.directive, c.section) for c in decision.citations}


def check(decision: Decision, outcome: str, basis: str, citations: set[tuple[str, str]]) -> None:
    got = (decision.decision, decision.basis, cited(decision))
    assert got == (Outcome(outcome), Basis(basis), citations)
    # every citation is named once and carries the directive's normative effective_from
    assert len(decision.citations) == len(cited(decision))
    for c in decision.citations:
        assert c.effective_from.tzinfo is not None
        assert c.effective_from == datetime.fromisoformat(EFFECTIVE_FROM[c.directive])
        assert c.title
        assert c.issuer
    assert decision.policy_version.startswith("sha256:")


# ---- the request of each row -------------------------------------------------------------


def share_stopped_identity_location(at: str, view: str) -> dict[str, Any]:
    return build(
        "share_information",
        at,
        view,
        purposes=["assist_federal_agency"],
        subject={"id": "person-77", "custody": "stopped", "federal_criminal_charge": False},
        recipient=ICE,
        data_classes=["identity", "location"],
        initiative="proactive",
        legal_process="none",
        encounter={"kind": "traffic_stop", "id": "stop-2025-0042"},
    )


def ncic_status_of_stopped(at: str, view: str) -> dict[str, Any]:
    return build(
        "database_inquiry",
        at,
        view,
        purposes=["immigration_status"],
        subject={"id": "person-77", "custody": "stopped"},
        database="NCIC",
        encounter={"kind": "traffic_stop", "id": "stop-2025-0042"},
    )


WORKED = [
    pytest.param(
        share_stopped_identity_location("2025-08-10T12:00:00-04:00", "mpd"),
        "deny",
        "forbid",
        {("MPD-PRIOR-POLICY", "sharing")},
        id="0810-mpd-share-stopped-prior-sharing",
    ),
    pytest.param(
        share_stopped_identity_location("2025-08-15T12:00:00-04:00", "mpd"),
        "permit",
        "permit",
        {("EO-25-005", "E1")},
        id="0815-mpd-share-stopped-E1",
    ),
    pytest.param(
        ncic_status_of_stopped("2025-08-15T12:00:00-04:00", "mpd"),
        "deny",
        "forbid",
        {("EO-25-005", "E3")},
        id="0815-mpd-ncic-status-E3",
    ),
    pytest.param(
        build(
            "transport",
            "2025-08-13T21:00:00-04:00",
            "mpd",
            purposes=["assist_federal_agency"],
            subject={"id": "person-9", "custody": "federal_custody"},
            recipient=ICE,
            transport={"passengers": "detained_subject"},
        ),
        "deny",
        "forbid",
        {("MPD-PRIOR-POLICY", "transport_arrest")},
        id="0813-mpd-transport-detained-prior",
    ),
    pytest.param(
        ncic_status_of_stopped("2025-08-15T12:00:00-04:00", "doj"),
        "deny",
        "default",
        set(),
        id="0815-doj-ncic-status-default",
    ),
    pytest.param(
        ncic_status_of_stopped("2025-08-15T20:00:00-04:00", "doj"),
        "permit",
        "permit",
        {("AG-DIRECTIVE-2025-08-15", "cooperate")},
        id="0815-2000-doj-ncic-status-ag-directive",
    ),
    pytest.param(
        build(
            "share_information",
            "2025-09-20T12:00:00-04:00",
            "doj",
            purposes=["assist_federal_agency"],
            subject={"id": "person-77", "custody": "stopped"},
            recipient=ICE,
            data_classes=["identity"],
        ),
        "deny",
        "default",
        set(),
        id="0920-doj-share-identity-default",
    ),
    pytest.param(
        build(
            "share_information",
            "2025-08-20T12:00:00-04:00",
            "mpd",
            purposes=["assist_federal_agency"],
            subject={"id": "person-5", "custody": "mpd_custody"},
            recipient=ICE,
            data_classes=["release_datetime"],
            legal_process="none",
        ),
        "deny",
        "forbid",
        {("DC-CODE-24-211.07", "a4B"), ("EO-25-005", "E6")},
        id="0820-mpd-share-release-date-a4B-E6",
    ),
    pytest.param(
        build(
            "share_information",
            "2025-08-20T12:00:00-04:00",
            "mpd",
            purposes=["assist_federal_agency"],
            subject={"id": "person-5", "custody": "mpd_custody"},
            recipient=ICE,
            data_classes=["immigration_status"],
        ),
        "permit",
        "permit",
        {("USC-8-1373", "a")},
        id="0820-mpd-share-status-only-1373",
    ),
]


@pytest.mark.parametrize(("raw", "outcome", "basis", "citations"), WORKED)
def test_worked_example(
    engine: Engine,
    raw: dict[str, Any],
    outcome: str,
    basis: str,
    citations: set[tuple[str, str]],
) -> None:
    decision = decide(engine, raw)
    check(decision, outcome, basis, citations)
    assert decision.view == raw["view"]
    assert decision.at == datetime.fromisoformat(raw["at"])
    assert decision.id == raw["id"]


def test_worked_example_outcome_strings(engine: Engine) -> None:
    """Outcome and Basis are StrEnums: they compare equal to the reference's strings."""
    d = decide(engine, share_stopped_identity_location("2025-08-15T12:00:00-04:00", "mpd"))
    assert d.decision == "permit"
    assert d.basis == "permit"
    d = decide(engine, ncic_status_of_stopped("2025-08-15T12:00:00-04:00", "doj"))
    assert d.decision == "deny"
    assert d.basis == "default"
    assert d.citations == ()


MPD_0815 = [
    "DC-CODE-24-211.07",
    "DC-MO-2011-174",
    "EO-14333",
    "EO-25-005",
    "MPD-BASELINE",
    "USC-8-1373",
]


@pytest.mark.parametrize(
    ("view", "at", "expected"),
    [
        pytest.param("mpd", "2025-08-15T12:00:00-04:00", MPD_0815, id="mpd-0815-1200"),
        pytest.param(
            "mpd",
            "2025-08-10T12:00:00-04:00",
            [
                "DC-CODE-24-211.07",
                "DC-MO-2011-174",
                "MPD-BASELINE",
                "MPD-PRIOR-POLICY",
                "USC-8-1373",
            ],
            id="mpd-0810-1200",
        ),
        pytest.param(
            "doj",
            "2025-08-15T12:00:00-04:00",
            [
                "AG-ORDER-2025-08-14",
                "DC-CODE-24-211.07",
                "DC-MO-2011-174",
                "EO-14333",
                "MPD-BASELINE",
                "USC-8-1373",
            ],
            id="doj-0815-1200",
        ),
        pytest.param(
            "doj",
            "2025-08-15T20:00:00-04:00",
            [
                "AG-DIRECTIVE-2025-08-15",
                "DC-CODE-24-211.07",
                "DC-MO-2011-174",
                "EO-14333",
                "MPD-BASELINE",
                "USC-8-1373",
            ],
            id="doj-0815-2000",
        ),
        pytest.param(
            "doj",
            "2025-09-20T12:00:00-04:00",
            [
                "DC-CODE-24-211.07",
                "DC-MO-2011-174",
                "MO-2025-090",
                "MPD-BASELINE",
                "USC-8-1373",
            ],
            id="doj-0920-1200",
        ),
        pytest.param(
            "mpd",
            "2025-08-20T12:00:00-04:00",
            MPD_0815,
            id="mpd-0820-1200",
        ),
    ],
)
def test_worked_example_in_force(engine: Engine, view: str, at: str, expected: list[str]) -> None:
    d = decide(engine, ncic_status_of_stopped(at, view))
    assert list(d.in_force) == expected
    assert list(d.in_force) == sorted(d.in_force)


def test_in_force_named_properties(engine: Engine) -> None:
    """The properties the brief names, stated one by one."""
    doj_1200 = decide(engine, ncic_status_of_stopped("2025-08-15T12:00:00-04:00", "doj")).in_force
    assert "EO-25-005" not in doj_1200
    assert "MPD-PRIOR-POLICY" not in doj_1200
    assert "AG-ORDER-2025-08-14" in doj_1200

    doj_2000 = decide(engine, ncic_status_of_stopped("2025-08-15T20:00:00-04:00", "doj")).in_force
    assert "AG-DIRECTIVE-2025-08-15" in doj_2000
    assert "AG-ORDER-2025-08-14" not in doj_2000

    doj_0920 = decide(engine, ncic_status_of_stopped("2025-09-20T12:00:00-04:00", "doj")).in_force
    assert "EO-14333" not in doj_0920
    assert "AG-DIRECTIVE-2025-08-15" not in doj_0920
    assert "EO-25-005" not in doj_0920  # the rescission is permanent
