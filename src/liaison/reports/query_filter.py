"""The filter of a query over recorded decisions (issue 10, item 1; docs/api.md, "Querying
decisions"): read from ``key=value`` strings (query parameters, ``--where``), each value
checked against the request vocabulary (docs/request-schema.md), and turned into
SQLAlchemy Core conditions over the index's real columns (``liaison.storage.tables``).

A bad key or value is an ``InvalidRequest`` naming it (422; the CLI exits 2). What a
reader may see is ``Principal.may_read`` written as a condition (``scope``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, exists, false, or_, select, true

from liaison.errors import Forbidden, InvalidRequest
from liaison.gateway.auth import Principal
from liaison.gateway.roles import KeyRole
from liaison.model.decision import Basis, Outcome
from liaison.model.timestamps import parse_instant
from liaison.model.vocabulary import (
    Action,
    ArrestBasis,
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
)
from liaison.storage.tables import (
    decision_citations,
    decision_data_classes,
    decision_purposes,
    decisions,
    encounters,
)

# Filter keys whose value is one of a vocabulary's (the value checked against it).
_VOCABULARY: dict[str, type[StrEnum]] = {
    "action": Action,
    "decision": Outcome,
    "basis": Basis,
    "recipient_type": RecipientType,
    "database": Database,
    "custody": Custody,
    "purpose": Purpose,
    "initiative": Initiative,
    "legal_process": LegalProcess,
    "arrest_basis": ArrestBasis,
    "passengers": Passengers,
    "operation_kind": OperationKind,
    "data_class": DataClass,
    "encounter_kind": EncounterKind,
}
_BOOLEANS = frozenset({"federal_charge"})
# Filter keys that a side table of ``decisions`` answers: the decision has such a row.
_SIDE_KEYS = {
    "purpose": (decision_purposes, "purpose"),
    "data_class": (decision_data_classes, "data_class"),
}
# Filter keys that are a column of ``decisions`` compared for equality.
_COLUMNS = {
    "action": "action",
    "decision": "decision",
    "basis": "basis",
    "view": "view",
    "recipient_type": "recipient_type",
    "recipient_agency": "recipient_agency",
    "database": "database",
    "custody": "custody",
    "unit": "unit",
    "actor": "actor_id",
    "encounter": "encounter_id",
    "initiative": "initiative",
    "legal_process": "legal_process",
    "arrest_basis": "arrest_basis",
    "passengers": "passengers",
    "operation_kind": "operation_kind",
}
MAX_VALUE = 256  # each value, as a request's names (``model.request.Name``)
MAX_TEXT = 1024  # a key's whole text (its values, comma-separated)


Values = tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class DecisionFilter:
    """What a query asks for: each key one of its values (``None``: any); ``start``/``end``:
    ``at`` in [start, end)."""

    start: datetime | None = None
    end: datetime | None = None
    action: Values = None
    decision: Values = None
    basis: Values = None
    view: Values = None
    directive: Values = None
    section: Values = None
    recipient_type: Values = None
    recipient_agency: Values = None
    database: Values = None
    custody: Values = None
    purpose: Values = None
    unit: Values = None
    actor: Values = None
    district: Values = None
    encounter: Values = None
    initiative: Values = None
    legal_process: Values = None
    federal_charge: bool | None = None
    arrest_basis: Values = None
    passengers: Values = None
    operation_kind: Values = None
    data_class: Values = None
    encounter_kind: Values = None


# The keys a filter is written with: ``from`` and ``to`` for the time range.
FILTER_KEYS = ("from", "to", *tuple(f.name for f in fields(DecisionFilter))[2:])


def parse_filter(given: Mapping[str, str]) -> DecisionFilter:
    """The filter ``given`` (key → value) asks for; ``InvalidRequest`` naming a bad key.
    A value but ``from``'s and ``to``'s may list several, comma-separated: any of them."""
    values: dict[str, Any] = {}
    for key, value in given.items():
        if key not in FILTER_KEYS:
            raise InvalidRequest(key, f"{key}: not a filter (one of {', '.join(FILTER_KEYS)})")
        if not value or len(value) > MAX_TEXT or "\x00" in value:
            raise InvalidRequest(key, f"{key}: must be 1 to {MAX_TEXT} characters, no NUL")
        if key in ("from", "to"):
            try:
                values["start" if key == "from" else "end"] = parse_instant(value)
            except ValueError as exc:
                raise InvalidRequest(key, f"{key}: {exc}") from None
            continue
        if key in _BOOLEANS:
            if value not in ("true", "false"):
                raise InvalidRequest(key, f"{key}: must be true or false")
            values[key] = value == "true"
            continue
        values[key] = _values(key, value)
    found = DecisionFilter(**values)
    if found.start and found.end and found.start >= found.end:
        raise InvalidRequest("to", "to: must be after from")
    return found


def _values(key: str, text: str) -> tuple[str, ...]:
    """A value list: comma-separated, none empty, each of the key's vocabulary if it has one."""
    found = tuple(dict.fromkeys(text.split(",")))
    vocabulary = _VOCABULARY.get(key)
    for value in found:
        if not value or len(value) > MAX_VALUE:
            raise InvalidRequest(key, f"{key}: each value must be 1 to {MAX_VALUE} characters")
        if vocabulary is not None and value not in vocabulary.__members__.values():
            known = ", ".join(m.value for m in vocabulary)
            raise InvalidRequest(key, f"{key}: {value!r} is not one of {known}")
    return found


