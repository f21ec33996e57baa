"""``liaison.model.parse_request`` against request-schema.md (normative).

Every test runs on both input forms where it makes sense: a decoded JSON object
(``dict``) and JSON text (``str`` and ``bytes``).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liaison.errors import InvalidRequest
from liaison.model import (
    ActionRequest,
    Basis,
    Citation,
    Decision,
    Outcome,
    parse_request,
    request_id_of,
)
from liaison.model import vocabulary as voc
from liaison.model.decision import decision_from_dict
from liaison.model.vocabulary import REQUIRED_BY_ACTION, Action

DC = ZoneInfo("America/New_York")

# --------------------------------------------------------------------------- fixtures

# The example of request-schema.md, verbatim.
DOC_EXAMPLE_TEXT = """
{
  "id": "req-0001",
  "at": "2025-08-15T14:03:00-04:00",
  "view": "mpd",
  "actor": {"id": "officer-1234", "agency": "MPD", "role": "officer", "unit": "1D"},
  "action": "share_information",
  "purposes": ["assist_federal_agency"],
  "subject": {"id": "person-77", "custody": "stopped", "federal_criminal_charge": false},
  "recipient": {"agency": "ICE-ERO", "type": "federal_immigration"},
  "data_classes": ["identity", "location"],
  "initiative": "proactive",
  "legal_process": "none",
  "encounter": {"kind": "traffic_stop", "id": "stop-2025-08-15-0042"},
  "case_number": null
}
"""

# Every field of the schema present, every default spelled out, sets already sorted:
# parsing and dumping it again gives back exactly this object.
FULL: dict[str, Any] = {
    "id": "req-0001",
    "at": "2025-08-15T14:03:00-04:00",
    "view": "mpd",
    "actor": {"id": "officer-1234", "agency": "MPD", "role": "officer", "unit": "1D"},
    "action": "share_information",
    "purposes": ["assist_federal_agency", "criminal_investigation"],
    "subject": {
        "id": "person-77",
        "custody": "stopped",
        "federal_criminal_charge": False,
        "qualifying_conviction": False,
    },
    "recipient": {
        "agency": "ICE-ERO",
        "type": "federal_immigration",
        "jurisdiction": "in_state",
        "declaration_on_file": False,
    },
    "database": "NCIC",
    "data_classes": ["identity", "location"],
    "initiative": "proactive",
    "legal_process": "none",
    "arrest_basis": "offense",
    "transport": {"passengers": "federal_employees"},
    "access": {"kind": "interview", "detainee_requested": True, "counsel": "present"},
    "operation": {
        "kind": "task_force",
        "partners": [
            {"agency": "FBI", "type": "federal_other"},
            {"agency": "MSP", "type": "state_local"},
        ],
    },
    "encounter": {"kind": "traffic_stop", "id": "stop-2025-08-15-0042"},
    "case_number": "CCN-25123456",
}

ACTOR: dict[str, Any] = {"id": "officer-1234", "agency": "MPD", "role": "officer"}

# A valid value for each field an action may require.
ACTION_FIELD_VALUES: dict[str, Any] = {
    "purposes": ["criminal_investigation"],
    "subject": {"id": "person-77", "custody": "mpd_custody"},
    "recipient": {"agency": "ICE-ERO", "type": "federal_immigration"},
    "database": "NCIC",
    "data_classes": ["identity"],
    "arrest_basis": "criminal_warrant",
    "transport": {"passengers": "mpd_arrestee"},
    "access": {"kind": "facility", "detainee_requested": False, "counsel": "none"},
    "operation": {"kind": "patrol", "partners": [{"agency": "USPP", "type": "federal_other"}]},
}


def minimal(action: Action) -> dict[str, Any]:
    """The smallest valid request for ``action``: actor, action and what it requires."""
    doc: dict[str, Any] = {"actor": dict(ACTOR), "action": action.value}
    for name in REQUIRED_BY_ACTION[action]:
        doc[name] = copy.deepcopy(ACTION_FIELD_VALUES[name])
    return doc


def as_dict(doc: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(doc)


def as_text(doc: dict[str, Any]) -> str:
    return json.dumps(doc)


def as_bytes(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc).encode()


Form = Callable[[dict[str, Any]], str | bytes | dict[str, Any]]
FORMS = pytest.mark.parametrize("form", [as_dict, as_text, as_bytes], ids=["dict", "str", "bytes"])
DICT_AND_TEXT: list[Form] = [as_dict, as_text]

_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _tokens(path: str) -> list[str | int]:
    return [int(index) if index else name for name, index in _TOKEN.findall(path)]


def with_value(doc: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``doc`` with the dotted ``path`` (``a.b[0].c``) set to ``value``."""
    out = copy.deepcopy(doc)
    *parents, last = _tokens(path)
    node: Any = out
    for token in parents:
        node = node[token]
    node[last] = value
    return out


