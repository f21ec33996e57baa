"""The "Worked examples" table of ca-pack.md (CA-1..CA-15), row by row, against the shipped
`ca` pack, and the exemptions and boundaries the table does not show.

Each row asserts the outcome, the basis and the exact set of (directive, section) citations.
Times are Pacific (-07:00 in summer, -08:00 in winter).
"""

from __future__ import annotations

from typing import Any

import pytest

from liaison.policy import Engine, load_pack, shipped_pack_path
from pack_examples import ICE, build, camera_search, check, decide, own_alpr_search

EFFECTIVE_FROM = {
    "USC-8-1373": "1996-09-30T00:00:00-04:00",
    "CA-GOV-7284.6": "2018-01-01T00:00:00-08:00",
    "CA-GOV-7282.5-2014": "2014-01-01T00:00:00-08:00",
    "CA-GOV-7282.5": "2018-01-01T00:00:00-08:00",
    "CA-CIV-1798.90.55": "2016-01-01T00:00:00-08:00",
    "CA-BASELINE": "1990-01-01T00:00:00-08:00",
}
JUNE_2025 = "2025-06-10T10:00:00-07:00"
MAY_2019 = "2019-05-01T12:00:00-07:00"
USBP = {"agency": "U.S. Border Patrol", "type": "federal_immigration"}
HOUSTON = {"agency": "Houston PD", "type": "state_local", "jurisdiction": "out_of_state"}
SANTA_ROSA = {"agency": "Santa Rosa PD", "type": "state_local", "jurisdiction": "in_state"}
UNKNOWN = {"agency": "Some PD", "type": "state_local"}
IN_CUSTODY = {"id": "person-1", "custody": "mpd_custody"}
CONVICTED = {**IN_CUSTODY, "qualifying_conviction": True}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load_pack(shipped_pack_path("ca")))


def detainer_hold(at: str, subject: dict[str, Any]) -> dict[str, Any]:
    return build("hold", at, subject=subject, recipient=ICE, legal_process="ice_detainer")


def release_date(at: str, subject: dict[str, Any]) -> dict[str, Any]:
    return build(
        "share_information",
        at,
        purposes=["assist_federal_agency"],
        subject=subject,
        recipient=ICE,
        data_classes=["release_datetime"],
        initiative="on_request",
    )


def status_only(at: str, purposes: list[str]) -> dict[str, Any]:
    return build(
        "share_information",
        at,
        purposes=purposes,
        subject=IN_CUSTODY,
        recipient=ICE,
        data_classes=["immigration_status"],
    )


WORKED = [
    pytest.param(
        own_alpr_search(JUNE_2025, ["criminal_investigation"]),
        "permit",
        "permit",
        {("CA-BASELINE", "inquiry")},
        id="CA-1",
    ),
    pytest.param(
        own_alpr_search(JUNE_2025, ["civil_immigration_enforcement"]),
        "deny",
        "forbid",
        {("CA-GOV-7284.6", "a1")},
        id="CA-2",
    ),
    pytest.param(
        own_alpr_search(JUNE_2025, ["immigration_status"]),
        "deny",
        "forbid",
        {("CA-GOV-7284.6", "a1A")},
        id="CA-3",
    ),
    pytest.param(
        camera_search(JUNE_2025, USBP, ["criminal_investigation"], case_number="CR-1"),
        "deny",
        "forbid",
        {("CA-CIV-1798.90.55", "b"), ("CA-GOV-7284.6", "a1D")},
        id="CA-4",
    ),
    pytest.param(
        camera_search(JUNE_2025, HOUSTON, ["criminal_investigation"]),
        "deny",
        "forbid",
        {("CA-CIV-1798.90.55", "b")},
        id="CA-5",
    ),
    pytest.param(
        camera_search(JUNE_2025, SANTA_ROSA, ["criminal_investigation"]),
        "permit",
        "permit",
        {("CA-BASELINE", "alpr")},
        id="CA-6",
    ),
    pytest.param(
        camera_search(JUNE_2025, UNKNOWN, ["criminal_investigation"]),
        "deny",
        "default",
        set(),
        id="CA-7",
    ),
    pytest.param(
        camera_search("2017-06-01T12:00:00-07:00", HOUSTON, ["criminal_investigation"]),
        "deny",
        "forbid",
        {("CA-CIV-1798.90.55", "b")},
        id="CA-8",
    ),
    pytest.param(
        camera_search("2015-12-31T23:00:00-08:00", HOUSTON, ["criminal_investigation"]),
        "deny",
        "default",
        set(),
        id="CA-9",
    ),
    pytest.param(
        detainer_hold("2016-06-01T12:00:00-07:00", CONVICTED),
        "permit",
        "permit",
        {("CA-GOV-7282.5-2014", "a")},
        id="CA-10",
    ),
    pytest.param(
        detainer_hold("2018-06-01T12:00:00-07:00", CONVICTED),
        "deny",
        "forbid",
        {("CA-GOV-7284.6", "a1B")},
        id="CA-11",
    ),
    pytest.param(
        release_date(MAY_2019, CONVICTED),
        "permit",
        "permit",
        {("CA-GOV-7282.5", "a")},
        id="CA-12",
    ),
    pytest.param(
        release_date(MAY_2019, IN_CUSTODY),
        "deny",
        "forbid",
        {("CA-GOV-7284.6", "a1C")},
        id="CA-13",
    ),
    pytest.param(
        status_only(MAY_2019, ["assist_federal_agency"]),
        "permit",
        "permit",
        {("CA-GOV-7284.6", "e"), ("USC-8-1373", "a")},
        id="CA-14",
    ),
    pytest.param(
        build(
            "custody_transfer",
            MAY_2019,
            subject=IN_CUSTODY,
            recipient=ICE,
            legal_process="ice_administrative_warrant",
        ),
        "deny",
        "forbid",
        {("CA-GOV-7284.6", "a4")},
        id="CA-15",
    ),
]


