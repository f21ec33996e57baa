"""The liaison HTTP API (FastAPI), under /v1.

Every route but /healthz and /metrics needs an API key (``Authorization: Bearer
lsn_...``). Bodies of POST routes are ``application/json`` (else 415), bounded in size
(``LIAISON_MAX_BODY_BYTES``, else 413), read raw and validated as ``liaison decide``
validates a line (``liaison.model.json_input``, then liaison's own strict models), so a
bad request gets one error shape naming the field, and is never decided.
"""

from __future__ import annotations

import contextlib
import gc
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import FastAPI, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from liaison import __version__
from liaison.api.bodies import in_thread, json_body
from liaison.api.deps import Services, Svc, Who, build_services
from liaison.api.errors import error_body, error_responses, install
from liaison.api.pack_routes import pack_routes
from liaison.api.requestlog import RequestLog
from liaison.errors import InvalidRequest, LiaisonError, NotFound
from liaison.gateway.auth import Principal, Role
from liaison.gateway.deciding import RecordedDecision
from liaison.gateway.events import Event
from liaison.ledger.proofs import b64
from liaison.logs import configure as configure_logs
from liaison.model.json_input import validate_object
from liaison.model.jsonschema import request_json_schema
from liaison.model.request import ActionRequest, request_from_json
from liaison.model.timestamps import check_representable, now_utc, parse_instant
from liaison.model.vocabulary import Action
from liaison.reports.directives import status_dict
from liaison.settings import MAX_BATCH, Settings

MAX_INDEX = 2**63 - 1  # ledger indexes and sizes are 64-bit integers in the database


def _request_body_doc(max_batch: int) -> dict[str, Any]:
    schema = request_json_schema()
    one = _branches_by_action(
        {k: v for k, v in schema.items() if k not in ("$schema", "$id", "$defs")}
    )
    defs = {**schema.get("$defs", {}), "ActionRequest": one}
    ref = {"$ref": "#/$defs/ActionRequest"}
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            ref,
                            {"type": "array", "items": ref, "minItems": 1, "maxItems": max_batch},
                        ],
                        "$defs": defs,
                    }
                }
            },
        }
    }


def _branches_by_action(schema: dict[str, Any]) -> dict[str, Any]:
    """The fields each action requires as one ``anyOf`` branch per action.

    The request schema states them as an ``allOf`` of ``if action = A then required``;
    since ``action`` is required and one of the actions, that means the same as an
    ``anyOf`` of ``action = A and required``, which generators of test data (schemathesis)
    can work with: nine branches rather than the 2^9 combinations of nine conditionals.
    """
    clauses = schema.get("allOf", [])
    conditional = [c for c in clauses if _action_condition(c) is not None]
    if not conditional:
        return schema
    out = {k: v for k, v in schema.items() if k != "allOf"}
    rest = [c for c in clauses if _action_condition(c) is None]
    if rest:
        out["allOf"] = rest
    branches: list[dict[str, Any]] = []
    covered: list[str] = []
    for clause in conditional:
        action = _action_condition(clause)
        assert action is not None
        covered.append(action)
        then = clause["then"]
        branches.append(
            {
                "properties": {"action": {"const": action}, **then.get("properties", {})},
                "required": ["action", *then.get("required", [])],
            }
        )
    uncovered = [a.value for a in Action if a.value not in covered]
    if uncovered:
        branches.append({"properties": {"action": {"enum": uncovered}}, "required": ["action"]})
    out["anyOf"] = branches
    return out


def _action_condition(clause: Any) -> str | None:
    """The action of an ``if action = A then {properties, required}`` clause, else None."""
    if not isinstance(clause, dict) or set(clause) != {"if", "then"}:
        return None
    then = clause["then"]
    if not isinstance(then, dict) or not set(then) <= {"properties", "required"}:
        return None
    condition = clause["if"]
    const = condition.get("properties", {}).get("action", {}).get("const")
    if set(condition) != {"properties", "required"} or set(condition["properties"]) != {"action"}:
        return None
    return const if isinstance(const, str) else None


