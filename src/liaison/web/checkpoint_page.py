"""``/checkpoint`` (issue 11, item 1; docs/pages.md, "The start page: `/`"): the latest
signed checkpoint note (C2SP tlog-checkpoint), as text/plain, for anyone and without a key, so a
reader can check it with the deployment's published verifier key. When witnesses cosigned it
(docs/ledger.md, "Witnesses"), the text is the cosigned note: the same signed note with the
witnesses' cosignature lines that verify (C2SP tlog-cosignature) after the log's signature,
which a reader checks with the witnesses' keys too. ``?format=json`` gives ``{size, root,
note, cosigned_note, cosignatures}`` as ``GET /v1/ledger/checkpoint`` does.

Unlike ``GET /v1/ledger/checkpoint`` (which signs a new checkpoint when the tree has grown),
this page only reads the latest one kept: a public, unauthenticated request must not make
the service sign (signing is a use of the deployment's key, and a flood of anonymous
requests must not be able to drive it)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from liaison.errors import InvalidRequest, NotFound
from liaison.ledger.witnessed import checkpoint_json, witnessed
from liaison.web.render import HEADERS, latest_checkpoint
from liaison.web.viewer import Viewer

router = APIRouter()


@router.get("/checkpoint")
def checkpoint(request: Request, who: Viewer) -> Response:
    """The latest kept signed checkpoint's note, with its verified cosignatures (404 when
    none is kept)."""
    wanted = request.query_params.get("format", "text")
    if wanted not in ("text", "json"):
        raise InvalidRequest("format", "format: this page offers text, json")
    latest = latest_checkpoint(request)
    if latest is None:
        raise NotFound("no signed checkpoint yet: run `liaison ledger checkpoint`")
    services = request.app.state.services
    found = witnessed(latest, services.witness_keys)
    if wanted == "json":
        return JSONResponse(checkpoint_json(found), headers=HEADERS)
    return PlainTextResponse(found.cosigned_note, headers=HEADERS)
