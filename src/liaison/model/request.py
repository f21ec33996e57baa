"""The action request of request-schema.md, validated strictly with pydantic v2.

Unknown fields, unknown enum values, missing required fields (including the
fields an action requires), timestamps without an offset, texts longer than 256
characters and lists of more than ``MAX_ITEMS`` are rejected by ``parse_request`` with an
``InvalidRequest`` naming the field, after the rules every JSON input follows
(``liaison.model.json_input``: UTF-8, no NUL or lone surrogate, safe integers, depth).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    field_validator,
)

from liaison.errors import InvalidRequest
from liaison.model.json_input import decode_json, validate_object
from liaison.model.timestamps import parse_instant
from liaison.model.vocabulary import (
    REQUIRED_BY_ACTION,
    AccessKind,
    Action,
    ActorRole,
    ArrestBasis,
    Counsel,
    Custody,
    Database,
    DataClass,
    EncounterKind,
    Initiative,
    Jurisdiction,
    LegalProcess,
    OperationKind,
    Passengers,
    Purpose,
    RecipientType,
)

Instant = Annotated[datetime, BeforeValidator(parse_instant)]
Name = Annotated[StrictStr, Field(min_length=1, max_length=256)]
MAX_ITEMS = 64  # items of any list in a request or event (purposes, partners, agencies...)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Actor(_Strict):
    id: Name
    agency: Name
    role: ActorRole
    unit: Name | None = None


class Subject(_Strict):
    id: Name
    custody: Custody
    federal_criminal_charge: StrictBool = False
    qualifying_conviction: StrictBool = False  # meets Cal. Gov. Code § 7282.5


class Party(_Strict):
    """An agency on the other side: a recipient, or a partner in an operation."""

    agency: Name
    type: RecipientType


class Recipient(Party):
    """The agency an action is for. jurisdiction: whether a state or local agency is of the
    pack's own state (absent: unknown, never read as in-state); declaration_on_file: its
    written declaration under 625 ILCS 5/2-130(c) is on file."""

    jurisdiction: Jurisdiction | None = None
    declaration_on_file: StrictBool = False


class Transport(_Strict):
    passengers: Passengers


class Access(_Strict):
    """detainee_requested and counsel are required for the kinds facility and interview;
    for the kind data they may be omitted (read as false and none)."""

    kind: AccessKind
    detainee_requested: StrictBool = False
    counsel: Counsel = Counsel.NONE


class Operation(_Strict):
    kind: OperationKind
    partners: Annotated[list[Party], Field(min_length=1, max_length=MAX_ITEMS)]


class Encounter(_Strict):
    kind: EncounterKind
    id: Name


def _unique_sorted(values: list[Any]) -> tuple[Any, ...]:
    """A JSON array read as a set: order-free, duplicates folded."""
    return tuple(sorted(set(values)))


class ActionRequest(_Strict):
    """One action a member of the department wants to take (request-schema.md)."""

    id: Name | None = None
    at: Instant | None = None
    view: Name | None = None
    actor: Actor
    action: Action
    purposes: Annotated[tuple[Purpose, ...], Field(max_length=MAX_ITEMS)] | None = None
    subject: Subject | None = None
    recipient: Recipient | None = None
    database: Database | None = None
    data_classes: Annotated[tuple[DataClass, ...], Field(max_length=MAX_ITEMS)] | None = None
    initiative: Initiative = Initiative.ON_REQUEST
    legal_process: LegalProcess = LegalProcess.NONE
    arrest_basis: ArrestBasis | None = None
    transport: Transport | None = None
    access: Access | None = None
    operation: Operation | None = None
    encounter: Encounter | None = None
    case_number: Name | None = None

    @field_validator("purposes", "data_classes", mode="before")
    @classmethod
    def _as_set(cls, value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, list):
            raise ValueError("must be a JSON array")
        if not value:
            raise ValueError("must be a non-empty set")
        return value

    @field_validator("purposes", "data_classes", mode="after")
    @classmethod
    def _fold(cls, value: tuple[Any, ...] | None) -> tuple[Any, ...] | None:
        return None if value is None else _unique_sorted(list(value))


def check_action_fields(request: ActionRequest) -> None:
    """``InvalidRequest`` naming the first field ``request``'s action requires that it lacks."""
    for name in REQUIRED_BY_ACTION[request.action]:
        if getattr(request, name) is None:
            raise InvalidRequest(
                name, f"{name}: required field is missing (required for {request.action.value})"
            )
    check_access(request)


def check_access(request: ActionRequest) -> None:
    """The fields an ``access`` of each kind requires (request-schema.md, "Additions"):
    ``detainee_requested`` and ``counsel`` for ``facility`` and ``interview``; for a
    ``grant_access`` of kind ``data``, a non-empty ``data_classes``."""
    access = request.access
    if access is None:
        return
    if access.kind is AccessKind.DATA:
        if request.action is Action.GRANT_ACCESS and request.data_classes is None:
            raise InvalidRequest(
                "data_classes",
                "data_classes: required field is missing (required for grant_access of "
                "access kind data)",
            )
        return
    for name in ("detainee_requested", "counsel"):
        if name not in access.model_fields_set:
            field = f"access.{name}"
            raise InvalidRequest(
                field,
                f"{field}: required field is missing (required for access kind "
                f"{access.kind.value})",
            )


def parse_request(raw: str | bytes | dict[str, Any]) -> ActionRequest:
    """Validate one request given as JSON text (str or UTF-8 bytes) or a decoded JSON
    object: ``liaison decide`` reads each line through here.

    Raises ``InvalidRequest`` naming the offending field.
    """
    return request_from_json(decode_json(raw) if isinstance(raw, str | bytes) else raw)


def request_from_json(value: Any) -> ActionRequest:
    """Validate one request given as a decoded JSON value (the HTTP API's body or batch
    item), by the rules every JSON input follows (``liaison.model.json_input``) and then
    the model: the same validation as ``parse_request``."""
    request = validate_object(ActionRequest, value, "a request")
    check_action_fields(request)
    return request


def request_id_of(raw: str | bytes | dict[str, Any]) -> str | None:
    """Best-effort ``id`` of a request that failed validation, to echo it back."""
    obj: Any = raw
    if not isinstance(raw, dict):
        try:
            obj = decode_json(raw)
        except InvalidRequest:
            return None
    value = obj.get("id") if isinstance(obj, dict) else None
    return value if isinstance(value, str) else None
