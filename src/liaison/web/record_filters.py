"""The filter form of the records' pages (issue 11, item 1: "lists ... with the oversight
issue's filters"): what a page of records was asked (the API's filter names,
``liaison.reports.query_filter``, and its ``limit`` and ``cursor``), read into the same
``Filter`` the API parses, and the form's fields with the values asked kept.

A page takes what the API takes, and what a form sends besides: empty fields (no filter),
and for ``from`` and ``to`` a date alone, which means midnight in the pack's zone (D.C.:
Eastern), as well as an instant with its offset. A key given twice, a bad value, a bad
``limit`` or ``cursor`` is an ``InvalidRequest`` naming it, as the API answers."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from urllib.parse import urlencode

from starlette.requests import Request

from liaison.errors import InvalidRequest
from liaison.reports.query import MAX_LIMIT, Listing
from liaison.reports.query_filter import Filter, date_as_instant, parse_filter
from liaison.web.record_words import flag, outcome, words

OWN = ("format", "limit", "cursor")
TIMES = ("from", "to")  # the page's own parameters; the rest is the filter
LIMIT = 100  # rows on a page unless asked (the API's default)
LIMITS = (25, 100, 500, MAX_LIMIT)
LABELS = {
    "from": "From (date or instant)",
    "to": "Before (date or instant)",
    "decision": "Outcome",
    "directive": "Cites directive",
    "section": "Cites section",
    "encounter": "Encounter id",
    "federal_charge": "Federal criminal charge",
    "flag": "Flag",
}
# A key that means another thing in one kind of record.
LABELS_OF = {
    ("events", "decision"): "Cites decision (id)",
    ("events", "kind"): "Event kind",
    ("encounters", "kind"): "Encounter kind",
    ("encounters", "unit"): "Unit (opened it or took part)",
    ("encounters", "from"): "Started from (date or instant)",
    ("encounters", "to"): "Started before (date or instant)",
}
# The decisions' filters the form shows under "More filters".
MORE = frozenset(
    {
        "basis",
        "recipient_agency",
        "database",
        "district",
        "encounter_kind",
        "initiative",
        "legal_process",
        "federal_charge",
        "arrest_basis",
        "passengers",
        "operation_kind",
        "data_class",
    }
)
TIME_HINT = "A date (midnight Eastern) or an instant with its offset."


@dataclass(frozen=True, slots=True)
class Asked:
    """What a page of records was asked, as typed: the filter (key -> text, empty fields
    left out), the page size and the cursor; ``problem``: a key given twice."""

    given: dict[str, str]
    limit: str | None = None
    cursor: str | None = None
    problem: InvalidRequest | None = None

    def href(self, path: str, **changes: str | None) -> str:
        """``path`` with this filter and limit, and ``changes`` (None: left out)."""
        params: dict[str, str | None] = {**self.given, "limit": self.limit, **changes}
        kept = {k: v for k, v in params.items() if v is not None}
        return path + (f"?{urlencode(kept)}" if kept else "")


def read_asked(request: Request) -> Asked:
    """What ``request``'s query string asks (every value stripped of spaces)."""
    given: dict[str, str] = {}
    own: dict[str, str] = {}
    problem = None
    for key, raw in request.query_params.multi_items():
        value = raw.strip()
        into = own if key in OWN else given
        if key in into and problem is None:
            problem = InvalidRequest(key, f"{key}: given more than once")
        if value and key not in into:
            into[key] = value
    return Asked(given, own.get("limit"), own.get("cursor"), problem)


def parse(asked: Asked, listing: Listing, zone: tzinfo) -> tuple[Filter, int]:
    """The filter and page size ``asked`` means; ``InvalidRequest`` naming what is wrong."""
    if asked.problem is not None:
        raise asked.problem
    given = {k: date_as_instant(k, v, zone) if k in TIMES else v for k, v in asked.given.items()}
    return parse_filter(listing.filters, given), page_size(asked.limit)


def page_size(text: str | None) -> int:
    """The ``limit`` asked (1 to ``MAX_LIMIT``), or the default."""
    if text is None:
        return LIMIT
    if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise InvalidRequest("limit", f"limit: must be a whole number from 1 to {MAX_LIMIT}")
    return int(text)


@dataclass(frozen=True, slots=True)
class Field:
    """One control of the form: a select (``options``: value, words) or a text input."""

    key: str
    label: str
    value: str
    options: tuple[tuple[str, str], ...] | None
    hint: str | None
    more: bool


def form_fields(listing: Listing, asked: Asked, views: Sequence[str]) -> list[Field]:
    """The form's fields for ``listing``'s filters, in the API's order, each holding the
    value asked (``views``: the pack's, offered for ``view``)."""
    name = listing.filters.name
    vocabularies: Mapping[str, Collection[str]] = {**listing.filters.vocabulary}
    if "view" in listing.filters.keys:
        vocabularies = {**vocabularies, "view": views}
    fields = []
    for key in listing.filters.filter_keys:
        value = asked.given.get(key, "")
        known = vocabularies.get(key)
        label = LABELS_OF.get((name, key)) or LABELS.get(key) or words(key).capitalize()
        hint = TIME_HINT if key in TIMES else None
        options = None if known is None else _options(key, known, value)
        fields.append(Field(key, label, value, options, hint, name == "decisions" and key in MORE))
    return fields


def _options(key: str, known: Collection[str], value: str) -> tuple[tuple[str, str], ...]:
    """A select's options: all, each value in words, and the value asked if it is another
    (several, comma-separated: "any of them")."""
    shown = [("", "All")]
    shown += [(v, _option_text(key, v)) for v in known]
    if value and value not in known:
        shown.append((value, " or ".join(words(v) for v in value.split(","))))
    return tuple(shown)


def shown_limit(asked: Asked) -> int:
    """The page size the form shows as chosen: the one asked, or the default for a bad one."""
    try:
        return page_size(asked.limit)
    except InvalidRequest:
        return LIMIT


def _option_text(key: str, value: str) -> str:
    if key == "flag":
        return f"{value}: {flag(value)}"
    return outcome(value) if key == "decision" else words(value)


def limit_options(asked: Asked) -> tuple[int, ...]:
    """The page sizes offered, with the one asked."""
    return tuple(sorted({*LIMITS, shown_limit(asked)}))
