"""The report of audited rows (issue 13, item 4; docs/audit.md, "Reports"): what was
imported, the rows counted by purpose class, agency, searching organisation and month (in
the agency's zone), every finding with its source row and citations, the review queue,
and the rows not judged with why. ``liaison audit report`` renders it as JSON (this
model; its schema is docs/schemas/audit-report.schema.json), HTML or CSV with the
reports' renderers (``render_html``, ``render_csv``); the ``/audit`` pages and
``GET /v1/audit/summary`` serve its parts.

It reads only the database: the ``audit_imports`` and ``audit_rows`` caches of the ledger's
``audit_import``, ``audit_row`` and ``audit_review`` entries (``liaison ledger verify``
holds them to the entries), complete imports only; each import names its ledger entry.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine, and_

from liaison.audit.judgement import NO_PACK
from liaison.gateway.auth import Principal
from liaison.gateway.index_reads import IndexReader
from liaison.model.timestamps import now_utc, render
from liaison.reports import audit_query
from liaison.reports.audit_filter import UTC_NAME, zone_of
from liaison.reports.audit_query import COUNTS
from liaison.reports.query_filter import Filter
from liaison.reports.report_document import Table
from liaison.storage.tables import audit_rows

NAME = "audit"
TITLE = "Audit of imported query logs"
SCHEMA_FILE = "audit-report.schema.json"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Counts(Strict):
    """A group's rows, by purpose class, by decision, and its findings."""

    rows: int
    immigration: int
    other: int
    review: int
    unknown: int
    permit: int
    deny: int
    not_judged: int
    review_queue: int = Field(description="rows waiting for an auditor's review (decision review)")
    findings: int = Field(description="denied rows: a directive forbade them or none authorised")


class KeyedCounts(Counts):
    """One group of a count table: its key(s), then its counts."""

    key: str | None = Field(description="purpose class, agency, organisation, decision or month")
    org_type: str | None = Field(default=None, description="organisation: its recipient type")


class NotJudged(Strict):
    why: str = Field(description="no_pack, no_time, no_purpose or unknown_organisation")
    meaning: str | None = Field(description="the reason the judgement recorded, in words")
    rows: int


class SourceRow(Strict):
    """An audited row as a person reads it: its provenance and what was made of it."""

    import_: str = Field(alias="import", serialization_alias="import")
    file_name: str
    row: int
    line: int
    ledger_index: int
    source_id: str | None
    at: str | None = Field(description="the row's instant in its agency's zone, with offset")
    kind: str
    agency: str | None
    organisation: str | None
    org_type: str | None
    org_jurisdiction: str | None
    purposes: list[str]
    immigration: bool | None
    rule: str
    reviewed: bool
    decision: str
    basis: str | None
    finding: bool
    citations: list[str]
    judgement_note: str | None = Field(
        description="why the row was not judged, waits for a review, or failed (not its reason)"
    )
    stated_reason: str | None = Field(description="the reason the row gave, as exported")
    exported_fields: dict[str, Any] | None = Field(
        description="every column of the row as exported (personal; None once erased)"
    )
    redacted: list[str] = Field(description="the fields the export redacted")
    erased: bool = Field(description="its personal part was erased (liaison ledger erase)")
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ImportSummary(Strict):
    """An import: the file (name, SHA-256, format), its options and bad rows."""

    id: str
    file_name: str
    file_sha256: str
    format: str
    pack: str | None
    view: str | None = Field(
        description="--view: the pack's reading its rows were judged under (null: the "
        "pack's default view)"
    )
    agency: str | None
    timezone: str | None = Field(description="--timezone: the zone of times without offset")
    zone: str = Field(description="the zone its rows are shown and counted in (months)")
    rules_version: str
    ledger_index: int | None
    rows: int
    bad_rows: int
    findings: int
    imported_at: str
    options: dict[str, Any]
    bad_rows_listed: list[str] = Field(description="file:line: field: message, the first 1,000")
    counts: dict[str, Any] = Field(description="the import's own counts, as it recorded them")


