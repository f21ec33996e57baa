"""Where a page links to (issue 11, item 1: "a click from any count to the records behind
it"): the pages of records, a record, a directive. The records' pages take the API's filters
(``liaison.reports.query_filter``) under the same names, so an API query is a page's."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote, urlencode, urlsplit

RECORD_PAGES = ("decisions", "events", "encounters")


def records_href(kind: str, filters: Mapping[str, str | None]) -> str:
    """The page of the ``kind`` records (decisions, events, encounters) ``filters`` select."""
    if kind not in RECORD_PAGES:
        raise ValueError(f"no page of {kind}")
    given = {k: v for k, v in filters.items() if v is not None and v != ""}
    return f"/{kind}" + (f"?{urlencode(given)}" if given else "")


def page_of_query(query: str) -> str:
    """The page showing what an API query (``/v1/decisions?...``) selects."""
    parts = urlsplit(query)
    path = parts.path.removeprefix("/v1")
    return path + (f"?{parts.query}" if parts.query else "")


def decision_href(decision_id: str, actor: str | None = None) -> str:
    """A decision's page; ids are per actor, so the actor disambiguates."""
    href = f"/decisions/{quote(decision_id, safe='')}"
    return href + (f"?{urlencode({'actor': actor})}" if actor else "")


def encounter_href(encounter_id: str, unit: str | None = None) -> str:
    """An encounter's page; ids are per unit, so the unit disambiguates."""
    href = f"/encounters/{quote(encounter_id, safe='')}"
    return href + (f"?{urlencode({'unit': unit})}" if unit else "")


def directive_href(directive_id: str) -> str:
    return f"/directives/{quote(directive_id, safe='')}"
