"""The ledger for an auditor's own copy (issue 12, item 3; docs/ledger.md, "Mirroring the
ledger"): the bundle as ``liaison ledger export`` writes it, streamed and gzip-compressed;
every kept checkpoint with its witnesses' cosignatures (C2SP tlog-checkpoint,
tlog-cosignature); the entries of a range, as hashed into the log (RFC 6962 2.1), for an
incremental mirror (``liaison mirror``).

Entries are served as their canonical JSON text only: they hold personal data as its salted
hash, never the data itself (``GET /v1/ledger/entries/{index}`` serves that, to auditors).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from liaison.api.deps import Services, Svc, Who
from liaison.api.errors import error_responses
from liaison.errors import Forbidden, InvalidRequest, LedgerError, NotFound, Unauthenticated
from liaison.gateway.roles import KeyRole
from liaison.ledger.proofs import b64
from liaison.ledger.signing import checkpoints_after
from liaison.ledger.witnessed import witnessed

MAX_INDEX = 2**63 - 1
MAX_ENTRIES = 1000  # entries per page of GET /v1/ledger/entries
MAX_CHECKPOINTS = 1000  # checkpoints per page of GET /v1/ledger/checkpoints

router = APIRouter(tags=["ledger"])
AUDITED = (Unauthenticated, Forbidden, NotFound, InvalidRequest, LedgerError)


def _vkey(svc: Services) -> str:
    """The verifier key the deployment publishes: its signer's, else its key folder's."""
    from liaison.reports.decision_proof import verifier_key

    key_dir = svc.settings.key_dir if svc.settings is not None else None
    vkey = verifier_key(svc.gateway.ledger, key_dir)
    if vkey is None:
        raise LedgerError("no verifier key: run `liaison ledger keygen`")
    return vkey


@router.get(
    "/v1/ledger/bundle",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The bundle (JSON Lines, `liaison ledger export`'s format), "
            "gzip-compressed",
            "content": {"application/gzip": {}},
        },
        **error_responses(*AUDITED),
    },
)
def get_bundle(
    svc: Svc,
    who: Who,
    to: Annotated[
        int | None,
        Query(ge=0, le=MAX_INDEX, description="the tree of this size (default: the whole)"),
    ] = None,
) -> StreamingResponse:
    """The ledger as a bundle, as `liaison ledger export` writes it (auditors only):
    the file `liaison verify-bundle` checks. With `to`, as of the tree of that size:
    entries 0..to-1, that tree's root in the header, the checkpoints of at most `to`."""
    from liaison.ledger.bundle_export import gzip_chunks, plan_export

    who.require(KeyRole.AUDITOR)
    plan = plan_export(svc.gateway.ledger, _vkey(svc), to)  # refuses before the first byte
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    name = f"ledger-{plan.size}-{stamp}.jsonl.gz"
    return StreamingResponse(
        gzip_chunks(plan.lines()),
        media_type="application/gzip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/v1/ledger/checkpoints",
    responses=error_responses(Unauthenticated, InvalidRequest, LedgerError),
)
def get_checkpoints(
    svc: Svc,
    who: Who,
    after: Annotated[
        int, Query(ge=-1, le=MAX_INDEX, description="only checkpoints of a larger size")
    ] = -1,
    limit: Annotated[int, Query(ge=1, le=MAX_CHECKPOINTS)] = 100,
) -> dict[str, Any]:
    """Every kept checkpoint, oldest first (any key, as the latest checkpoint): its signed
    note and the note with the cosignatures of the configured witnesses that verify (as
    `GET /v1/ledger/checkpoint`). `next` is the `after` of the next
    page (null on the last one); `size` the tree's current size."""
    size, _ = svc.gateway.ledger.head()  # an uninitialised ledger is refused (503)
    kept = checkpoints_after(svc.gateway.ledger.engine, after, limit + 1)
    page = kept[:limit]
    return {
        "checkpoints": [
            {
                "size": c.size,
                "root": b64(c.root),
                "note": c.note,
                "cosigned_note": witnessed(c, svc.witness_keys).cosigned_note,
                "created_at": c.created_at.isoformat(),
            }
            for c in page
        ],
        "next": page[-1].size if len(kept) > limit else None,
        "size": size,
    }


@router.get("/v1/ledger/entries", responses=error_responses(*AUDITED))
def get_entries(
    svc: Svc,
    who: Who,
    start: Annotated[int, Query(alias="from", ge=0, le=MAX_INDEX)],
    end: Annotated[int | None, Query(alias="to", ge=1, le=MAX_INDEX)] = None,
) -> dict[str, Any]:
    """Entries [`from`, `to`) in index order (auditors only), each as hashed into the log,
    at most 1000 a page: `to` (default: the tree's size) is clamped, and `next` is the
    `from` of the rest (null when none is left)."""
    who.require(KeyRole.AUDITOR)
    ledger = svc.gateway.ledger
    size, _ = ledger.head()
    if end is not None and end <= start:
        raise InvalidRequest("to", f"to ({end}) must be larger than from ({start})")
    stop = size if end is None else end
    if start >= size or stop > size:
        raise NotFound(f"the ledger has {size} entries: no entries {start}..{stop - 1}")
    page_end = min(stop, start + MAX_ENTRIES)
    return {
        "from": start,
        "to": page_end,
        "size": size,
        "entries": list(_entries(svc, start, page_end)),
        "next": page_end if page_end < stop else None,
    }


def _entries(svc: Services, start: int, stop: int) -> Iterator[dict[str, Any]]:
    for entry in svc.gateway.ledger.entries(start, stop, batch=MAX_ENTRIES):
        try:
            text = entry.body.decode("utf-8")
        except UnicodeDecodeError:
            raise LedgerError(f"entry {entry.index}: its stored body is not UTF-8") from None
        yield {"index": entry.index, "entry": text, "leaf_hash": b64(entry.leaf_hash)}
