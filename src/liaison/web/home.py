"""The start page ``/`` (issue 11, item 1; docs/pages.md, "The start page: `/`"): what liaison
is, the latest signed checkpoint, the Council's yes/no sheet (``reports.council_sheet``) and
the links in. Everyone may read it; an auditor reads the sheet exactly, with the records
behind each count, everyone else its published form (suppressed, no ids, no dates finer than
the period).

The sheet counts up to the latest *kept* signed checkpoint: a public page never makes the
service sign (see ``checkpoint_page``). It is kept per checkpoint and period
(``web.cache.CACHE``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from liaison.api.deps import Services
from liaison.errors import Forbidden
from liaison.gateway.auth import Principal
from liaison.gateway.roles import KeyRole
from liaison.ledger.proofs import b64
from liaison.ledger.signing import StoredCheckpoint
from liaison.model.timestamps import now_utc
from liaison.reports import council_sheet, report_run
from liaison.reports.council_sheet import Period
from liaison.reports.report_council import CouncilReport
from liaison.web import warmup
from liaison.web.cache import CACHE
from liaison.web.links import page_of_query
from liaison.web.render import latest_checkpoint, page
from liaison.web.viewer import Viewer

router = APIRouter()
LINKS = (
    ("/public", "Public figures", "the published counts, small ones suppressed"),
    ("/directives", "Directives", "who gave the orders, and when each was in force"),
    ("/charts", "Charts", "actions over time, directive changes marked"),
    ("/decisions", "Decisions", "every decision recorded, with its proof"),
    ("/reports", "Reports", "the oversight reports, as HTML, CSV and PDF"),
    ("/docs", "API", "the API's documentation"),
    ("/signin", "Sign in", "with an API key, to read the records"),
)


@router.get("/")
def home(request: Request, who: Viewer) -> Response:
    """The start page; ``?from=&to=`` (auditors) choose the sheet's period."""
    services: Services = request.app.state.services
    auditor = who is not None and who.role is KeyRole.AUDITOR
    given = {k: request.query_params.get(k) for k in ("from", "to")}
    _may_choose(who, given)
    latest = latest_checkpoint(request)
    fault = services.gateway.rules.fault
    sheet = None
    if latest is not None and fault is None:
        sheet = _sheet(services, latest, given, auditor)
    data = {
        "checkpoint": _checkpoint(latest),
        "sheet": sheet,
        "withheld": None if fault is None else f"the database disagrees with the ledger: {fault}",
        "links": [{"href": href, "label": label} for href, label, _ in LINKS],
    }
    rows = [] if sheet is None else [_row(a, auditor) for a in sheet["answers"]]
    columns = ["id", "question", "answer", "count"] + (["first", "last"] if auditor else [])
    context = {"data": data, "auditor": auditor, "links": LINKS, "latest": latest}
    return page(request, "home.html.j2", context, data, table=(columns, rows), filename="council")


@warmup.warmer("home")
def warm_home(services: Services, checkpoint: StoredCheckpoint) -> None:
    """The start page's two default sheets (an auditor's, the published one) over a newly
    signed ``checkpoint``."""
    for auditor in (True, False):
        _sheet(services, checkpoint, {"from": None, "to": None}, auditor)


def _may_choose(who: Principal | None, given: dict[str, str | None]) -> None:
    """Only an auditor chooses the period: two public sheets over overlapping periods of
    one's choosing could be subtracted to reveal a count the sheet suppresses."""
    for name, value in given.items():
        if value and (who is None or who.role is not KeyRole.AUDITOR):
            raise Forbidden(
                f"{name}: only an auditor chooses the sheet's period (two public sheets over "
                "overlapping periods could be subtracted to reveal a suppressed count)",
                field=name,
            )


def _sheet(
    services: Services, latest: StoredCheckpoint, given: dict[str, str | None], auditor: bool
) -> dict[str, Any]:
    gw = services.gateway
    zone = gw.policy.pack.timezone
    newest = CACHE.get(
        ("newest-record", latest.size, latest.root),
        lambda: council_sheet.newest_record(gw.ledger.engine, latest.size),
    )
    today = now_utc().astimezone(zone).date()
    if auditor:
        period = council_sheet.default_period(newest, zone, today)
    else:
        period = council_sheet.public_period(newest, zone, today)
    if any(given.values()):
        period = council_sheet.chosen_period(given, zone, period)

    def compute() -> CouncilReport:
        times = {"from": period.start.isoformat(), "to": period.end.isoformat()}
        scope = report_run.scope(gw.ledger, gw.policy, times, latest.size)
        return council_sheet.council(scope)

    # the root too: two databases (a test's, a rebuilt one) may hold trees of one size
    key = (
        "council-sheet",
        latest.size,
        latest.root,
        period.start.isoformat(),
        period.end.isoformat(),
    )
    doc = CACHE.get(key, compute)
    if not auditor:
        return council_sheet.public_sheet(doc, period)
    sheet = council_sheet.full_sheet(doc, period)
    for answer in sheet["answers"]:
        _link(answer, period)
        for part in ("denied", "carried_out", "carried_out_despite_denial"):
            if answer[part] is not None:
                _link(answer[part], period)
    return sheet


def _link(records: dict[str, Any], period: Period) -> None:
    """Where the count's records are listed: the records' page of its query, or (no
    filter selects them) the council report, which names their ids."""
    if records["query"] is not None:
        records["href"] = page_of_query(records["query"])
        return
    span = {"from": period.start.isoformat(), "to": period.end.isoformat()}
    records["href"] = "/reports/council?" + urlencode(span, safe=":")


def _checkpoint(latest: StoredCheckpoint | None) -> dict[str, Any] | None:
    if latest is None:
        return None
    signed: datetime = latest.created_at
    return {
        "size": latest.size,
        "root": b64(latest.root),
        "signed_at": signed.isoformat(),
    }


def _row(answer: dict[str, Any], auditor: bool) -> list[Any]:
    row = [answer["id"], answer["question"], answer["answer"], answer["count"]]
    return row + ([answer["first"], answer["last"]] if auditor else [])
