"""The reports as pages (issue 11, item 1; docs/pages.md, section Reports): ``/reports`` lists
them (``reports.catalog.CATALOG``), ``/reports/{name}`` shows one in the site's layout:
the checkpoint it counts up to, a form for its options, its tables (``doc.tables()``), each
count linked to the records behind it where the report gives their query, and its
downloads (``?format=html|csv|pdf|json``, rendered by ``reports.report_run.render``).

Auditors only, as ``GET /v1/reports`` (docs/reports.md, "Who may read them"). A report is
computed as the API computes it (``report_run``) and kept per checkpoint
(``web.cache.CACHE``, keyed by the checkpoint's size, the name and every option). Dates in
the form (``YYYY-MM-DD``) are midnight in the pack's zone; an instant with its offset is
taken as it is."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from liaison.api.deps import Services
from liaison.errors import InvalidRequest
from liaison.gateway.roles import KeyRole
from liaison.reports import report_run
from liaison.reports.catalog import CATALOG, Entry, entry
from liaison.reports.query_filter import date_as_instant
from liaison.reports.render_csv import cell
from liaison.reports.report_document import ReportDocument, Table
from liaison.web.cache import CACHE
from liaison.web.formatting import number, when
from liaison.web.links import page_of_query
from liaison.web.render import HEADERS, page
from liaison.web.viewer import Viewer, require_reader

router = APIRouter()
# What each report answers, for the list (the titles say what each is).
ANSWERS = {
    "council": "The Council's yes/no questions: how often, when, and the records behind "
    "each answer.",
    "annual-24-211.07d": "What D.C. Code § 24-211.07(d) asks each year: requests for "
    "information and detainers, and what was shared.",
    "authority": "Which directives were in force under each view, who issued them, on what "
    "authority; with a decision, its chain.",
    "before-after": "How actions with federal immigration agencies changed after a "
    "directive took effect, by district and unit.",
    "operations": "Each checkpoint and joint operation: declared purpose beside what its "
    "records show, and why it is flagged.",
    "review": "What an auditor must look at: flagged actions, mixed-purpose inquiries, "
    "what the views disagree on.",
}
DOWNLOADS = ("html", "csv", "pdf", "json")
# The report's own options (report_run.OPTIONS): the label of each form field.
OPTION_LABELS = {
    "decision": "Decision id (its chain)",
    "actor": "Actor of that decision",
    "directive": "Directive (default EO-25-005)",
    "days": "Days in each window (1 to 3660)",
}
PERIOD = ("from", "to", "view", "checkpoint")  # what every report takes
COUNT_COLUMNS = ("count",)  # the cells linked to a row's query
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})")


@dataclass(frozen=True, slots=True)
class Cell:
    """A table cell as shown: its text, a link, whether it is a number."""

    text: str
    href: str | None = None
    numeric: bool = False
    more: str | None = None  # a long list's every item, shown when the reader opens it


SHOWN_ITEMS = 3  # of a longer list (record ids), the first shown; the rest on demand


@router.get("/reports")
async def reports_list(request: Request, who: Viewer) -> Response:
    """The reports there are, each with what it answers."""
    require_reader(who, KeyRole.AUDITOR)
    listed = [
        {"name": e.name, "title": e.title, "answers": ANSWERS.get(e.name, ""), "href": _href(e)}
        for e in CATALOG.values()
    ]
    table = (["name", "title", "answers"], [[r["name"], r["title"], r["answers"]] for r in listed])
    context = {"reports": listed}
    return page(request, "reports.html.j2", context, {"reports": listed}, table=table)


@router.get("/reports/{name}")
def report_page(request: Request, name: str, who: Viewer) -> Response:
    """The report ``name`` with the options asked for, as a page or a download."""
    require_reader(who, KeyRole.AUDITOR)
    found = entry(name[:64])  # 404 naming the reports there are
    params = request.query_params
    fmt = params.get("format")
    if fmt is not None and fmt not in DOWNLOADS:
        raise InvalidRequest("format", f"format: this page offers {', '.join(DOWNLOADS)}")
    services: Services = request.app.state.services
    # every option, also those the report does not take (refused, naming them, as the API)
    asked = {k: (params.get(k) or "").strip() or None for k in (*PERIOD, *report_run.OPTIONS)}
    doc = _computed(services, found, asked)
    if fmt in ("html", "csv", "pdf"):
        return _download(doc, fmt)
    data = doc.model_dump(mode="json", by_alias=True)
    zone = str(services.gateway.policy.pack.timezone)
    context = {
        "doc": doc,
        "entry": found,
        "answers": ANSWERS.get(found.name, ""),
        "asked": asked,
        "fields": _form_fields(found),
        "views": list(services.gateway.policy.pack.views),
        "tables": [(t, _rows(t, zone)) for t in doc.tables()],
        "downloads": [(f, _download_href(request, f)) for f in DOWNLOADS],
    }
    return page(request, "report_page.html.j2", context, data)


def _href(e: Entry) -> str:
    return f"/reports/{e.name}"


def _fields(e: Entry) -> list[str]:
    """The query parameters the report takes: the period, view, checkpoint, its options."""
    own = [o for o, keyword in report_run.OPTIONS.items() if keyword in e.options]
    return [*PERIOD, *own]


def _form_fields(e: Entry) -> list[tuple[str, str]]:
    """The report's own options as (name, label)."""
    return [(f, OPTION_LABELS[f]) for f in _fields(e)[len(PERIOD) :]]


