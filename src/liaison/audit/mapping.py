"""The mapping file of a ``mapped`` log (``--mapping FILE``, TOML 1.0): which column of
another system's CSV or JSON-lines log holds what (issue 13; docs/audit.md, "Formats").

Checked strictly, before any row is read: an unknown key, a missing ``at`` or ``reason``
column, a value of the wrong type, an unknown zone, kind or database is refused with an
``AuditInputError`` naming the mapping file and the key. Whether each named column exists
is checked against the log's header by ``mapped``.

    format = "csv"               # or "jsonl"; default "csv"
    delimiter = ","              # csv only
    kind = "own_search"          # own_search | outside_search | export
    database = "RMS"             # request-schema.md ``database``; default "OTHER"
    agency = "Springfield PD"    # the agency whose log it is (else --agency)

    [columns]                    # normalised field = the log's column
    at = "Timestamp"             # required
    reason = "Purpose"           # required
    source_id = "Log ID"
    user = "Officer"
    organisation = "Requesting Agency"
    case_number = "Case"
    agency = "Agency"

    [time]
    format = "iso"               # iso | us | unix | unix_ms | a strptime pattern
    timezone = "America/Chicago" # for times without an offset (else --timezone)

    [codes]                      # code name for the classifier = the log's column
    OFFENSE = "Offense Code"
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from liaison.audit.rows import RowKind
from liaison.errors import AuditInputError
from liaison.model.vocabulary import Database

TOP = frozenset({"format", "delimiter", "kind", "database", "agency", "columns", "time", "codes"})
COLUMNS = ("at", "reason", "source_id", "user", "organisation", "case_number", "agency")
REQUIRED = ("at", "reason")
TIME = frozenset({"format", "timezone"})


@dataclass(frozen=True, slots=True)
class Mapping:
    """A checked mapping file."""

    path: Path
    format: str  # "csv" or "jsonl"
    delimiter: str
    kind: RowKind
    database: str
    agency: str | None
    columns: dict[str, str]  # normalised field -> source column
    time_format: str | None  # None: ISO 8601 or Flock's US form
    timezone: ZoneInfo | None
    codes: dict[str, str] = field(default_factory=dict)  # code -> source column


def load_mapping(path: Path) -> Mapping:
    """Read and check ``path``; ``AuditInputError`` names the file and the key at fault."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise AuditInputError(f"{path}: cannot be read: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise AuditInputError(f"{path}: the mapping file is not UTF-8") from None
    except tomllib.TOMLDecodeError as error:
        raise AuditInputError(f"{path}: not TOML: {error}") from None
    bad = _Bad(path)
    bad.unknown(data, TOP, "")
    columns = _table(data, "columns", bad)
    bad.unknown(columns, frozenset(COLUMNS), "columns.")
    for key in REQUIRED:
        if key not in columns:
            raise bad(f"columns.{key}", "is required (the column that holds it)")
    time = _table(data, "time", bad)
    bad.unknown(time, TIME, "time.")
    codes = _table(data, "codes", bad)
    for name, column in (*columns.items(), *codes.items()):
        if not isinstance(column, str) or not column:
            where = "columns" if name in columns else "codes"
            raise bad(f"{where}.{name}", "must be a column name (a non-empty string)")
    return Mapping(
        path=path,
        format=_choice(data, "format", ("csv", "jsonl"), "csv", bad),
        delimiter=_delimiter(data, bad),
        kind=RowKind(_choice(data, "kind", tuple(RowKind), RowKind.OWN_SEARCH.value, bad)),
        database=_choice(data, "database", tuple(Database), Database.OTHER.value, bad),
        agency=_text(data, "agency", bad),
        columns=dict(columns),
        time_format=_text(time, "format", bad, "time.") or None,
        timezone=_zone(time, bad),
        codes={name.upper(): column for name, column in codes.items()},
    )


class _Bad:
    """Makes the error of a key of the mapping file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self, key: str, message: str) -> AuditInputError:
        return AuditInputError(f"{self.path}: {key}: {message}", field=key)

    def unknown(self, data: dict[str, Any], known: frozenset[str], prefix: str) -> None:
        for key in data:
            if key not in known:
                names = ", ".join(sorted(known))
                raise self(f"{prefix}{key}", f"unknown key (known: {names})")


def _table(data: dict[str, Any], key: str, bad: _Bad) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise bad(key, "must be a table ([" + key + "])")
    return value


def _text(data: dict[str, Any], key: str, bad: _Bad, prefix: str = "") -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise bad(prefix + key, "must be a string")
    return value


def _choice(
    data: dict[str, Any], key: str, choices: tuple[str, ...], default: str, bad: _Bad
) -> str:
    value = _text(data, key, bad) or default
    if value not in choices:
        raise bad(key, f"{value!r} is not one of " + ", ".join(choices))
    return value


def _delimiter(data: dict[str, Any], bad: _Bad) -> str:
    value = _text(data, "delimiter", bad) or ","
    if len(value) != 1 or value in '"\r\n':
        raise bad("delimiter", "must be one character (not a quote or a line end)")
    return value


def _zone(time: dict[str, Any], bad: _Bad) -> ZoneInfo | None:
    name = _text(time, "timezone", bad, "time.")
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise bad("time.timezone", f"{name!r} is not an IANA time zone") from None
