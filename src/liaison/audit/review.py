"""The review queue (issue 13, item 2; docs/audit.md, "The review queue").

A row the classifier could not tell (``immigration`` None) waits with decision ``review``
and no verdict. An auditor's review says whether its purpose was immigration and which
purposes it had; the review is appended as an ``audit_review`` entry (the reviewer as the
entry's actor, the note in its personal part) and the row is judged again with the
reviewed purposes, in the same transaction as its ``audit_rows`` row is updated. A second
review of the same row supersedes the first: both stay in the ledger, the later one
decides (``liaison ledger verify`` replays them in ledger order).

A row the classifier did decide (``immigration`` true or false: not in the queue) is
reviewed only with ``override``: the review then overrules the classifier and its entry
says so (``overrules``: the classifier's ``immigration``, ``rule`` and the row's first
``decision``), so that a finding turned into a permit is never silent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, update

from liaison.audit import records
from liaison.audit.judgement import Judge, Judged
from liaison.audit.rows import (
    AuditRow,
    Classification,
    Jurisdiction,
    OrganisationType,
    Provenance,
    RowKind,
)
from liaison.errors import Conflict, InvalidRequest, NotFound
from liaison.gateway.index_rows import checked_entry, failure, instant
from liaison.ledger.entries import NewEntry
from liaison.ledger.log import Ledger
from liaison.ledger.sequencer import Appended
from liaison.model.vocabulary import Purpose, RecipientType
from liaison.storage.database import param_mark, read_cursor
from liaison.storage.tables import audit_rows

# The purposes that are immigration enforcement (request-schema.md's vocabulary).
IMMIGRATION_PURPOSES = frozenset(
    {Purpose.IMMIGRATION_STATUS, Purpose.CIVIL_IMMIGRATION_ENFORCEMENT}
)
# The judge of a pack by name (None: no pack) in a view by name (None: its default view).
JudgeFor = Callable[[str | None, str | None], Judge]


@dataclass(frozen=True, slots=True)
class Review:
    """An auditor's review of row ``row`` of import ``import_id``."""

    import_id: str
    row: int
    immigration: bool
    purposes: tuple[Purpose, ...]
    reviewer: str
    note: str
    override: bool = False  # overrule a row the classifier decided (not in the queue)


@dataclass(frozen=True, slots=True)
class Reviewed:
    ledger_index: int
    judged: Judged


def reviewed_purposes(review: Review, classified: list[str]) -> tuple[Purpose, ...]:
    """The purposes the row is judged with: the reviewer's; without any, for a row that
    was not immigration, the classifier's non-immigration ones. ``InvalidRequest`` when
    they contradict the reviewer's ``immigration`` answer or an immigration row has none."""
    given = tuple(sorted(set(review.purposes)))
    immigration = [p for p in given if p in IMMIGRATION_PURPOSES]
    if review.immigration and not immigration:
        raise InvalidRequest(
            "purpose",
            "--purpose: an immigration purpose must be named (immigration_status "
            "or civil_immigration_enforcement) when --immigration is yes",
        )
    if not review.immigration and immigration:
        raise InvalidRequest(
            "purpose",
            f"--purpose: {immigration[0].value} is an immigration purpose, but --immigration is no",
        )
    if given:
        return given
    kept = sorted({Purpose(p) for p in classified} - IMMIGRATION_PURPOSES)
    return tuple(kept)


def review_row(
    ledger: Ledger,
    review: Review,
    judge_for: JudgeFor,
    digest_of: Callable[[str], str] | None = None,
) -> Reviewed:
    """Record ``review`` and judge its row again; returned once durable. ``NotFound`` for
    a row that is not imported; ``IntegrityFailure`` when its row differs from its entry;
    ``Conflict`` when ``digest_of(pack)`` (the pack's files now) is not the digest the
    import was judged with: the row would be judged by other directives than its import's."""
    if not review.reviewer.strip() or not review.note.strip():
        raise InvalidRequest("reviewer", "--reviewer and --note must not be empty")
    index = _row_index(ledger, review.import_id, review.row)
    body = checked_entry(ledger.entry(index), records.ROW, "audit_rows", review.import_id)
    record = body["record"]
    if record.get("import") != review.import_id or record.get("row") != review.row:
        raise NotFound(f"entry {index} is not row {review.row} of import {review.import_id}")
    overrules = _overrules(review, record)
    purposes = reviewed_purposes(review, list(record["purposes"]))
    view = None
    if record["pack"] is not None:
        options = _import_options(ledger, review.import_id)
        if digest_of is not None:
            _same_pack(review.import_id, str(record["pack"]), options, digest_of)
        view = options.get("view")
    judge = judge_for(record["pack"], view)
    row, org = _row_of(record)
    cls = Classification(
        purposes,
        None if record["recipient_type"] is None else RecipientType(record["recipient_type"]),
        review.immigration,
        "review",
        str(record["rules_version"]),
    )
    judged = judge.judge(row, cls, org)
    entry_record = {
        "import": review.import_id,
        "row": review.row,
        "row_entry": index,
        "immigration": review.immigration,
        "purposes": sorted(p.value for p in purposes),
        "pack": record["pack"],
        **records.judged_record(judged),
    }
    if overrules is not None:
        entry_record["overrules"] = overrules
    entry = NewEntry(records.REVIEW, entry_record, review.reviewer, {"note": review.note})

    def apply(conn: Connection, appended: list[Appended]) -> None:
        conn.execute(
            update(audit_rows)
            .where(audit_rows.c.import_id == review.import_id, audit_rows.c.row == review.row)
            .values(**records.reviewed_columns(entry_record))
        )

    done = ledger.append_many([entry], after=apply)
    return Reviewed(done[0].index, judged)


