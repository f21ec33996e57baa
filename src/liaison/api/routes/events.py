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
from liaison.gateway.events import Event
from liaison.model.json_input import validate_object

router = APIRouter(tags=["events"])


@router.post(
    "/v1/events",
    openapi_extra=json_body_doc(Event.model_json_schema()),
    responses={
        200: {"description": "The event, recorded in the ledger"},
        **error_responses(401, 403, 409, 413, 415, 422, 503),
    },
)
async def post_events(request: Request, svc: Svc, who: Who) -> dict[str, Any]:
    """Record what was done; an action with no prior permitting decision is flagged."""
    event = validate_object(Event, await json_body(request), "an event")
    done = await run_in_threadpool(svc.gateway.record, event, who)
    svc.metrics.events.labels(event.kind.value, done.flagged or "").inc()
    return {"id": done.id, "ledger_index": done.ledger_index, "flagged": done.flagged}
