"""``/charts`` and ``/charts/actions.svg`` (issue 11, item 1: "charts of actions over time
by type and outcome, directive changes marked on the time axis"; docs/pages.md,
"Charts: `/charts`"):
permitted and denied decisions per day, week or month as an SVG drawn on the server
(``liaison.web.chart_svg``), inlined in the page beside the same numbers as a table, each
count a link to the records behind it. For readers of records (officer, supervisor,
auditor), counting what the key may read; ``?format=json|csv`` gives the series.

The chart of the default parameters is computed for an auditor after each new checkpoint
(``liaison.web.warmup``), so the first reader does not wait.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup

from liaison.api.deps import Services
from liaison.gateway.auth import Principal
from liaison.gateway.roles import KeyRole
from liaison.ledger.signing import StoredCheckpoint
from liaison.reports.directive_changes import Change
from liaison.web import chart_svg, warmup
from liaison.web.cache import CACHE
from liaison.web.charts_values import ACTIONS, Ask, ChartValues, parse_ask, reader_scope, values
from liaison.web.render import HEADERS, latest_checkpoint, page
from liaison.web.viewer import Viewer, require_reader

router = APIRouter()
READERS = (KeyRole.OFFICER, KeyRole.SUPERVISOR, KeyRole.AUDITOR)
CSV_COLUMNS = ("first_day", "last_day", "from", "to", "action", "decision", "count")
STEP_WORDS = {"day": "day", "week": "week (from Monday)", "month": "month"}


def _services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def _read(request: Request, who: Principal | None) -> tuple[Principal, ChartValues]:
    reader = require_reader(who, *READERS)
    services = _services(request)
    services.gateway.refuse_untrusted_index(
        "counts"
    )  # counts, as the API's stats: none from a database in doubt
    ask = parse_ask(request.query_params, services.gateway.policy.pack.views)
    return reader, values(services, reader, ask, latest_checkpoint(request))


def title(found: ChartValues) -> str:
    ask = found.ask
    what = f"{ask.action} decisions" if ask.action else "Decisions"
    view = f", view {ask.view}" if ask.view else ""
    period = found.data["period"]
    return f"{what} per {found.series.step}, {period['from']} to {period['to']} (Eastern){view}"


def mark_text(changes: list[Change]) -> str:
    """One line's label: the changes of one instant (``issued`` left out when the same
    directive took effect then)."""
    effective = {c.directive for c in changes if c.change == "effective"}
    shown = [c for c in changes if not (c.change == "issued" and c.directive in effective)]
    return "; ".join(c.label for c in shown)


def marks(found: ChartValues) -> list[chart_svg.Mark]:
    zone = found.series.buckets[0].start.tzinfo
    by_instant: dict[Any, list[Change]] = {}
    for change in found.changes:
        by_instant.setdefault(change.at, []).append(change)
    return [
        chart_svg.Mark(at.astimezone(zone).date(), mark_text(changes))
        for at, changes in sorted(by_instant.items())
    ]


def description(found: ChartValues) -> str:
    rows = found.data["buckets"]
    permits, denials = sum(r["permit"] for r in rows), sum(r["deny"] for r in rows)
    lines = "; ".join(m.text + f" ({m.day})" for m in marks(found)) or "none"
    return (
        f"Stacked bars per {STEP_WORDS[found.series.step]}: permitted decisions (solid) "
        f"below denied ones (hatched); {permits:,} permitted and {denials:,} denied in all. "
        f"Dashed vertical lines mark the directive changes under view {found.change_view}: "
        f"{lines}. The same numbers are in the table beside the chart."
    )


def svg(found: ChartValues, size: int, scope: tuple[str | None, ...]) -> str:
    """The chart (inline form), kept in the cache beside the values."""

    def draw() -> str:
        bars = [
            chart_svg.Bar(
                r["first_day"],
                found.series.buckets[n].first,
                r["permit"],
                r["deny"],
                r["permit_href"],
                r["deny_href"],
            )
            for n, r in enumerate(found.data["buckets"])
        ]
        return chart_svg.chart(bars, marks(found), title(found), description(found))

    return CACHE.get(("charts.svg", size, scope, found.ask), draw)


@router.get("/charts")
def charts_page(request: Request, who: Viewer) -> Response:
    reader, found = _read(request, who)
    size = found.data["checkpoint"]["size"]
    table = (CSV_COLUMNS, [[r[c] for c in CSV_COLUMNS] for r in found.data["series"]])
    if request.query_params.get("format", "html") != "html":
        return page(request, "charts.html.j2", {}, found.data, table=table, filename="charts")
    policy = _services(request).gateway.policy
    context = {
        "found": found,
        "ask": found.ask,
        "title_text": title(found),
        "svg": Markup(svg(found, size, reader_scope(reader))),
        "views": list(policy.pack.views),
        "actions": ACTIONS,
        "steps": list(STEP_WORDS),
        "step_words": STEP_WORDS,
        "query": found.ask.query(),
    }
    return page(request, "charts.html.j2", context, found.data, table=table, filename="charts")


@router.get("/charts/actions.svg")
def charts_svg(request: Request, who: Viewer) -> Response:
    reader, found = _read(request, who)
    size = found.data["checkpoint"]["size"]
    drawn = chart_svg.standalone(svg(found, size, reader_scope(reader)))
    return Response(drawn, media_type="image/svg+xml", headers=HEADERS)


WARM_READER = Principal("warmup", KeyRole.AUDITOR, "warmup", None)


@warmup.warmer("charts")
def warm_charts(services: Services, checkpoint: StoredCheckpoint) -> None:
    """The default chart (an auditor's: what every auditor reads first) over ``checkpoint``."""
    found = values(services, WARM_READER, Ask(), checkpoint)
    svg(found, checkpoint.size, reader_scope(WARM_READER))