class AuditReport(Strict):
    """The report (module docstring)."""

    report: str = NAME
    title: str = TITLE
    generated_at: str = Field(description="when it was computed (UTC)")
    filters: dict[str, str] = Field(description="the filters asked (none: every row)")
    imports: list[ImportSummary]
    total: Counts
    by_purpose_class: list[KeyedCounts]
    by_agency: list[KeyedCounts]
    by_organisation: list[KeyedCounts]
    by_month: list[KeyedCounts] = Field(description="calendar months in each agency's zone")
    by_decision: list[KeyedCounts]
    not_judged: list[NotJudged]
    not_judged_rows: list[SourceRow] = Field(
        description="the rows not judged for a reason of their own (no purpose, no time, "
        "an unknown organisation); an import with no pack is counted, its rows not listed"
    )
    findings: list[SourceRow]
    review_queue: list[SourceRow]

    def tables(self) -> list[Table]:
        """The report laid out as tables (HTML, CSV)."""
        from liaison.reports.audit_tables import tables

        return tables(self)


def _counts(found: dict[str, Any]) -> dict[str, int]:
    return {c: found[c] for c in COUNTS}


def _keyed(found: list[dict[str, Any]], key: str) -> list[KeyedCounts]:
    return [KeyedCounts(key=f[key], org_type=f.get("org_type"), **_counts(f)) for f in found]


def build(
    db: Engine,
    wanted: Filter,
    who: Principal,
    asked: dict[str, str],
    limit: int | None = None,
    signed: IndexReader | None = None,
    imported: list[dict[str, Any]] | None = None,
) -> AuditReport:
    """The report over the rows ``wanted`` selects that ``who`` may read (``limit``: at
    most so many findings and rows of the review queue, the first by import and row: a
    page shows some and links to them all; the totals count them all; ``signed``: the
    service's reader, to prove each listed row's entry in the signed tree; ``imported``:
    every complete import, ``audit_query.imports``, when the caller has read them)."""
    where = audit_query.condition(wanted, who)
    with db.connect() as conn:
        tallies = audit_query.tallies(conn, where)
        if imported is None:
            imported = audit_query.imports(conn, signed=signed)
        listed = [f for f in imported if _chosen(f, asked)]
        total = {c: sum(g[c] for g in tallies["decision"]) for c in COUNTS}
        return AuditReport(
            generated_at=render(now_utc(), zone_of(UTC_NAME)),
            filters=asked,
            imports=[ImportSummary(**f) for f in listed],
            total=Counts(**_counts(total)),
            by_purpose_class=_keyed(tallies["purpose_class"], "purpose_class"),
            by_agency=_keyed(tallies["agency"], "agency"),
            by_organisation=_keyed(tallies["organisation"], "organisation"),
            by_month=_keyed(tallies["month"], "month"),
            by_decision=_keyed(tallies["decision"], "decision"),
            not_judged=[NotJudged(**n) for n in audit_query.not_judged(conn, where)],
            not_judged_rows=_rows(conn, wanted, who, ("decision", "not_judged"), limit, signed),
            findings=_rows(conn, wanted, who, ("finding", "yes"), limit, signed),
            review_queue=_rows(conn, wanted, who, ("decision", "review"), limit, signed),
        )


def _chosen(found: dict[str, Any], asked: dict[str, str]) -> bool:
    """Whether the report names import ``found``: every import, or those the ``import``
    and ``agency`` filters name."""
    ids, agencies = asked.get("import"), asked.get("agency")
    if ids is not None and found["id"] not in ids.split(","):
        return False
    return agencies is None or found["agency"] in agencies.split(",")


def _rows(
    conn: Any,
    wanted: Filter,
    who: Principal,
    also: tuple[str, str],
    limit: int | None,
    signed: IndexReader | None,
) -> list[SourceRow]:
    """The selected rows that are also ``key=value`` (the findings, the review queue, the
    rows not judged: only those an import with a pack did not judge)."""
    key, value = also
    narrowed = Filter(wanted.start, wanted.end, (*wanted.values, (key, (value,))))
    where = audit_query.condition(narrowed, who)
    if (key, value) == ("decision", "not_judged"):
        where = and_(where, audit_rows.c.reason != NO_PACK)
    found = audit_query.source_rows(conn, where, limit, signed)
    return [SourceRow.model_validate(s) for s in found]


def schema() -> dict[str, Any]:
    """The JSON Schema of the report's JSON (draft 2020-12)."""
    from liaison.reports.schemas import SCHEMA_BASE

    found = AuditReport.model_json_schema(by_alias=True, mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_BASE + "audit-report.json",
        **found,
        "title": TITLE,
    }
