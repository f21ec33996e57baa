"""Reports (issue 10, item 2; docs/reports.md): ``GET /v1/reports`` lists them and
``GET /v1/reports/{name}`` computes one over the records up to the newest signed checkpoint
(signed first when the tree grew, as ``GET /v1/ledger/checkpoint`` does), as JSON, HTML,
CSV or PDF. Auditors only: reports name record ids (docs/reports.md, "Who may read
them"). While the service knows its database disagrees with the ledger, no report is
served (503), as for ``GET /v1/stats/decisions``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse, Response

from liaison.api.deps import Svc, Who
from liaison.api.errors import error_responses
from liaison.errors import (
    Forbidden,
    IntegrityFailure,
    InvalidRequest,
    LedgerError,
    NotFound,
    Unauthenticated,
)
from liaison.gateway.roles import KeyRole
from liaison.reports import report_run
from liaison.reports.catalog import CATALOG, entry

router = APIRouter(tags=["reports"])
Format = Literal["json", "html", "csv", "pdf"]
SCHEMA_PATH = "docs/schemas/report-{name}.schema.json"
_ERRORS = error_responses(
    Unauthenticated, Forbidden, NotFound, InvalidRequest, IntegrityFailure, LedgerError
)


@router.get("/v1/reports", responses=error_responses(Unauthenticated, Forbidden, IntegrityFailure))
def list_reports(svc: Svc, who: Who) -> dict[str, Any]:
    """The reports there are: each name, title, and where its JSON Schema is published
    (none while the service knows its database disagrees with the ledger: 503)."""
    who.require(KeyRole.AUDITOR)
    svc.gateway.refuse_untrusted_index("report")
    return {
        "reports": [
            {"name": e.name, "title": e.title, "schema": SCHEMA_PATH.format(name=e.name)}
            for e in CATALOG.values()
        ]
    }


@router.get(
    "/v1/reports/{name}",
    responses={200: {"description": "The report, in the format asked for"}, **_ERRORS},
)
def get_report(
    name: Annotated[str, Path(min_length=1, max_length=64)],
    svc: Svc,
    who: Who,
    start: Annotated[
        str | None,
        Query(alias="from", max_length=64, description="from this instant (RFC 3339, offset)"),
    ] = None,
    end: Annotated[
        str | None,
        Query(alias="to", max_length=64, description="before this instant (RFC 3339, offset)"),
    ] = None,
    view: Annotated[
        str | None, Query(min_length=1, max_length=64, description="decided under this view")
    ] = None,
    format: Format = "json",
    checkpoint: Annotated[
        int | None, Query(ge=0, le=2**63 - 1, description="count up to this kept checkpoint")
    ] = None,
    decision: Annotated[
        str | None, Query(min_length=1, max_length=256, description="authority: its chain")
    ] = None,
    actor: Annotated[
        str | None, Query(min_length=1, max_length=256, description="authority: its actor")
    ] = None,
    directive: Annotated[
        str | None,
        Query(min_length=1, max_length=256, description="before-after: around this directive"),
    ] = None,
    days: Annotated[
        str | None, Query(min_length=1, max_length=8, description="before-after: window days")
    ] = None,
) -> Response:
    """The report `name` over the records in [`from`, `to`) up to the newest signed
    checkpoint (or the kept one of size `checkpoint`), which it names at its top.
    `authority` takes `decision` (and `actor`): that decision's chain and the other views'
    outcome; `before-after` takes `directive` (default EO-25-005) and `days`; another
    report given one of these answers 422 naming it."""
    who.require(KeyRole.AUDITOR)
    entry(name)  # 404 naming the reports there are
    wanted = {"decision": decision, "actor": actor, "directive": directive, "days": days}
    given = report_run.options(name, wanted)
    svc.gateway.refuse_untrusted_index("report")
    gw = svc.gateway
    period = {"from": start, "to": end, "view": view}
    scope = report_run.scope(gw.ledger, gw.policy, period, checkpoint)
    doc = report_run.run(name, scope, gw.index, given)
    if format == "json":
        return JSONResponse(doc.model_dump(mode="json", by_alias=True))
    body = report_run.render(doc, format)
    return Response(body, media_type=report_run.MEDIA_TYPES[format])
