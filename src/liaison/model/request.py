"""The action request of request-schema.md, validated strictly with pydantic v2.

Unknown fields, unknown enum values, missing required fields (including the
fields an action requires) and timestamps without an offset are rejected by
``parse_request`` with an ``InvalidRequest`` naming the field.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    ValidationError,
    field_validator,
)

from liaison.errors import InvalidRequest
from liaison.model.timestamps import parse_instant
from liaison.model.vocabulary import (
    REQUIRED_BY_ACTION,
    AccessKind,
    Action,
    ArrestBasis,
    Counsel,
    Custody,
    Database,
    DataClass,
    EncounterKind,
    Initiative,
    LegalProcess,
    OperationKind,
    Passengers,
    Purpose,
    RecipientType,
    Role,
)

Instant = Annotated[datetime, BeforeValidator(parse_instant)]
Name = Annotated[StrictStr, Field(min_length=1, max_length=256)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Actor(_Strict):
    id: Name
    agency: Name
    role: Role
    unit: Name | None = None


class Subject(_Strict):
    id: Name
    custody: Custody
    federal_criminal_charge: StrictBool = False


class Party(_Strict):
    """An agency on the other side: a recipient, or a partner in an operation."""

    agency: Name
    type: RecipientType


class Transport(_Strict):
    passengers: Passengers


class Access(_Strict):
    kind: AccessKind
    detainee_requested: StrictBool
    counsel: Counsel


class Operation(_Strict):
    kind: OperationKind
    partners: Annotated[list[Party], Field(min_length=1)]


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
    purposes: tuple[Purpose, ...] | None = None
    subject: Subject | None = None
    recipient: Party | None = None
    database: Database | None = None
    data_classes: tuple[DataClass, ...] | None = None
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


def _dotted(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + item)
    return "".join(parts)


def _message(error: Any) -> str:
    kind = error["type"]
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field"
    text = str(error["msg"])
    return text.removeprefix("Value error, ")


def invalid_request_from(exc: ValidationError) -> InvalidRequest:
    """The InvalidRequest (first problem, field named) for a pydantic ValidationError."""
    first = exc.errors()[0]
    loc = tuple(first["loc"])
    field = _dotted(loc) if loc else None  # an unknown key "" is named "", not None
    message = _message(first)
    extra = exc.error_count() - 1
    if extra:
        message += f" (and {extra} more problem(s))"
    if field is None:
        return InvalidRequest(None, message)
    return InvalidRequest(field, f"{field or repr(field)}: {message}")


def _check_action_fields(request: ActionRequest) -> None:
    for name in REQUIRED_BY_ACTION[request.action]:
        if getattr(request, name) is None:
            raise InvalidRequest(
                name, f"{name}: required field is missing (required for {request.action.value})"
            )


def parse_request(raw: str | bytes | dict[str, Any]) -> ActionRequest:
    """Validate one request given as JSON text or a decoded JSON object.

    Raises ``InvalidRequest`` naming the offending field.
    """
    try:
        if isinstance(raw, dict):
            request = ActionRequest.model_validate(raw)
        else:
            request = ActionRequest.model_validate_json(raw)
    except ValidationError as exc:
        if isinstance(raw, str | bytes) and exc.errors()[0]["type"] == "json_invalid":
            raise InvalidRequest(None, f"not valid JSON: {exc.errors()[0]['msg']}") from None
        first = exc.errors()[0]
        if first["type"] == "model_type" and not first["loc"]:  # not a nested object
            raise InvalidRequest(None, "a request must be a JSON object") from None
        raise invalid_request_from(exc) from None
    _check_action_fields(request)
    return request


def request_id_of(raw: str | bytes | dict[str, Any]) -> str | None:
    """Best-effort ``id`` of a request that failed validation, to echo it back."""
    obj: Any = raw
    if not isinstance(raw, dict):
        try:
            obj = json.loads(raw)
        except ValueError:
            return None
    value = obj.get("id") if isinstance(obj, dict) else None
    return value if isinstance(value, str) else None