def without(doc: dict[str, Any], path: str) -> dict[str, Any]:
    """A deep copy of ``doc`` with the dotted ``path`` removed."""
    out = copy.deepcopy(doc)
    *parents, last = _tokens(path)
    node: Any = out
    for token in parents:
        node = node[token]
    del node[last]
    return out


def rejected(raw: str | bytes | dict[str, Any]) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as info:
        parse_request(raw)
    return info.value


def assert_rejected(raw: str | bytes | dict[str, Any], field: str | None) -> InvalidRequest:
    error = rejected(raw)
    assert error.field == field, error.message
    assert error.code == "invalid_request"
    if field:
        assert error.message.startswith(f"{field}: "), error.message
    return error


# --------------------------------------------------------------------------- valid requests


@FORMS
def test_documented_example_is_valid(form: Form) -> None:
    request = parse_request(form(json.loads(DOC_EXAMPLE_TEXT)))
    assert request.id == "req-0001"
    assert request.at == datetime(2025, 8, 15, 18, 3, tzinfo=UTC)
    assert request.view == "mpd"
    assert request.actor.role is voc.ActorRole.OFFICER
    assert request.actor.unit == "1D"
    assert request.action is Action.SHARE_INFORMATION
    assert request.purposes == (voc.Purpose.ASSIST_FEDERAL_AGENCY,)
    assert request.subject is not None
    assert request.subject.custody is voc.Custody.STOPPED
    assert request.subject.federal_criminal_charge is False
    assert request.recipient is not None
    assert request.recipient.type is voc.RecipientType.FEDERAL_IMMIGRATION
    assert request.data_classes == (voc.DataClass.IDENTITY, voc.DataClass.LOCATION)
    assert request.initiative is voc.Initiative.PROACTIVE
    assert request.legal_process is voc.LegalProcess.NONE
    assert request.encounter is not None
    assert request.encounter.kind is voc.EncounterKind.TRAFFIC_STOP
    assert request.case_number is None


def test_documented_example_as_text_equals_as_dict() -> None:
    assert parse_request(DOC_EXAMPLE_TEXT) == parse_request(json.loads(DOC_EXAMPLE_TEXT))


@FORMS
def test_full_request_round_trips(form: Form) -> None:
    request = parse_request(form(FULL))
    assert request.model_dump(mode="json") == FULL
    assert json.loads(request.model_dump_json()) == FULL
    assert parse_request(request.model_dump_json()) == request
    assert parse_request(request.model_dump(mode="json")) == request


@FORMS
@pytest.mark.parametrize("action", list(Action), ids=[a.value for a in Action])
def test_minimal_request_of_every_action_is_valid(form: Form, action: Action) -> None:
    request = parse_request(form(minimal(action)))
    assert request.action is action
    for name in REQUIRED_BY_ACTION[action]:
        assert getattr(request, name) is not None


@FORMS
def test_defaults(form: Form) -> None:
    request = parse_request(form(minimal(Action.VERBAL_INQUIRY)))
    assert request.id is None
    assert request.at is None
    assert request.view is None
    assert request.actor.unit is None
    assert request.initiative is voc.Initiative.ON_REQUEST
    assert request.legal_process is voc.LegalProcess.NONE
    assert request.subject is not None
    assert request.subject.federal_criminal_charge is False
    assert request.case_number is None


@FORMS
def test_sets_are_order_free_and_fold_duplicates(form: Form) -> None:
    doc = minimal(Action.SHARE_INFORMATION)
    doc["purposes"] = ["warrant_check", "booking", "warrant_check"]
    doc["data_classes"] = ["vehicle", "identity", "vehicle", "alpr_reads"]
    request = parse_request(form(doc))
    assert request.purposes == (voc.Purpose.BOOKING, voc.Purpose.WARRANT_CHECK)
    assert request.data_classes == (
        voc.DataClass.ALPR_READS,
        voc.DataClass.IDENTITY,
        voc.DataClass.VEHICLE,
    )
    reordered = dict(doc, purposes=["booking", "warrant_check"])
    assert parse_request(form(reordered)) == request


def test_request_is_immutable() -> None:
    request = parse_request(minimal(Action.HOLD))
    with pytest.raises(ValueError, match="frozen"):
        request.action = Action.ARREST


# --------------------------------------------------------------------------- required fields


