"""Column types. ``UTCDateTime``: instants are stored in UTC and read back aware.

SQLite has no time zone type: SQLAlchemy stores an aware datetime's wall-clock time
and drops its offset, so 12:00-04:00 would come back as 12:00. Converting to UTC
on the way in and attaching UTC on the way out makes both backends store and
return the same instant.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("refusing to store a timestamp without a UTC offset")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