def conditions(wanted: DecisionFilter) -> list[ColumnElement[bool]]:
    """The filter as conditions on ``decisions`` (and its side tables, by ledger index)."""
    out: list[ColumnElement[bool]] = []
    if wanted.start is not None:
        out.append(decisions.c.at >= wanted.start)
    if wanted.end is not None:
        out.append(decisions.c.at < wanted.end)
    for key, column in _COLUMNS.items():
        value = getattr(wanted, key)
        if value is not None:
            out.append(decisions.c[column].in_(value))
    for key, (table, column) in _SIDE_KEYS.items():
        value = getattr(wanted, key)
        if value is not None:
            out.append(_side_has(table, column, value))
    if wanted.directive is not None or wanted.section is not None:
        c = decision_citations
        cited = [c.c.ledger_index == decisions.c.ledger_index]
        if wanted.directive is not None:
            cited.append(c.c.directive.in_(wanted.directive))
        if wanted.section is not None:
            cited.append(c.c.section.in_(wanted.section))
        out.append(exists(select(c.c.ledger_index).where(*cited)))
    if wanted.federal_charge is not None:
        out.append(decisions.c.federal_charge == wanted.federal_charge)
    if wanted.district is not None:
        e = encounters
        under = (e.c.id == decisions.c.encounter_id, e.c.unit == decisions.c.encounter_unit)
        out.append(exists(select(e.c.id).where(*under, e.c.district.in_(wanted.district))))
    if wanted.encounter_kind is not None:
        out.append(under_encounter_of_kind(wanted.encounter_kind))
    return out


def under_encounter_of_kind(kinds: tuple[str, ...]) -> ColumnElement[bool]:
    """The decision is filed under an encounter whose row is of one of ``kinds``."""
    e = encounters
    under = (e.c.id == decisions.c.encounter_id, e.c.unit == decisions.c.encounter_unit)
    return exists(select(e.c.id).where(*under, e.c.kind.in_(kinds)))


def _side_has(table: Table, column: str, values: tuple[str, ...]) -> ColumnElement[bool]:
    """The decision has a row in the side ``table`` whose ``column`` is one of ``values``."""
    mine = table.c.ledger_index == decisions.c.ledger_index
    return exists(select(table.c.ledger_index).where(mine, table.c[column].in_(values)))


def scope(who: Principal) -> ColumnElement[bool]:
    """``Principal.may_read`` as a condition on ``decisions``: auditors read everything,
    officers their own records, supervisors their own and their unit's; nobody else."""
    if who.role is KeyRole.AUDITOR:
        return true()
    if who.role is KeyRole.OFFICER:
        return decisions.c.actor_id == who.actor_id
    if who.role is KeyRole.SUPERVISOR:
        unit = decisions.c.unit == who.unit if who.unit is not None else false()
        return or_(decisions.c.actor_id == who.actor_id, unit)
    raise Forbidden(f"role {who.role.value} may not read records")


def where(wanted: DecisionFilter, who: Principal) -> ColumnElement[bool]:
    """The filter within what ``who`` may read."""
    return and_(scope(who), *conditions(wanted))
