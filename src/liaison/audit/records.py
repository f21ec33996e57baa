"""The ledger entries of an audit and the index rows they determine: pure functions shared
by the import (``audit.importing``), the review (``audit.review``) and ``liaison ledger
verify`` (``audit.index_check``); docs/ledger.md, the entry kinds ``audit_row``,
``audit_import``, ``audit_review``.

- ``audit_row``: one imported row. Its public record is what the audit found (where the
  row came from, its kind, agency, organisation and type, purposes, immigration, the rule
  and rules version, the decision, basis, citations, pack and policy version); its
  personal part (kept apart, erasable) is the row as exported: user id, reason, case
  number, every field.
- ``audit_import``: one completed import of one file (name, SHA-256, format, the options
  that judged it, rows, bad rows with file:line:message, rules version, pack).
- ``audit_review``: an auditor's review of one row and the judgement it led to; a later
  review of the same row supersedes it.

``audit_rows`` holds what the entry's public record says, never the personal part (an
erasure must leave nothing personal behind in the index); its ``reason`` says why a row was
not judged, waits, or failed (the row's own reason is personal: the entry's personal part).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from liaison.audit import row_json
from liaison.audit.judgement import Judged
from liaison.audit.rows import AuditRow, Classification, OrganisationType
from liaison.gateway.index_rows import instant
from liaison.ledger.canonical import canonical_json
from liaison.ledger.entries import Sealed, seal_rendered
from liaison.model.vocabulary import Purpose

ROW, IMPORT, REVIEW = "audit_row", "audit_import", "audit_review"
KINDS = (ROW, IMPORT, REVIEW)
ACTOR = "liaison-audit"  # who appends an import's entries (a review: the reviewer)
BAD_ROWS_LISTED = 1000  # bad rows named in an import's entry; the others are counted

ROW_COLUMNS = (
    "import_id",
    "row",
    "ledger_index",
    "line",
    "source_id",
    "at",
    "kind",
    "agency",
    "organisation",
    "org_type",
    "org_jurisdiction",
    "purposes",
    "immigration",
    "rule",
    "reviewed",
    "decision",
    "basis",
    "finding",
    "citations",
    "reason",
)
IMPORT_COLUMNS = (
    "id",
    "file_name",
    "file_sha256",
    "format",
    "pack",
    "agency",
    "timezone",
    "rules_version",
    "ledger_index",
    "rows",
    "bad_rows",
    "imported_at",
    "document",
)


# The options that change an import's judgement (and so its id), None when not given.
OPTIONS = (
    "format",
    "pack",
    "pack_digest",
    "view",
    "timezone",
    "agency",
    "mapping",
    "rules_version",
)


def import_options(given: Mapping[str, Any]) -> dict[str, Any]:
    """``given`` as the full set of ``OPTIONS`` (absent ones None); ``KeyError`` naming an
    unknown one."""
    unknown = set(given) - set(OPTIONS)
    if unknown:
        raise KeyError(f"unknown import option(s): {', '.join(sorted(unknown))}")
    return {name: given.get(name) for name in OPTIONS}


def import_id(file_sha256: str, options: Mapping[str, Any]) -> str:
    """The id of the import of a file (its SHA-256) under ``options`` (those that change
    the judgement): the same file with the same options is the same import."""
    digest = hashlib.sha256(canonical_json({"file": file_sha256, "options": dict(options)}))
    return "imp-" + digest.hexdigest()[:40]


def row_record(
    ident: str,
    pack: str | None,
    row: AuditRow,
    cls: Classification,
    org: OrganisationType | None,
    judged: Judged,
) -> dict[str, Any]:
    """The public record of ``row``'s ``audit_row`` entry (import ``ident``, ``pack``)."""
    organisation = row.organisation
    return {
        "import": ident,
        "file_sha256": row.provenance.sha256,
        "row": row.provenance.row,
        "line": row.provenance.line,
        "source_id": row.source_id,
        "at": None if row.at is None else row.at.isoformat(),
        "kind": row.kind.value,
        "database": row.database,
        "has_case_number": bool(row.case_number),
        "agency": row.agency,
        "organisation": organisation,
        "org_type": None if org is None or org.type is None else org.type.value,
        "org_jurisdiction": None
        if org is None or org.jurisdiction is None
        else org.jurisdiction.value,
        "org_rule": None if org is None else org.rule,
        "purposes": _purposes(cls.purposes),
        "recipient_type": None if cls.recipient_type is None else cls.recipient_type.value,
        "immigration": cls.immigration,
        "rule": cls.rule,
        "rules_version": cls.rules_version,
        "pack": pack,
        **_judged(judged),
    }


