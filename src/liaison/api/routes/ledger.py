"""The ledger (docs/ledger.md, "Checkpoints"; RFC 6962 proofs; C2SP tlog-checkpoint):
the signed checkpoint, which every key may read, and entries and proofs, for auditors."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from liaison.api.deps import Svc, Who
from liaison.api.errors import error_responses
from liaison.errors import (
    Forbidden,
    InvalidRequest,
    LedgerError,
    NotFound,
    SignerRefused,
    SignerUnavailable,
    Unauthenticated,
)
from liaison.gateway.roles import KeyRole
from liaison.ledger.proofs import b64
from liaison.ledger.witnessed import (
    checkpoint_json,
    newest_witnessed,
    witnessed,
    witnessed_json,
)

MAX_INDEX = 2**63 - 1  # ledger indexes and sizes are 64-bit integers in the database

router = APIRouter(tags=["ledger"])
# An auditor's read of an entry or a proof: an index or size out of range (422) or past
# the tree (404); the ledger uninitialised, or personal data off its commitment (503).
AUDITED = (Unauthenticated, Forbidden, NotFound, InvalidRequest, LedgerError)


@router.get(
    "/v1/ledger/checkpoint",
    responses=error_responses(
        Unauthenticated, NotFound, SignerRefused, SignerUnavailable, LedgerError
    ),
)
def get_checkpoint(svc: Svc, who: Who) -> dict[str, Any]:
    """The latest signed checkpoint (C2SP tlog-checkpoint), made now if the tree grew (and
    then offered to the witnesses), with the witnesses' cosignatures that verify (C2SP
    tlog-cosignature); while it has none, the newest checkpoint that has (``witnessed``)."""
    ledger = svc.gateway.ledger
    size, _ = ledger.head()
    latest = ledger.latest_checkpoint()
    if (latest is None or latest.size < size) and ledger.signer is not None:
        latest = ledger.checkpoint()
        if svc.witnessing is not None:
            svc.witnessing.offer(latest)
    if latest is None:
        raise NotFound("no checkpoint yet (the deployment has no signing key)")
    keys = svc.witness_keys
    found = witnessed(latest, keys)
    body = checkpoint_json(found)
    if keys and not found.cosignatures:
        newest = newest_witnessed(ledger.engine, keys)
        body["witnessed"] = None if newest is None else witnessed_json(newest)
    return body


@router.get("/v1/ledger/entries/{index}", responses=error_responses(*AUDITED))
def get_entry(
    index: Annotated[int, Path(ge=0, le=MAX_INDEX)], svc: Svc, who: Who
) -> dict[str, Any]:
    """A ledger entry with its personal data (auditors only)."""
    who.require(KeyRole.AUDITOR)
    entry = svc.gateway.ledger.entry(index)
    return {
        "index": entry.index,
        "leaf_hash": b64(entry.leaf_hash),
        "entry": entry.document(),
        "personal": entry.personal,
        "erased": entry.erased,
    }


@router.get("/v1/ledger/proofs/inclusion", responses=error_responses(*AUDITED))
def get_inclusion(
    svc: Svc,
    who: Who,
    index: Annotated[int, Query(ge=0, le=MAX_INDEX)],
    size: Annotated[int | None, Query(ge=1, le=MAX_INDEX)] = None,
) -> dict[str, Any]:
    """Inclusion proof of entry ``index`` in the tree of ``size`` (default: current)."""
    who.require(KeyRole.AUDITOR)
    return svc.gateway.ledger.inclusion_proof(index, size).to_json()


@router.get("/v1/ledger/proofs/consistency", responses=error_responses(*AUDITED))
def get_consistency(
    svc: Svc,
    who: Who,
    old: Annotated[int, Query(ge=1, le=MAX_INDEX)],
    new: Annotated[int | None, Query(ge=1, le=MAX_INDEX)] = None,
) -> dict[str, Any]:
    """Consistency proof from the tree of size ``old`` to ``new`` (default: current)."""
    who.require(KeyRole.AUDITOR)
    return svc.gateway.ledger.consistency_proof(old, new).to_json()
