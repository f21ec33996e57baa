"""A decision's page (issue 11, item 1; docs/pages.md, "A decision and its proof:
`/decisions/{id}`"): ``/decisions/{id}?actor=`` shows the decision explained, its request
without personal data, its ledger entry and its inclusion proof against the latest signed
checkpoint, which ``static/verify.js`` checks in the reader's browser;
``/decisions/{id}/proof.json`` is that proof as a file (``liaison.ledger.proof_file``) for
``liaison ledger check-proof``, its checkpoint with the witnesses' verified cosignatures;
``?since=SIZE`` (repeatable) adds a consistency proof from each older kept checkpoint
(``liaison.ledger.consistency_file``), so that ``liaison verify-proof --checkpoint SAVED``
checks it against a checkpoint of that size the reader saved.

Who may read them is the API's rule for ``GET /v1/decisions/{id}``: officers their own
decisions, supervisors their unit's, auditors all; another's decision is not found. An id
that names several decisions the reader may read is answered with a page of links, one for
each actor (409, as the API's ``ambiguous``)."""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from liaison.api.deps import RECORD_READERS, Services, Svc
from liaison.errors import Ambiguous, InvalidRequest
from liaison.reports.decision_proof import (
    VIEW_COLUMNS,
    Publishing,
    decision_proof,
    proof_of,
    verifier_key,
    views_table,
)
from liaison.web.error_pages import is_page
from liaison.web.links import decision_href
from liaison.web.render import HEADERS, page, render_template
from liaison.web.viewer import Viewer, require_reader

router = APIRouter()
Actor = Annotated[str | None, Query(min_length=1, max_length=256)]
Since = Annotated[
    list[str] | None,
    Query(
        description="The size of a checkpoint you saved (repeatable): a consistency proof "
        "from it to the proof's tree is added."
    ),
]
SIZE = re.compile(r"[0-9]{1,19}")


@router.get("/decisions/{decision_id:path}/proof.json")
def decision_proof_file(
    decision_id: str, svc: Svc, who: Viewer, actor: Actor = None, since: Since = None
) -> Response:
    """The decision's entry with its inclusion proof and the signed checkpoint, with the
    witnesses' cosignatures and a consistency proof from each ``since`` size, to download."""
    reader = require_reader(who, *RECORD_READERS)
    sizes = parse_since(since or [])
    proof = proof_of(svc.gateway, decision_id, reader, actor, _publishing(svc), sizes)
    name = proof_filename(decision_id)
    headers = {**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
    return JSONResponse(proof, headers=headers)


@router.get("/decisions/{decision_id:path}")
def decision_page(
    request: Request, decision_id: str, svc: Svc, who: Viewer, actor: Actor = None
) -> Response:
    """The decision explained, its request, its ledger entry and its proof."""
    reader = require_reader(who, *RECORD_READERS)
    try:
        found = decision_proof(svc.gateway, decision_id, reader, actor, _publishing(svc))
    except Ambiguous as exc:
        if not is_page(request):
            raise
        return _choices(request, decision_id, exc)
    context = {
        "found": found,
        "e": found["explanation"],
        "download": proof_href(decision_id, found["actor"]),
        "proof_action": f"/decisions/{quote(decision_id, safe='')}/proof.json",
        "filename": proof_filename(decision_id),
    }
    table = (VIEW_COLUMNS, views_table(found["explanation"]))
    filename = f"decision-{proof_filename(decision_id).removesuffix('.proof.json')}-views"
    return page(request, "decision_page.html.j2", context, found, table=table, filename=filename)


def _publishing(svc: Services) -> Publishing:
    """The log's published verifier key, the configured witnesses, and their offer."""
    key_dir = svc.settings.key_dir if svc.settings is not None else None
    offer = svc.witnessing.offer if svc.witnessing is not None else None
    return Publishing(verifier_key(svc.gateway.ledger, key_dir), svc.witness_keys, offer)


def parse_since(values: list[str]) -> list[int]:
    """The ``since`` parameters as tree sizes; ``InvalidRequest`` naming ``since`` when one
    is not a whole number (which sizes are kept is checked against the proof's tree)."""
    sizes = []
    for value in values:
        if not SIZE.fullmatch(value.strip()):
            shown = value[:40] + ("..." if len(value) > 40 else "")
            raise InvalidRequest("since", f"since: {shown!r} is not a tree size (a whole number)")
        sizes.append(int(value))
    return sizes


def proof_href(decision_id: str, actor: str) -> str:
    """Where the decision's proof file is downloaded."""
    return f"/decisions/{quote(decision_id, safe='')}/proof.json?{urlencode({'actor': actor})}"


def proof_filename(decision_id: str) -> str:
    """The proof file's name: the id, with what a file name should not hold replaced."""
    return (re.sub(r"[^A-Za-z0-9._-]+", "_", decision_id)[:80] or "decision") + ".proof.json"


def _choices(request: Request, decision_id: str, exc: Ambiguous) -> Response:
    """409: the id names several decisions the reader may read; a link to each."""
    links = [(actor, decision_href(decision_id, actor)) for actor in exc.choices]
    body = render_template(
        request,
        "decision_choices.html.j2",
        {"decision_id": decision_id, "links": links, "message": exc.message},
    )
    return HTMLResponse(body, status_code=409, headers=HEADERS)
