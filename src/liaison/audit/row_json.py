"""The ``audit_row`` entries of an import, rendered fast: an import writes one entry per
row, up to millions, and encoding each record as canonical JSON (RFC 8785, JCS) costs most
of a row's time when done value by value.

Most of a record is the same for many rows: what the audit found (the classification, the
organisation and its type, the judgement) and the import's own values. Only four values
are the row's own: ``at``, ``line``, ``row`` and ``source_id``. So the record's canonical
text is made once per distinct rest (``records.row_record`` and ``canonical_json``, with
markers in place of the four values) and cut into a template at the markers; a row's text
is the template with its four values put back, each encoded as JCS encodes it (a string
escaped as ``json_string`` escapes it, an integer in decimal, null). The markers hold NUL
characters; a record whose other values hold one too is encoded the slow way, so the cut
is always exact; a property test holds
the result to ``canonical_json`` of the same record, and its ``audit_rows`` values to
``records.row_columns`` of it.

The personal part (``{"fields": {column: text}, "reason": text, "redacted": [names]}``) is
encoded with
sorted keys when every key is below U+E000 (JCS orders keys by UTF-16 code units, which
is code point order there) and every value a string; otherwise by ``canonical_json``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import lru_cache
from typing import Any

from liaison.audit.rows import AuditRow, Classification, OrganisationType, Provenance
from liaison.ledger.canonical import canonical_json, json_string

# The four values that are each row's own.
_OWN = ("at", "line", "row", "source_id")
_MARK = {name: f"\x00{name}\x00" for name in _OWN}
_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)
_HIGH = re.compile("[\ue000-\U0010ffff]")
TEMPLATES = 4096  # distinct rests kept (classification x organisation x judgement ...)

# (row, classification, organisation type, judgement) -> the record (records.row_record)
MakeRecord = Callable[[AuditRow, Classification, OrganisationType | None, Any], dict[str, Any]]
# (ledger index, record) -> the audit_rows values (records.row_columns)
MakeColumns = Callable[[int, Mapping[str, Any]], dict[str, Any]]
# (the text cut at the row's own values, their order, the row's columns, what the key names)
_Template = tuple[list[str], tuple[str, ...], list[Any], tuple[Any, ...]]


class RowRenderer:
    """Renders one import's ``audit_row`` records and their ``audit_rows`` values."""

    def __init__(self, make: MakeRecord, columns: MakeColumns) -> None:
        self._make, self._columns = make, columns
        self._templates: dict[tuple[Any, ...], _Template] = {}
        self._slots: tuple[int, int, int, int] | None = None

    def render(
        self, row: AuditRow, cls: Classification, org: OrganisationType | None, judged: Any
    ) -> tuple[str, list[Any]]:
        """The canonical text of ``row``'s record and its ``audit_rows`` values (with
        ledger index 0, for the caller to set)."""
        # The classification, organisation type and judgement are named by identity (their
        # makers cache them, so equal ones are mostly the same object; hashing them by value
        # costs more than the rest of the row); a template keeps them alive, so an id in a
        # key is never another object's.
        key = (
            row.kind,
            row.database,
            row.agency,
            bool(row.case_number),
            row.organisation,
            row.provenance.sha256,
            id(org),
            id(cls),
            id(judged),
        )
        template = self._templates.get(key)
        if template is None:
            template = self._template(key, row, cls, org, judged)
            if template is None:  # a marker inside the record's other values: the slow way
                record = self._make(row, cls, org, judged)
                return canonical_json(record).decode("utf-8"), list(
                    self._columns(0, record).values()
                )
        pieces, order, values, _ = template
        own = {
            "at": "null" if row.at is None else '"' + row.at.isoformat() + '"',
            "line": str(row.provenance.line),
            "row": str(row.provenance.row),
            "source_id": "null" if row.source_id is None else json_string(row.source_id),
        }
        parts = [pieces[0]]
        for name, piece in zip(order, pieces[1:], strict=True):
            parts.append(own[name])
            parts.append(piece)
        text = "".join(parts)
        out = list(values)
        assert self._slots is not None
        at, line, number, source = self._slots
        out[at], out[line], out[number], out[source] = (
            row.at,
            row.provenance.line,
            row.provenance.row,
            row.source_id,
        )
        return text, out

    def _template(
        self,
        key: tuple[Any, ...],
        row: AuditRow,
        cls: Classification,
        org: OrganisationType | None,
        judged: Any,
    ) -> _Template | None:
        """The record's text cut at the row's own values, and the row's columns; None when
        the cut is not exact (a marker, a NUL character, in one of the other values)."""
        marked = replace(row, source_id=_MARK["source_id"], at=None)
        marked.provenance = Provenance(row.provenance.file, row.provenance.sha256, 1, 1)
        record = self._make(marked, cls, org, judged)
        record.update(at=_MARK["at"], line=_MARK["line"], row=_MARK["row"])
        text = canonical_json(record).decode("utf-8")
        quoted = {json_string(mark): name for name, mark in _MARK.items()}
        cut = re.split("(" + "|".join(re.escape(q) for q in quoted) + ")", text)
        pieces, order = cut[0::2], tuple(quoted[m] for m in cut[1::2])
        if sorted(order) != sorted(_OWN):
            return None
        columns = self._columns(0, self._make(row, cls, org, judged))
        names = list(columns)
        self._slots = (
            names.index("at"),
            names.index("line"),
            names.index("row"),
            names.index("source_id"),
        )
        if len(self._templates) >= TEMPLATES:
            self._templates.clear()
        template = (pieces, order, list(columns.values()), (org, cls, judged))
        self._templates[key] = template
        return template


def personal_bytes(fields: Mapping[str, str], reason: str | None, redacted: list[str]) -> bytes:
    """The canonical UTF-8 bytes of ``{"fields": fields, "reason": reason, "redacted":
    redacted}`` (the row as exported, and the reason its reader read in it)."""
    value = {"fields": fields, "reason": reason, "redacted": redacted}
    if (
        _plain(tuple(fields))
        and all(type(v) is str for v in fields.values())
        and all(type(r) is str for r in redacted)
        and (reason is None or type(reason) is str)
    ):
        try:
            return _ENCODER.encode(value).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: canonical_json names the problem
            pass
    return canonical_json({"fields": dict(fields), "reason": reason, "redacted": list(redacted)})


@lru_cache(maxsize=256)
def _plain(keys: tuple[str, ...]) -> bool:
    """Whether code point order of ``keys`` is their UTF-16 order (no key at U+E000 up)."""
    return not any(_HIGH.search(key) for key in keys)
