"""The filter of a query over the records (issue 10, item 1; docs/api.md, "Querying the
records"): read from ``key=value`` strings (query parameters, ``--where``), each value
checked against its vocabulary (docs/request-schema.md), and turned into SQLAlchemy Core
conditions over the index's real columns (``liaison.storage.tables``).

What each kind of record may be filtered on is a ``Filters``: its table, the column its
time range is on, a condition per key, the vocabularies. ``DECISION_FILTERS`` is the
decisions'; events and encounters have theirs beside their listings
(``liaison.reports.query_events``, ``query_encounters``). A bad key or value is an
``InvalidRequest`` naming it (422; the CLI exits 2). What a reader may see is
``Principal.may_read`` written as a condition (``record_scope``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from enum import StrEnum

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

MAX_VALUE = 256  # each value, as a request's names (``model.request.Name``)
MAX_TEXT = 1024  # a key's whole text (its values, comma-separated)
ANY, NONE = "any", "none"  # a ``flag`` filter's values beside the flags themselves

Values = tuple[str, ...]
# A key's condition: from its values and the whole filter (keys that hold together).
Condition = Callable[[Values, "Filter"], ColumnElement[bool]]


@dataclass(frozen=True, slots=True)
class Filter:
    """What a query asks for: ``start``/``end``: the time in [start, end); ``values``: each
    key named, one of its values."""

    start: datetime | None = None
    end: datetime | None = None
    values: tuple[tuple[str, Values], ...] = ()

    def get(self, key: str) -> Values | None:
        """The values asked for ``key``, or None (any)."""
        return dict(self.values).get(key)


@dataclass(frozen=True, slots=True)
class Filters:
    """What one kind of record (``name``, in ``table``) may be filtered on: ``from``/``to``
    on the ``time`` column, and a condition per key (``keys``), values checked against
    ``vocabulary`` where the key has one; ``scope``: what a reader may read, as a
    condition."""

    name: str
    table: Table
    time: str
    keys: Mapping[str, Condition]
    vocabulary: Mapping[str, Collection[str]]
    scope: Callable[[Principal], ColumnElement[bool]]

    @property
    def filter_keys(self) -> tuple[str, ...]:
        """The keys a filter is written with: ``from`` and ``to`` for the time range."""
        return ("from", "to", *self.keys)


def parse_filter(spec: Filters, given: Mapping[str, str]) -> Filter:
    """The filter ``given`` (key → value) asks for; ``InvalidRequest`` naming a bad key.
    A value but ``from``'s and ``to``'s may list several, comma-separated: any of them."""
    start = end = None
    values: list[tuple[str, Values]] = []
    for key, value in given.items():
        if key not in spec.filter_keys:
            known = ", ".join(spec.filter_keys)
            raise InvalidRequest(key, f"{key}: not a filter of {spec.name} (one of {known})")
        if not value or len(value) > MAX_TEXT or "\x00" in value:
            raise InvalidRequest(key, f"{key}: must be 1 to {MAX_TEXT} characters, no NUL")
        if key in ("from", "to"):
            try:
                moment = parse_instant(value)
            except ValueError as exc:
                raise InvalidRequest(key, f"{key}: {exc}") from None
            start, end = (moment, end) if key == "from" else (start, moment)
            continue
        values.append((key, _values(key, value, spec.vocabulary.get(key))))
    if start and end and start >= end:
        raise InvalidRequest("to", "to: must be after from")
    return Filter(start, end, tuple(values))


def _values(key: str, text: str, vocabulary: Collection[str] | None) -> Values:
    """A value list: comma-separated, none empty, each of the key's vocabulary if it has one."""
    found = tuple(dict.fromkeys(text.split(",")))
    for value in found:
        if not value or len(value) > MAX_VALUE:
            raise InvalidRequest(key, f"{key}: each value must be 1 to {MAX_VALUE} characters")
        if vocabulary is not None and value not in vocabulary:
            raise InvalidRequest(key, f"{key}: {value!r} is not one of {', '.join(vocabulary)}")
    return found


def where(spec: Filters, wanted: Filter, who: Principal) -> ColumnElement[bool]:
    """The filter as a condition on ``spec.table``, within what ``who`` may read."""
    time = spec.table.c[spec.time]
    out = [spec.scope(who)]
    if wanted.start is not None:
        out.append(time >= wanted.start)
    if wanted.end is not None:
        out.append(time < wanted.end)
    out.extend(spec.keys[key](values, wanted) for key, values in wanted.values)
    return and_(*out)


def equals(table: Table, column: str) -> Condition:
    """The condition that ``table``'s ``column`` is one of the values."""
    return lambda values, _: table.c[column].in_(values)


def flag_condition(flagged: ColumnElement[bool], one_of: Condition) -> Condition:
    """A ``flag`` filter: ``any`` (``flagged``), ``none`` (not), or one of the flags named
    (``one_of``); several: any of them."""

    def condition(values: Values, wanted: Filter) -> ColumnElement[bool]:
        named = tuple(v for v in values if v not in (ANY, NONE))
        parts = [flagged] if ANY in values else []
        parts += [~flagged] if NONE in values else []
        parts += [one_of(named, wanted)] if named else []
        return or_(*parts)

    return condition


