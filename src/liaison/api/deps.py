"""What every route depends on: the deployment's services and the caller's API key
(docs/api.md, "Authentication and roles")."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from liaison.api.metrics import Metrics
from liaison.api.ratelimit import FailureLimiter
from liaison.api.witnessing import Witnessing
from liaison.errors import PackError, SigningKeyError, Unauthenticated, WitnessConfigError
from liaison.gateway.auth import KeyStore, Principal
from liaison.gateway.key_secret import api_key_secret
from liaison.gateway.packs import PackStore, StoredPack
from liaison.gateway.roles import KeyRole
from liaison.gateway.service import Gateway
from liaison.ledger.checkpoint_signer import deployment_signer
from liaison.ledger.cosignature import WitnessKey
from liaison.ledger.log import Ledger
from liaison.ledger.witness_client import Submission
from liaison.ledger.witness_list import load_witnesses
from liaison.logs import get_logger
from liaison.policy import Engine as PolicyEngine
from liaison.policy import load_pack, shipped_pack_path
from liaison.policy.pack_files import pack_digest, read_pack_files
from liaison.settings import Settings
from liaison.storage.database import open_engine

SYSTEM_ACTOR = "liaison"  # who records the first pack of a deployment (at its start)
log = get_logger("liaison.api")

# Who may read records (decisions, encounters), each within what ``Principal.may_read``
# allows: not admins (keys, packs) nor the public (published material only: the signed
# checkpoint and the directives, which every key may read).
RECORD_READERS = (KeyRole.OFFICER, KeyRole.SUPERVISOR, KeyRole.AUDITOR)


@dataclass
class Services:
    gateway: Gateway
    keys: KeyStore
    metrics: Metrics
    settings: Settings | None = None  # what they were built from (build_services)
    limiter: FailureLimiter = field(default_factory=lambda: _limiter(Settings()))
    witnessing: Witnessing | None = None  # the witnesses checkpoints are sent to, if any

    @property
    def witness_keys(self) -> list[WitnessKey]:
        """The configured witnesses' keys: the cosignatures published are checked with them."""
        return [] if self.witnessing is None else self.witnessing.keys


def _limiter(settings: Settings) -> FailureLimiter:
    """Failed authentications per client address, as the settings bound them."""
    return FailureLimiter(
        settings.auth_failure_burst,
        settings.auth_failures_per_minute,
        settings.auth_clients_tracked,
    )


def build_services(settings: Settings) -> Services:
    """The services of a deployment. The first start records the configured pack folder
    as the deployment's first pack (a ``pack_change`` entry); from then on the database
    holds the pack in force, and the folder is not used: one that differs from it, or
    does not load, is reported (``liaison packs import`` records a folder as a change).
    The pack in force is rebuilt from the ledger's ``pack_change`` entries and checked
    against the rows (``liaison.gateway.pack_ledger``)."""
    db = open_engine(settings.database_url, pool_size=20)
    keys = KeyStore(db, api_key_secret(settings.key_dir))  # the secret is made if missing
    limiter = _limiter(settings)
    folder = settings.pack_dir or shipped_pack_path("dc")
    try:
        signer = deployment_signer(settings.key_dir, settings.signer_socket)
    except SigningKeyError as exc:  # a key others can read: the service does not start
        log.error("startup_refused", code=exc.code, message=exc.message)
        raise
    ledger = Ledger(db, settings.log_origin, signer)
    metrics = Metrics()
    witnessing = build_witnessing(settings, ledger, metrics)
    stored = PackStore(db).latest()
    if stored is not None:
        # The pack in force is the one the ledger recorded, checked against the rows; on any
        # difference the service starts refusing to decide (/healthz says why).
        gateway = Gateway(None, ledger, db)
        if gateway.fault() is None:
            _report_folder(folder, stored)
        return Services(gateway, keys, metrics, settings, limiter, witnessing)
    gateway = Gateway(PolicyEngine(load_pack(folder)), ledger, db)
    reason = f"the pack in force when the deployment started ({folder.name})"
    if gateway.record_pack(read_pack_files(folder), actor=SYSTEM_ACTOR, reason=reason) is None:
        latest = gateway.packs.latest()  # another process recorded the first pack meanwhile
        if latest is not None:
            _report_folder(folder, latest)
    return Services(gateway, keys, metrics, settings, limiter, witnessing)


def build_witnessing(settings: Settings, ledger: Ledger, metrics: Metrics) -> Witnessing | None:
    """The witnesses of ``LIAISON_WITNESSES`` (none when unset), each outcome counted; a
    list that cannot be used stops the start (``WitnessConfigError``, naming the field)."""
    if settings.witnesses is None:
        return None
    try:
        witnesses = load_witnesses(settings.witnesses)
    except WitnessConfigError as exc:
        log.error("startup_refused", code=exc.code, message=exc.message)
        raise

    def count(witness: str, done: Submission) -> None:
        metrics.witness_submissions.labels(witness, str(done.outcome)).inc()

    return Witnessing(
        ledger,
        witnesses,
        count,
        timeout=settings.witness_timeout,
        retry_first=settings.witness_retry_first,
        retry_max=settings.witness_retry_max,
        poll=settings.checkpoint_interval if settings.checkpoint_interval > 0 else 60.0,
    )


def _report_folder(folder: Path, stored: StoredPack) -> None:
    """Warn when the configured folder is not the pack in force (it is not used)."""
    digest: str | None = None
    problem: str | None = None
    try:
        digest = pack_digest(read_pack_files(folder))
    except PackError as exc:
        problem = str(exc)  # the message and every problem
    if digest == stored.digest:
        return
    log.warning(
        "pack_folder_not_in_force",
        folder=str(folder),
        folder_digest=digest,
        folder_problem=problem,
        in_force=stored.digest,
        seq=stored.seq,
        hint="the database holds the pack in force; `liaison packs import` records a folder",
    )


bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer lsn_...`")


# The dependencies are coroutines: FastAPI runs a plain function's in a worker thread,
# a hop that costs more than they do. A key not verified yet goes to a thread (a lookup).
async def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


async def principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The caller's principal. A bad key counts against the client's failure allowance
    (``ratelimit``): over it, 429 instead of 401; a good key is never limited."""
    key = credentials.credentials if credentials else None
    who = await check_key(request, key)
    request.state.key_id = who.key_id  # for the request log
    return who


async def check_key(request: Request, key: str | None) -> Principal:
    """The principal of ``key`` (the API's header, the pages' sign-in form); a bad one is
    ``Unauthenticated`` and counts against the client's failure allowance (``RateLimited``
    over it)."""
    found = await services(request)
    client = request.client.host if request.client else ""
    try:
        who = found.keys.cached(key)
        if who is None:
            legacy = not found.limiter.limited(client)  # argon2 only within the allowance
            who = await run_in_threadpool(found.keys.authenticate, key, legacy=legacy)
    except Unauthenticated:
        if key:
            found.limiter.failed(client)
        raise
    return who


Who = Annotated[Principal, Depends(principal)]
Svc = Annotated[Services, Depends(services)]
