"""The Cedar request liaison builds from an action request (docs/packs.md, "The Cedar context").

``context_key`` reduces a request to what policies can read, as a hashable
value: by default every context attribute, or only the attributes a policy
slice reads. ``context_from_key`` expands that value into the Cedar context.
The decision cache keys on the first and the evaluator is given the second,
so a cached decision is only ever reused for a request whose Cedar input is
identical.

Enum members are used as they are (they are ``str``); JSON renders them as
their values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from liaison.model.request import ActionRequest
from liaison.policy.reads import Reads

PRINCIPAL = {"type": "Liaison::Actor", "id": "actor"}
RESOURCE = {"type": "Liaison::Subject", "id": "subject"}

ContextKey = tuple[tuple[str, Any], ...]
_ABSENT = object()


def _actor(r: ActionRequest) -> Any:
    a = r.actor
    base = (("agency", a.agency), ("role", a.role))
    return base if a.unit is None else (*base, ("unit", a.unit))


def _subject(r: ActionRequest) -> Any:
    s = r.subject
    if s is None:
        return _ABSENT
    return (
        ("custody", s.custody),
        ("federal_criminal_charge", s.federal_criminal_charge),
        ("qualifying_conviction", s.qualifying_conviction),
    )


def _recipient(r: ActionRequest) -> Any:
    """``jurisdiction`` only when known: absent stays absent (policies test ``has``)."""
    p = r.recipient
    if p is None:
        return _ABSENT
    base = (("agency", p.agency), ("type", p.type), ("declaration_on_file", p.declaration_on_file))
    return base if p.jurisdiction is None else (*base, ("jurisdiction", p.jurisdiction))


def _transport(r: ActionRequest) -> Any:
    t = r.transport
    return _ABSENT if t is None else (("passengers", t.passengers),)


def _access(r: ActionRequest) -> Any:
    a = r.access
    if a is None:
        return _ABSENT
    return (("kind", a.kind), ("detainee_requested", a.detainee_requested), ("counsel", a.counsel))


def _operation(r: ActionRequest) -> Any:
    op = r.operation
    if op is None:
        return _ABSENT
    partners = tuple(sorted({(p.agency, str(p.type)) for p in op.partners}))
    types = tuple(sorted({t for _, t in partners}))
    return (("kind", op.kind), ("partners", partners), ("partner_types", types))


def _encounter(r: ActionRequest) -> Any:
    e = r.encounter
    return _ABSENT if e is None else (("kind", e.kind),)


def _optional(name: str) -> Callable[[ActionRequest], Any]:
    def read(r: ActionRequest) -> Any:
        value = getattr(r, name)
        return _ABSENT if value is None else value

    return read


# Every attribute of the Cedar context, in a fixed order, with how to read it.
ATTRIBUTES: dict[str, Callable[[ActionRequest], Any]] = {
    "actor": _actor,
    "purposes": lambda r: r.purposes or (),
    "data_classes": lambda r: r.data_classes or (),
    "initiative": lambda r: r.initiative,
    "legal_process": lambda r: r.legal_process,
    "has_case_number": lambda r: r.case_number is not None,
    "subject": _subject,
    "recipient": _recipient,
    "database": _optional("database"),
    "arrest_basis": _optional("arrest_basis"),
    "transport": _transport,
    "access": _access,
    "operation": _operation,
    "encounter": _encounter,
}
# Attributes whose value is a record (a tuple of (field, value) pairs in a key).
RECORDS = frozenset(
    {"actor", "subject", "recipient", "transport", "access", "operation", "encounter"}
)


Reader = tuple[str, Callable[[ActionRequest], Any]]


def _only(
    read: Callable[[ActionRequest], Any], fields: frozenset[str]
) -> Callable[[ActionRequest], Any]:
    """A reader of a record attribute that keeps only ``fields`` (empty: presence only)."""

    def pick(r: ActionRequest) -> Any:
        value = read(r)
        if value is _ABSENT:
            return value
        return tuple(pair for pair in value if pair[0] in fields)

    return pick


def readers(reads: Reads | None) -> tuple[Reader, ...]:
    """The (name, reader) pairs for what ``reads`` names (None: everything), in fixed order."""
    if reads is None:
        return tuple(ATTRIBUTES.items())
    out: list[Reader] = []
    for name, read in ATTRIBUTES.items():
        if name not in reads:
            continue
        fields = reads[name]
        out.append((name, read if fields is None or name not in RECORDS else _only(read, fields)))
    return tuple(out)


ALL_READERS = readers(None)


def context_key(
    request: ActionRequest,
    attributes: tuple[Reader, ...] = ALL_READERS,
) -> ContextKey:
    """What policies reading ``attributes`` can see of ``request``, as nested tuples."""
    items = []
    for name, read in attributes:
        value = read(request)
        if value is not _ABSENT:
            items.append((name, value))
    return tuple(items)


def _field(name: str, value: Any) -> Any:
    if name == "partners":
        return [{"agency": agency, "type": kind} for agency, kind in value]
    if name == "partner_types":
        return list(value)
    return value


def context_from_key(key: ContextKey) -> dict[str, Any]:
    """The Cedar context record for a key made by ``context_key``."""
    context: dict[str, Any] = {}
    for name, value in key:
        if name in RECORDS:
            context[name] = {field: _field(field, v) for field, v in value}
        elif isinstance(value, tuple):
            context[name] = list(value)  # purposes, data_classes: sets
        else:
            context[name] = value
    return context


def cedar_request(action: str, key: ContextKey) -> dict[str, Any]:
    """The request handed to ``cedarpy.is_authorized``."""
    return {
        "principal": PRINCIPAL,
        "action": {"type": "Liaison::Action", "id": action},
        "resource": RESOURCE,
        "context": context_from_key(key),
    }