def vocabulary(kind: type[StrEnum]) -> tuple[str, ...]:
    return tuple(m.value for m in kind)


def record_scope(table: Table) -> Callable[[Principal], ColumnElement[bool]]:
    """``Principal.may_read`` as a condition on a table of records (``actor_id``, ``unit``):
    auditors read everything, officers their own records, supervisors their own and their
    unit's; nobody else (``Forbidden``)."""

    def scope(who: Principal) -> ColumnElement[bool]:
        if who.role is KeyRole.AUDITOR:
            return true()
        if who.role is KeyRole.OFFICER:
            return table.c.actor_id == who.actor_id
        if who.role is KeyRole.SUPERVISOR:
            unit = table.c.unit == who.unit if who.unit is not None else false()
            return or_(table.c.actor_id == who.actor_id, unit)
        raise Forbidden(f"role {who.role.value} may not read records")

    return scope


def under_encounter(table: Table, column: str) -> Condition:
    """Under an encounter (``encounter_id`` of ``encounter_unit``) whose ``column``
    (``district``, ``kind``) is one of the values."""
    e = encounters

    def condition(values: Values, _: Filter) -> ColumnElement[bool]:
        under = (e.c.id == table.c.encounter_id, e.c.unit == table.c.encounter_unit)
        return exists(select(e.c.id).where(*under, e.c[column].in_(values)))

    return condition


def under_encounter_of_kind(kinds: tuple[str, ...]) -> ColumnElement[bool]:
    """The decision is filed under an encounter whose row is of one of ``kinds``."""
    return under_encounter(decisions, "kind")(kinds, Filter())


def _side_has(table: Table, column: str) -> Condition:
    """The decision has a row in the side ``table`` whose ``column`` is one of the values."""

    def condition(values: Values, _: Filter) -> ColumnElement[bool]:
        mine = table.c.ledger_index == decisions.c.ledger_index
        return exists(select(table.c.ledger_index).where(mine, table.c[column].in_(values)))

    return condition


def _federal_charge(values: Values, _: Filter) -> ColumnElement[bool]:
    return decisions.c.federal_charge.in_([v == "true" for v in values])


def _cites(values: Values, wanted: Filter) -> ColumnElement[bool]:
    """Citing one of the directives (``directive``) and of the sections (``section``) in
    one citation: ``directive=EO-25-005&section=E3`` is EO-25-005's E3."""
    c = decision_citations
    cited = [c.c.ledger_index == decisions.c.ledger_index]
    for key in ("directive", "section"):
        named = wanted.get(key)
        if named is not None:
            cited.append(c.c[key].in_(named))
    return exists(select(c.c.ledger_index).where(*cited))


def _cites_section(values: Values, wanted: Filter) -> ColumnElement[bool]:
    return true() if wanted.get("directive") is not None else _cites(values, wanted)


# The decisions' filters: a key each, in the order they are documented.
_DECISION_KEYS: dict[str, Condition] = {
    **{k: equals(decisions, k) for k in ("action", "decision", "basis", "view")},
    "directive": _cites,
    "section": _cites_section,
    **{
        k: equals(decisions, k)
        for k in ("recipient_type", "recipient_agency", "database", "custody")
    },
    "purpose": _side_has(decision_purposes, "purpose"),
    "unit": equals(decisions, "unit"),
    "actor": equals(decisions, "actor_id"),
    "district": under_encounter(decisions, "district"),
    "encounter": equals(decisions, "encounter_id"),
    "encounter_kind": under_encounter(decisions, "kind"),
    **{k: equals(decisions, k) for k in ("initiative", "legal_process")},
    "federal_charge": _federal_charge,
    **{k: equals(decisions, k) for k in ("arrest_basis", "passengers", "operation_kind")},
    "data_class": _side_has(decision_data_classes, "data_class"),
}
DECISION_FILTERS = Filters(
    "decisions",
    decisions,
    "at",
    _DECISION_KEYS,
    {
        "action": vocabulary(Action),
        "decision": vocabulary(Outcome),
        "basis": vocabulary(Basis),
        "recipient_type": vocabulary(RecipientType),
        "database": vocabulary(Database),
        "custody": vocabulary(Custody),
        "purpose": vocabulary(Purpose),
        "initiative": vocabulary(Initiative),
        "legal_process": vocabulary(LegalProcess),
        "federal_charge": ("true", "false"),
        "arrest_basis": vocabulary(ArrestBasis),
        "passengers": vocabulary(Passengers),
        "operation_kind": vocabulary(OperationKind),
        "data_class": vocabulary(DataClass),
        "encounter_kind": vocabulary(EncounterKind),
    },
    record_scope(decisions),
)


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def date_as_instant(key: str, text: str, zone: tzinfo) -> str:
    """``from``/``to`` as a person writes them on a page: a date alone (``2025-08-01``) is
    the midnight that starts that day in ``zone``; anything else is passed on as given (an
    RFC 3339 instant, checked where it is parsed). ``InvalidRequest`` naming ``key`` for a
    date that does not exist."""
    if not _DATE.fullmatch(text):
        return text
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(key, f"{key}: {text!r} is not a date (YYYY-MM-DD)") from None
    return datetime(day.year, day.month, day.day, tzinfo=zone).isoformat()
