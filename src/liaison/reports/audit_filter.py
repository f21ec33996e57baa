"""What a report of audited rows selects (issue 13, item 4; docs/audit.md, "Reports"): the
rows of complete imports (``audit_imports.ledger_index`` set: an import still being
appended is never counted), by import, agency, finding, decision, purpose class and time.

The purpose class of a row (``purpose_class``) is what the classifier made of it:
``immigration`` (an immigration purpose), ``review`` (ambiguous: in the review queue, no
verdict), ``other`` (a purpose, none of them immigration) or ``unknown`` (no purpose found).

``from``/``to`` take an instant (RFC 3339 with an offset) or a month ``YYYY-MM``: the month
that starts in each row's agency zone (``ZONE``: its import's ``--timezone``, else the
zone of its pack, else UTC),
so that ``from=2025-06&to=2025-09`` is June to August wherever each agency is. The filter
is a ``query_filter.Filter`` over ``AUDIT_FILTERS``, parsed and applied as the records'
filters are; only auditors may read audited rows (user ids, plates, free-text reasons).
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, Connection, and_, case, literal, or_, select, true

from liaison.errors import Forbidden, InvalidRequest
from liaison.gateway.auth import Principal
from liaison.gateway.roles import KeyRole
from liaison.reports.query_filter import (
    Condition,
    Filter,
    Filters,
    Values,
    equals,
    parse_filter,
)
from liaison.storage.tables import audit_imports, audit_rows

PURPOSE_CLASSES = ("immigration", "other", "review", "unknown")
DECISIONS = ("permit", "deny", "not_judged", "review")
UTC_NAME = "UTC"
_MONTH = re.compile(r"(\d{4})-(\d{2})")

r = audit_rows.c
# The row's purpose class (module docstring), as SQL.
PURPOSE_CLASS: ColumnElement[str] = case(
    (r.immigration.is_(None), literal("review")),
    (r.immigration.is_(True), literal("immigration")),
    (r.purposes == "[]", literal("unknown")),
    else_=literal("other"),
)


@functools.cache
def pack_zones() -> dict[str, str]:
    """The zone each shipped pack names in its ``pack.toml`` (``timezone``)."""
    from liaison.policy import shipped_pack_path

    root = shipped_pack_path().parent
    found = {}
    for folder in sorted(root.iterdir()):
        meta = folder / "pack.toml"
        if meta.is_file():
            found[folder.name] = str(tomllib.loads(meta.read_text("utf-8"))["timezone"])
    return found


def import_zone() -> ColumnElement[str | None]:
    """An import's zone, as SQL: its ``timezone`` (``--timezone``, given when the file's
    times had no offset), else its pack's (a file whose times carry offsets says nothing of
    the agency's zone; the pack of its jurisdiction does), else None (UTC)."""
    i = audit_imports.c
    packs = [(i.pack == name, literal(zone)) for name, zone in pack_zones().items()]
    return case((i.timezone.is_not(None), i.timezone), *packs, else_=literal(None))


def zone_name(timezone: str | None, pack: str | None) -> str | None:
    """``import_zone`` in Python, for an import's ``timezone`` and ``pack``."""
    return timezone or (pack_zones().get(pack) if pack else None)


def zone_of(name: str | None) -> ZoneInfo:
    """An import's zone (its ``timezone``), UTC when it names none or an unknown one."""
    try:
        return ZoneInfo(name or UTC_NAME)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(UTC_NAME)


def complete() -> ColumnElement[bool]:
    """The row belongs to a complete import (its ``audit_import`` entry appended)."""
    i = audit_imports.c
    done = select(i.id).where(i.ledger_index.is_not(None))
    return r.import_id.in_(done)


def _class(values: Values, _: Filter) -> ColumnElement[bool]:
    return PURPOSE_CLASS.in_(values)


def _finding(values: Values, _: Filter) -> ColumnElement[bool]:
    return or_(*(r.finding.is_(v == "yes") for v in values))


def _month_bound(later: bool) -> Condition:
    """``from_month``/``to_month``: on or after (before) the month's start in each import's
    zone: one condition per zone the imports name (the filter's ``zones``)."""

    def condition(values: Values, wanted: Filter) -> ColumnElement[bool]:
        year, month = (int(p) for p in values[0].split("-"))
        i = audit_imports.c
        parts = []
        for name in wanted.get("zones") or ("",):
            start = datetime(year, month, 1, tzinfo=zone_of(name))
            zone = import_zone()
            named = zone.is_(None) if not name else zone == name
            bound = r.at >= start if later else r.at < start
            parts.append(and_(r.import_id.in_(select(i.id).where(named)), bound))
        return or_(*parts)

    return condition


def _scope(who: Principal) -> ColumnElement[bool]:
    if who.role is KeyRole.AUDITOR:
        return complete()
    raise Forbidden(f"role {who.role.value} may not read audited rows")


AUDIT_FILTERS = Filters(
    "audit rows",
    audit_rows,
    "at",
    {
        "import": equals(audit_rows, "import_id"),
        "agency": equals(audit_rows, "agency"),
        "organisation": equals(audit_rows, "organisation"),
        "finding": _finding,
        "decision": equals(audit_rows, "decision"),
        "purpose_class": _class,
        "from_month": _month_bound(True),
        "to_month": _month_bound(False),
        "zones": lambda _, __: true(),  # the zones the imports name (``parse``)
    },
    {"finding": ("yes", "no"), "decision": DECISIONS, "purpose_class": PURPOSE_CLASSES},
    _scope,
)
KEYS = ("import", "agency", "organisation", "finding", "decision", "purpose_class")


def parse(given: Mapping[str, str | None], zones: list[str | None]) -> Filter:
    """The filter ``given`` asks for (keys ``KEYS``, ``from``, ``to``; None or empty:
    not asked); ``zones``: the zones the imports name (``imports_zones``), for months.
    ``InvalidRequest`` names a bad key or value."""
    asked = {k: v for k, v in given.items() if v}
    for key in asked:
        if key not in (*KEYS, "from", "to"):
            known = ", ".join((*KEYS, "from", "to"))
            raise InvalidRequest(key, f"{key}: not a filter of audit rows (one of {known})")
    months: dict[str, str] = {}
    for key in ("from", "to"):
        value = asked.get(key)
        if value is not None and (found := _MONTH.fullmatch(value)):
            if not 1 <= int(found.group(2)) <= 12:
                raise InvalidRequest(key, f"{key}: {value!r} is not a month (YYYY-MM)")
            months[f"{key}_month"] = asked.pop(key)
    if len(months) == 2 and months["from_month"] >= months["to_month"]:
        raise InvalidRequest("to", "to: must be after from")
    parsed = parse_filter(AUDIT_FILTERS, {**asked, **months})
    named = tuple(z or "" for z in zones)
    return Filter(parsed.start, parsed.end, (*parsed.values, ("zones", named)))


def imports_zones(conn: Connection) -> list[str | None]:
    """Every zone of an import (``import_zone``; None: UTC)."""
    return list(conn.execute(select(import_zone()).distinct()).scalars())
