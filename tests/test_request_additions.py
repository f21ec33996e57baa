"""The additions for state packs and imported logs (request-schema.md, "Additions"):
``recipient.jurisdiction``, ``recipient.declaration_on_file``,
``subject.qualifying_conviction`` and ``access.kind`` ``data``: validated strictly, carried
into the Cedar context, and part of the exact decision cache's key.
"""

from __future__ import annotations

from typing import Any

import pytest

from liaison.audit import rows
from liaison.errors import InvalidRequest
from liaison.model import Outcome, parse_request
from liaison.model import vocabulary as voc
from liaison.policy import Engine, load_pack, shipped_pack_path
from liaison.policy.context import context_from_key, context_key

ACTOR = {"id": "o-1", "agency": "PD", "role": "analyst"}


def camera_search(**recipient: Any) -> dict[str, Any]:
    return {
        "at": "2025-03-06T09:00:00-06:00",
        "actor": ACTOR,
        "action": "grant_access",
        "purposes": ["criminal_investigation"],
        "subject": {"id": "plate-1", "custody": "free"},
        "recipient": {"agency": "Dallas PD", "type": "state_local", **recipient},
        "access": {"kind": "data"},
        "data_classes": ["alpr_reads"],
    }


def rejected(raw: dict[str, Any]) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as info:
        parse_request(raw)
    return info.value


def test_jurisdiction_is_defined_once() -> None:
    assert rows.Jurisdiction is voc.Jurisdiction
    assert [j.value for j in voc.Jurisdiction] == ["in_state", "out_of_state"]
    assert [k.value for k in voc.AccessKind] == ["facility", "interview", "data"]


def test_defaults_keep_old_requests_valid() -> None:
    request = parse_request(camera_search())
    assert request.recipient is not None
    assert request.recipient.jurisdiction is None  # unknown, not in-state
    assert request.recipient.declaration_on_file is False
    assert request.subject is not None
    assert request.subject.qualifying_conviction is False
    assert request.access is not None
    assert request.access.detainee_requested is False
    assert request.access.counsel is voc.Counsel.NONE


@pytest.mark.parametrize(
    ("path", "raw"),
    [
        ("recipient.jurisdiction", camera_search(jurisdiction="in_country")),
        ("recipient.jurisdiction", camera_search(jurisdiction="IN_STATE")),
        ("recipient.declaration_on_file", camera_search(declaration_on_file="yes")),
        ("recipient.declaration_on_file", camera_search(declaration_on_file=1)),
    ],
)
def test_bad_values_are_rejected_naming_the_field(path: str, raw: dict[str, Any]) -> None:
    error = rejected(raw)
    assert error.field == path
    assert error.message.startswith(f"{path}: ")


def test_qualifying_conviction_must_be_a_boolean() -> None:
    raw = camera_search()
    raw["subject"]["qualifying_conviction"] = "true"
    assert rejected(raw).field == "subject.qualifying_conviction"


def test_access_of_kind_data_needs_data_classes() -> None:
    raw = camera_search()
    del raw["data_classes"]
    error = rejected(raw)
    assert error.field == "data_classes"
    assert "grant_access of access kind data" in error.message
    raw["data_classes"] = []
    assert rejected(raw).field == "data_classes"


@pytest.mark.parametrize("kind", ["facility", "interview"])
@pytest.mark.parametrize("name", ["detainee_requested", "counsel"])
def test_facility_and_interview_still_need_consent_and_counsel(kind: str, name: str) -> None:
    raw = camera_search()
    raw["access"] = {"kind": kind, "detainee_requested": False, "counsel": "none"}
    assert parse_request(raw).access is not None
    del raw["access"][name]
    error = rejected(raw)
    assert error.field == f"access.{name}"
    assert error.message.startswith(f"access.{name}: required field is missing")


def test_context_carries_the_additions() -> None:
    raw = camera_search(jurisdiction="out_of_state", declaration_on_file=True)
    raw["subject"]["qualifying_conviction"] = True
    context = context_from_key(context_key(parse_request(raw)))
    assert context["recipient"] == {
        "agency": "Dallas PD",
        "type": "state_local",
        "declaration_on_file": True,
        "jurisdiction": "out_of_state",
    }
    assert context["subject"]["qualifying_conviction"] is True
    assert context["access"] == {"kind": "data", "detainee_requested": False, "counsel": "none"}
    unknown = context_from_key(context_key(parse_request(camera_search())))
    assert "jurisdiction" not in unknown["recipient"]  # absent stays absent


def test_cache_never_reuses_a_decision_across_the_additions() -> None:
    """One engine, cache on: the same search with each value decides as a fresh engine does."""
    cached = Engine(load_pack(shipped_pack_path("il")))
    variants = [
        ({}, "deny"),  # unknown jurisdiction: nothing permits
        ({"jurisdiction": "in_state"}, "permit"),
        ({"jurisdiction": "out_of_state"}, "deny"),  # 625 ILCS 5/2-130(c)
        ({"jurisdiction": "out_of_state", "declaration_on_file": True}, "permit"),
        ({"jurisdiction": "out_of_state"}, "deny"),
        ({}, "deny"),
    ]
    for recipient, outcome in variants * 2:
        request = parse_request(camera_search(**recipient))
        got = cached.decide(request)
        fresh = cached.decide(request, use_cache=False)
        assert got.decision is Outcome(outcome), recipient
        assert (got.decision, got.basis, got.citations) == (
            fresh.decision,
            fresh.basis,
            fresh.citations,
        )
    assert cached.cached_count() >= 1


def test_qualifying_conviction_is_in_the_cache_key() -> None:
    cached = Engine(load_pack(shipped_pack_path("ca")))
    raw = {
        "at": "2019-05-01T12:00:00-07:00",
        "actor": ACTOR,
        "action": "custody_transfer",
        "subject": {"id": "p", "custody": "mpd_custody"},
        "recipient": {"agency": "ICE-ERO", "type": "federal_immigration"},
    }
    for _ in range(2):
        assert cached.decide(parse_request(raw)).decision is Outcome.DENY
        raw["subject"]["qualifying_conviction"] = True
        assert cached.decide(parse_request(raw)).decision is Outcome.PERMIT
        raw["subject"]["qualifying_conviction"] = False
