"""Which format a log is in, when ``--format`` is not given (issue 13).

Told from the file's first lines: an Nlets IAQ log by its messages (``IAQ.<ORI>.AX ...
CUS/``), a portal export by its header (``id, userId, searchDate, networkCount`` or
``cameraCount``, ``reason``), a Flock organization or network audit by its header (``Total
Networks Searched``, ``Search Time``, ``Reason``, ...; CSV or XLSX). The two audits share
their columns, so they are told apart by what only one can be: an export with no ``Org
Name`` column is an organization audit; a file Flock named ``...-Network-Audit`` is a
network audit; a network audit shows several searching organisations where an
organization audit shows only the agency (the first rows are sampled). When none of this
decides, the reader is asked for ``--format`` rather than guessing. A mapped log is never
detected: it needs its mapping (``--mapping``).
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterator
from pathlib import Path

from liaison.audit.cells import column_key, find_column, is_redacted
from liaison.audit.flock_audit import ALIASES, is_audit_header
from liaison.audit.flock_portal import is_portal_header
from liaison.audit.nlets import looks_like_nlets
from liaison.audit.rows import FORMATS
from liaison.audit.xlsx_rows import XlsxSource
from liaison.errors import AuditInputError

# How many data rows are sampled for the searching organisations.
SAMPLE = 5000
XLSX_MAGIC = b"PK\x03\x04"


def is_workbook(path: Path) -> bool:
    """Whether ``path`` is a zip container (an XLSX workbook), by its first bytes."""
    try:
        with path.open("rb") as handle:
            return handle.read(4) == XLSX_MAGIC
    except OSError as error:
        raise AuditInputError(f"{path}: cannot be read: {error.strerror or error}") from None


def detect_format(path: Path) -> str:
    """The ``--format`` of ``path``; ``AuditInputError`` (naming the file) when unsure."""
    if path.suffix.casefold() in (".jsonl", ".ndjson"):
        raise AuditInputError(f"{path}: a JSON-lines log is read with --format mapped --mapping")
    if is_workbook(path):
        source = XlsxSource(path, "")
        try:
            return _tabular(path, _cells(source))
        finally:
            source.close()
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            first = [line for line in itertools.islice(handle, 200) if line.strip()]
            if any(looks_like_nlets(line) for line in first[:20]):
                return "nlets-iaq"
            handle.seek(0)
            return _tabular(path, iter(csv.reader(_no_bom(handle))))
    except UnicodeDecodeError:
        raise AuditInputError(f"{path}: not UTF-8; save the export as UTF-8") from None
    except csv.Error as error:
        raise AuditInputError(f"{path}: cannot tell its format ({error})") from None


def _cells(source: XlsxSource) -> Iterator[list[str]]:
    for _, cells in source.records(verify=False):
        if isinstance(cells, list):
            yield cells


def _no_bom(lines: Iterator[str]) -> Iterator[str]:
    for line in lines:
        yield line.removeprefix("\ufeff")


def _tabular(path: Path, records: Iterator[list[str]]) -> str:
    header = next((cells for cells in records if any(c.strip() for c in cells)), None)
    keys = [column_key(cell) for cell in header or []]
    if is_portal_header(keys):
        return "flock-portal"
    if is_audit_header(keys):
        return _org_or_network(path, keys, records)
    raise AuditInputError(
        f"{path}: cannot tell its format from its first line; give --format (one of "
        + ", ".join(FORMATS)
        + ")"
    )


def _org_or_network(path: Path, keys: list[str], records: Iterator[list[str]]) -> str:
    org = find_column(keys, ALIASES["organisation"])
    if org is None:
        return "flock-org"
    name = path.name.casefold()
    if "network" in name:
        return "flock-network"
    if "organization" in name or "organisation" in name:
        return "flock-org"
    seen: set[str] = set()
    for cells in itertools.islice(records, SAMPLE):
        if org < len(cells) and cells[org].strip() and not is_redacted(cells[org]):
            key = column_key(cells[org])
            if key != keys[org]:  # not a repeated header
                seen.add(key)
        if len(seen) > 1:
            return "flock-network"
    raise AuditInputError(
        f"{path}: an organization audit or a network audit? Their columns are the same and "
        "its first rows name one organisation only; give --format flock-org or flock-network"
    )
