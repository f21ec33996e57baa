"""What every route depends on: the deployment's services and the caller's API key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from liaison.api.metrics import Metrics
from liaison.gateway.auth import KeyStore, Principal
from liaison.gateway.service import Gateway
from liaison.ledger.keys import load_signer
from liaison.ledger.store import Ledger
from liaison.logs import get_logger
from liaison.policy import Engine, load_pack, shipped_pack_path
from liaison.policy.pack_content import pack_digest, read_pack_files
from liaison.settings import Settings
from liaison.storage.database import open_engine

SYSTEM_ACTOR = "liaison"  # who records the first pack of a deployment (at its start)
log = get_logger("liaison.api")


@dataclass
class Services:
    gateway: Gateway
    keys: KeyStore
    metrics: Metrics
    settings: Settings | None = None  # what they were built from (build_services)


def build_services(settings: Settings) -> Services:
    """The services of a deployment. The first start records the configured pack folder
    as the deployment's first pack (a ``pack_change`` entry); from then on the database
    holds the pack in force, and a folder that differs from it is reported, not used
    (``liaison packs import`` records a folder as a change)."""
    db = open_engine(settings.database_url, pool_size=20)
    folder = settings.pack_dir or shipped_pack_path("dc")
    files = read_pack_files(folder)
    ledger = Ledger(db, settings.log_origin, load_signer(settings.key_dir))
    gateway = Gateway(Engine(load_pack(folder)), ledger, db)
    first = gateway.record_pack(
        files,
        actor=SYSTEM_ACTOR,
        reason=f"the pack in force when the deployment started ({folder.name})",
    )
    stored = gateway.packs.latest()
    if first is None and stored is not None and stored.digest != pack_digest(files):
        log.warning(
            "pack_folder_not_in_force",
            folder=str(folder),
            folder_digest=pack_digest(files),
            in_force=stored.digest,
            seq=stored.seq,
            hint="the database holds the pack in force; `liaison packs import` records a folder",
        )
    return Services(gateway, KeyStore(db), Metrics(), settings)


bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer lsn_...`")


# The dependencies are coroutines: FastAPI runs a plain function's in a worker thread,
# a hop that costs more than they do. A key not verified yet goes to a thread (argon2).
async def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


async def principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    key = credentials.credentials if credentials else None
    keys = (await services(request)).keys
    who = keys.cached(key)
    if who is None:
        who = await run_in_threadpool(keys.authenticate, key)
    request.state.key_id = who.key_id  # for the request log
    return who


Who = Annotated[Principal, Depends(principal)]
Svc = Annotated[Services, Depends(services)]
