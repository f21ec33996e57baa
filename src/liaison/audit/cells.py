"""The cells of an export: its column names as a person would match them, and the markers
that say a cell was redacted (issue 13).

Flock exports and the agencies that release them mask a cell in several ways: ``***``
(Flock's own mask, and many agencies'), ``* * *``, ``###``, ``REDACTED`` and
``[REDACTED]`` in any case and with stray spaces (Marin County's ``' REDACTED'``). A
redacted cell is not an empty one: the value existed and was withheld. A cell that only
starts with a marker (``REDACTED, stolen vehicle``) was partly released and is kept as a
value; a ``*`` inside a longer value is a wildcard (a partial plate), not a mask.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

_MARKERS = frozenset({"***", "* * *", "###", "redacted", "[redacted]", "(redacted)"})
# The first character of a cell that may be a marker (before any spaces are stripped).
MARKER_STARTS = frozenset(" \t*#[(rR")


def is_redacted(cell: str) -> bool:
    """Whether the whole cell is a redaction marker (``***``, ``REDACTED``, ...)."""
    if not cell or cell[0] not in MARKER_STARTS:
        return False
    text = cell.strip()
    if not text:
        return False
    if text.casefold() in _MARKERS:
        return True
    return len(text) >= 3 and (set(text) == {"*"} or set(text) == {"#"})


def column_key(name: str) -> str:
    """A column name as matched: a byte-order mark and surrounding spaces dropped, inner
    spaces collapsed, case folded (``" Org  Name"`` and ``"org name"`` are the same)."""
    return " ".join(name.replace("\ufeff", "").split()).casefold()


def snake(name: str) -> str:
    """A column name as a normalised field name (``"Case #"`` -> ``"case"``,
    ``"License Plate"`` -> ``"license_plate"``), for ``AuditRow.redacted``."""
    words = "".join(c if c.isalnum() else " " for c in column_key(name)).split()
    return "_".join(words) or "column"


def find_column(keys: Sequence[str], aliases: Iterable[str]) -> int | None:
    """The index of the first alias present among the header's ``column_key``s."""
    for alias in aliases:
        if alias in keys:
            return keys.index(alias)
    return None


def duplicate_columns(keys: Sequence[str]) -> list[str]:
    """The column keys a header names more than once (ambiguous: refused)."""
    seen: set[str] = set()
    repeated: list[str] = []
    for key in keys:
        if key and key in seen and key not in repeated:
            repeated.append(key)
        seen.add(key)
    return repeated