def test_required_by_action_matches_the_reference_table() -> None:
    # request-schema.md, column "required", transcribed field by field.
    table: dict[str, set[str]] = {
        "purposes": {
            "database_inquiry",
            "verbal_inquiry",
            "share_information",
            "transport",
            "joint_operation",
        },
        "subject": {a.value for a in Action} - {"joint_operation"},
        "recipient": {"share_information", "custody_transfer", "hold", "grant_access", "transport"},
        "database": {"database_inquiry"},
        "data_classes": {"share_information"},
        "arrest_basis": {"arrest"},
        "transport": {"transport"},
        "access": {"grant_access"},
        "operation": {"joint_operation"},
    }
    expected = {
        action: {name for name, actions in table.items() if action.value in actions}
        for action in Action
    }
    assert {action: set(names) for action, names in REQUIRED_BY_ACTION.items()} == expected


REQUIRED_CASES = [(action, name) for action, names in REQUIRED_BY_ACTION.items() for name in names]


@FORMS
@pytest.mark.parametrize(
    ("action", "name"), REQUIRED_CASES, ids=[f"{a.value}-{n}" for a, n in REQUIRED_CASES]
)
def test_field_required_by_action_is_enforced(form: Form, action: Action, name: str) -> None:
    error = assert_rejected(form(without(minimal(action), name)), name)
    assert action.value in error.message
    # An explicit null is the same as a missing field.
    assert_rejected(form(with_value(minimal(action), name, None)), name)


@FORMS
@pytest.mark.parametrize("name", ["actor", "action"])
def test_always_required_fields(form: Form, name: str) -> None:
    error = assert_rejected(form(without(FULL, name)), name)
    assert "missing" in error.message


NESTED_REQUIRED = [
    "actor.id",
    "actor.agency",
    "actor.role",
    "subject.id",
    "subject.custody",
    "recipient.agency",
    "recipient.type",
    "transport.passengers",
    "access.kind",
    "access.detainee_requested",
    "access.counsel",
    "operation.kind",
    "operation.partners",
    "operation.partners[0].agency",
    "operation.partners[1].type",
    "encounter.kind",
    "encounter.id",
]


@FORMS
@pytest.mark.parametrize("path", NESTED_REQUIRED)
def test_nested_required_fields(form: Form, path: str) -> None:
    error = assert_rejected(form(without(FULL, path)), path)
    assert "missing" in error.message


@FORMS
def test_optional_fields_may_be_absent_or_null(form: Form) -> None:
    doc = minimal(Action.VERBAL_INQUIRY)
    for name in ["id", "at", "view", "case_number", "database", "encounter", "recipient"]:
        doc[name] = None
    doc["actor"]["unit"] = None
    assert parse_request(form(doc)) == parse_request(minimal(Action.VERBAL_INQUIRY))


@FORMS
@pytest.mark.parametrize("name", ["initiative", "legal_process"])
def test_fields_with_a_default_are_not_nullable(form: Form, name: str) -> None:
    assert_rejected(form(with_value(FULL, name, None)), name)


# --------------------------------------------------------------------------- unknown fields


UNKNOWN_FIELDS = [
    "nickname",
    "Action",
    "actor.badge",
    "subject.nickname",
    "recipient.office",
    "transport.vehicle",
    "access.room",
    "operation.name",
    "operation.partners[0].contact",
    "operation.partners[1].unit",
    "encounter.officer",
]


@FORMS
@pytest.mark.parametrize("path", UNKNOWN_FIELDS)
def test_unknown_field_is_rejected_with_its_path(form: Form, path: str) -> None:
    error = assert_rejected(form(with_value(FULL, path, "x")), path)
    assert "unknown field" in error.message


@FORMS
def test_unknown_field_with_null_value_is_still_rejected(form: Form) -> None:
    assert_rejected(form(with_value(FULL, "subject.nickname", None)), "subject.nickname")


# --------------------------------------------------------------------------- enum values

# Every enum-valued place in a request, with its vocabulary.
ENUM_FIELDS: dict[str, type[StrEnum]] = {
    "actor.role": voc.ActorRole,
    "action": voc.Action,
    "purposes[0]": voc.Purpose,
    "purposes[1]": voc.Purpose,
    "subject.custody": voc.Custody,
    "recipient.type": voc.RecipientType,
    "database": voc.Database,
    "data_classes[0]": voc.DataClass,
    "initiative": voc.Initiative,
    "legal_process": voc.LegalProcess,
    "arrest_basis": voc.ArrestBasis,
    "transport.passengers": voc.Passengers,
    "access.kind": voc.AccessKind,
    "access.counsel": voc.Counsel,
    "operation.kind": voc.OperationKind,
    "operation.partners[0].type": voc.RecipientType,
    "operation.partners[1].type": voc.RecipientType,
    "encounter.kind": voc.EncounterKind,
    "recipient.jurisdiction": voc.Jurisdiction,
}


def test_every_vocabulary_enum_is_covered() -> None:
    enums = {
        value
        for value in vars(voc).values()
        if isinstance(value, type) and issubclass(value, StrEnum) and value is not StrEnum
    }
    assert set(ENUM_FIELDS.values()) == enums