@pytest.mark.parametrize(("raw", "outcome", "basis", "citations"), WORKED)
def test_worked_example(
    engine: Engine, raw: dict[str, Any], outcome: str, basis: str, citations: set
) -> None:
    check(decide(engine, raw), outcome, basis, citations, EFFECTIVE_FROM)


# ---- the three exemptions of every forbid of § 7284.6 ---------------------------------------

EXEMPTIONS = [
    pytest.param(
        status_only(MAY_2019, ["civil_immigration_enforcement"]),
        {("CA-GOV-7284.6", "e"), ("USC-8-1373", "a")},
        id="e-status-only-despite-civil-purpose",
    ),
    pytest.param(
        build(
            "share_information",
            MAY_2019,
            purposes=["warrant_check"],
            subject=IN_CUSTODY,
            recipient={"agency": "Fresno SO", "type": "state_local"},
            data_classes=["citizenship", "immigration_status"],
        ),
        {("CA-GOV-7284.6", "e"), ("CA-BASELINE", "sharing")},
        id="e-status-only-to-state-local",
    ),
    pytest.param(
        build(
            "database_inquiry",
            MAY_2019,
            purposes=["civil_immigration_enforcement", "immigration_status"],
            subject=IN_CUSTODY,
            database="NLETS_IAQ",
        ),
        {("CA-GOV-7284.6", "e")},
        id="e-nlets-iaq",
    ),
    pytest.param(
        build(
            "share_information",
            MAY_2019,
            purposes=["civil_immigration_enforcement"],
            subject=IN_CUSTODY,
            recipient=ICE,
            data_classes=["criminal_history", "identity"],
            initiative="on_request",
        ),
        {("CA-GOV-7284.6", "b2")},
        id="b2-criminal-history-on-request",
    ),
    pytest.param(
        build(
            "grant_access",
            MAY_2019,
            purposes=["civil_immigration_enforcement"],
            subject=IN_CUSTODY,
            recipient=ICE,
            access={"kind": "interview", "detainee_requested": True, "counsel": "none"},
        ),
        {("CA-GOV-7284.6", "b5")},
        id="b5-consented-interview",
    ),
]


@pytest.mark.parametrize(("raw", "citations"), EXEMPTIONS)
def test_exemption_of_7284_6(engine: Engine, raw: dict[str, Any], citations: set) -> None:
    check(decide(engine, raw), "permit", "permit", citations, EFFECTIVE_FROM)


NOT_EXEMPT = [
    pytest.param(
        build(
            "share_information",
            MAY_2019,
            purposes=["assist_federal_agency"],
            subject=IN_CUSTODY,
            recipient=ICE,
            data_classes=["criminal_history", "identity"],
            initiative="proactive",
        ),
        {("CA-GOV-7284.6", "a1D")},
        id="b2-needs-a-request",
    ),
    pytest.param(
        build(
            "share_information",
            MAY_2019,
            purposes=["assist_federal_agency"],
            subject=IN_CUSTODY,
            recipient=ICE,
            data_classes=["criminal_history", "home_address"],
            initiative="on_request",
        ),
        {("CA-GOV-7284.6", "a1D")},
        id="b2-only-history-and-identity",
    ),
    pytest.param(
        build(
            "grant_access",
            MAY_2019,
            purposes=["civil_immigration_enforcement"],
            subject=IN_CUSTODY,
            recipient=ICE,
            access={"kind": "interview", "detainee_requested": False, "counsel": "present"},
        ),
        {("CA-GOV-7284.6", "a1")},
        id="b5-needs-consent",
    ),
    pytest.param(
        status_only(MAY_2019, ["civil_immigration_enforcement"])
        | {"recipient": {"agency": "Acme", "type": "private"}},
        {("CA-GOV-7284.6", "a1")},
        id="e-not-for-private-recipients",
    ),
    pytest.param(
        build(
            "database_inquiry",
            MAY_2019,
            purposes=["immigration_status"],
            subject=IN_CUSTODY,
            database="NCIC",
        ),
        {("CA-GOV-7284.6", "a1A")},
        id="a1A-ncic-not-exempt",
    ),
]


