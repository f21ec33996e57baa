"""The Cedar request liaison builds from an action request (docs/packs.md, "The Cedar context").

``context_key`` reduces a request to exactly what policies can read, as a
hashable value; ``context_from_key`` expands that value into the Cedar
context. The decision cache keys on the first and the evaluator uses the
second, so a cached decision can only ever be reused for a request whose
Cedar input is identical.
"""

from __future__ import annotations

from typing import Any

from liaison.model.request import ActionRequest

PRINCIPAL = {"type": "Liaison::Actor", "id": "actor"}
RESOURCE = {"type": "Liaison::Subject", "id": "subject"}

ContextKey = tuple[tuple[str, Any], ...]


def context_key(request: ActionRequest) -> ContextKey:
    """Everything a policy can read about ``request``, as nested tuples of (name, value)."""
    actor = request.actor
    items: list[tuple[str, Any]] = [
        (
            "actor",
            (("agency", actor.agency), ("role", actor.role.value))
            + ((("unit", actor.unit),) if actor.unit is not None else ()),
        ),
        ("purposes", tuple(p.value for p in request.purposes or ())),
        ("data_classes", tuple(c.value for c in request.data_classes or ())),
        ("initiative", request.initiative.value),
        ("legal_process", request.legal_process.value),
        ("has_case_number", request.case_number is not None),
    ]
    if request.subject is not None:
        s = request.subject
        items.append(
            (
                "subject",
                (
                    ("custody", s.custody.value),
                    ("federal_criminal_charge", s.federal_criminal_charge),
                ),
            )
        )
    if request.recipient is not None:
        r = request.recipient
        items.append(("recipient", (("agency", r.agency), ("type", r.type.value))))
    if request.database is not None:
        items.append(("database", request.database.value))
    if request.arrest_basis is not None:
        items.append(("arrest_basis", request.arrest_basis.value))
    if request.transport is not None:
        items.append(("transport", (("passengers", request.transport.passengers.value),)))
    if request.access is not None:
        a = request.access
        items.append(
            (
                "access",
                (
                    ("kind", a.kind.value),
                    ("detainee_requested", a.detainee_requested),
                    ("counsel", a.counsel.value),
                ),
            )
        )
    if request.operation is not None:
        op = request.operation
        partners = tuple(sorted({(p.agency, p.type.value) for p in op.partners}))
        items.append(("operation", (("kind", op.kind.value), ("partners", partners))))
    if request.encounter is not None:
        items.append(("encounter", (("kind", request.encounter.kind.value),)))
    return tuple(items)


def context_from_key(key: ContextKey) -> dict[str, Any]:
    """The Cedar context record for a key made by ``context_key``."""
    context: dict[str, Any] = {}
    for name, value in key:
        if name in ("purposes", "data_classes"):
            context[name] = list(value)
        elif name == "operation":
            kind, partners = dict(value)["kind"], dict(value)["partners"]
            context[name] = {
                "kind": kind,
                "partners": [{"agency": a, "type": t} for a, t in partners],
                "partner_types": sorted({t for _, t in partners}),
            }
        elif isinstance(value, tuple):
            context[name] = dict(value)
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
