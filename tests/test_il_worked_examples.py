"""The "Worked examples" table of il-pack.md (IL-1..IL-14), row by row, against the shipped
`il` pack, and the exemptions and boundaries the table does not show.

Each row asserts the outcome, the basis and the exact set of (directive, section) citations.
Times are Central (-05:00 in summer, -06:00 in winter).
"""

from __future__ import annotations

from typing import Any

import pytest

from liaison.policy import Engine, load_pack, shipped_pack_path
from pack_examples import ICE, build, camera_search, check, decide, own_alpr_search

EFFECTIVE_FROM = {
    "USC-8-1373": "1996-09-30T00:00:00-04:00",
    "IL-TRUST-2017": "2017-08-28T00:00:00-05:00",
    "IL-TRUST-2021": "2021-08-02T00:00:00-05:00",
    "IL-VEH-2-130": "2024-01-01T00:00:00-06:00",
    "IL-BASELINE": "1990-01-01T00:00:00-06:00",
}
MARCH_2025 = "2025-03-06T09:00:00-06:00"
JAN_2022 = "2022-01-10T12:00:00-06:00"
JAN_2020 = "2020-01-10T12:00:00-06:00"
CBP = {"agency": "CBP", "type": "federal_immigration"}
DALLAS = {"agency": "Dallas PD", "type": "state_local", "jurisdiction": "out_of_state"}
DALLAS_DECLARED = {**DALLAS, "declaration_on_file": True}
IN_CUSTODY = {"id": "person-1", "custody": "mpd_custody"}
STOPPED = {"id": "driver-1", "custody": "stopped"}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load_pack(shipped_pack_path("il")))


def detainer_hold(at: str) -> dict[str, Any]:
    return build("hold", at, subject=IN_CUSTODY, recipient=ICE, legal_process="ice_detainer")


def transport_for_ice(at: str) -> dict[str, Any]:
    return build(
        "transport",
        at,
        purposes=["assist_federal_agency"],
        subject=IN_CUSTODY,
        recipient=ICE,
        transport={"passengers": "detained_subject"},
    )


