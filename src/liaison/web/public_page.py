"""``/public``: the public transparency page (issue 11, item 2; docs/pages.md, "The tables").

No key is needed and every reader sees the same: the public figures
(``liaison.reports.public_tables``) over the newest kept signed checkpoint (none is signed
for the page) and the period asked (``?from=&to=``, RFC 3339 with offset, whole months;
default: all), each table naming the checkpoint; small counts suppressed.
``?format=json``: every table; ``?format=csv&table=ID`` or ``/public/ID.csv``: one.
Computed once per checkpoint and period (``web.cache.CACHE``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from liaison.api.deps import Services
from liaison.errors import InvalidRequest, Unavailable
from liaison.ledger.signing import StoredCheckpoint
from liaison.reports import report_run
from liaison.reports.public_tables import PublicFigures, build, spreadsheet_safe
from liaison.reports.query_formats import table_csv
from liaison.reports.suppression import MEANING, SHOWN, WITHHELD
from liaison.web import warmup
from liaison.web.cache import CACHE
from liaison.web.render import HEADERS, latest_checkpoint, page
from liaison.web.viewer import Viewer

router = APIRouter()


def figures(request: Request) -> PublicFigures:
    """The public figures of the newest checkpoint over the period asked, kept per
    checkpoint size and period; none while the database disagrees with the ledger (as the
    API's reports), nor before a checkpoint is signed."""
    services = request.app.state.services
    services.gateway.refuse_untrusted_index("public figures")
    asked = {k: request.query_params.get(k) or None for k in ("from", "to")}
    # The newest kept checkpoint, never signed here: the figures change when one is signed.
    latest = latest_checkpoint(request)
    if latest is None:
        raise Unavailable(f"no public figures yet: {report_run.NO_CHECKPOINT}")
    return figures_of(services, asked, latest)


@warmup.warmer("public")
def warm_public(services: Services, checkpoint: StoredCheckpoint) -> None:
    """The default public figures (every period) over a newly signed ``checkpoint``."""
    figures_of(services, {"from": None, "to": None}, checkpoint)


def figures_of(
    services: Services, asked: dict[str, str | None], checkpoint: StoredCheckpoint
) -> PublicFigures:
    """The public figures over ``checkpoint`` and the period ``asked``, kept per checkpoint
    and period as asked: a reader served from the cache costs no read of the ledger's
    checkpoints (``report_run.scope`` lists them)."""
    gateway = services.gateway

    def compute() -> PublicFigures:
        where = report_run.scope(gateway.ledger, gateway.policy, asked, checkpoint.size)
        return build(where, gateway.index)

    key = ("public", checkpoint.size, checkpoint.root, asked.get("from"), asked.get("to"))
    return CACHE.get(key, compute)


def _answer(request: Request, found: PublicFigures, table: str | None) -> Response:
    if table is not None and table not in found.ids():
        raise InvalidRequest("table", f"table: one of {', '.join(found.ids())}")
    wanted = request.query_params.get("format", "html")
    if wanted == "csv" and table is None:
        raise InvalidRequest("table", f"table: a CSV is one table, one of {', '.join(found.ids())}")
    columns, rows = found.csv(table or found.ids()[0])
    context = {
        "figures": found,
        "legend": {"small": (SHOWN, MEANING[SHOWN]), "withheld": (WITHHELD, MEANING[WITHHELD])},
    }
    return page(
        request,
        "public.html.j2",
        context,
        found.to_dict(),
        table=(columns, spreadsheet_safe(rows)),
        filename=f"public-{table or found.ids()[0]}",
    )


@router.get("/public")
def public(request: Request, who: Viewer) -> Response:
    """The public figures (no key needed; a key changes nothing)."""
    return _answer(request, figures(request), request.query_params.get("table"))


@router.get("/public/{table}.csv")
def public_csv(request: Request, who: Viewer, table: str) -> Response:
    """One public table as CSV."""
    found = figures(request)
    if table not in found.ids():
        raise InvalidRequest("table", f"table: one of {', '.join(found.ids())}")
    columns, rows = found.csv(table)
    headers = {"Content-Disposition": f'attachment; filename="public-{table}.csv"'}
    return Response(
        table_csv(columns, spreadsheet_safe(rows)),
        media_type="text/csv; charset=utf-8",
        headers={**HEADERS, **headers},
    )