def _event_body_doc() -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": Event.model_json_schema()}},
        }
    }


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if services is None:
            configured = settings or Settings()
            configure_logs(configured.log_format, configured.log_level)
            app.state.services = build_services(configured)
            # What start-up built (the pack, its compiled policies) lives as long as the
            # process: kept out of the collector's full passes, which would walk it each time.
            gc.collect()
            gc.freeze()
        stop = threading.Event()
        built: Services = app.state.services
        interval = (settings or built.settings or Settings()).checkpoint_interval
        ticker = threading.Thread(
            target=_checkpoints, args=(app.state.services, interval, stop), daemon=True
        )
        if interval > 0:
            ticker.start()
        yield
        stop.set()
        app.state.services.gateway.close()

    app = FastAPI(
        title="liaison",
        version=__version__,
        lifespan=lifespan,
        description="Decide, record and oversee actions that touch immigration "
        "enforcement, against the directives in force.",
    )
    if services is not None:
        app.state.services = services
    config = settings or (services.settings if services else None) or Settings()
    app.state.max_body_bytes = config.max_body_bytes
    install(app)
    app.add_middleware(RequestLog, every=config.access_log)
    _routes(app, config.max_batch)
    pack_routes(app)
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        fresh = app.openapi_schema is None
        document = generate()
        if fresh:
            _hoist_defs(document)
        return document

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _hoist_defs(document: dict[str, Any]) -> None:
    """Move the ``$defs`` of embedded JSON Schemas into ``components/schemas``.

    The request and event schemas come from liaison's own models with local references
    (``#/$defs/Actor``), which inside an OpenAPI document would resolve against the
    document root; there they must name ``#/components/schemas/Actor``.
    """
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            for name, schema in node.pop("$defs", {}).items():
                if name in schemas and schemas[name] != schema:
                    raise ValueError(f"two different schemas named {name!r} in the API")
                schemas[name] = schema
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    def rewrite(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                node["$ref"] = "#/components/schemas/" + ref.removeprefix("#/$defs/")
            for value in node.values():
                rewrite(value)
        elif isinstance(node, list):
            for value in node:
                rewrite(value)

    collect(document.get("paths", {}))
    collect(schemas)
    rewrite(document)


def _checkpoints(services: Services, interval: float, stop: threading.Event) -> None:
    """Sign a checkpoint on a schedule while the tree grows (when a key is present)."""
    ledger = services.gateway.ledger
    while not stop.wait(interval):
        if ledger.signer is None:
            return
        try:
            latest = ledger.latest_checkpoint()
            size, _ = ledger.head()
            if latest is None or latest.size < size:
                ledger.checkpoint()
        except LiaisonError:
            continue


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
            results.append(_recorded(outcome))
            continue
        results.append(
            {
                "id": _id_of(item),
                **error_body(outcome.code, outcome.message, getattr(outcome, "field", None)),
            }
        )
    return results


def _measure(svc: Services, recorded: RecordedDecision, seconds: float) -> None:
    """Count a decision made and recorded (a replay of a recorded one is not counted)."""
    if recorded.replayed:
        return
    svc.metrics.append_latency.observe(seconds)
    decision = recorded.decision
    for directive in [c.directive for c in decision.citations] or ["none"]:
        svc.metrics.decisions.labels(decision.decision.value, decision.basis.value, directive).inc()


# Who may read records (decisions, encounters), each within what ``Principal.may_read``
# allows: not admins (keys, packs) nor the public (published material only: the signed
# checkpoint and the directives, which every key may read).
RECORD_READERS = (Role.OFFICER, Role.SUPERVISOR, Role.AUDITOR)


def _recorded(r: RecordedDecision) -> dict[str, Any]:
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


def _routes(app: FastAPI, max_batch: int) -> None:
    @app.get("/healthz", tags=["service"])
    def healthz(svc: Svc) -> JSONResponse:
        """Readiness: 200 while the service decides; 503 with the reason when it refuses to
        (the pack in the database disagrees with the ledger, or none is recorded)."""
        gateway = svc.gateway
        size, _ = gateway.ledger.head()
        with contextlib.suppress(LiaisonError):  # the fault says why
            gateway.current_policy()  # sees another process's pack change, checked
        fault = gateway.fault()
        body: dict[str, Any] = {
            "status": "ok" if fault is None else "unhealthy",
            "version": __version__,
            "ledger_size": size,
            "pack": gateway.policy.pack.id if fault is None else None,
        }
        if fault is not None:
            body["reason"] = fault
        return JSONResponse(body, status_code=200 if fault is None else 503)

    @app.get("/livez", tags=["service"])
    def livez() -> dict[str, str]:
        """Liveness: the process answers (no database access; the load benchmark's baseline)."""
        return {"status": "ok"}

    @app.get("/metrics", tags=["service"], response_class=Response)
    def metrics(svc: Svc) -> Response:
        svc.metrics.ledger_size.set(svc.gateway.ledger.head()[0])
        svc.metrics.pack_version.set(svc.gateway.packs.seq())
        return Response(generate_latest(svc.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.post(
        "/v1/decisions",
        tags=["decisions"],
        openapi_extra=_request_body_doc(max_batch),
        responses={
            200: {"description": "The decision(s), recorded in the ledger"},
            **error_responses(401, 403, 409, 413, 415, 422, 503),
        },
    )
    async def post_decisions(request: Request, svc: Svc, who: Who) -> JSONResponse:
        """Decide one request (an object) or a batch (an array); every decision is recorded
        in the ledger before it is returned."""
        body = await json_body(request)
        if isinstance(body, list):
            if not 1 <= len(body) <= max_batch:
                raise InvalidRequest(None, f"a batch holds 1 to {max_batch} requests")
            return JSONResponse({"results": await in_thread(_decide_batch, svc, body, who)})
        return JSONResponse(_recorded(await _decide_one(svc, body, who)))

    @app.post(
        "/v1/events",
        tags=["events"],
        openapi_extra=_event_body_doc(),
        responses={
            200: {"description": "The event, recorded in the ledger"},
            **error_responses(401, 403, 409, 413, 415, 422),
        },
    )
    async def post_events(request: Request, svc: Svc, who: Who) -> dict[str, Any]:
        """Record what was done; an action with no prior permitting decision is flagged."""
        event = validate_object(Event, await json_body(request), "an event")
        done = await in_thread(svc.gateway.record, event, who)
        svc.metrics.events.labels(event.kind.value, done.flagged or "").inc()
        return {"id": done.id, "ledger_index": done.ledger_index, "flagged": done.flagged}

    @app.get(
        "/v1/decisions/{decision_id}",
        tags=["decisions"],
        responses=error_responses(401, 403, 404, 422, ambiguous=True),
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

    @app.get(
        "/v1/encounters/{encounter_id}",
        tags=["encounters"],
        responses=error_responses(401, 403, 404, 422, ambiguous=True),
    )
    def get_encounter(
        encounter_id: str,
        svc: Svc,
        who: Who,
        unit: Annotated[str | None, Query(min_length=1, max_length=256)] = None,
    ) -> dict[str, Any]:
        """An encounter (declared purpose, place, agencies, its unit and participants) beside
        what its records show. Ids are per unit: when the key may read several units'
        encounters of the id, the answer is 409 `ambiguous`, naming them; `?unit=` chooses."""
        who.require(*RECORD_READERS)
        return svc.gateway.encounter(encounter_id, who, unit)

    @app.get("/v1/ledger/checkpoint", tags=["ledger"], responses=error_responses(401, 404, 409))
    def get_checkpoint(svc: Svc, who: Who) -> dict[str, Any]:
        """The latest signed checkpoint (C2SP tlog-checkpoint), made now if the tree grew."""
        ledger = svc.gateway.ledger
        size, _ = ledger.head()
        latest = ledger.latest_checkpoint()
        if (latest is None or latest.size < size) and ledger.signer is not None:
            latest = ledger.checkpoint()
        if latest is None:
            raise NotFound("no checkpoint yet (the deployment has no signing key)")
        return {"size": latest.size, "root": b64(latest.root), "note": latest.note}

    @app.get(
        "/v1/ledger/entries/{index}",
        tags=["ledger"],
        responses=error_responses(401, 403, 404, 422),
    )
    def get_entry(
        index: Annotated[int, Path(ge=0, le=MAX_INDEX)], svc: Svc, who: Who
    ) -> dict[str, Any]:
        """A ledger entry with its personal data (auditors only)."""
        who.require(Role.AUDITOR)
        entry = svc.gateway.ledger.entry(index)
        return {
            "index": entry.index,
            "leaf_hash": b64(entry.leaf_hash),
            "entry": entry.document(),
            "personal": entry.personal,
            "erased": entry.erased,
        }

    @app.get(
        "/v1/ledger/proofs/inclusion",
        tags=["ledger"],
        responses=error_responses(401, 403, 404, 422),
    )
    def get_inclusion(
        svc: Svc,
        who: Who,
        index: Annotated[int, Query(ge=0, le=MAX_INDEX)],
        size: Annotated[int | None, Query(ge=1, le=MAX_INDEX)] = None,
    ) -> dict[str, Any]:
        """Inclusion proof of entry ``index`` in the tree of ``size`` (default: current)."""
        who.require(Role.AUDITOR)
        return svc.gateway.ledger.inclusion_proof(index, size).to_json()

    @app.get(
        "/v1/ledger/proofs/consistency",
        tags=["ledger"],
        responses=error_responses(401, 403, 404, 422),
    )
    def get_consistency(
        svc: Svc,
        who: Who,
        old: Annotated[int, Query(ge=1, le=MAX_INDEX)],
        new: Annotated[int | None, Query(ge=1, le=MAX_INDEX)] = None,
    ) -> dict[str, Any]:
        """Consistency proof from the tree of size ``old`` to ``new`` (default: current)."""
        who.require(Role.AUDITOR)
        return svc.gateway.ledger.consistency_proof(old, new).to_json()

    @app.get("/v1/directives", tags=["directives"], responses=error_responses(401, 422))
    def get_directives(
        svc: Svc, who: Who, at: str | None = None, view: str | None = None
    ) -> dict[str, Any]:
        """The directives of the pack at an instant in a view, each with why it counts or not."""
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
        zone = engine.pack.timezone
        return {
            "at": engine.local(moment),
            "view": name,
            "in_force": list(regime.in_force),
            "policy_version": regime.version,
            "directives": [status_dict(s, zone) for s in engine.statuses(moment, name)],
        }


__all__ = ["MAX_BATCH", "Services", "build_services", "create_app"]
