"""The service's own routes (docs/api.md, "Routes"): readiness (``/healthz``), liveness
(``/livez``) and Prometheus metrics (``/metrics``). None needs an API key."""

from __future__ import annotations

import contextlib
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from liaison import __version__
from liaison.api.deps import Svc
from liaison.errors import LiaisonError

router = APIRouter(tags=["service"])


class WitnessHealth(BaseModel):
    """A configured witness and how its last submission ended."""

    witness: str
    url: str
    last_outcome: str | None  # cosigned, unavailable, behind, or a refusal; null: none yet
    last_size: int | None


class WitnessingHealth(BaseModel):
    """Cosigning by witnesses: informative, never a fault (decisions do not wait for it)."""

    witnesses: list[WitnessHealth]
    cosigned_size: int | None  # the newest checkpoint with a verified cosignature
    cosigned_age: float | None  # seconds since it was signed
    latest_cosigned: bool  # whether it is the newest kept checkpoint


class Health(BaseModel):
    """The service's readiness, as ``/healthz`` answers it."""

    status: str
    version: str
    ledger_size: int
    pack: str | None
    reason: str | None = None  # why it refuses to decide (only when unhealthy)
    witnessing: WitnessingHealth | None = None  # only when witnesses are configured


UNHEALTHY = {
    "model": Health,
    "description": "Unhealthy: the service refuses to decide; `reason` says why",
}


@router.get("/healthz", responses={503: UNHEALTHY})
def healthz(svc: Svc) -> JSONResponse:
    """Readiness: 200 while the service decides; 503 with the reason when it refuses to
    (the pack in the database disagrees with the ledger, or none is recorded). With
    witnesses configured, ``witnessing`` says how cosigning goes; it never makes the
    service unhealthy (decisions do not wait for witnesses)."""
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
    if svc.witnessing is not None:
        body["witnessing"] = svc.witnessing.health()
    return JSONResponse(body, status_code=200 if fault is None else 503)


@router.get("/livez")
def livez() -> dict[str, str]:
    """Liveness: the process answers (no database access; the load benchmark's baseline)."""
    return {"status": "ok"}


@router.get("/metrics", response_class=Response)
def metrics(svc: Svc) -> Response:
    svc.metrics.ledger_size.set(svc.gateway.ledger.head()[0])
    svc.metrics.pack_version.set(svc.gateway.packs.seq())
    if svc.witnessing is not None:
        newest = svc.witnessing.newest()
        svc.metrics.witnessed_size.set(0 if newest is None else newest.checkpoint.size)
        svc.metrics.witnessed_age.set(-1 if newest is None else newest.age())
    return Response(generate_latest(svc.metrics.registry), media_type=CONTENT_TYPE_LATEST)