def _computed(services: Services, e: Entry, asked: Mapping[str, str | None]) -> ReportDocument:
    """The report over the options ``asked``, as the API computes it, kept per checkpoint."""
    gw = services.gateway
    given = report_run.options(e.name, {o: asked.get(o) for o in report_run.OPTIONS})
    services.gateway.refuse_untrusted_index("report")
    policy = gw.policy
    zone = policy.pack.timezone
    period = {k: asked.get(k) for k in ("from", "to", "view")}
    for k in ("from", "to"):  # a date alone: its midnight in the pack's zone, as the lists
        value = period[k]
        period[k] = date_as_instant(k, value, zone) if value else value
    where = report_run.scope(gw.ledger, policy, period, _size(asked.get("checkpoint")))
    key = (
        "report",
        where.checkpoint.size,
        where.checkpoint.root,  # another deployment's tree of the same size (tests) differs
        e.name,
        where.start,
        where.end,
        where.view,
        tuple(sorted(given.items())),
    )
    return CACHE.get(key, lambda: report_run.run(e.name, where, gw.index, given))


def _size(value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isdigit() or len(value) > 18:
        raise InvalidRequest("checkpoint", "checkpoint: a tree size (a whole number)")
    return int(value)


def _rows(table: Table, zone: str) -> list[list[Cell]]:
    """The table's rows as cells; where a row gives the query of its records (``query``),
    its count links to their page, and so does the query. Instants are shown in ``zone``
    with their offset (``when``)."""
    at = table.columns.index("query") if "query" in table.columns else None
    out: list[list[Cell]] = []
    for row in table.rows:
        query = row[at] if at is not None else None
        href = page_of_query(query) if isinstance(query, str) and query.startswith("/v1/") else None
        cells: list[Cell] = []
        for column, value in zip(table.columns, row, strict=True):
            if column == "query":
                cells.append(Cell("the records", href) if href else Cell(cell(value)))
            elif isinstance(value, int) and not isinstance(value, bool):
                link = href if column in COUNT_COLUMNS else None
                cells.append(Cell(number(value), link, numeric=True))
            elif isinstance(value, str) and _INSTANT.fullmatch(value):
                cells.append(Cell(when(value, zone)))
            elif len(items := _items(column, value)) > SHOWN_ITEMS:
                first = "; ".join(items[:SHOWN_ITEMS])
                shown = f"{first} and {len(items) - SHOWN_ITEMS:,} more"
                cells.append(Cell(shown, more="; ".join(items)))
            else:
                cells.append(Cell(cell(value)))
        out.append(cells)
    return out


def _items(column: str, value: Any) -> list[str]:
    """A list cell's items: a list's, or the ids a column of ids holds (space-separated)."""
    if isinstance(value, list):
        return [cell(v) for v in value]
    if isinstance(value, str) and column.endswith("ids"):
        return value.split()
    return []


def _download(doc: ReportDocument, fmt: str) -> Response:
    """``doc`` rendered as the API renders it, as a file to save."""
    disposition = f'attachment; filename="{doc.report}.{fmt}"'
    return Response(
        report_run.render(doc, fmt),
        media_type=report_run.MEDIA_TYPES[fmt],
        headers={**HEADERS, "Content-Disposition": disposition},
    )


def _download_href(request: Request, fmt: str) -> str:
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "format" and v]
    query.append(("format", fmt))
    return f"{request.url.path}?{urlencode(query)}"
