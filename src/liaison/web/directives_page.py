"""``/directives`` and ``/directives/{id}`` (issue 11, item 1; docs/pages.md, "Directives:
`/directives`, `/directives/{id}`"): the pack's directives over time under each view
(``reports.directive_timeline``), and one directive: its sections with their text (quoted or
paraphrased), its Cedar policies, its issuer and chain of authority up to the statute or
emergency power, and when it was in force under each view. Public texts: everyone may read
them. The pack is the one in force (``Gateway.current_policy``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from liaison.policy.in_force import boundaries
from liaison.reports import directive_timeline
from liaison.reports.authority_chain import chain_of, roots
from liaison.reports.directives import directive_detail
from liaison.web import timeline_svg
from liaison.web.links import directive_href
from liaison.web.render import page
from liaison.web.viewer import Viewer

router = APIRouter()
COLUMNS = ("view", "at", "event", "directive", "title", "issuer", "detail", "contested", "href")


@router.get("/directives")
def directives(request: Request, who: Viewer) -> Response:
    """Every directive's events under each view, ordered by date (a table per view)."""
    policy = request.app.state.services.gateway.current_policy()
    data = directive_timeline.timeline(policy)
    for view in data["views"]:
        for row in view["events"]:
            row["href"] = directive_href(row["directive"])
    rows = [[v["view"], *(e[c] for c in COLUMNS[1:])] for v in data["views"] for e in v["events"]]
    span = timeline_svg.window(max(boundaries(policy.pack)))
    zone = policy.pack.timezone
    drawn = {
        v["view"]: timeline_svg.svg(v["view"], v["in_force"], span, zone) for v in data["views"]
    }
    context = {"data": data, "pack": policy.pack, "drawn": drawn}
    return page(
        request, "directives.html.j2", context, data, table=(COLUMNS, rows), filename="directives"
    )


@router.get("/directives/{directive_id}")
def directive(
    request: Request,
    who: Viewer,
    directive_id: Annotated[str, Path(min_length=1, max_length=256)],
) -> Response:
    """One directive (404 naming it, and the pack's directives, when there is none)."""
    policy = request.app.state.services.gateway.current_policy()
    d = policy.pack.directive(directive_id)
    found = directive_timeline.standings(policy, d)
    chain = chain_of(policy.pack, d)
    data: dict[str, Any] = {
        **directive_detail(policy.pack, d),
        "authority_links": [link.model_dump() for link in chain],
        "authority_roots": roots(chain),
        "in_force": {v: s.model_dump(by_alias=True) for v, s in found.items()},
        "contested": directive_timeline.contested(found),
    }
    data.pop("file")  # where the pack lives on the server: not the reader's concern
    rows = [
        [view, span["from"], span["until"]]
        for view, s in data["in_force"].items()
        for span in s["intervals"]
    ]
    context = {"d": data, "views": policy.pack.views}
    return page(
        request,
        "directive.html.j2",
        context,
        data,
        table=(("view", "from", "until"), rows),
        filename=d.id,
    )
