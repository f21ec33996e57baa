"""Scenario tests of the shipped `dc` pack, each derived from the rules of dc-pack.md.

For every scenario the expected in-force set was worked out by hand from the
"How in force works" rules and the views, then every matching forbid and permit
among the sections in force: forbid overrides permit, every matching forbid is
cited on a deny, every matching permit is cited on a permit, and nothing matching
is a deny with basis `default` and no citations.

In-force sets used below (Eastern time):
  mpd/doj before 08-11          DC-CODE, DC-MO, MPD-BASELINE, MPD-PRIOR, USC
  mpd/doj 08-11 .. 08-14 00:00  + EO-14333
  mpd from 08-14 00:00          EO-25-005 in, MPD-PRIOR out (superseded, E7)
  doj 08-14 00:00 .. 21:00      as mpd
  doj 08-14 21:00 .. 08-15 18:30  AG-ORDER in; EO-25-005 and MPD-PRIOR out (rescinded)
  doj 08-15 18:30 .. 09-10      AG-DIRECTIVE in, AG-ORDER out (superseded)
  from 09-02 00:00              + MO-2025-090 (both views)
  from 09-10 00:00              EO-14333 out; in doj AG-DIRECTIVE out with it, and
                                EO-25-005 stays out (the rescission is permanent)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from liaison.errors import InvalidRequest
from liaison.model import Basis, Decision, Outcome, parse_request
from liaison.policy import Engine, load_pack, shipped_pack_path

ACTOR = {"id": "officer-1", "agency": "MPD", "role": "officer", "unit": "1D"}

ICE = {"agency": "ICE-ERO", "type": "federal_immigration"}
HSI = {"agency": "HSI", "type": "federal_immigration"}
FBI = {"agency": "FBI", "type": "federal_other"}
USMS = {"agency": "USMS", "type": "federal_other"}
MSP = {"agency": "MSP", "type": "state_local"}
PRIVATE = {"agency": "Acme Security", "type": "private"}

# ---- citations ---------------------------------------------------------------------------
USC_A = ("USC-8-1373", "a")
A1 = ("DC-CODE-24-211.07", "a1")
A2 = ("DC-CODE-24-211.07", "a2")
A3 = ("DC-CODE-24-211.07", "a3")
A4B = ("DC-CODE-24-211.07", "a4B")
A4D = ("DC-CODE-24-211.07", "a4D")
B = ("DC-CODE-24-211.07", "b")
MO_INQ = ("DC-MO-2011-174", "inquiry")
PRIOR_STATUS = ("MPD-PRIOR-POLICY", "status_inquiry")
PRIOR_SHARING = ("MPD-PRIOR-POLICY", "sharing")
PRIOR_TA = ("MPD-PRIOR-POLICY", "transport_arrest")
BL_INQ = ("MPD-BASELINE", "inquiry")
BL_SHARING = ("MPD-BASELINE", "sharing")
BL_ARREST = ("MPD-BASELINE", "arrest")
BL_TRANSPORT = ("MPD-BASELINE", "transport")
BL_CUSTODY = ("MPD-BASELINE", "custody")
BL_ACCESS = ("MPD-BASELINE", "access")
BL_JOINT = ("MPD-BASELINE", "joint")
E1 = ("EO-25-005", "E1")
E2 = ("EO-25-005", "E2")
E3 = ("EO-25-005", "E3")
E4 = ("EO-25-005", "E4")
E5 = ("EO-25-005", "E5")
E6 = ("EO-25-005", "E6")
AGO = ("AG-ORDER-2025-08-14", "cooperate")
AGD = ("AG-DIRECTIVE-2025-08-15", "cooperate")
MO90 = ("MO-2025-090", "coordinate")

# Every section of dc-pack.md that carries a policy (EO-25-005 E7 has none).
ALL_DECIDING_SECTIONS = {
    USC_A, A1, A2, A3, A4B, A4D, B, MO_INQ, PRIOR_STATUS, PRIOR_SHARING, PRIOR_TA,
    BL_INQ, BL_SHARING, BL_ARREST, BL_TRANSPORT, BL_CUSTODY, BL_ACCESS, BL_JOINT,
    E1, E2, E3, E4, E5, E6, AGO, AGD, MO90,
}  # fmt: skip

# ---- instants (Eastern, -04:00) --------------------------------------------------------------
AUG10 = "2025-08-10T12:00:00-04:00"  # before EO-14333; MPD-PRIOR in force
AUG13 = "2025-08-13T12:00:00-04:00"  # EO-14333 in; MPD-PRIOR still in force
AUG14_NOON = "2025-08-14T12:00:00-04:00"  # EO-25-005 in force in both views
AUG15 = "2025-08-15T12:00:00-04:00"  # doj: AG-ORDER
AUG16 = "2025-08-16T12:00:00-04:00"  # doj: AG-DIRECTIVE
AUG20 = "2025-08-20T12:00:00-04:00"
SEP03 = "2025-09-03T12:00:00-04:00"  # MO-2025-090 in; EO-14333 still in
SEP20 = "2025-09-20T12:00:00-04:00"  # EO-14333 lapsed


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(load_pack(shipped_pack_path("dc")))


# ---- request builders (fields without at/view) ---------------------------------------------


def subject(custody: str, fcc: bool = False) -> dict[str, Any]:
    return {"id": "person-1", "custody": custody, "federal_criminal_charge": fcc}


def share(
    data: list[str],
    *,
    to: dict[str, str] = ICE,
    custody: str = "stopped",
    purposes: tuple[str, ...] = ("assist_federal_agency",),
    fcc: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "action": "share_information",
        "purposes": list(purposes),
        "subject": subject(custody, fcc),
        "recipient": to,
        "data_classes": data,
        **extra,
    }


def db(
    purposes: tuple[str, ...],
    *,
    database: str = "NCIC",
    custody: str = "stopped",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "action": "database_inquiry",
        "purposes": list(purposes),
        "subject": subject(custody),
        "database": database,
        **extra,
    }


def verbal(purposes: tuple[str, ...], *, custody: str = "stopped", **extra: Any) -> dict[str, Any]:
    return {
        "action": "verbal_inquiry",
        "purposes": list(purposes),
        "subject": subject(custody),
        **extra,
    }


def transport(
    passengers: str,
    *,
    to: dict[str, str] = ICE,
    custody: str = "federal_custody",
    purposes: tuple[str, ...] = ("assist_federal_agency",),
) -> dict[str, Any]:
    return {
        "action": "transport",
        "purposes": list(purposes),
        "subject": subject(custody),
        "recipient": to,
        "transport": {"passengers": passengers},
    }


def transfer(
    *,
    to: dict[str, str] = ICE,
    custody: str = "mpd_custody",
    legal: str = "none",
    fcc: bool = False,
) -> dict[str, Any]:
    return {
        "action": "custody_transfer",
        "subject": subject(custody, fcc),
        "recipient": to,
        "legal_process": legal,
    }


def hold(
    *, to: dict[str, str] = ICE, custody: str = "mpd_custody", legal: str = "none"
) -> dict[str, Any]:
    return {"action": "hold", "subject": subject(custody), "recipient": to, "legal_process": legal}


def arrest(basis: str, *, custody: str = "free") -> dict[str, Any]:
    return {"action": "arrest", "subject": subject(custody), "arrest_basis": basis}


def access(
    kind: str,
    *,
    requested: bool = False,
    counsel: str = "none",
    to: dict[str, str] = ICE,
    custody: str = "mpd_custody",
    legal: str = "none",
) -> dict[str, Any]:
    return {
        "action": "grant_access",
        "subject": subject(custody),
        "recipient": to,
        "access": {"kind": kind, "detainee_requested": requested, "counsel": counsel},
        "legal_process": legal,
    }


def joint(
    kind: str,
    partners: list[dict[str, str]],
    purposes: tuple[str, ...] = ("criminal_investigation",),
) -> dict[str, Any]:
    return {
        "action": "joint_operation",
        "purposes": list(purposes),
        "operation": {"kind": kind, "partners": partners},
    }


def build(view: str | None, at: str, fields: dict[str, Any]) -> dict[str, Any]:
    raw: dict[str, Any] = {"id": "req-scenario", "at": at, "actor": dict(ACTOR)}
    if view is not None:
        raw["view"] = view
    raw.update(fields)
    return raw


def decide(engine: Engine, view: str | None, at: str, fields: dict[str, Any]) -> Decision:
    return engine.decide(parse_request(build(view, at, fields)))


def summary(d: Decision) -> tuple[Outcome, Basis, set[tuple[str, str]]]:
    return d.decision, d.basis, {(c.directive, c.section) for c in d.citations}


def expect(kind: str, *cites: tuple[str, str]) -> tuple[Outcome, Basis, set[tuple[str, str]]]:
    """kind: 'permit', 'forbid' (deny citing every forbid) or 'default' (deny, no citations)."""
    if kind == "permit":
        assert cites
        return Outcome.PERMIT, Basis.PERMIT, set(cites)
    if kind == "forbid":
        assert cites
        return Outcome.DENY, Basis.FORBID, set(cites)
    assert kind == "default"
    assert not cites
    return Outcome.DENY, Basis.DEFAULT, set()


def case(
    sid: str, view: str, at: str, fields: dict[str, Any], kind: str, *cites: tuple[str, str]
) -> Any:
    return pytest.param(view, at, fields, expect(kind, *cites), id=sid)


PII_RELEASE = ["release_datetime"]
STATUS = ["immigration_status"]
CASE = {"case_number": "CCN-25-123456"}
CRIM = ("criminal_investigation",)

SCENARIOS = [
    # ---- USC-8-1373 a: the status-only floor ------------------------------------------------
    case("usc-a/status-only-mpd-custody-before-aug14-prior-exempts", "mpd", AUG10,
         share(STATUS, custody="mpd_custody"), "permit", USC_A),
    case("usc-a/status-and-citizenship-doj-after-lapse", "doj", SEP20,
         share(["citizenship", "immigration_status"], purposes=("immigration_status",)),
         "permit", USC_A),
    case("usc-a/status-only-stopped-mpd-also-E1", "mpd", AUG15,
         share(STATUS), "permit", USC_A, E1),
    case("usc-a/status-only-stopped-doj-also-ag-order", "doj", AUG15,
         share(STATUS), "permit", USC_A, AGO),
    case("usc-a/status-only-mpd-custody-doj-also-ag-directive", "doj", AUG16,
         share(["citizenship"], custody="mpd_custody"), "permit", USC_A, AGD),
    case("usc-a/status-plus-vehicle-not-status-only-prior-forbids", "mpd", AUG10,
         share(["immigration_status", "vehicle"]), "forbid", PRIOR_SHARING),
    case("usc-a/status-only-to-fbi-is-not-1373", "mpd", AUG20,
         share(STATUS, to=FBI), "default"),
    # ---- DC-CODE a1: hold ---------------------------------------------------------------------
    case("a1/hold-on-detainer-mpd", "mpd", AUG20, hold(legal="ice_detainer"), "forbid", A1),
    case("a1/hold-on-admin-warrant-doj-ag-does-not-cover-hold", "doj", AUG16,
         hold(to=HSI, legal="ice_administrative_warrant"), "forbid", A1),
    case("a1/hold-judicial-exception-nothing-permits", "mpd", AUG20,
         hold(legal="judicial_warrant"), "default"),
    case("a1/hold-for-fbi-not-immigration", "mpd", AUG20, hold(to=FBI), "default"),
    case("a1/hold-person-not-in-mpd-custody", "mpd", AUG20, hold(custody="stopped"), "default"),
    # ---- DC-CODE a2: facility access ----------------------------------------------------------
    case("a2/facility-to-ice-no-warrant", "mpd", AUG20, access("facility"), "forbid", A2),
    case("a2/facility-to-ice-free-subject-still-forbidden", "doj", AUG16,
         access("facility", custody="free", legal="ice_administrative_warrant"), "forbid", A2),
    case("a2/facility-judicial-exception-baseline-access", "mpd", AUG20,
         access("facility", legal="judicial_warrant"), "permit", BL_ACCESS),
    case("a2/facility-to-fbi-no-judicial-nothing-permits", "mpd", AUG20,
         access("facility", to=FBI), "default"),
    # ---- DC-CODE a3: interviews -----------------------------------------------------------------
    case("a3/interview-not-requested-counsel-present", "mpd", AUG20,
         access("interview", counsel="present"), "forbid", A3),
    case("a3/interview-requested-no-counsel", "mpd", AUG20,
         access("interview", requested=True, counsel="none"), "forbid", A3),
    case("a3/interview-judicial-no-counsel", "doj", AUG16,
         access("interview", counsel="none", legal="judicial_warrant"), "forbid", A3),
    case("a3/interview-requested-counsel-present-baseline", "mpd", AUG20,
         access("interview", requested=True, counsel="present"), "permit", BL_ACCESS),
    case("a3/interview-judicial-counsel-waived-baseline", "mpd", AUG10,
         access("interview", counsel="waived", legal="judicial_warrant"), "permit", BL_ACCESS),
    case("a3/interview-of-free-person-not-a3-not-requested", "mpd", AUG20,
         access("interview", custody="free", counsel="none"), "default"),
    # ---- DC-CODE a4B and EO-25-005 E6: PII about persons in custody ---------------------------
    case("a4B/release-date-before-aug14-also-prior-sharing", "mpd", AUG10,
         share(PII_RELEASE, custody="mpd_custody"), "forbid", A4B, PRIOR_SHARING),
    case("a4B/home-address-mpd-aug20-with-E6", "mpd", AUG20,
         share(["home_address", "criminal_history"], custody="mpd_custody"), "forbid", A4B, E6),
    case("a4B/joint-criminal-case-does-not-lift-a4B-E6", "mpd", AUG20,
         share(["identity"], custody="mpd_custody", purposes=CRIM, **CASE),
         "forbid", A4B, E6),
    case("a4B/judicial-exception-nothing-permits", "mpd", AUG20,
         share(PII_RELEASE, custody="mpd_custody", legal_process="judicial_warrant"), "default"),
    case("a4B/judicial-with-criminal-case-baseline-sharing", "mpd", AUG20,
         share(PII_RELEASE, custody="mpd_custody", purposes=CRIM,
               legal_process="judicial_warrant", **CASE),
         "permit", BL_SHARING),
    case("a4B/federal-charge-with-criminal-case-baseline-sharing", "mpd", AUG20,
         share(["identity", "photograph"], custody="mpd_custody", fcc=True, purposes=CRIM, **CASE),
         "permit", BL_SHARING),
    case("a4B/federal-charge-before-aug14-prior-sharing-still-forbids", "mpd", AUG10,
         share(["identity"], custody="mpd_custody", fcc=True), "forbid", PRIOR_SHARING),
    case("a4B/doj-release-date-overrides-ag-directive", "doj", AUG16,
         share(PII_RELEASE, custody="mpd_custody"), "forbid", A4B),
    case("a4B/doj-judicial-ag-directive-permits", "doj", AUG16,
         share(PII_RELEASE, custody="mpd_custody", legal_process="judicial_warrant"),
         "permit", AGD),
    case("a4B/doj-federal-charge-ag-order-permits", "doj", AUG15,
         share(["medical"], custody="mpd_custody", fcc=True), "permit", AGO),
    case("a4B/non-pii-criminal-history-in-custody-nothing-permits", "mpd", AUG20,
         share(["criminal_history"], custody="mpd_custody"), "default"),
    case("E6/mpd-after-lapse-still-forbids-with-a4B", "mpd", SEP20,
         share(["criminal_case_info"], custody="mpd_custody", initiative="proactive"),
         "forbid", A4B, E6),
    # ---- DC-CODE a4D and MPD-BASELINE custody: custody transfers ------------------------------
    case("a4D/transfer-on-detainer", "mpd", AUG20, transfer(legal="ice_detainer"), "forbid", A4D),
    case("a4D/transfer-on-admin-warrant-doj-overrides-ag", "doj", AUG16,
         transfer(legal="ice_administrative_warrant"), "forbid", A4D),
    case("a4D/judicial-baseline-custody", "mpd", AUG20,
         transfer(legal="judicial_warrant"), "permit", BL_CUSTODY),
    case("a4D/federal-charge-criminal-warrant-baseline-custody", "mpd", AUG20,
         transfer(legal="criminal_warrant", fcc=True), "permit", BL_CUSTODY),
    case("a4D/federal-charge-no-process-nothing-permits-mpd", "mpd", AUG20,
         transfer(fcc=True), "default"),
    case("a4D/federal-charge-no-process-doj-ag-directive", "doj", AUG16,
         transfer(fcc=True), "permit", AGD),
    case("custody/judicial-doj-baseline-and-ag-order", "doj", AUG15,
         transfer(legal="judicial_warrant"), "permit", BL_CUSTODY, AGO),
    case("custody/criminal-warrant-to-usms", "mpd", AUG20,
         transfer(to=USMS, legal="criminal_warrant"), "permit", BL_CUSTODY),
    case("custody/criminal-warrant-to-private-excluded", "mpd", AUG20,
         transfer(to=PRIVATE, legal="criminal_warrant"), "default"),
    # ---- DC-CODE b: status inquiries about persons in custody ---------------------------------
    case("b/verbal-status-booking-in-custody-overrides-baseline", "mpd", AUG20,
         verbal(("booking", "immigration_status"), custody="mpd_custody"), "forbid", B),
    case("b/smuggling-exempts-prior-but-not-b", "mpd", AUG10,
         db(("immigration_status", "smuggling_harboring_investigation"), custody="mpd_custody"),
         "forbid", B),
    case("b/ncic-solely-status-in-custody-b-and-E3", "mpd", AUG20,
         db(("immigration_status",), custody="mpd_custody"), "forbid", B, E3),
    case("b/doj-overrides-ag-directive", "doj", AUG16,
         db(("assist_federal_agency", "immigration_status"), custody="mpd_custody"),
         "forbid", B),
    case("b/before-aug14-with-prior-status-inquiry", "mpd", AUG13,
         verbal(("immigration_status",), custody="mpd_custody"), "forbid", B, PRIOR_STATUS),
    # ---- DC-MO-2011-174 and EO-25-005 E4: civil immigration enforcement -----------------------
    case("civil/verbal-mpd-aug20-mo-and-E4", "mpd", AUG20,
         verbal(("civil_immigration_enforcement",)), "forbid", MO_INQ, E4),
    case("civil/ncic-with-core-purpose-mpd-mo-and-E4", "mpd", AUG15,
         db(("civil_immigration_enforcement", "criminal_investigation")), "forbid", MO_INQ, E4),
    case("civil/doj-only-mayors-order", "doj", AUG16,
         db(("civil_immigration_enforcement", "criminal_investigation")), "forbid", MO_INQ),
    case("civil/before-aug14-only-mayors-order", "mpd", AUG10,
         verbal(("civil_immigration_enforcement",)), "forbid", MO_INQ),
    case("civil/before-aug14-with-status-also-prior", "mpd", AUG10,
         verbal(("civil_immigration_enforcement", "immigration_status")),
         "forbid", MO_INQ, PRIOR_STATUS),
    case("civil/doj-after-lapse-mayors-order", "doj", SEP20,
         verbal(("civil_immigration_enforcement",), custody="free"), "forbid", MO_INQ),
    # ---- MPD-PRIOR-POLICY status_inquiry -------------------------------------------------------
    case("prior-status/verbal-status-with-identity", "mpd", AUG13,
         verbal(("identity_verification", "immigration_status")), "forbid", PRIOR_STATUS),
    case("prior-status/smuggling-exemption-baseline-inquiry", "mpd", AUG13,
         db(("immigration_status", "smuggling_harboring_investigation")), "permit", BL_INQ),
    case("prior-status/doj-before-aug14-same", "doj", AUG13,
         db(("immigration_status", "warrant_check")), "forbid", PRIOR_STATUS),
    # ---- MPD-PRIOR-POLICY sharing --------------------------------------------------------------
    case("prior-sharing/criminal-case-exempts-baseline-permits", "mpd", AUG13,
         share(["identity"], purposes=CRIM, **CASE), "permit", BL_SHARING),
    case("prior-sharing/criminal-no-case-number", "mpd", AUG13,
         share(["identity"], purposes=CRIM), "forbid", PRIOR_SHARING),
    case("prior-sharing/free-person-vehicle-proactive", "doj", AUG10,
         share(["vehicle"], custody="free", initiative="proactive"), "forbid", PRIOR_SHARING),
    # ---- MPD-PRIOR-POLICY transport_arrest ------------------------------------------------------
    case("prior-ta/transport-federal-employees", "mpd", AUG10,
         transport("federal_employees", custody="free"), "forbid", PRIOR_TA),
    case("prior-ta/arrest-immigration-warrant-only", "mpd", AUG13,
         arrest("immigration_warrant_only"), "forbid", PRIOR_TA),
    case("prior-ta/arrest-detainer-only-doj", "doj", AUG10,
         arrest("detainer_only"), "forbid", PRIOR_TA),
    # ---- MPD-BASELINE inquiry, and E3 ------------------------------------------------------------
    case("E3/solely-status-is-forbidden-but-not-with-criminal-purpose", "mpd", AUG15,
         db(("criminal_investigation", "immigration_status")), "permit", BL_INQ),
    case("E3/duplicate-status-purpose-is-still-solely", "mpd", AUG15,
         db(("immigration_status", "immigration_status")), "forbid", E3),
    case("E3/verbal-solely-status-not-E3-nothing-permits", "mpd", AUG15,
         verbal(("immigration_status",)), "default"),
    case("baseline-inquiry/verbal-status-with-officer-safety", "mpd", AUG15,
         verbal(("immigration_status", "officer_safety")), "permit", BL_INQ),
    case("baseline-inquiry/warrant-check", "mpd", AUG15, db(("warrant_check",)), "permit", BL_INQ),
    case("baseline-inquiry/dmv-traffic-with-assist", "mpd", AUG10,
         db(("assist_federal_agency", "traffic_enforcement"), database="DMV"), "permit", BL_INQ),
    case("baseline-inquiry/assist-only-no-core-purpose", "mpd", AUG15,
         db(("assist_federal_agency",)), "default"),
    case("baseline-inquiry/doj-status-with-identity-and-ag-directive", "doj", AUG16,
         verbal(("identity_verification", "immigration_status")), "permit", BL_INQ, AGD),
    case("ag-directive/verbal-assist-only", "doj", AUG16,
         verbal(("assist_federal_agency",)), "permit", AGD),
    # ---- NLETS_IAQ (E3 second clause) -----------------------------------------------------------
    case("nlets/no-case-number-core-purpose", "mpd", AUG15,
         db(CRIM, database="NLETS_IAQ"), "forbid", E3),
    case("nlets/no-case-number-missing-person-free", "mpd", SEP20,
         db(("missing_person",), database="NLETS_IAQ", custody="free"), "forbid", E3),
    case("nlets/case-number-core-and-status", "mpd", AUG15,
         db(("criminal_investigation", "immigration_status"), database="NLETS_IAQ", **CASE),
         "permit", BL_INQ),
    case("nlets/case-number-identity", "mpd", AUG20,
         db(("identity_verification",), database="NLETS_IAQ", **CASE), "permit", BL_INQ),
    case("nlets/case-number-but-solely-status", "mpd", AUG15,
         db(("immigration_status",), database="NLETS_IAQ", **CASE), "forbid", E3),
    case("nlets/doj-no-E3-ag-directive-permits", "doj", AUG16,
         db(("immigration_status",), database="NLETS_IAQ"), "permit", AGD),
    case("nlets/before-aug14-no-E3-baseline", "mpd", AUG13,
         db(CRIM, database="NLETS_IAQ"), "permit", BL_INQ),
    # ---- MPD-BASELINE sharing and MO-2025-090 ---------------------------------------------------
    case("baseline-sharing/state-local-warrant-check", "mpd", AUG15,
         share(["criminal_history"], to=MSP, purposes=("warrant_check",)), "permit", BL_SHARING),
    case("baseline-sharing/fbi-missing-person", "mpd", AUG15,
         share(["identity", "photograph"], to=FBI, purposes=("missing_person",),
               custody="mpd_custody"),
         "permit", BL_SHARING),
    case("baseline-sharing/ice-criminal-case-and-E1", "mpd", AUG15,
         share(["identity"], purposes=CRIM, **CASE), "permit", E1, BL_SHARING),
    case("baseline-sharing/private-recipient", "mpd", AUG15,
         share(["identity"], to=PRIVATE, purposes=CRIM), "default"),
    case("baseline-sharing/state-local-assist-only", "mpd", AUG15,
         share(["identity"], to=MSP), "default"),
    case("mo-090/fbi-criminal-with-baseline", "mpd", SEP03,
         share(["identity"], to=FBI, purposes=CRIM, custody="free"), "permit", BL_SHARING, MO90),
    case("mo-090/fbi-officer-safety-alone", "doj", SEP20,
         share(["location"], to=FBI, purposes=("officer_safety",)), "permit", MO90),
    case("mo-090/state-local-officer-safety-not-covered", "mpd", SEP03,
         share(["location"], to=MSP, purposes=("officer_safety",)), "default"),
    # ---- E1 -------------------------------------------------------------------------------------
    case("E1/free-person-home-address", "mpd", AUG20,
         share(["home_address"], custody="free"), "permit", E1),
    case("E1/doj-before-ag-order", "doj", AUG14_NOON,
         share(["identity", "location"]), "permit", E1),
    case("E1/federal-custody-not-covered", "mpd", AUG20,
         share(["identity"], custody="federal_custody"), "default"),
    case("E1/mpd-after-lapse-still-in-force", "mpd", SEP20, share(["identity"]), "permit", E1),
    # ---- arrests --------------------------------------------------------------------------------
    case("arrest/offense-baseline", "mpd", AUG15, arrest("offense"), "permit", BL_ARREST),
    case("arrest/criminal-warrant-baseline-doj", "doj", AUG16,
         arrest("criminal_warrant", custody="stopped"), "permit", BL_ARREST),
    case("E5/immigration-warrant-only", "mpd", AUG15,
         arrest("immigration_warrant_only"), "forbid", E5),
    case("E5/detainer-only-mpd-after-lapse", "mpd", SEP20, arrest("detainer_only"), "forbid", E5),
    case("E5/doj-before-ag-order", "doj", AUG14_NOON,
         arrest("detainer_only", custody="stopped"), "forbid", E5),
    case("arrest/doj-detainer-only-nothing-forbids-nothing-permits", "doj", AUG16,
         arrest("detainer_only"), "default"),
    # ---- transports ------------------------------------------------------------------------------
    case("E2/federal-employees-mpd", "mpd", AUG15,
         transport("federal_employees", custody="free"), "permit", E2),
    case("E2/detained-subject-mpd", "mpd", AUG20, transport("detained_subject"), "permit", E2),
    case("E2/federal-employees-to-fbi-mpd", "mpd", AUG15,
         transport("federal_employees", to=FBI, custody="free"), "permit", E2),
    case("E2/mpd-after-lapse", "mpd", SEP20, transport("detained_subject"), "permit", E2),
    case("transport/baseline-mpd-arrestee", "mpd", AUG10,
         transport("mpd_arrestee", to=MSP, custody="mpd_custody", purposes=("booking",)),
         "permit", BL_TRANSPORT),
    case("transport/mpd-arrestee-after-aug14-mpd", "mpd", AUG20,
         transport("mpd_arrestee", to=USMS, custody="mpd_custody", purposes=CRIM),
         "permit", BL_TRANSPORT),
    case("transport/doj-detained-ag-order", "doj", AUG15,
         transport("detained_subject"), "permit", AGO),
    case("transport/doj-mpd-arrestee-to-ice-baseline-and-ag-directive", "doj", AUG16,
         transport("mpd_arrestee", custody="mpd_custody"), "permit", BL_TRANSPORT, AGD),
    case("transport/doj-federal-employees-fbi-nothing-permits", "doj", AUG16,
         transport("federal_employees", to=FBI, custody="free"), "default"),
    case("transport/doj-after-lapse-detained-nothing-permits", "doj", SEP20,
         transport("detained_subject"), "default"),
    # ---- joint operations -----------------------------------------------------------------------
    case("joint/task-force-fbi-msp-baseline", "mpd", AUG15,
         joint("task_force", [FBI, MSP]), "permit", BL_JOINT),
    case("joint/task-force-after-mo-090", "mpd", SEP03,
         joint("task_force", [FBI, MSP]), "permit", BL_JOINT, MO90),
    case("joint/patrol-traffic-after-mo-090-baseline-only", "doj", SEP20,
         joint("patrol", [USMS], purposes=("traffic_enforcement",)), "permit", BL_JOINT),
    case("joint/checkpoint-ice-mpd-aug13", "mpd", AUG13,
         joint("checkpoint", [ICE], purposes=("assist_federal_agency",)), "default"),
    case("joint/checkpoint-ice-doj-aug13", "doj", AUG13,
         joint("checkpoint", [ICE], purposes=("assist_federal_agency",)), "default"),
    case("joint/checkpoint-ice-mpd-aug16", "mpd", AUG16,
         joint("checkpoint", [ICE], purposes=("assist_federal_agency",)), "default"),
    case("joint/checkpoint-ice-doj-aug16-ag-directive", "doj", AUG16,
         joint("checkpoint", [ICE], purposes=("assist_federal_agency",)), "permit", AGD),
    case("joint/checkpoint-ice-and-msp-doj-aug15-ag-order", "doj", AUG15,
         joint("checkpoint", [ICE, MSP]), "permit", AGO),
    case("joint/checkpoint-ice-doj-after-lapse", "doj", SEP20,
         joint("checkpoint", [ICE]), "default"),
    case("joint/private-partner", "mpd", SEP03, joint("patrol", [FBI, PRIVATE]), "default"),
    # ---- EO-25-005 effective 2025-08-14T00:00-04:00 ----------------------------------------------
    case("boundary-eo/mpd-just-before", "mpd", "2025-08-13T23:59:59-04:00",
         share(["identity", "location"]), "forbid", PRIOR_SHARING),
    case("boundary-eo/mpd-exactly", "mpd", "2025-08-14T00:00:00-04:00",
         share(["identity", "location"]), "permit", E1),
    case("boundary-eo/mpd-just-before-Z", "mpd", "2025-08-14T03:59:59Z",
         share(["identity", "location"]), "forbid", PRIOR_SHARING),
    case("boundary-eo/mpd-exactly-Z", "mpd", "2025-08-14T04:00:00Z",
         share(["identity", "location"]), "permit", E1),
    case("boundary-eo/doj-exactly", "doj", "2025-08-14T00:00:00-04:00",
         share(["identity", "location"]), "permit", E1),
    case("boundary-eo/ncic-status-just-before-prior", "mpd", "2025-08-13T23:59:59-04:00",
         db(("immigration_status",)), "forbid", PRIOR_STATUS),
    case("boundary-eo/ncic-status-exactly-E3", "mpd", "2025-08-14T00:00:00-04:00",
         db(("immigration_status",)), "forbid", E3),
    # ---- AG order at 2025-08-14T21:00-04:00 ----------------------------------------------------
    case("boundary-ago/doj-just-before-E3", "doj", "2025-08-14T20:59:59-04:00",
         db(("immigration_status",)), "forbid", E3),
    case("boundary-ago/doj-exactly-rescinded-default", "doj", "2025-08-14T21:00:00-04:00",
         db(("immigration_status",)), "default"),
    case("boundary-ago/doj-exactly-Z", "doj", "2025-08-15T01:00:00Z",
         db(("immigration_status",)), "default"),
    case("boundary-ago/mpd-exactly-unaffected", "mpd", "2025-08-14T21:00:00-04:00",
         db(("immigration_status",)), "forbid", E3),
    case("boundary-ago/doj-share-just-before-E1", "doj", "2025-08-14T20:59:59-04:00",
         share(["identity"]), "permit", E1),
    case("boundary-ago/doj-share-exactly-ag-order", "doj", "2025-08-14T21:00:00-04:00",
         share(["identity"]), "permit", AGO),
    case("boundary-ago/mpd-share-exactly-E1", "mpd", "2025-08-14T21:00:00-04:00",
         share(["identity"]), "permit", E1),
    case("boundary-ago/doj-arrest-just-before-E5", "doj", "2025-08-14T20:59:59-04:00",
         arrest("immigration_warrant_only"), "forbid", E5),
    case("boundary-ago/doj-arrest-exactly-default", "doj", "2025-08-14T21:00:00-04:00",
         arrest("immigration_warrant_only"), "default"),
    # ---- AG directive at 2025-08-15T18:30-04:00 --------------------------------------------------
    case("boundary-agd/doj-just-before-default", "doj", "2025-08-15T18:29:59-04:00",
         db(("immigration_status",)), "default"),
    case("boundary-agd/doj-exactly-permit", "doj", "2025-08-15T18:30:00-04:00",
         db(("immigration_status",)), "permit", AGD),
    case("boundary-agd/doj-exactly-Z", "doj", "2025-08-15T22:30:00Z",
         db(("immigration_status",)), "permit", AGD),
    case("boundary-agd/doj-transport-just-before-ag-order", "doj", "2025-08-15T18:29:59-04:00",
         transport("detained_subject"), "permit", AGO),
    case("boundary-agd/doj-transport-exactly-ag-directive", "doj", "2025-08-15T18:30:00-04:00",
         transport("detained_subject"), "permit", AGD),
    case("boundary-agd/mpd-exactly-E3", "mpd", "2025-08-15T18:30:00-04:00",
         db(("immigration_status",)), "forbid", E3),
    # ---- EO-14333 lapse at 2025-09-10T00:00-04:00 -----------------------------------------------
    case("boundary-lapse/doj-just-before-ag-directive", "doj", "2025-09-09T23:59:59-04:00",
         db(("immigration_status",)), "permit", AGD),
    case("boundary-lapse/doj-exactly-default-eo-stays-rescinded", "doj",
         "2025-09-10T00:00:00-04:00", db(("immigration_status",)), "default"),
    case("boundary-lapse/doj-exactly-Z", "doj", "2025-09-10T04:00:00Z",
         db(("immigration_status",)), "default"),
    case("boundary-lapse/doj-share-just-before", "doj", "2025-09-09T23:59:59-04:00",
         share(["identity"]), "permit", AGD),
    case("boundary-lapse/doj-share-exactly-no-E1-revival", "doj", "2025-09-10T00:00:00-04:00",
         share(["identity"]), "default"),
    case("boundary-lapse/doj-transport-exactly-no-prior-revival", "doj",
         "2025-09-10T00:00:00-04:00", transport("federal_employees", custody="free"), "default"),
    case("boundary-lapse/mpd-exactly-E3-unaffected", "mpd", "2025-09-10T00:00:00-04:00",
         db(("immigration_status",)), "forbid", E3),
    # ---- MO-2025-090 at 2025-09-02T00:00-04:00 ------------------------------------------------
    case("boundary-mo90/just-before-default", "mpd", "2025-09-01T23:59:59-04:00",
         share(["location"], to=FBI, purposes=("officer_safety",)), "default"),
    case("boundary-mo90/exactly-permit", "mpd", "2025-09-02T00:00:00-04:00",
         share(["location"], to=FBI, purposes=("officer_safety",)), "permit", MO90),
    case("boundary-mo90/exactly-Z-doj", "doj", "2025-09-02T04:00:00Z",
         share(["location"], to=FBI, purposes=("officer_safety",)), "permit", MO90),
    case("boundary-mo90/joint-just-before-baseline-only", "mpd", "2025-09-01T23:59:59-04:00",
         joint("patrol", [FBI], purposes=("officer_safety",)), "permit", BL_JOINT),
    case("boundary-mo90/joint-exactly-baseline-and-mo90", "mpd", "2025-09-02T00:00:00-04:00",
         joint("patrol", [FBI], purposes=("officer_safety",)), "permit", BL_JOINT, MO90),
]  # fmt: skip


@pytest.mark.parametrize(("view", "at", "fields", "expected"), SCENARIOS)
def test_scenario(
    engine: Engine,
    view: str,
    at: str,
    fields: dict[str, Any],
    expected: tuple[Outcome, Basis, set[tuple[str, str]]],
) -> None:
    d = decide(engine, view, at, fields)
    assert summary(d) == expected
    assert len(d.citations) == len(expected[2])  # no section cited twice
    assert d.view == view
    assert d.at == datetime.fromisoformat(at.replace("Z", "+00:00"))


def test_scenarios_are_many_and_distinct() -> None:
    ids = [p.id for p in SCENARIOS]
    assert len(ids) >= 60
    assert len(set(ids)) == len(ids)


def test_every_section_decides_somewhere() -> None:
    cited: set[tuple[str, str]] = set()
    for p in SCENARIOS:
        cited |= p.values[3][2]
    assert cited == ALL_DECIDING_SECTIONS


# ---- in force at the boundaries -------------------------------------------------------------

BEFORE = ["DC-CODE-24-211.07", "DC-MO-2011-174", "MPD-BASELINE", "MPD-PRIOR-POLICY", "USC-8-1373"]
EMERGENCY_PRIOR = sorted([*BEFORE, "EO-14333"])
MPD_EO = ["DC-CODE-24-211.07", "DC-MO-2011-174", "EO-14333", "EO-25-005", "MPD-BASELINE",
          "USC-8-1373"]  # fmt: skip
MPD_EO_MO = sorted([*MPD_EO, "MO-2025-090"])
MPD_AFTER_LAPSE = [d for d in MPD_EO_MO if d != "EO-14333"]
DOJ_AGO = ["AG-ORDER-2025-08-14", "DC-CODE-24-211.07", "DC-MO-2011-174", "EO-14333",
           "MPD-BASELINE", "USC-8-1373"]  # fmt: skip
DOJ_AGD = ["AG-DIRECTIVE-2025-08-15", "DC-CODE-24-211.07", "DC-MO-2011-174", "EO-14333",
           "MPD-BASELINE", "USC-8-1373"]  # fmt: skip
DOJ_AGD_MO = sorted([*DOJ_AGD, "MO-2025-090"])
DOJ_AFTER_LAPSE = ["DC-CODE-24-211.07", "DC-MO-2011-174", "MO-2025-090", "MPD-BASELINE",
                   "USC-8-1373"]  # fmt: skip

IN_FORCE = [
    ("mpd", "2025-08-10T23:59:59-04:00", BEFORE),
    ("doj", "2025-08-10T23:59:59-04:00", BEFORE),
    ("mpd", "2025-08-11T00:00:00-04:00", EMERGENCY_PRIOR),
    ("doj", "2025-08-11T00:00:00-04:00", EMERGENCY_PRIOR),
    ("mpd", "2025-08-13T23:59:59-04:00", EMERGENCY_PRIOR),
    ("mpd", "2025-08-14T00:00:00-04:00", MPD_EO),
    ("doj", "2025-08-14T00:00:00-04:00", MPD_EO),
    ("doj", "2025-08-14T20:59:59-04:00", MPD_EO),
    ("doj", "2025-08-14T21:00:00-04:00", DOJ_AGO),
    ("mpd", "2025-08-14T21:00:00-04:00", MPD_EO),
    ("doj", "2025-08-15T18:29:59-04:00", DOJ_AGO),
    ("doj", "2025-08-15T18:30:00-04:00", DOJ_AGD),
    ("mpd", "2025-08-15T18:30:00-04:00", MPD_EO),
    ("mpd", "2025-09-01T23:59:59-04:00", MPD_EO),
    ("mpd", "2025-09-02T00:00:00-04:00", MPD_EO_MO),
    ("doj", "2025-09-02T00:00:00-04:00", DOJ_AGD_MO),
    ("doj", "2025-09-09T23:59:59-04:00", DOJ_AGD_MO),
    ("doj", "2025-09-10T00:00:00-04:00", DOJ_AFTER_LAPSE),
    ("mpd", "2025-09-09T23:59:59-04:00", MPD_EO_MO),
    ("mpd", "2025-09-10T00:00:00-04:00", MPD_AFTER_LAPSE),
    ("doj", "2026-01-01T12:00:00-05:00", DOJ_AFTER_LAPSE),
]


@pytest.mark.parametrize(
    ("view", "at", "expected"),
    [pytest.param(v, t, e, id=f"{v}-{t}") for v, t, e in IN_FORCE],
)
def test_in_force(engine: Engine, view: str, at: str, expected: list[str]) -> None:
    d = decide(engine, view, at, db(("warrant_check",)))
    assert list(d.in_force) == sorted(expected)


# ---- the same instant written two ways -------------------------------------------------------

SAME_INSTANT = [
    ("mpd", "2025-08-14T00:00:00-04:00", "2025-08-14T04:00:00Z", share(["identity"])),
    ("doj", "2025-08-14T21:00:00-04:00", "2025-08-15T01:00:00Z", share(["identity"])),
    ("doj", "2025-08-14T20:59:59-04:00", "2025-08-15T00:59:59Z", db(("immigration_status",))),
    ("doj", "2025-08-15T18:30:00-04:00", "2025-08-15T22:30:00+00:00", db(("immigration_status",))),
    ("doj", "2025-09-10T00:00:00-04:00", "2025-09-10T04:00:00Z", transport("detained_subject")),
    ("mpd", "2025-09-02T00:00:00-04:00", "2025-09-02T06:00:00+02:00",
     joint("task_force", [FBI], purposes=("officer_safety",))),
]  # fmt: skip


@pytest.mark.parametrize(
    ("view", "eastern", "other", "fields"),
    [pytest.param(*row, id=f"{row[0]}-{row[2]}") for row in SAME_INSTANT],
)
def test_same_instant_same_decision(
    engine: Engine, view: str, eastern: str, other: str, fields: dict[str, Any]
) -> None:
    a = decide(engine, view, eastern, fields)
    b = decide(engine, view, other, fields)
    assert summary(a) == summary(b)
    assert a.in_force == b.in_force
    assert a.at == b.at
    assert a.policy_version == b.policy_version


# ---- views and policy version ------------------------------------------------------------------


def test_default_view_is_mpd(engine: Engine) -> None:
    fields = db(("immigration_status",))
    d = decide(engine, None, AUG15, fields)
    assert d.view == "mpd"
    assert summary(d) == summary(decide(engine, "mpd", AUG15, fields))
    assert summary(d) == expect("forbid", E3)
    assert summary(decide(engine, "doj", AUG15, fields)) == expect("default")


def test_policy_version_follows_in_force_set(engine: Engine) -> None:
    fields = db(("warrant_check",))
    v1 = decide(engine, "mpd", "2025-08-14T00:00:00-04:00", fields).policy_version
    v2 = decide(engine, "mpd", AUG20, fields).policy_version  # same directives in force
    v3 = decide(engine, "mpd", "2025-08-13T23:59:59-04:00", fields).policy_version
    assert v1.startswith("sha256:")
    assert v1 == v2
    assert v1 != v3


# ---- invalid requests never reach the engine -------------------------------------------------


def _valid() -> dict[str, Any]:
    return build("mpd", AUG15, db(("warrant_check",)))


def _without(raw: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in raw.items() if k != key}


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        pytest.param({**_valid(), "at": "2025-08-15T12:00:00"}, "at", id="at-without-offset"),
        pytest.param({**_valid(), "priority": "high"}, "priority", id="unknown-field"),
        pytest.param(
            {**_valid(), "subject": {"id": "p", "custody": "detained"}},
            "subject.custody",
            id="unknown-enum-custody",
        ),
        pytest.param({**_valid(), "database": "FACEBOOK"}, "database", id="unknown-enum-database"),
        pytest.param(_without(_valid(), "actor"), "actor", id="missing-actor"),
        pytest.param(_without(_valid(), "database"), "database", id="missing-action-field"),
    ],
)
def test_invalid_request_names_field(raw: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidRequest) as info:
        parse_request(raw)
    assert info.value.field == field
