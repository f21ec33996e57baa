"""Decisions (docs/api.md, "Routes" and "Ids"; request-schema.md): ``POST /v1/decisions``
decides one request or a batch, each recorded in the ledger before it is returned;
``GET /v1/decisions/{id}`` reads a recorded one back, and
``GET /v1/decisions/{id}/explanation`` explains it (issue 10, item 5)."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from liaison.api.bodies import json_body
from liaison.api.deps import RECORD_READERS, Services, Svc, Who
from liaison.api.errors import RECORD_READ, error_responses
from liaison.api.openapi import request_body_doc
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
from liaison.gateway.auth import Principal
from liaison.gateway.deciding import RecordedDecision
from liaison.model.request import ActionRequest, request_from_json
from liaison.settings import MAX_BATCH

router = APIRouter(tags=["decisions"])


@router.post(
    "/v1/decisions",
    # The batch limit documented is the default; create_app documents the deployment's.
    openapi_extra=request_body_doc(MAX_BATCH),
    responses={
        200: {"description": "The decision(s), recorded in the ledger"},
        **error_responses(
            Unauthenticated,
            Forbidden,  # deciding as an actor the key may not act for
            Conflict,  # the actor's id already used for a different request
            Ambiguous,  # an encounter id the actor's unit takes part in twice
            PayloadTooLarge,
            UnsupportedMediaType,
            InvalidRequest,
            Unavailable,  # no pack recorded, or it kept changing
            IntegrityFailure,  # the pack or a row differs from the ledger
            LedgerError,  # the ledger cannot append or serve
        ),
    },
)
async def post_decisions(request: Request, svc: Svc, who: Who) -> JSONResponse:
    """Decide one request (an object) or a batch (an array); every decision is recorded
    in the ledger before it is returned."""
    max_batch: int = request.app.state.max_batch
    body = await json_body(request)
    if isinstance(body, list):
        if not 1 <= len(body) <= max_batch:
            raise InvalidRequest(None, f"a batch holds 1 to {max_batch} requests")
        return JSONResponse({"results": await run_in_threadpool(_decide_batch, svc, body, who)})
    return JSONResponse(render_recorded(await _decide_one(svc, body, who)))


@router.get(
    "/v1/decisions/{decision_id}",
    responses=error_responses(*RECORD_READ),
)
def get_decision(
    decision_id: str,
    svc: Svc,
    who: Who,
    actor: Annotated[str | None, Query(min_length=1, max_length=256)] = None,
) -> dict[str, Any]:
    """A recorded decision and its request (without personal data). Officers read their
    own, supervisors their unit's, auditors all; others' decisions are not found. Ids
    are per actor: when the key may read several actors' decisions of the id, the
    answer is 409 `ambiguous`, naming them; `?actor=` chooses one."""
    who.require(*RECORD_READERS)
    return svc.gateway.decision(decision_id, who, actor)


@router.get(
    "/v1/decisions/{decision_id}/explanation",
    responses=error_responses(*RECORD_READ),
)
def get_explanation(
    decision_id: str,
    svc: Svc,
    who: Who,
    actor: Annotated[str | None, Query(min_length=1, max_length=256)] = None,
) -> dict[str, Any]:
    """A recorded decision explained as `liaison explain` explains one: what was asked
    (without personal data), the deciding sections with their text, each one's issuer and
    authority up to the statute or emergency power, what the other views decide for the
    same request, and a contested-reading `warning` when one decides otherwise. Who may
    read it, and `?actor=`, are as for `GET /v1/decisions/{id}`."""
    who.require(*RECORD_READERS)
    return svc.gateway.explanation(decision_id, who, actor)


async def _decide_one(svc: Services, raw: Any, who: Principal) -> RecordedDecision:
    request = request_from_json(raw)
    started = time.perf_counter()
    recorded = await svc.gateway.decide_and_record_async(request, who)
    _measure(svc, recorded, time.perf_counter() - started)
    return recorded


def _decide_batch(svc: Services, items: list[Any], who: Principal) -> list[dict[str, Any]]:
    """Each item's recorded decision, or why it was refused: each item stands alone (an
    invalid, forbidden or conflicting item does not undo the others). The valid items go
    to the ledger in order, as one stream, so group commit makes them few transactions."""
    parsed: list[ActionRequest | InvalidRequest] = []
    for item in items:
        try:
            parsed.append(request_from_json(item))
        except InvalidRequest as exc:
            parsed.append(exc)
    started = time.perf_counter()
    done = iter(
        svc.gateway.decide_and_record_many([p for p in parsed if isinstance(p, ActionRequest)], who)
    )
    elapsed = time.perf_counter() - started
    results: list[dict[str, Any]] = []
    for item, request in zip(items, parsed, strict=True):
        outcome = request if isinstance(request, InvalidRequest) else next(done)
        if isinstance(outcome, RecordedDecision):
            _measure(svc, outcome, elapsed)
            results.append(render_recorded(outcome))
            continue
        results.append({"id": _id_of(item), "error": outcome.to_dict()})
    return results


def _measure(svc: Services, recorded: RecordedDecision, seconds: float) -> None:
    """Count a decision made and recorded (a replay of a recorded one is not counted)."""
    if recorded.replayed:
        return
    svc.metrics.append_latency.observe(seconds)
    decision = recorded.decision
    for directive in [c.directive for c in decision.citations] or ["none"]:
        svc.metrics.decisions.labels(decision.decision.value, decision.basis.value, directive).inc()


def render_recorded(r: RecordedDecision) -> dict[str, Any]:
    """A recorded decision as the API answers it (alone, or as one item of a batch)."""
    return {
        "id": r.id,
        "decision": r.decision.to_dict(r.zone),
        "ledger_index": r.ledger_index,
        "replayed": r.replayed,
    }


def _id_of(item: Any) -> str | None:
    """The id of a batch item, to echo beside its error, when it is text (else None)."""
    ident = item.get("id") if isinstance(item, dict) else None
    if not isinstance(ident, str):
        return None
    try:
        ident.encode("utf-8")
    except UnicodeEncodeError:
        return None  # a lone surrogate: not text a response can carry
    return ident