def test_vocabulary_matches_the_reference() -> None:
    # Spot-check the normative spellings, including the upper-case database names.
    assert [d.value for d in voc.Database] == [
        "NCIC",
        "III",
        "NLETS_IAQ",
        "WALES",
        "ALPR",
        "RMS",
        "DMV",
        "OTHER",
    ]
    assert len(voc.Purpose) == 11
    assert len(voc.DataClass) == 13
    assert {r.value for r in voc.RecipientType} == {
        "federal_immigration",
        "federal_other",
        "state_local",
        "private",
    }


@FORMS
@pytest.mark.parametrize("path", list(ENUM_FIELDS))
def test_unknown_enum_value_is_rejected_with_its_path(form: Form, path: str) -> None:
    assert_rejected(form(with_value(FULL, path, "not_a_value")), path)


@FORMS
@pytest.mark.parametrize("path", list(ENUM_FIELDS))
def test_every_known_enum_value_is_accepted(form: Form, path: str) -> None:
    for member in ENUM_FIELDS[path]:
        # FULL carries every field, so it stays valid whatever the action.
        doc = with_value(FULL, path, member.value)
        request = parse_request(form(doc))
        *parents, last = _tokens(path)
        node: Any = request
        for token in parents:
            node = node[token] if isinstance(token, int) else getattr(node, token)
        if isinstance(last, int):  # an item of a set: folded and sorted, so found by value
            assert member in node
            assert all(type(item) is type(member) for item in node)
        else:
            assert getattr(node, last) is member
        assert request.model_dump(mode="json") == as_sets(doc)


