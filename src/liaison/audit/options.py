"""What a reader is told besides the file: the options of ``liaison audit import`` and
``classify`` (``--timezone``, ``--agency``, ``--mapping``), and the file being read (issue
13). ``ReadOptions`` is published as ``liaison.audit.readers.ReadOptions``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """``timezone``: the zone of times written without an offset (none: such times are
    refused); ``agency``: the agency whose log it is, when the export does not say (a
    network audit needs it to tell the agency's own searches from others'); ``mapping``:
    the mapping file of a ``mapped`` log."""

    timezone: ZoneInfo | None = None
    agency: str | None = None
    mapping: Path | None = None


@dataclass(frozen=True, slots=True)
class Source:
    """The file a reader reads: its name as given, the SHA-256 of its bytes, its format."""

    file: str
    sha256: str
    format: str
    options: ReadOptions
