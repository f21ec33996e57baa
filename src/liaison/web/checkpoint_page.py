"""``/checkpoint`` (issue 11, item 1; docs/pages.md, "The start page: `/`"): the latest
signed checkpoint note (C2SP tlog-checkpoint), as text/plain, for anyone and without a key, so a
reader can check it with the deployment's published verifier key; ``?format=json`` gives
``{size, root, note}`` as ``GET /v1/ledger/checkpoint`` does.

Unlike ``GET /v1/ledger/checkpoint`` (which signs a new checkpoint when the tree has grown),
this page only reads the latest one kept: a public, unauthenticated request must not make
the service sign (signing is a use of the deployment's key, and a flood of anonymous
requests must not be able to drive it)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from liaison.errors import InvalidRequest, NotFound
from liaison.ledger.proofs import b64
from liaison.web.render import HEADERS, latest_checkpoint
from liaison.web.viewer import Viewer

router = APIRouter()


@router.get("/checkpoint")
def checkpoint(request: Request, who: Viewer) -> Response:
    """The latest kept signed checkpoint's note (404 when none is kept)."""
    wanted = request.query_params.get("format", "text")
    if wanted not in ("text", "json"):
        raise InvalidRequest("format", "format: this page offers text, json")
    latest = latest_checkpoint(request)
    if latest is None:
        raise NotFound("no signed checkpoint yet: run `liaison ledger checkpoint`")
    if wanted == "json":
        body = {"size": latest.size, "root": b64(latest.root), "note": latest.note}
        return JSONResponse(body, headers=HEADERS)
    return PlainTextResponse(latest.note, headers=HEADERS)