def as_sets(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` as parsing reads it: its JSON arrays that are sets folded and sorted."""
    out = copy.deepcopy(doc)
    for name in ("purposes", "data_classes"):
        if out.get(name) is not None:
            out[name] = sorted(set(out[name]))
    return out


@FORMS
@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("actor.role", "Officer"),
        ("action", "SHARE_INFORMATION"),
        ("action", "share-information"),
        ("database", "ncic"),
        ("subject.custody", " stopped"),
        ("recipient.type", "federal_immigration "),
        ("purposes[0]", ""),
        ("encounter.kind", 1),
        ("legal_process", False),
    ],
)
def test_enum_values_are_exact(form: Form, path: str, value: Any) -> None:
    assert_rejected(form(with_value(FULL, path, value)), path)


# --------------------------------------------------------------------------- sets


@FORMS
@pytest.mark.parametrize("name", ["purposes", "data_classes"])
def test_empty_set_is_rejected(form: Form, name: str) -> None:
    error = assert_rejected(form(with_value(FULL, name, [])), name)
    assert "non-empty" in error.message


@FORMS
def test_operation_without_partners_is_rejected(form: Form) -> None:
    assert_rejected(form(with_value(FULL, "operation.partners", [])), "operation.partners")


# --------------------------------------------------------------------------- wrong types


WRONG_TYPES: list[tuple[str, Any]] = [
    ("subject.federal_criminal_charge", "true"),
    ("subject.federal_criminal_charge", "false"),
    ("subject.federal_criminal_charge", 1),
    ("subject.federal_criminal_charge", 0),
    ("subject.federal_criminal_charge", None),
    ("access.detainee_requested", "yes"),
    ("access.detainee_requested", "true"),
    ("id", 1),
    ("id", 1.5),
    ("id", True),
    ("actor.id", 1234),
    ("actor.agency", ["MPD"]),
    ("actor.unit", 1),
    ("subject.id", 77),
    ("recipient.agency", 1),
    ("encounter.id", 42),
    ("case_number", 25123456),
    ("view", True),
    ("at", 1755281000),
    ("at", True),
    ("actor", "officer-1234"),
    ("subject", ["person-77"]),
    ("recipient", "ICE-ERO"),
    ("purposes", "booking"),
    ("purposes", {"booking": True}),
    ("data_classes", "identity"),
    ("transport", "federal_employees"),
    ("operation.partners", {"agency": "FBI", "type": "federal_other"}),
    ("operation.partners[0]", "FBI"),
    ("action", ["share_information"]),
]


@FORMS
@pytest.mark.parametrize(("path", "value"), WRONG_TYPES, ids=[f"{p}={v!r}" for p, v in WRONG_TYPES])
def test_wrong_type_is_rejected_with_its_path(form: Form, path: str, value: Any) -> None:
    assert_rejected(form(with_value(FULL, path, value)), path)


@FORMS
def test_several_problems_are_counted(form: Form) -> None:
    doc = with_value(FULL, "subject.custody", "jailed")
    doc = with_value(doc, "recipient.type", "nope")
    error = rejected(form(doc))
    assert error.field in {"subject.custody", "recipient.type"}
    assert "1 more problem" in error.message


# --------------------------------------------------------------------------- timestamps


def at_of(form: Form, text: str) -> datetime:
    request = parse_request(form(with_value(FULL, "at", text)))
    assert request.at is not None
    return request.at


@pytest.mark.parametrize("form", DICT_AND_TEXT)
def test_at_without_offset_is_rejected(form: Form) -> None:
    for text in ["2025-08-15T14:03:00", "2025-08-15T14:03:00.250", "2025-08-15 14:03:00"]:
        error = assert_rejected(form(with_value(FULL, "at", text)), "at")
        assert "offset" in error.message


@pytest.mark.parametrize("form", DICT_AND_TEXT)
def test_at_with_z_and_with_offset_is_the_same_instant(form: Form) -> None:
    z = at_of(form, "2025-08-15T18:03:00Z")
    edt = at_of(form, "2025-08-15T14:03:00-04:00")
    assert z == edt == datetime(2025, 8, 15, 18, 3, tzinfo=UTC)
    assert z.utcoffset() == timedelta(0)
    assert edt.utcoffset() == timedelta(hours=-4)
    assert at_of(form, "2025-08-15T23:33:00+05:30") == z
    assert at_of(form, "2025-08-15T18:03:00+00:00") == z
    # Whole requests that differ only in how the instant is written are equal.
    as_z = parse_request(form(with_value(FULL, "at", "2025-08-15T18:03:00Z")))
    as_edt = parse_request(form(with_value(FULL, "at", "2025-08-15T14:03:00-04:00")))
    assert as_z == as_edt


@pytest.mark.parametrize("form", DICT_AND_TEXT)
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-08-15T18:03:00z", datetime(2025, 8, 15, 18, 3, tzinfo=UTC)),
        ("2025-08-15t18:03:00Z", datetime(2025, 8, 15, 18, 3, tzinfo=UTC)),
        ("2025-08-15 14:03:00-04:00", datetime(2025, 8, 15, 18, 3, tzinfo=UTC)),
        ("2025-01-15T14:03:00-05:00", datetime(2025, 1, 15, 19, 3, tzinfo=UTC)),
        ("2024-02-29T00:00:00Z", datetime(2024, 2, 29, tzinfo=UTC)),
        ("2025-12-31T23:59:59+23:59", datetime(2025, 12, 31, 0, 0, 59, tzinfo=UTC)),
    ],
)
def test_at_accepted_forms(form: Form, text: str, expected: datetime) -> None:
    assert at_of(form, text) == expected


@pytest.mark.parametrize("form", DICT_AND_TEXT)
@pytest.mark.parametrize(
    ("text", "microsecond"),
    [
        ("2025-08-15T14:03:00.5-04:00", 500000),
        ("2025-08-15T14:03:00.123-04:00", 123000),
        ("2025-08-15T14:03:00.123456-04:00", 123456),
        # Finer than microseconds: truncated, never rounded up into the next second.
        ("2025-08-15T14:03:00.123456789-04:00", 123456),
        ("2025-08-15T14:03:00.9999999-04:00", 999999),
        # RFC 3339 time-secfrac is 1*DIGIT: any number of digits.
        ("2025-08-15T14:03:00.1234567891234Z", 123456),
    ],
)
def test_at_with_fractional_seconds(form: Form, text: str, microsecond: int) -> None:
    at = at_of(form, text)
    assert at.microsecond == microsecond
    assert at.second == 0


@pytest.mark.parametrize("form", DICT_AND_TEXT)
def test_fractional_seconds_survive_a_round_trip(form: Form) -> None:
    request = parse_request(form(with_value(FULL, "at", "2025-08-15T14:03:00.25-04:00")))
    assert parse_request(request.model_dump_json()) == request
    assert request.model_dump(mode="json")["at"] == "2025-08-15T14:03:00.250000-04:00"


@pytest.mark.parametrize("form", DICT_AND_TEXT)
@pytest.mark.parametrize(
    "text",
    [
        "2025-02-30T12:00:00Z",
        "2023-02-29T12:00:00Z",
        "2025-04-31T12:00:00-04:00",
        "2025-13-01T12:00:00Z",
        "2025-00-10T12:00:00Z",
        "2025-08-00T12:00:00Z",
        "2025-08-15T24:00:00Z",
        "2025-08-15T14:60:00Z",
        "2025-08-15T14:03:61Z",
        "2025-08-15T14:03:00+24:00",
        "2025-08-15T14:03:00-04:60",
        "2025-08-15T14:03:00-04:99",
    ],
)
def test_at_invalid_date_or_time_is_rejected(form: Form, text: str) -> None:
    assert_rejected(form(with_value(FULL, "at", text)), "at")


@pytest.mark.parametrize("form", DICT_AND_TEXT)
@pytest.mark.parametrize(
    "text",
    [
        "",
        "now",
        "yesterday at noon",
        "2025-08-15",
        "14:03:00-04:00",
        "2025-08-15T14:03Z",
        "2025-08-15T14:03:00-0400",
        "2025-08-15T14:03:00-04",
        "2025-08-15T14:03:00 -04:00",
        "2025-08-15T14:03:00EDT",
        "2025-8-15T14:03:00Z",
        "20250815T140300Z",
        "2025-08-15T14:03:00.Z",
        "2025-08-15T14:03:00,5Z",
        "2025-08-15T14:03:00Z\n",
        " 2025-08-15T14:03:00Z",
        "Fri, 15 Aug 2025 14:03:00 -0400",
        "2025-W33-5T14:03:00Z",
        "２０２５-08-15T14:03:00Z",
    ],
)
def test_at_non_rfc3339_text_is_rejected(form: Form, text: str) -> None:
    assert_rejected(form(with_value(FULL, "at", text)), "at")


def test_at_as_datetime_object_in_dict_form() -> None:
    aware = datetime(2025, 8, 15, 14, 3, tzinfo=DC)
    request = parse_request(with_value(FULL, "at", aware))
    assert request.at == datetime(2025, 8, 15, 18, 3, tzinfo=UTC)
    assert_rejected(with_value(FULL, "at", datetime(2025, 8, 15, 14, 3)), "at")


offsets = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
instants = st.datetimes(
    min_value=datetime(1900, 1, 2), max_value=datetime(2200, 12, 30), timezones=st.just(UTC)
)


@settings(deadline=None)
@given(instant=instants, zone=offsets, form=st.sampled_from(DICT_AND_TEXT))
def test_any_instant_written_with_any_offset_is_the_same_instant(
    instant: datetime, zone: timezone, form: Form
) -> None:
    local = instant.astimezone(zone).isoformat()
    utc = instant.isoformat().replace("+00:00", "Z")
    assert at_of(form, local) == at_of(form, utc) == instant


# --------------------------------------------------------------------------- not JSON objects


@pytest.mark.parametrize("text", ["[]", "[{}]", "null", "1", '"req-0001"', "true", "3.5"])
@pytest.mark.parametrize("encode", [False, True], ids=["str", "bytes"])
def test_non_object_json_is_rejected_without_field(text: str, encode: bool) -> None:
    error = assert_rejected(text.encode() if encode else text, None)
    assert "JSON object" in error.message


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "{",
        '{"action": }',
        "{'action': 'hold'}",
        '{"action": "hold",}',
        "not json",
        '{"id": "x"} trailing',
        "NaN",
        '{"id": Infinity}',
    ],
)
@pytest.mark.parametrize("encode", [False, True], ids=["str", "bytes"])
def test_invalid_json_is_rejected_without_field(text: str, encode: bool) -> None:
    error = assert_rejected(text.encode() if encode else text, None)
    assert error.message.startswith("not valid JSON")


def test_invalid_utf8_is_rejected_without_field() -> None:
    assert_rejected(b'{"id": "\xff"}', None)
    assert_rejected(b"\xff\xfe", None)


def test_empty_object_names_a_missing_field() -> None:
    empty: list[str | dict[str, Any]] = [{}, "{}"]
    for raw in empty:
        error = rejected(raw)
        assert error.field in {"actor", "action"}


# --------------------------------------------------------------------------- the error object


@pytest.mark.parametrize("form", DICT_AND_TEXT)
def test_error_object_shape(form: Form) -> None:
    error = rejected(form(with_value(FULL, "recipient.type", "federal")))
    out = error.to_dict()
    assert set(out) == {"code", "field", "message"}
    assert out["code"] == "invalid_request"
    assert out["field"] == "recipient.type"
    assert isinstance(out["message"], str)
    assert out["message"].startswith("recipient.type: ")
    json.dumps(out)  # serialisable as is


def test_error_object_of_non_json_has_null_field() -> None:
    out = rejected("{").to_dict()
    assert out["field"] is None
    assert json.loads(json.dumps(out))["field"] is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"id": "req-9", "action": "nope"}, "req-9"),
        ('{"id": "req-9", "action": "nope"}', "req-9"),
        (b'{"id": "req-9"}', "req-9"),
        ({"action": "hold"}, None),
        ({"id": 9}, None),
        ('{"id": null}', None),
        ("[1, 2]", None),
        ("{", None),
        (b"\xff", None),
    ],
)
def test_request_id_of_echoes_the_id_of_a_rejected_request(
    raw: str | bytes | dict[str, Any], expected: str | None
) -> None:
    assert request_id_of(raw) == expected


# --------------------------------------------------------------------------- the decision


def test_decision_to_dict_matches_the_reference() -> None:
    decision = Decision(
        id="req-0001",
        decision=Outcome.PERMIT,
        basis=Basis.PERMIT,
        citations=(
            Citation(
                directive="EO-25-005",
                section="E1",
                title="Immigration Enforcement",
                issuer="Chief of Police, Metropolitan Police Department",
                effective_from=datetime(2025, 8, 14, 4, 0, tzinfo=UTC),
            ),
        ),
        view="mpd",
        at=datetime(2025, 8, 15, 18, 3, tzinfo=UTC),
        in_force=(
            "DC-CODE-24-211.07",
            "DC-MO-2011-174",
            "EO-14333",
            "EO-25-005",
            "MPD-BASELINE",
            "USC-8-1373",
        ),
        policy_version="sha256:...",
    )
    # The example of request-schema.md, "The decision", verbatim.
    assert decision.to_dict(DC) == {
        "id": "req-0001",
        "decision": "permit",
        "basis": "permit",
        "citations": [
            {
                "directive": "EO-25-005",
                "section": "E1",
                "title": "Immigration Enforcement",
                "issuer": "Chief of Police, Metropolitan Police Department",
                "effective_from": "2025-08-14T00:00:00-04:00",
            }
        ],
        "view": "mpd",
        "at": "2025-08-15T14:03:00-04:00",
        "in_force": [
            "DC-CODE-24-211.07",
            "DC-MO-2011-174",
            "EO-14333",
            "EO-25-005",
            "MPD-BASELINE",
            "USC-8-1373",
        ],
        "policy_version": "sha256:...",
    }
    assert json.loads(json.dumps(decision.to_dict(DC))) == decision.to_dict(DC)
    # A recorded decision, read back (a replay), renders again as it was recorded.
    again = decision_from_dict(decision.to_dict(DC))
    assert again.to_dict(DC) == decision.to_dict(DC)
    assert (again.decision, again.basis, again.citations) == (
        Outcome.PERMIT,
        Basis.PERMIT,
        decision.citations,
    )


def test_default_deny_decision_to_dict() -> None:
    decision = Decision(
        id=None,
        decision=Outcome.DENY,
        basis=Basis.DEFAULT,
        citations=(),
        view="mpd",
        at=datetime(2025, 1, 15, 19, 3, 0, 250000, tzinfo=UTC),
        in_force=("MPD-BASELINE",),
        policy_version="sha256:abc",
    )
    out = decision.to_dict(DC)
    assert out["id"] is None
    assert out["decision"] == "deny"
    assert out["basis"] == "default"
    assert out["citations"] == []
    assert out["at"] == "2025-01-15T14:03:00.250000-05:00"  # winter: EST, finer than seconds
    assert "errors" not in out


def test_error_decision_reports_its_errors() -> None:
    decision = Decision(
        id="req-2",
        decision=Outcome.DENY,
        basis=Basis.ERROR,
        citations=(),
        view="mpd",
        at=datetime(2025, 8, 15, 18, 3, tzinfo=UTC),
        in_force=(),
        policy_version="sha256:abc",
        errors=("evaluation failed",),
    )
    out = decision.to_dict(UTC)
    assert out["basis"] == "error"
    assert out["decision"] == "deny"
    assert out["errors"] == ["evaluation failed"]
    assert out["at"] == "2025-08-15T18:03:00+00:00"
    assert set(out) == {
        "id",
        "decision",
        "basis",
        "citations",
        "view",
        "at",
        "in_force",
        "policy_version",
        "errors",
    }


# --------------------------------------------------------------------------- properties

# Text a request may hold: Unicode (no lone surrogate) without NUL.
TEXT = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")


def text(min_size: int = 0, max_size: int | None = None) -> st.SearchStrategy[str]:
    return st.text(TEXT, min_size=min_size, max_size=max_size)


names = text(min_size=1, max_size=24)


def values_of(enum: type[StrEnum]) -> st.SearchStrategy[str]:
    return st.sampled_from([member.value for member in enum])


party = st.fixed_dictionaries({"agency": names, "type": values_of(voc.RecipientType)})
FIELD_STRATEGIES: dict[str, st.SearchStrategy[Any]] = {
    "purposes": st.lists(values_of(voc.Purpose), min_size=1, max_size=5),
    "subject": st.fixed_dictionaries(
        {"id": names, "custody": values_of(voc.Custody)},
        optional={"federal_criminal_charge": st.booleans()},
    ),
    "recipient": party,
    "database": values_of(voc.Database),
    "data_classes": st.lists(values_of(voc.DataClass), min_size=1, max_size=5),
    "arrest_basis": values_of(voc.ArrestBasis),
    "transport": st.fixed_dictionaries({"passengers": values_of(voc.Passengers)}),
    "access": st.fixed_dictionaries(
        {
            "kind": values_of(voc.AccessKind),
            "detainee_requested": st.booleans(),
            "counsel": values_of(voc.Counsel),
        }
    ),
    "operation": st.fixed_dictionaries(
        {"kind": values_of(voc.OperationKind), "partners": st.lists(party, min_size=1, max_size=3)}
    ),
    "encounter": st.fixed_dictionaries({"kind": values_of(voc.EncounterKind), "id": names}),
    "id": names,
    "view": names,
    "case_number": names,
    "at": st.builds(lambda instant, zone: instant.astimezone(zone).isoformat(), instants, offsets),
}
NOT_NULLABLE: dict[str, st.SearchStrategy[Any]] = {
    "initiative": values_of(voc.Initiative),
    "legal_process": values_of(voc.LegalProcess),
}
actors = st.fixed_dictionaries(
    {"id": names, "agency": names, "role": values_of(voc.ActorRole)},
    optional={"unit": names | st.none()},
)


def requests_for(action: Action) -> st.SearchStrategy[dict[str, Any]]:
    required = REQUIRED_BY_ACTION[action]
    mandatory = {"actor": actors, "action": st.just(action.value)}
    mandatory.update({name: FIELD_STRATEGIES[name] for name in required})
    optional = {
        name: strategy | st.none()
        for name, strategy in FIELD_STRATEGIES.items()
        if name not in required
    }
    optional.update(NOT_NULLABLE)
    return st.fixed_dictionaries(mandatory, optional=optional)


valid_requests = st.sampled_from(list(Action)).flatmap(requests_for)


def contains(outer: Any, inner: Any) -> bool:
    """``inner`` is ``outer`` with some defaulted keys left out."""
    if isinstance(inner, dict):
        return isinstance(outer, dict) and all(
            key in outer and contains(outer[key], value) for key, value in inner.items()
        )
    if isinstance(inner, list):
        return (
            isinstance(outer, list)
            and len(outer) == len(inner)
            and all(contains(o, i) for o, i in zip(outer, inner, strict=True))
        )
    return bool(outer == inner)


@settings(deadline=None)
@given(doc=valid_requests)
def test_any_valid_request_survives_a_json_round_trip(doc: dict[str, Any]) -> None:
    request = parse_request(doc)
    assert parse_request(json.dumps(doc)) == request
    assert parse_request(json.dumps(doc).encode()) == request
    dumped = request.model_dump(mode="json")
    again = parse_request(request.model_dump_json())
    assert again == request
    assert again.model_dump(mode="json") == dumped
    # Nothing given is lost or altered, bar the documented normalisations.
    for key, value in doc.items():
        if key in {"purposes", "data_classes"} and value is not None:
            assert dumped[key] == sorted(set(value))
        elif key == "at" and value is not None:
            assert datetime.fromisoformat(dumped[key]) == datetime.fromisoformat(value)
        else:
            assert contains(dumped[key], value), key


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53 - 1), 2**53 - 1) | text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text(max_size=5), inner),
    max_leaves=5,
)


@settings(deadline=None)
@given(
    doc=valid_requests,
    key=text(max_size=20).filter(lambda k: k not in ActionRequest.model_fields),
    value=json_values,
    form=st.sampled_from(DICT_AND_TEXT),
)
def test_any_extra_top_level_key_is_rejected_naming_it(
    doc: dict[str, Any], key: str, value: Any, form: Form
) -> None:
    error = rejected(form({**doc, key: value}))
    assert error.field == key
    assert "unknown field" in error.message


@settings(deadline=None)
@given(
    doc=valid_requests,
    key=text(min_size=1, max_size=20).filter(lambda k: k not in {"id", "agency", "role", "unit"}),
    form=st.sampled_from(DICT_AND_TEXT),
)
def test_any_extra_actor_key_is_rejected_naming_it(
    doc: dict[str, Any], key: str, form: Form
) -> None:
    doc = with_value(doc, "actor", {**doc["actor"], key: "x"})
    assert rejected(form(doc)).field == f"actor.{key}"


@settings(deadline=None)
@given(
    path=st.sampled_from(list(ENUM_FIELDS)),
    data=st.data(),
    form=st.sampled_from(DICT_AND_TEXT),
)
def test_any_unknown_enum_value_is_rejected_naming_its_path(
    path: str, data: st.DataObject, form: Form
) -> None:
    known = {member.value for member in ENUM_FIELDS[path]}
    value = data.draw(text(max_size=30).filter(lambda v: v not in known), label="value")
    assert_rejected(form(with_value(FULL, path, value)), path)


@settings(deadline=None)
@given(doc=valid_requests, data=st.data())
def test_dropping_any_required_field_is_rejected_naming_it(
    doc: dict[str, Any], data: st.DataObject
) -> None:
    required = ["actor", "action", *REQUIRED_BY_ACTION[Action(doc["action"])]]
    name = data.draw(st.sampled_from(required), label="name")
    assert rejected(without(doc, name)).field == name