def ask_status(at: str) -> dict[str, Any]:
    return build(
        "verbal_inquiry",
        at,
        purposes=["immigration_status", "traffic_enforcement"],
        subject=STOPPED,
        encounter={"kind": "traffic_stop", "id": "stop-1"},
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


def cbp_search(at: str, **more: Any) -> dict[str, Any]:
    return camera_search(at, CBP, ["criminal_investigation"], case_number="CR-7", **more)


WORKED = [
    pytest.param(
        own_alpr_search(MARCH_2025, ["civil_immigration_enforcement"]),
        "deny",
        "forbid",
        {("IL-TRUST-2021", "15h1")},
        id="IL-1",
    ),
    pytest.param(
        cbp_search("2025-06-12T12:00:00-05:00"),
        "deny",
        "forbid",
        {("IL-TRUST-2021", "15h4"), ("IL-TRUST-2021", "15h5")},
        id="IL-2",
    ),
    pytest.param(
        cbp_search("2021-06-01T12:00:00-05:00"),
        "permit",
        "permit",
        {("IL-BASELINE", "alpr")},
        id="IL-3",
    ),
    pytest.param(
        camera_search(MARCH_2025, DALLAS, ["criminal_investigation"]),
        "deny",
        "forbid",
        {("IL-VEH-2-130", "c")},
        id="IL-4",
    ),
    pytest.param(
        camera_search(MARCH_2025, DALLAS_DECLARED, ["criminal_investigation"]),
        "permit",
        "permit",
        {("IL-BASELINE", "alpr")},
        id="IL-5",
    ),
    pytest.param(
        camera_search("2023-12-31T12:00:00-06:00", DALLAS, ["criminal_investigation"]),
        "permit",
        "permit",
        {("IL-BASELINE", "alpr")},
        id="IL-6",
    ),
    pytest.param(
        camera_search(MARCH_2025, DALLAS_DECLARED, ["civil_immigration_enforcement"]),
        "deny",
        "forbid",
        {("IL-TRUST-2021", "15h1"), ("IL-VEH-2-130", "b2")},
        id="IL-7",
    ),
    pytest.param(
        detainer_hold("2019-01-01T12:00:00-06:00"),
        "deny",
        "forbid",
        {("IL-TRUST-2017", "15a")},
        id="IL-8",
    ),
    pytest.param(
        detainer_hold(JAN_2022), "deny", "forbid", {("IL-TRUST-2021", "15a")}, id="IL-9"
    ),
    pytest.param(transport_for_ice(JAN_2020), "deny", "default", set(), id="IL-10"),
    pytest.param(
        transport_for_ice(JAN_2022), "deny", "forbid", {("IL-TRUST-2021", "15h1")}, id="IL-11"
    ),
    pytest.param(
        status_only(JAN_2022, ["assist_federal_agency"]),
        "permit",
        "permit",
        {("IL-TRUST-2021", "5"), ("USC-8-1373", "a")},
        id="IL-12",
    ),
    pytest.param(
        ask_status(JAN_2020), "permit", "permit", {("IL-BASELINE", "inquiry")}, id="IL-13"
    ),
    pytest.param(ask_status(JAN_2022), "deny", "forbid", {("IL-TRUST-2021", "15e")}, id="IL-14"),
]


@pytest.mark.parametrize(("raw", "outcome", "basis", "citations"), WORKED)
def test_worked_example(
    engine: Engine, raw: dict[str, Any], outcome: str, basis: str, citations: set
) -> None:
    check(decide(engine, raw), outcome, basis, citations, EFFECTIVE_FROM)


# ---- § 15(h): lifted by a federal criminal (judicial) warrant, and for status-only data ----


def test_15h_lifted_by_judicial_warrant(engine: Engine) -> None:
    raw = cbp_search("2025-06-12T12:00:00-05:00", legal_process="judicial_warrant")
    check(decide(engine, raw), "permit", "permit", {("IL-BASELINE", "alpr")}, EFFECTIVE_FROM)


def test_15h_not_lifted_by_a_state_criminal_warrant(engine: Engine) -> None:
    raw = build(
        "custody_transfer", JAN_2022, subject=IN_CUSTODY, recipient=ICE,
        legal_process="criminal_warrant",
    )  # fmt: skip
    check(decide(engine, raw), "deny", "forbid", {("IL-TRUST-2021", "15h3")}, EFFECTIVE_FROM)
    judicial = {**raw, "legal_process": "judicial_warrant"}
    check(decide(engine, judicial), "permit", "permit", {("IL-BASELINE", "custody")}, EFFECTIVE_FROM)


def test_15h_lifted_for_status_only_data(engine: Engine) -> None:
    raw = status_only(JAN_2022, ["civil_immigration_enforcement"])
    expected = {("IL-TRUST-2021", "5"), ("USC-8-1373", "a")}
    check(decide(engine, raw), "permit", "permit", expected, EFFECTIVE_FROM)


def test_15h6_other_data_on_request_about_custody(engine: Engine) -> None:
    raw = status_only(JAN_2022, ["assist_federal_agency"]) | {"data_classes": ["identity"]}
    check(decide(engine, raw), "deny", "forbid", {("IL-TRUST-2021", "15h6")}, EFFECTIVE_FROM)


def test_15h7_release_date_even_proactive(engine: Engine) -> None:
    raw = status_only(JAN_2022, ["criminal_investigation"]) | {
        "data_classes": ["release_datetime"],
        "initiative": "proactive",
        "subject": {"id": "p", "custody": "free"},
        "case_number": "CR-1",
    }
    check(decide(engine, raw), "deny", "forbid", {("IL-TRUST-2021", "15h7")}, EFFECTIVE_FROM)


def test_export_to_hsi_for_a_criminal_case_is_permitted(engine: Engine) -> None:
    raw = build(
        "share_information",
        MARCH_2025,
        purposes=["criminal_investigation"],
        subject={"id": "plate-1", "custody": "free"},
        recipient={"agency": "HSI", "type": "federal_immigration"},
        data_classes=["alpr_reads"],
        case_number="CR-9",
        initiative="proactive",
    )
    check(decide(engine, raw), "permit", "permit", {("IL-BASELINE", "alpr")}, EFFECTIVE_FROM)


def test_joint_operation_with_hsi(engine: Engine) -> None:
    hsi = [{"agency": "HSI", "type": "federal_immigration"}]
    criminal = build(
        "joint_operation",
        JAN_2022,
        purposes=["criminal_investigation"],
        operation={"kind": "task_force", "partners": hsi},
    )
    check(decide(engine, criminal), "deny", "default", set(), EFFECTIVE_FROM)
    other = {**criminal, "purposes": ["officer_safety"]}
    check(decide(engine, other), "deny", "forbid", {("IL-TRUST-2021", "15h1")}, EFFECTIVE_FROM)


def test_nlets_iaq_not_saved_by_section_5(engine: Engine) -> None:
    raw = build(
        "database_inquiry",
        JAN_2022,
        purposes=["identity_verification"],
        subject=STOPPED,
        database="NLETS_IAQ",
    )
    check(decide(engine, raw), "deny", "forbid", {("IL-TRUST-2021", "15e")}, EFFECTIVE_FROM)


# ---- unknown jurisdiction, and the boundaries of 2-130 and of the Way Forward Act ---------


def test_unknown_jurisdiction_is_never_permitted(engine: Engine) -> None:
    raw = camera_search(MARCH_2025, {"agency": "Some PD", "type": "state_local"}, ["missing_person"])
    check(decide(engine, raw), "deny", "default", set(), EFFECTIVE_FROM)


def test_2_130_takes_effect_at_midnight_central(engine: Engine) -> None:
    before = camera_search("2023-12-31T23:59:59-06:00", DALLAS, ["criminal_investigation"])
    at = camera_search("2024-01-01T06:00:00Z", DALLAS, ["criminal_investigation"])
    check(decide(engine, before), "permit", "permit", {("IL-BASELINE", "alpr")}, EFFECTIVE_FROM)
    check(decide(engine, at), "deny", "forbid", {("IL-VEH-2-130", "c")}, EFFECTIVE_FROM)


def test_trust_act_2017_superseded_by_2021(engine: Engine) -> None:
    before = detainer_hold("2021-08-01T23:59:59-05:00")
    at = detainer_hold("2021-08-02T05:00:00Z")
    check(decide(engine, before), "deny", "forbid", {("IL-TRUST-2017", "15a")}, EFFECTIVE_FROM)
    check(decide(engine, at), "deny", "forbid", {("IL-TRUST-2021", "15a")}, EFFECTIVE_FROM)


def test_pack_state_is_illinois() -> None:
    assert load_pack(shipped_pack_path("il")).state == "IL"
