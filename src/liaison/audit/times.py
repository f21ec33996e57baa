"""The times of imported logs read as instants (UTC), one column at a time (issue 13).

An export writes its times as ISO 8601 (``2025-06-18T00:02:04.789Z``, an offset, or a
local time with no offset: ``2025-06-18 00:02:04.789``), as Flock's organization and
network audits do (``12/16/2025, 3:04:05 PM UTC``, month and day sometimes unpadded), or,
for a mapped log, in a ``strptime`` pattern or as Unix seconds. A time with no offset is
read in the zone given (``--timezone``, or the mapping's ``timezone``); without one it
cannot be placed and is refused. A local time that a zone's clock skips (spring forward)
or shows twice (fall back) is refused too: the export does not say which instant it was,
and an instant guessed an hour off could be judged under the wrong directives.

A ``TimeReader`` serves one column: ``read`` returns an aware UTC ``datetime`` or raises
``ValueError`` with the reason; ``zone_missing`` tells that a time without offset was met
with no zone to read it in (the reader then refuses the whole file before its first row).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

# Suffixes that name UTC in Flock's text (``... PM UTC``) and in other exports.
_UTC_NAMES = frozenset({"UTC", "GMT", "Z"})
_HOUR = timedelta(hours=1)


class LocalZone:
    """A zone's local times turned into UTC, with the offset of each whole local hour cached
    (``to_utc`` is on the path of every row of a large export).

    An hour whose offset is the same at its start and end, and the same for both readings
    of a repeated time (``fold``), is cached; any other is resolved time by time."""

    def __init__(self, zone: tzinfo) -> None:
        self.zone = zone
        self._offsets: dict[tuple[int, int, int, int], timedelta] = {}

    def to_utc(self, local: datetime) -> datetime:
        key = (local.year, local.month, local.day, local.hour)
        offset = self._offsets.get(key)
        if offset is None:
            offset = self._offset(local)
            if self._steady(local):
                self._offsets[key] = offset
        return (local - offset).replace(tzinfo=UTC)

    def _offset(self, local: datetime) -> timedelta:
        first = local.replace(tzinfo=self.zone, fold=0)
        second = local.replace(tzinfo=self.zone, fold=1)
        offset, other = first.utcoffset(), second.utcoffset()
        if offset is None or other is None:  # pragma: no cover - a zone always has one
            raise ValueError(f"the zone {self.zone} gives no offset for {local}")
        if offset != other:
            back = (local - offset).replace(tzinfo=UTC).astimezone(self.zone)
            if back.replace(tzinfo=None) != local:
                raise ValueError(
                    f"{local.isoformat(sep=' ')} does not exist in {self.zone} (the clocks "
                    "skipped it); the export's zone may be wrong"
                )
            raise ValueError(
                f"{local.isoformat(sep=' ')} happened twice in {self.zone} (the clocks "
                "went back); the export does not say which, so the instant is unknown"
            )
        return offset

    def _steady(self, local: datetime) -> bool:
        start = local.replace(minute=0, second=0, microsecond=0)
        end = start + _HOUR - timedelta(microseconds=1)
        offsets = {
            moment.replace(tzinfo=self.zone, fold=fold).utcoffset()
            for moment in (start, end)
            for fold in (0, 1)
        }
        return len(offsets) == 1


class TimeReader:
    """Reads one column's times. ``pattern`` is None (ISO 8601, or Flock's US form, told
    apart by the text), ``"us"`` (Flock's form only), ``"unix"`` / ``"unix_ms"`` (seconds
    or milliseconds since the epoch, UTC) or a ``strptime`` pattern."""

    def __init__(self, zone: ZoneInfo | None, pattern: str | None = None) -> None:
        self.local = LocalZone(zone) if zone is not None else None
        self.pattern = pattern
        self.zone_missing = False

    def read(self, text: str) -> datetime:
        """The instant ``text`` names, in UTC; ``ValueError`` says why it names none."""
        pattern = self.pattern
        if pattern is None:
            if text[:4].isdigit() and len(text) > 10:
                try:
                    moment = datetime.fromisoformat(text)
                except ValueError:
                    moment = _iso_loose(text)
            else:
                moment = _us(text)
        elif pattern == "us":
            moment = _us(text)
        elif pattern in ("unix", "unix_ms"):
            return _unix(text, 1000 if pattern == "unix_ms" else 1)
        else:
            moment = _strptime(text, pattern)
        tz = moment.tzinfo
        if tz is UTC:
            return moment
        if tz is not None:
            return moment.astimezone(UTC)
        if self.local is None:
            self.zone_missing = True
            raise ValueError(f"{text!r} has no UTC offset, and no --timezone was given")
        return self.local.to_utc(moment)


def _iso_loose(text: str) -> datetime:
    """ISO 8601 with what ``fromisoformat`` refuses but exports write: surrounding spaces,
    a trailing `` UTC``."""
    stripped = text.strip()
    zone = ""
    head, _, tail = stripped.rpartition(" ")
    if head and tail.upper() in _UTC_NAMES:
        stripped, zone = head.strip(), "+00:00"
    if len(stripped) <= 10:
        raise ValueError(f"{text!r} has no time of day")
    try:
        return datetime.fromisoformat(stripped + zone)
    except ValueError:
        raise ValueError(f"{text!r} is not a time (ISO 8601 expected)") from None


def _us(text: str) -> datetime:
    """Flock's ``MM/DD/YYYY, hh:mm:ss AM UTC`` (month and day may be unpadded, the comma,
    the seconds and the zone name may be missing; a 24-hour time has no AM/PM)."""
    try:
        date_part, _, rest = text.strip().partition(" ")
        month, day, year = date_part.rstrip(",").split("/")
        words = rest.split()
        clock = words[0].split(":")
        hour, minute = int(clock[0]), int(clock[1])
        second, micro = 0, 0
        if len(clock) > 2:
            whole, _, fraction = clock[2].partition(".")
            second = int(whole)
            micro = int((fraction + "000000")[:6]) if fraction else 0
        names = [word.upper() for word in words[1:]]
        if names and names[0] in ("AM", "PM"):
            if not 1 <= hour <= 12:
                raise ValueError
            hour = hour % 12 + (12 if names.pop(0) == "PM" else 0)
        if len(names) > 1 or (names and names[0] not in _UTC_NAMES):
            raise ValueError
        zone = UTC if names else None
        return datetime(int(year), int(month), int(day), hour, minute, second, micro, zone)
    except (ValueError, IndexError):
        raise ValueError(
            f"{text!r} is not a time (ISO 8601 or MM/DD/YYYY, hh:mm:ss AM UTC expected)"
        ) from None


def _unix(text: str, per_second: int) -> datetime:
    try:
        return datetime.fromtimestamp(float(text) / per_second, UTC)
    except (ValueError, OverflowError, OSError):
        raise ValueError(f"{text!r} is not a Unix time") from None


def _strptime(text: str, pattern: str) -> datetime:
    try:
        return datetime.strptime(text.strip(), pattern)
    except ValueError:
        raise ValueError(f"{text!r} does not match the time format {pattern!r}") from None
