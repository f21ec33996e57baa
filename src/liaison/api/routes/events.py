"""Events (docs/api.md, "Events and flags"): ``POST /v1/events`` records what was done;
an action with no prior permitting decision is flagged."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from liaison.api.bodies import json_body
from liaison.api.deps import Svc, Who
from liaison.api.errors import error_responses
from liaison.api.openapi import json_body_doc
from liaison.errors import (
    Ambiguous,
    Conflict,
    Forbidden,
    IntegrityFailure,
    InvalidRequest,
    LedgerError,
    PayloadTooLarge,
    Unauthenticated,
    Unavailable,
    UnsupportedMediaType,
)
from liaison.gateway.events import Event
from liaison.model.json_input import validate_object

router = APIRouter(tags=["events"])


@router.post(
    "/v1/events",
    openapi_extra=json_body_doc(Event.model_json_schema()),
    responses={
        200: {"description": "The event, recorded in the ledger"},
        **error_responses(
            Unauthenticated,
            Forbidden,  # recording as another actor; naming another unit's participants
            Conflict,  # the actor's event id already recorded
            Ambiguous,  # an encounter id the actor's unit takes part in twice
            PayloadTooLarge,
            UnsupportedMediaType,
            InvalidRequest,
            Unavailable,  # no pack recorded (its time zone reads `at`)
            IntegrityFailure,  # the pack or a cited decision's row differs from the ledger
            LedgerError,
        ),
    },
)
async def post_events(request: Request, svc: Svc, who: Who) -> dict[str, Any]:
    """Record what was done; an action with no prior permitting decision is flagged."""
    event = validate_object(Event, await json_body(request), "an event")
    done = await run_in_threadpool(svc.gateway.record, event, who)
    svc.metrics.events.labels(event.kind.value, done.flagged or "").inc()
    return {"id": done.id, "ledger_index": done.ledger_index, "flagged": done.flagged}