@functools.cache
def _purposes(purposes: tuple[Purpose, ...]) -> list[str]:
    return sorted(p.value for p in purposes)  # copied into each record by the encoder


@functools.cache
def _judged(judged: Judged) -> dict[str, Any]:
    return judged_record(judged)  # the same few judgements repeat: built once each


def judged_record(judged: Judged) -> dict[str, Any]:
    return {
        "decision": judged.decision,
        "basis": judged.basis,
        "finding": judged.finding,
        "citations": list(judged.citations),
        "policy_version": judged.policy_version,
        "reason": judged.reason,
    }


def personal_of(row: AuditRow) -> bytes:
    """The canonical bytes of ``row``'s personal part (``{"fields", "reason", "redacted"}``:
    the row as exported, every column verbatim)."""
    return row_json.personal_bytes(row.fields, row.reason, sorted(row.redacted))


def seal_row(
    record_text: str, personal: bytes, at: datetime, stamp: str, salt: bytes | None = None
) -> Sealed:
    """``entries.seal`` of an ``audit_row`` entry whose record's canonical text
    (``row_json.RowRenderer``) is ``record_text`` and personal part ``personal``
    (``personal_of``), recorded ``at`` (``stamp``: its text), salted with ``salt``
    (``entries.salts``; None: one drawn for it)."""
    return seal_rendered(ROW, ACTOR, record_text, personal, at, stamp, salt)


@functools.lru_cache(maxsize=1024)
def _json_list(items: tuple[str, ...]) -> str:
    return json.dumps(list(items), ensure_ascii=False)


def row_columns(index: int, record: Mapping[str, Any]) -> dict[str, Any]:
    """The ``audit_rows`` row an ``audit_row`` entry's record (at ``index``) determines,
    before any review.
    ``KeyError``/``TypeError`` for a record of another shape."""
    return {
        "import_id": record["import"],
        "row": record["row"],
        "ledger_index": index,
        "line": record["line"],
        "source_id": record["source_id"],
        "at": instant(record["at"]),
        "kind": record["kind"],
        "agency": record["agency"],
        "organisation": record["organisation"],
        "org_type": record["org_type"],
        "org_jurisdiction": record["org_jurisdiction"],
        "purposes": _json_list(tuple(record["purposes"])),
        "immigration": record["immigration"],
        "rule": record["rule"],
        "reviewed": False,
        "decision": record["decision"],
        "basis": record["basis"],
        "finding": record["finding"],
        "citations": _json_list(tuple(record["citations"])),
        "reason": record["reason"],
    }


def reviewed_columns(record: Mapping[str, Any]) -> dict[str, Any]:
    """What an ``audit_review`` entry's record sets on its row."""
    return {
        "purposes": _json_list(tuple(record["purposes"])),
        "immigration": record["immigration"],
        "reviewed": True,
        "decision": record["decision"],
        "basis": record["basis"],
        "finding": record["finding"],
        "citations": _json_list(tuple(record["citations"])),
        "reason": record["reason"],
    }


def import_columns(index: int, recorded_at: object, record: Mapping[str, Any]) -> dict[str, Any]:
    """The ``audit_imports`` row an ``audit_import`` entry (at ``index``) determines."""
    options = record["options"]
    return {
        "id": record["import"],
        "file_name": record["file_name"],
        "file_sha256": record["file_sha256"],
        "format": record["format"],
        "pack": options["pack"],
        "agency": options["agency"],
        "timezone": options["timezone"],
        "rules_version": record["rules_version"],
        "ledger_index": index,
        "rows": record["rows"],
        "bad_rows": record["bad_rows"],
        "imported_at": instant(recorded_at),
        "document": json.dumps(record, ensure_ascii=False, separators=(",", ":")),
    }