def _overrules(review: Review, record: dict[str, Any]) -> dict[str, Any] | None:
    """What the review overrules of a row the classifier decided (None: the row waited
    for review); ``InvalidRequest`` without ``override``."""
    classified = record.get("immigration")
    if classified is None:
        return None
    if not review.override:
        raise InvalidRequest(
            "override",
            f"row {review.row} of {review.import_id} is not waiting for review: rule "
            f"{record.get('rule')!r} classified it (immigration {'yes' if classified else 'no'},"
            f" decision {record.get('decision')}); give --override to overrule the classifier "
            "(the review entry then records what it overrules)",
        )
    return {"immigration": classified, "rule": record.get("rule"),
            "decision": record.get("decision")}  # fmt: skip


def _import_options(ledger: Ledger, ident: str) -> dict[str, Any]:
    """The options import ``ident`` was judged with, as its ``audit_import`` entry records
    them (pack digest, view...); ``Conflict`` when the import is not complete."""
    m = param_mark(ledger.engine)
    with read_cursor(ledger.engine) as cur:
        cur.execute(f"SELECT ledger_index FROM audit_imports WHERE id = {m}", (ident,))
        found = cur.fetchone()
    if found is None or found[0] is None:
        raise Conflict(f"import {ident} is not complete: run it again before reviewing its rows")
    index = int(found[0])
    body = checked_entry(ledger.entry(index), records.IMPORT, "audit_imports", ident)
    record = body.get("record")
    if not isinstance(record, dict) or record.get("import") != ident:
        what = f"the row points at entry {index}, the audit_import entry of another import"
        raise failure("audit_imports", ident, ["ledger_index"], what)
    options = record.get("options")
    return options if isinstance(options, dict) else {}


def _same_pack(
    ident: str, pack: str, options: dict[str, Any], digest_of: Callable[[str], str]
) -> None:
    """``Conflict`` unless the pack ``pack`` is now what import ``ident`` was judged with
    (the ``pack_digest`` of its ``options``)."""
    then = options.get("pack_digest")
    now = digest_of(pack)
    if then != now:
        raise Conflict(
            f"the {pack} pack changed since import {ident} was judged ({then} then, {now} "
            "now): import the file again to judge it by the pack as it is"
        )


def _row_index(ledger: Ledger, ident: str, row: int) -> int:
    m = param_mark(ledger.engine)
    with read_cursor(ledger.engine) as cur:
        cur.execute(
            f"SELECT ledger_index FROM audit_rows WHERE import_id = {m} AND row = {m}",
            (ident, row),
        )
        found = cur.fetchone()
    if found is None:
        raise NotFound(f"no row {row} in import {ident!r}")
    return int(found[0])


def _row_of(record: dict[str, Any]) -> tuple[AuditRow, OrganisationType | None]:
    """The row and organisation type an ``audit_row`` record judged (what a verdict can
    depend on; the personal part is not needed)."""
    row = AuditRow(
        format="",
        provenance=Provenance("", str(record["file_sha256"]), int(record["row"]), 0),
        kind=RowKind(record["kind"]),
        database=str(record["database"]),
        source_id=record["source_id"],
        at=instant(record["at"]),
        agency=record["agency"],
        organisation=record["organisation"],
        user=None,
        reason=None,
        case_number="on file" if record.get("has_case_number") else None,
    )
    if record["org_type"] is None and record["org_jurisdiction"] is None:
        return row, None
    org = OrganisationType(
        None if record["org_type"] is None else RecipientType(record["org_type"]),
        None if record["org_jurisdiction"] is None else Jurisdiction(record["org_jurisdiction"]),
        None,
        str(record.get("org_rule")),
    )
    return row, org


def waiting(ledger: Ledger, ident: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
    """The rows waiting for review (of import ``ident``, or all), by import and row."""
    m = param_mark(ledger.engine)
    where, params = "decision = " + m, ["review"]
    if ident is not None:
        where += f" AND import_id = {m}"
        params.append(ident)
    names = ("import_id", "row", "line", "source_id", "at", "agency", "organisation", "rule")
    with read_cursor(ledger.engine) as cur:
        cur.execute(
            f"SELECT {', '.join(names)} FROM audit_rows WHERE {where} "
            f"ORDER BY import_id, row LIMIT {int(limit)}",
            params,
        )
        found = [dict(zip(names, values, strict=True)) for values in cur.fetchall()]
    for item in found:
        at = instant(item["at"])
        item["at"] = None if at is None else at.isoformat()
    return found


__all__ = ["Review", "Reviewed", "review_row", "reviewed_purposes", "waiting"]
