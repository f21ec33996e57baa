"""Directives (docs/api.md, "Routes"; docs/packs.md, "How "in force" is decided"):
``GET /v1/directives``, the pack's directives at an instant in a view, each with why it
counts or not. Every key may read them (public texts)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from liaison.api.deps import Svc, Who
from liaison.api.errors import error_responses
from liaison.errors import (
    IntegrityFailure,
    InvalidRequest,
    LedgerError,
    NotFound,
    Unauthenticated,
    Unavailable,
)
from liaison.model.timestamps import check_representable, now_utc, parse_instant
from liaison.reports.directives import status_dict

router = APIRouter(tags=["directives"])


@router.get(
    "/v1/directives",
    responses=error_responses(
        Unauthenticated, InvalidRequest, Unavailable, IntegrityFailure, LedgerError
    ),
)
def get_directives(
    svc: Svc, who: Who, at: str | None = None, view: str | None = None
) -> dict[str, Any]:
    """The directives of the pack at an instant in a view, each with why it counts or not,
    its issuer and the authority it relies on up to the statute or emergency power (as
    `liaison directives show`)."""
    engine = svc.gateway.current_policy()
    try:
        moment = parse_instant(at) if at is not None else now_utc()
    except ValueError as exc:
        raise InvalidRequest("at", f"at: {exc}") from None
    check_representable(moment, "at", engine.pack.timezone)
    try:
        name = engine.view_name(view)
    except NotFound as exc:
        raise InvalidRequest("view", f"view: {exc.message}") from None
    regime = engine.regime(moment, name)
    return {
        "at": engine.local(moment),
        "view": name,
        "in_force": list(regime.in_force),
        "policy_version": regime.version,
        "directives": [status_dict(engine.pack, s) for s in engine.statuses(moment, name)],
    }
