"""RFC 3339 instants: parsing with a mandatory offset, and rendering in a zone.

A timestamp is an instant. The same moment may arrive as ``-04:00`` or ``Z``;
comparisons are on the instant. liaison stores UTC and shows the
jurisdiction's zone (America/New_York for D.C.).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo

from liaison.errors import InvalidRequest

# RFC 3339 section 5.6 date-time; "T" or a space (the note in 5.6) between date and time.
# time-secfrac is 1*DIGIT; offset minutes are 00-59 (datetime.fromisoformat would read
# "-04:60" as -05:00). The other ranges are checked by fromisoformat.
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:[0-5]\d)$")


def parse_instant(value: object) -> datetime:
    """Parse an RFC 3339 timestamp that carries an offset; raise ValueError otherwise."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("timestamp has no UTC offset")
        return value
    if not isinstance(value, str):
        raise ValueError("must be an RFC 3339 timestamp string with an offset")
    if not _RFC3339.match(value):
        if re.match(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$", value):
            raise ValueError(
                f"timestamp {value!r} has no UTC offset (add Z or -04:00/-05:00, for example)"
            )
        raise ValueError(f"{value!r} is not an RFC 3339 timestamp with an offset")
    text = value.replace("z", "Z").replace("t", "T")
    frac = re.search(r"\.(\d+)", text)
    if frac and len(frac.group(1)) > 6:  # Python keeps microseconds: truncate, never round up
        text = text.replace(frac.group(0), "." + frac.group(1)[:6])
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a valid date and time: {exc}") from None


def render(moment: datetime, zone: tzinfo) -> str:
    """RFC 3339 text of an instant in ``zone``, seconds precision unless finer."""
    local = moment.astimezone(zone)
    spec = "microseconds" if local.microsecond else "seconds"
    return local.isoformat(timespec=spec)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def micros(moment: datetime) -> int:
    """The instant as whole microseconds since the Unix epoch (exact; for fast comparisons)."""
    return (moment - _EPOCH) // _MICROSECOND


def now_utc() -> datetime:
    return datetime.now(UTC)


def check_representable(moment: datetime, field: str, zone: tzinfo) -> None:
    """Refuse (``InvalidRequest`` naming ``field``) an instant that cannot be stored in UTC
    or shown in ``zone``: near the ends of the calendar, an offset moves it out of range."""
    try:
        moment.astimezone(UTC)
        moment.astimezone(zone)
    except OverflowError:
        raise InvalidRequest(
            field, f"{field}: {moment.isoformat()} is outside the range of representable instants"
        ) from None
