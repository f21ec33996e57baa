"""The judgement of imported rows (issue 13, item 3; docs/audit.md, "Judgement"): each row
becomes the request request-schema.md's additions name, decided with the pack in force at
the row's time; rows with no pack, no time, no purpose or an unknown recipient are not
judged, ambiguous ones wait for review, and none of these is ever permitted."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from audit_fixture import (
    AFTER_EO,
    BEFORE_EO,
    CIVIL,
    CRIME,
    ICE,
    OUT_OF_STATE,
    STATUS,
    UNKNOWN_ORG,
    classification,
    dc_engine,
    dc_judge,
    row,
)
from liaison.audit import judgement
from liaison.audit.judgement import Judge, request_for
from liaison.audit.rows import AuditRow, Jurisdiction, OrganisationType, RowKind
from liaison.model.request import request_from_json
from liaison.model.vocabulary import Purpose, RecipientType
from liaison.policy import Engine, load_pack, shipped_pack_path


def test_an_own_search_is_a_database_inquiry_of_its_database_about_no_one_held() -> None:
    made = request_for(row(database="NLETS_IAQ"), classification(CRIME), None)
    assert isinstance(made, dict)
    assert made["action"] == "database_inquiry"
    assert made["database"] == "NLETS_IAQ"
    assert made["subject"]["custody"] == "free"
    assert made["purposes"] == ["criminal_investigation"]
    assert made["actor"] == {"id": "officer-9", "agency": "Example PD", "role": "officer"}
    assert made["at"] == AFTER_EO.isoformat()
    request_from_json(made)  # a valid request


def test_a_redacted_user_is_a_placeholder_distinct_from_an_empty_one() -> None:
    redacted = request_for(row(user=None, redacted=frozenset({"user"})), classification(), None)
    empty = request_for(row(user=None), classification(), None)
    assert isinstance(redacted, dict)
    assert isinstance(empty, dict)
    assert redacted["actor"]["id"] == judgement.REDACTED_USER
    assert empty["actor"]["id"] == judgement.UNKNOWN_USER


def test_an_outside_search_is_a_grant_of_data_access_to_the_organisation() -> None:
    made = request_for(
        row(kind=RowKind.OUTSIDE_SEARCH, organisation="ICE HSI"), classification(STATUS), ICE
    )
    assert isinstance(made, dict)
    assert made["action"] == "grant_access"
    assert made["access"] == {"kind": "data"}
    assert made["data_classes"] == ["alpr_reads"]
    assert made["recipient"] == {"agency": "ICE HSI", "type": "federal_immigration"}


def test_a_jurisdiction_is_given_only_when_the_table_knows_it() -> None:
    known = request_for(
        row(kind=RowKind.EXPORT, organisation="Houston PD"), classification(), OUT_OF_STATE
    )
    assert isinstance(known, dict)
    assert known["action"] == "share_information"
    assert known["recipient"]["jurisdiction"] == "out_of_state"
    # A state or local agency the table cannot place: no jurisdiction (never in-state).
    unplaced = replace(OUT_OF_STATE, jurisdiction=None, state=None)
    made = request_for(row(kind=RowKind.EXPORT, organisation="Some PD"), classification(), unplaced)
    assert isinstance(made, dict)
    assert "jurisdiction" not in made["recipient"]


def test_an_organisation_of_unknown_type_is_not_judged() -> None:
    judged = dc_judge().judge(
        row(kind=RowKind.EXPORT, organisation="Acme"), classification(CRIME), UNKNOWN_ORG
    )
    assert (judged.decision, judged.reason) == ("not_judged", judgement.NO_RECIPIENT)
    # The classifier's recipient type serves when the table has none.
    typed = request_for(
        row(kind=RowKind.EXPORT, organisation="Acme"),
        classification(CRIME, recipient=RecipientType.FEDERAL_OTHER),
        UNKNOWN_ORG,
    )
    assert isinstance(typed, dict)
    assert typed["recipient"]["type"] == "federal_other"


def test_decided_with_the_directives_in_force_at_the_rows_time() -> None:
    judge = dc_judge()
    now = judge.judge(row(at=AFTER_EO), classification(STATUS, True))
    assert (now.decision, now.basis, now.citations) == ("deny", "forbid", ("EO-25-005 E3",))
    assert now.finding
    before = judge.judge(row(at=BEFORE_EO), classification(STATUS, True))
    assert (before.decision, before.basis) == ("deny", "forbid")
    assert before.citations == ("MPD-PRIOR-POLICY status_inquiry",)
    assert before.policy_version != now.policy_version
    assert before.policy_version == dc_engine().regime(BEFORE_EO).version


def test_an_ordinary_search_is_permitted_and_no_finding() -> None:
    judged = dc_judge().judge(row(), classification(CRIME))
    assert (judged.decision, judged.basis) == ("permit", "permit")
    assert judged.citations == ("MPD-BASELINE inquiry",)
    assert not judged.finding


def test_a_civil_immigration_search_cites_every_forbidding_section() -> None:
    judged = dc_judge().judge(row(), classification(CIVIL, True))
    assert judged.basis == "forbid"
    assert set(judged.citations) == {"DC-MO-2011-174 inquiry", "EO-25-005 E4"}


@pytest.mark.parametrize(
    ("judge", "at", "purposes", "reason"),
    [
        (Judge(None), AFTER_EO, STATUS, judgement.NO_PACK),
        (None, None, STATUS, judgement.NO_TIME),
        (None, AFTER_EO, (), judgement.NO_PURPOSE),
    ],
)
def test_rows_that_cannot_be_judged_are_never_permitted(
    judge: Judge | None, at: object, purposes: tuple[object, ...], reason: str
) -> None:
    judged = (judge or dc_judge()).judge(row(at=at), classification(purposes, True))  # type: ignore[arg-type]
    assert judged.decision == "not_judged"
    assert judged.reason == reason
    assert not judged.finding
    assert judged.basis is None
    assert not judged.citations


def test_an_ambiguous_row_waits_for_review_without_a_verdict() -> None:
    for judge in (dc_judge(), Judge(None)):
        judged = judge.judge(row(), classification(STATUS, None))
        assert (judged.decision, judged.basis, judged.reason) == (
            "review",
            None,
            judgement.IN_REVIEW,
        )


def test_a_row_whose_request_is_invalid_fails_closed_as_a_finding() -> None:
    judged = dc_judge().judge(row(database="TELEPATHY"), classification(CRIME))
    assert (judged.decision, judged.basis) == ("deny", "error")
    assert judged.finding
    assert "database" in (judged.reason or "")


def test_repeated_rows_are_decided_once_per_shape_and_policy_version() -> None:
    engine = dc_engine()
    judge = Judge(engine, name="dc")
    first = [judge.judge(row(n, user=f"u{n}"), classification(CRIME)) for n in range(1, 200)]
    assert judge.evaluated == 1  # one shape, one version: one verdict asked of the engine
    assert len(set(first)) == 1
    judge.judge(row(at=BEFORE_EO), classification(CRIME))
    judge.judge(row(), classification(STATUS, True))
    assert judge.evaluated == 3
    assert engine.cached_count() >= 1  # asked through the engine's decision cache


# -- the California and Illinois packs (ca-pack.md, il-pack.md) -----------------------------

IN_STATE_CA = OrganisationType(RecipientType.STATE_LOCAL, Jurisdiction.IN_STATE, "CA", "t")
OUT_OF_STATE_IL = OrganisationType(RecipientType.STATE_LOCAL, Jurisdiction.OUT_OF_STATE, "IN", "t")
UNPLACED = OrganisationType(RecipientType.STATE_LOCAL, None, None, "t")
BEFORE_2_130 = datetime(2023, 6, 1, 12, tzinfo=UTC)  # 625 ILCS 5/2-130's ALPR rules from 2024


def _judge(pack: str) -> Judge:
    return Judge(Engine(load_pack(shipped_pack_path(pack))), name=pack)


def _outside(at: datetime = AFTER_EO) -> AuditRow:
    """A search by another organisation (its type comes from the table, not the row)."""
    return row(kind=RowKind.OUTSIDE_SEARCH, organisation="Searching Org", at=at)


@pytest.mark.parametrize(
    ("org", "purposes", "decision", "citations"),
    [
        # Civ. Code 1798.90.55(b): no ALPR data to federal or out-of-state agencies; Gov.
        # Code 7284.6(a)(1)(D): none to immigration authorities.
        (ICE, CRIME, "deny", {"CA-CIV-1798.90.55 b", "CA-GOV-7284.6 a1D"}),
        (OUT_OF_STATE, CRIME, "deny", {"CA-CIV-1798.90.55 b"}),
        (IN_STATE_CA, CRIME, "permit", {"CA-BASELINE alpr"}),
        (IN_STATE_CA, CIVIL, "deny", {"CA-GOV-7284.6 a1"}),
    ],
)
def test_outside_searches_under_the_california_pack(
    org: OrganisationType, purposes: tuple[Purpose, ...], decision: str, citations: set[str]
) -> None:
    immigration = Purpose.CIVIL_IMMIGRATION_ENFORCEMENT in purposes
    judged = _judge("ca").judge(_outside(), classification(purposes, immigration), org)
    assert judged.decision == decision
    assert set(judged.citations) == citations


def test_an_agency_the_table_cannot_place_is_never_taken_for_an_in_state_one() -> None:
    judged = _judge("ca").judge(_outside(), classification(CRIME), UNPLACED)
    assert (judged.decision, judged.basis) == ("deny", "default")
    assert judged.finding


def test_the_illinois_pack_in_force_at_each_rows_time() -> None:
    judge = _judge("il")
    before = judge.judge(_outside(BEFORE_2_130), classification(CRIME), OUT_OF_STATE_IL)
    after = judge.judge(_outside(), classification(CRIME), OUT_OF_STATE_IL)
    assert (before.decision, before.citations) == ("permit", ("IL-BASELINE alpr",))
    # 625 ILCS 5/2-130(c): no declaration on file (an imported log never shows one).
    assert (after.decision, after.basis, after.citations) == ("deny", "forbid", ("IL-VEH-2-130 c",))
    own = judge.judge(row(), classification(CIVIL, True))
    assert (own.decision, own.citations) == ("deny", ("IL-TRUST-2021 15h1",))
