"""The directive pack in force and its changes (``/v1/packs``; docs/packs.md, "Changing a
pack").

Every key may read the pack in force (directives are public). The history of changes
(who changed what, when and why) is for auditors and admins, and only an admin may
change the pack (``Gateway.change_pack`` checks it, for every caller: this route and the
CLI): each change is validated whole and appended to the ledger as a ``pack_change``
entry before it is used.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from liaison.api.bodies import json_body
from liaison.api.deps import Svc, Who
from liaison.api.errors import error_responses
from liaison.api.openapi import json_body_doc
from liaison.errors import (
    Forbidden,
    IntegrityFailure,
    InvalidRequest,
    LedgerError,
    NotFound,
    PackError,
    PayloadTooLarge,
    StalePack,
    Unauthenticated,
    Unavailable,
    UnsupportedMediaType,
)
from liaison.gateway.packs import MAX_REASON, StoredPack
from liaison.gateway.roles import KeyRole
from liaison.logs import get_logger
from liaison.model.json_input import validate_object

log = get_logger("liaison.packs")
MAX_SEQ = 2**31 - 1

router = APIRouter(tags=["packs"])


class PackChange(BaseModel):
    """A change to the pack in force: files to add or replace (their text) or remove
    (null), made against the pack whose digest is ``base``, and why."""

    model_config = ConfigDict(extra="forbid", strict=True)

    base: str = Field(
        description="Digest of the pack the change was made against (GET /v1/packs/current); "
        "it must still be the pack in force",
        max_length=80,
    )
    reason: str = Field(description="Why the pack changes (recorded)", max_length=MAX_REASON)
    files: dict[str, str | None] = Field(
        description="Path in the pack (pack.toml, views.toml, schema.cedarschema, "
        "directives/<ID>.toml) to its new text, or null to remove the file",
        min_length=1,
        max_length=200,
    )


@router.get(
    "/v1/packs/current",
    responses=error_responses(Unauthenticated, Unavailable, IntegrityFailure, LedgerError),
)
def get_current_pack(svc: Svc, who: Who) -> dict[str, Any]:
    """The pack in force: its version, digest (the ``base`` of a change) and files."""
    gateway = svc.gateway
    engine = gateway.current_policy()
    stored = gateway.packs.latest()
    if stored is None:  # a deployment that has not recorded its pack (tests, tools)
        return {"seq": 0, "pack": engine.pack.id, "digest": None, "files": None}
    return {**stored.summary(), "files": stored.files}


@router.get(
    "/v1/packs/changes",
    responses=error_responses(Unauthenticated, Forbidden, IntegrityFailure, LedgerError),
)
def get_pack_changes(svc: Svc, who: Who) -> dict[str, Any]:
    """Every change to the pack, oldest first: who, when, why, and what it touched."""
    who.require(KeyRole.AUDITOR, KeyRole.ADMIN)
    return {"changes": svc.gateway.packs.history()}


@router.get(
    "/v1/packs/changes/{seq}",
    responses=error_responses(
        Unauthenticated, Forbidden, NotFound, InvalidRequest, IntegrityFailure, LedgerError
    ),
)
def get_pack_change(
    seq: Annotated[int, Path(ge=1, le=MAX_SEQ)], svc: Svc, who: Who
) -> dict[str, Any]:
    """One change, with the whole pack as it made it."""
    who.require(KeyRole.AUDITOR, KeyRole.ADMIN)
    packs = svc.gateway.packs
    stored = packs.get(seq)
    return {**stored.summary(packs.previous_files(stored)), "pack_files": stored.files}


@router.post(
    "/v1/packs/changes",
    openapi_extra=json_body_doc(PackChange.model_json_schema()),
    responses={
        200: {"description": "The change, recorded in the ledger and in force"},
        **error_responses(
            Unauthenticated,
            Forbidden,  # not an admin's key
            StalePack,  # `base` is no longer the pack in force
            PayloadTooLarge,
            UnsupportedMediaType,
            InvalidRequest,
            PackError,  # the new pack is invalid: every problem, by file and line
            IntegrityFailure,  # the pack in the database differs from the ledger
            LedgerError,
        ),
    },
)
async def post_pack_change(request: Request, svc: Svc, who: Who) -> dict[str, Any]:
    """Change the pack in force (admins only). The whole new pack is validated first;
    a pack with any problem is refused with every problem named by file and line."""
    change = validate_object(PackChange, await json_body(request), "a pack change")
    gateway = svc.gateway

    def made() -> tuple[StoredPack, dict[str, Any]]:
        stored = gateway.change_pack(
            who, reason=change.reason, base=change.base, changes=change.files
        )
        return stored, stored.summary(gateway.packs.previous_files(stored))

    stored, summary = await run_in_threadpool(made)
    log.info(
        "pack_changed",
        seq=stored.seq,
        digest=stored.digest,
        actor=stored.actor_id,
        ledger_index=stored.ledger_index,
        files=[f["path"] for f in summary["files"]],
    )
    return summary
