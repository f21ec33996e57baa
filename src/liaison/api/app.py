"""The liaison HTTP API (FastAPI), under /v1.

Every route but /healthz and /metrics needs an API key (``Authorization: Bearer
lsn_...``). Bodies of POST routes are read raw and validated by liaison's own strict
models (the same as ``liaison decide``), so a bad request gets one error shape
naming the field, and is never decided.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from liaison import __version__
from liaison.api.errors import error_body, install
from liaison.api.metrics import Metrics
from liaison.errors import InvalidRequest, LiaisonError, NotFound
from liaison.gateway.auth import KeyStore, Principal, Role
from liaison.gateway.events import Event
from liaison.gateway.service import Gateway, RecordedDecision
from liaison.ledger.keys import load_signer
from liaison.ledger.store import Ledger
from liaison.model.jsonschema import request_json_schema
from liaison.model.request import _from_validation_error, parse_request
from liaison.model.timestamps import now_utc, parse_instant
from liaison.policy import Engine, load_pack, shipped_pack_path
from liaison.reports.directives import status_dict
from liaison.settings import Settings
from liaison.storage.database import open_engine

MAX_BATCH = 1000


@dataclass
class Services:
    gateway: Gateway
    keys: KeyStore
    metrics: Metrics


def build_services(settings: Settings) -> Services:
    db = open_engine(settings.database_url, pool_size=20)
    pack = load_pack(settings.pack_dir or shipped_pack_path("dc"))
    ledger = Ledger(db, settings.log_origin, load_signer(settings.key_dir))
    return Services(Gateway(Engine(pack), ledger, db), KeyStore(db), Metrics())


bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer lsn_...`")


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    key = credentials.credentials if credentials else None
    return _services(request).keys.authenticate(key)


Who = Annotated[Principal, Depends(_principal)]
Svc = Annotated[Services, Depends(_services)]


def _request_body_doc() -> dict[str, Any]:
    schema = request_json_schema()
    one = {k: v for k, v in schema.items() if k not in ("$schema", "$id", "$defs")}
    defs = schema.get("$defs", {})
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            one,
                            {"type": "array", "items": one, "minItems": 1, "maxItems": MAX_BATCH},
                        ],
                        "$defs": defs,
                    }
                }
            },
        }
    }


def _event_body_doc() -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": Event.model_json_schema()}},
        }
    }


async def _json(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidRequest(None, f"body is not valid JSON: {exc}") from None


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if services is None:
            app.state.services = build_services(settings or Settings())
        stop = threading.Event()
        interval = (settings or Settings()).checkpoint_interval
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
    install(app)
    _routes(app)
    return app


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


def _decide_one(svc: Services, raw: Any, who: Principal) -> RecordedDecision:
    started = time.perf_counter()
    recorded = svc.gateway.decide_and_record(parse_request(raw), who)
    svc.metrics.append_latency.observe(time.perf_counter() - started)
    citations = recorded.decision.get("citations") or [{"directive": "none"}]
    for citation in citations:
        svc.metrics.decisions.labels(
            recorded.decision["decision"], recorded.decision["basis"], citation["directive"]
        ).inc()
    return recorded


def _recorded(r: RecordedDecision) -> dict[str, Any]:
    return {
        "id": r.id,
        "decision": r.decision,
        "ledger_index": r.ledger_index,
        "replayed": r.replayed,
    }


def _routes(app: FastAPI) -> None:
    @app.get("/healthz", tags=["service"])
    def healthz(svc: Svc) -> dict[str, Any]:
        size, _ = svc.gateway.ledger.head()
        return {
            "status": "ok",
            "version": __version__,
            "ledger_size": size,
            "pack": svc.gateway.policy.pack.id,
        }

    @app.get("/metrics", tags=["service"], response_class=Response)
    def metrics(svc: Svc) -> Response:
        svc.metrics.ledger_size.set(svc.gateway.ledger.head()[0])
        return Response(generate_latest(svc.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.post(
        "/v1/decisions",
        tags=["decisions"],
        openapi_extra=_request_body_doc(),
        responses={200: {"description": "The decision(s), recorded in the ledger"}},
    )
    async def post_decisions(request: Request, svc: Svc, who: Who) -> JSONResponse:
        """Decide one request (an object) or a batch (an array); every decision is recorded
        in the ledger before it is returned."""
        body = await _json(request)
        if isinstance(body, list):
            if not 1 <= len(body) <= MAX_BATCH:
                raise InvalidRequest(None, f"a batch holds 1 to {MAX_BATCH} requests")
            return JSONResponse({"results": [await _batch_item(svc, item, who) for item in body]})
        return JSONResponse(_recorded(await _in_thread(_decide_one, svc, body, who)))

    @app.post(
        "/v1/events",
        tags=["events"],
        openapi_extra=_event_body_doc(),
        responses={200: {"description": "The event, recorded in the ledger"}},
    )
    async def post_events(request: Request, svc: Svc, who: Who) -> dict[str, Any]:
        """Record what was done; an action with no prior permitting decision is flagged."""
        body = await _json(request)
        try:
            event = Event.model_validate(body)
        except ValidationError as exc:
            raise _from_validation_error(exc) from None
        done = await _in_thread(svc.gateway.record, event, who)
        svc.metrics.events.labels(event.kind.value, done.flagged or "").inc()
        return {"id": done.id, "ledger_index": done.ledger_index, "flagged": done.flagged}

    @app.get("/v1/decisions/{decision_id}", tags=["decisions"])
    def get_decision(decision_id: str, svc: Svc, who: Who) -> dict[str, Any]:
        return svc.gateway.decision(decision_id, who)

    @app.get("/v1/encounters/{encounter_id}", tags=["encounters"])
    def get_encounter(encounter_id: str, svc: Svc, who: Who) -> dict[str, Any]:
        return svc.gateway.encounter(encounter_id, who)

    @app.get("/v1/ledger/checkpoint", tags=["ledger"])
    def get_checkpoint(svc: Svc, who: Who) -> dict[str, Any]:
        """The latest signed checkpoint (C2SP tlog-checkpoint), made now if the tree grew."""
        ledger = svc.gateway.ledger
        size, _ = ledger.head()
        latest = ledger.latest_checkpoint()
        if (latest is None or latest.size < size) and ledger.signer is not None:
            latest = ledger.checkpoint()
        if latest is None:
            raise NotFound("no checkpoint yet (the deployment has no signing key)")
        return {"size": latest.size, "root": _b64(latest.root), "note": latest.note}

    @app.get("/v1/ledger/entries/{index}", tags=["ledger"])
    def get_entry(index: int, svc: Svc, who: Who) -> dict[str, Any]:
        who.require(Role.AUDITOR, Role.ADMIN)
        entry = svc.gateway.ledger.entry(index)
        return {
            "index": entry.index,
            "leaf_hash": _b64(entry.leaf_hash),
            "entry": entry.document(),
            "personal": entry.personal,
            "erased": entry.erased,
        }

    @app.get("/v1/ledger/proofs/inclusion", tags=["ledger"])
    def get_inclusion(
        svc: Svc,
        who: Who,
        index: Annotated[int, Query(ge=0)],
        size: Annotated[int | None, Query(ge=1)] = None,
    ) -> dict[str, Any]:
        who.require(Role.AUDITOR, Role.ADMIN)
        proof = svc.gateway.ledger.inclusion_proof(index, size)
        return {
            "index": proof.index,
            "size": proof.size,
            "root": _b64(proof.root),
            "leaf_hash": _b64(proof.leaf_hash),
            "proof": [_b64(h) for h in proof.hashes],
        }

    @app.get("/v1/ledger/proofs/consistency", tags=["ledger"])
    def get_consistency(
        svc: Svc,
        who: Who,
        old: Annotated[int, Query(ge=1)],
        new: Annotated[int | None, Query(ge=1)] = None,
    ) -> dict[str, Any]:
        who.require(Role.AUDITOR, Role.ADMIN)
        proof = svc.gateway.ledger.consistency_proof(old, new)
        return {
            "old_size": proof.old_size,
            "new_size": proof.new_size,
            "old_root": _b64(proof.old_root),
            "new_root": _b64(proof.new_root),
            "proof": [_b64(h) for h in proof.hashes],
        }

    @app.get("/v1/directives", tags=["directives"])
    def get_directives(
        svc: Svc, who: Who, at: str | None = None, view: str | None = None
    ) -> dict[str, Any]:
        """The directives of the pack at an instant in a view, each with why it counts or not."""
        engine = svc.gateway.policy
        try:
            moment = parse_instant(at) if at is not None else now_utc()
        except ValueError as exc:
            raise InvalidRequest("at", f"at: {exc}") from None
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


async def _batch_item(svc: Services, item: Any, who: Principal) -> dict[str, Any]:
    try:
        return _recorded(await _in_thread(_decide_one, svc, item, who))
    except InvalidRequest as exc:
        return {
            "id": item.get("id") if isinstance(item, dict) else None,
            **error_body(exc.code, exc.message, exc.field),
        }


async def _in_thread(fn: Any, *args: Any) -> Any:
    return await run_in_threadpool(fn, *args)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()
