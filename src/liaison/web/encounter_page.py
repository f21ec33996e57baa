"""An encounter's or an operation's page (issue 11, item 1: "an encounter / operation page
(declared purpose beside what was done, flags)"): ``/encounters/{id}?unit=``.

It shows what ``GET /v1/encounters/{id}`` answers (``Gateway.encounter``): what the
encounter declared (purpose, kind, place, agencies, its unit and the units taking part,
when) beside what its records show (what its end reported, its decisions by action and
outcome, its events by kind, the flagged ones), its flags and what they mean
(``gateway.encounter_flags``), and the decisions and events under it that the reader may
read, each linked. An operation (``reports.operation_records.is_operation``) also shows its
``joint_operation`` decisions. Ids are per unit: an id naming several encounters the
reader may read is a page of the choices (409), each a link; an unknown one is a 404 page.
Records readers only, as the API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from liaison.api.deps import RECORD_READERS, Svc
from liaison.errors import Ambiguous
from liaison.gateway.encounter_flags import JOINT_OPERATION
from liaison.reports.operation_records import is_operation
from liaison.web import links, render
from liaison.web.error_pages import is_page
from liaison.web.lists import cited_decision_href
from liaison.web.record_words import HELPERS, outcome
from liaison.web.viewer import Viewer, require_reader

router = APIRouter()
TEMPLATE = "encounter.html.j2"
COLUMNS = ("record", "id", "at", "what", "outcome", "actor", "decision_id", "flagged")
# What an encounter may leave undeclared (its answer then has no such member).
UNDECLARED: dict[str, Any] = {
    "district": None,
    "place": None,
    "location": None,
    "agencies": [],
    "declared_purpose": None,
    "outcome": None,
}
# What an encounter's end reports, in the order the page shows it.
REPORTED = (
    ("vehicles_stopped", "Vehicles stopped"),
    ("infractions", "Infractions"),
    ("arrests", "Arrests"),
)


@router.get("/encounters/{encounter_id}")
def encounter_page(
    request: Request,
    encounter_id: str,
    who: Viewer,
    svc: Svc,
    unit: Annotated[str | None, Query(min_length=1, max_length=256)] = None,
) -> Response:
    """The encounter of the id (of ``unit``, when several units' are readable)."""
    reader = require_reader(who, *RECORD_READERS)
    try:
        found = svc.gateway.encounter(encounter_id, reader, unit)
    except Ambiguous as exc:
        if not is_page(request):
            raise
        return choices_page(request, encounter_id, exc)
    joint = [d for d in found["decisions"] if d["action"] == JOINT_OPERATION]
    context = {
        "encounter": {**UNDECLARED, **found},
        "operation": is_operation(found["kind"], found, bool(joint)),
        "joint": joint,
        "reported": REPORTED,
        "lists": {
            kind: links.records_href(kind, {"encounter": found["id"]})
            for kind in ("decisions", "events")
        },
        "cited_decision_href": cited_decision_href,
        **HELPERS,
    }
    table = (COLUMNS, _rows(found))
    name = f"encounter-{found['unit']}-{found['id']}"
    return render.page(request, TEMPLATE, context, found, table=table, filename=name)


def _rows(found: dict[str, Any]) -> list[list[Any]]:
    """The records under the encounter, one row each (the page's CSV)."""
    rows: list[list[Any]] = [
        ["decision", d["id"], d["at"], d["action"], outcome(d["decision"]), d["actor"], None, None]
        for d in found["decisions"]
    ]
    rows += [
        ["event", e["id"], e["at"], e["kind"], None, e["actor"], e["decision_id"], e["flagged"]]
        for e in found["events"]
    ]
    return rows


def choices_page(request: Request, encounter_id: str, exc: Ambiguous) -> Response:
    """The encounters an ambiguous id names, each a link (409)."""
    choices = [(choice, links.encounter_href(encounter_id, choice)) for choice in exc.choices or []]
    context = {"encounter_id": encounter_id, "choices": choices, "message": exc.message}
    body = render.render_template(request, "encounter_choices.html.j2", context)
    return HTMLResponse(body, status_code=409, headers=render.HEADERS)