@pytest.mark.parametrize(("raw", "citations"), NOT_EXEMPT)
def test_outside_the_exemptions_the_forbid_decides(
    engine: Engine, raw: dict[str, Any], citations: set
) -> None:
    check(decide(engine, raw), "deny", "forbid", citations, EFFECTIVE_FROM)


def test_smuggling_investigation_may_ask_status(engine: Engine) -> None:
    raw = own_alpr_search(JUNE_2025, ["immigration_status", "smuggling_harboring_investigation"])
    check(decide(engine, raw), "permit", "permit", {("CA-BASELINE", "inquiry")}, EFFECTIVE_FROM)


# ---- unknown jurisdiction: never in-state --------------------------------------------------


@pytest.mark.parametrize("action", ["grant_access", "share_information"])
def test_unknown_jurisdiction_is_never_in_state(engine: Engine, action: str) -> None:
    raw = camera_search(JUNE_2025, UNKNOWN, ["criminal_investigation"])
    if action == "share_information":
        raw = {**raw, "action": action}
        del raw["access"]
    check(decide(engine, raw), "deny", "default", set(), EFFECTIVE_FROM)
    known = {**raw, "recipient": SANTA_ROSA}
    check(decide(engine, known), "permit", "permit", {("CA-BASELINE", "alpr")}, EFFECTIVE_FROM)


def test_alpr_to_federal_other_and_private_is_forbidden(engine: Engine) -> None:
    for recipient in ({"agency": "FBI", "type": "federal_other"}, {"agency": "X", "type": "private"}):
        raw = camera_search(JUNE_2025, recipient, ["criminal_investigation"])
        check(decide(engine, raw), "deny", "forbid", {("CA-CIV-1798.90.55", "b")}, EFFECTIVE_FROM)


# ---- boundaries: SB 34, and § 7282.5 (2014) superseded by § 7282.5 (SB 54) ----------------


def test_sb34_takes_effect_at_midnight_pacific(engine: Engine) -> None:
    before = camera_search("2015-12-31T23:59:59-08:00", HOUSTON, ["criminal_investigation"])
    at = camera_search("2016-01-01T08:00:00Z", HOUSTON, ["criminal_investigation"])
    check(decide(engine, before), "deny", "default", set(), EFFECTIVE_FROM)
    check(decide(engine, at), "deny", "forbid", {("CA-CIV-1798.90.55", "b")}, EFFECTIVE_FROM)


def test_7282_5_of_2014_superseded_at_2018_pacific(engine: Engine) -> None:
    before = detainer_hold("2017-12-31T23:59:59-08:00", CONVICTED)
    at = detainer_hold("2018-01-01T08:00:00Z", CONVICTED)
    check(decide(engine, before), "permit", "permit", {("CA-GOV-7282.5-2014", "a")}, EFFECTIVE_FROM)
    decided = decide(engine, at)
    check(decided, "deny", "forbid", {("CA-GOV-7284.6", "a1B")}, EFFECTIVE_FROM)
    assert "CA-GOV-7282.5-2014" not in decided.in_force
    assert "CA-GOV-7282.5" in decided.in_force


def test_2014_hold_without_conviction_is_forbidden(engine: Engine) -> None:
    raw = detainer_hold("2016-06-01T12:00:00-07:00", IN_CUSTODY)
    check(decide(engine, raw), "deny", "forbid", {("CA-GOV-7282.5-2014", "a")}, EFFECTIVE_FROM)


def test_transfer_with_qualifying_conviction(engine: Engine) -> None:
    raw = build("custody_transfer", MAY_2019, subject=CONVICTED, recipient=ICE)
    check(decide(engine, raw), "permit", "permit", {("CA-GOV-7282.5", "a")}, EFFECTIVE_FROM)


def test_transport_for_ice_unless_judicial(engine: Engine) -> None:
    raw = build(
        "transport",
        MAY_2019,
        purposes=["assist_federal_agency"],
        subject=IN_CUSTODY,
        recipient=ICE,
        transport={"passengers": "detained_subject"},
    )
    check(decide(engine, raw), "deny", "forbid", {("CA-GOV-7284.6", "a1")}, EFFECTIVE_FROM)
    judicial = {**raw, "legal_process": "judicial_warrant"}
    check(decide(engine, judicial), "deny", "default", set(), EFFECTIVE_FROM)


def test_pack_state_is_california() -> None:
    assert load_pack(shipped_pack_path("ca")).state == "CA"
