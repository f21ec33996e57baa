"""How a page writes instants and numbers for a person (issue 11, item 3): instants in the
pack's zone (D.C.: America/New_York, "Eastern") with their offset, numbers with
thousands separators. The ISO instant stays in the ``datetime`` attribute of ``<time>``."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from markupsafe import Markup

DEFAULT_ZONE = "America/New_York"


def as_instant(value: datetime | str) -> datetime:
    """``value`` as an aware datetime (ISO strings may end in ``Z``); naive means UTC."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def local_text(value: datetime | str | None, zone: str = DEFAULT_ZONE) -> str:
    """``2025-08-14 11:53 -04:00``: the instant in ``zone``, to the minute, with its offset."""
    if value is None or value == "":
        return ""
    moment = as_instant(value).astimezone(ZoneInfo(zone))
    offset = moment.strftime("%z")
    return f"{moment:%Y-%m-%d %H:%M} {offset[:3]}:{offset[3:]}"


def when(value: datetime | str | None, zone: str = DEFAULT_ZONE) -> Markup:
    """A ``<time>`` element: the instant as ``local_text`` writes it, machine-readable in
    its ``datetime`` attribute (UTC, RFC 3339)."""
    if value is None or value == "":
        return Markup("")
    moment = as_instant(value).astimezone(UTC)
    stamp = moment.isoformat().replace("+00:00", "Z")
    return Markup('<time datetime="{}">{}</time>').format(stamp, local_text(moment, zone))


def number(value: int | float | str | None) -> str:
    """``12,345``; text (a suppressed cell such as ``<11``) and ``None`` as they are."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)  # the template escapes it
    return f"{value:,}"
