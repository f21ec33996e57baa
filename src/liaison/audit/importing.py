"""Importing one log file into the ledger (issue 13, item 1; docs/audit.md, "Importing").

Streaming: rows are read, classified, typed, judged and rendered in batches of ``BATCH`` (in
a child process: ``import_pipe``), and sealed and appended as each batch arrives;
each batch is ONE transaction holding its ``audit_row`` entries and their ``audit_rows``
index rows (``Ledger.append_many`` with the rows written in its ``after``), so a failure
mid-way loses no acknowledged batch and leaves no half-written one. When every row is
in, the ``audit_import`` entry and its ``audit_imports`` row are appended, again in one
transaction.

Idempotent: the import id is derived from the file's SHA-256 and the options that change
the judgement (``records.import_id``). A completed import is not read again; an interrupted
one resumes after the last row its committed batches hold (rows are keyed by (import id,
row) and a file's rows come in order, so the committed rows are a prefix).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy import Connection

from liaison.audit import records
from liaison.audit.import_pipe import Tally, in_child
from liaison.audit.judgement import DENY, NOT_JUDGED, PERMIT, REVIEW, Judge
from liaison.audit.row_json import RowRenderer
from liaison.audit.rows import AuditRow, Classification, OrganisationType, RowProblem
from liaison.ledger.entries import NewEntry, salts, stamp
from liaison.ledger.log import Ledger
from liaison.ledger.sequencer import Appended
from liaison.storage.bulk import for_driver, insert_rows
from liaison.storage.database import param_mark, read_cursor
from liaison.storage.tables import audit_imports, audit_rows

BATCH = 3_000  # rows per transaction (and per message between the processes: memory)
Classify = Callable[[AuditRow], Classification]
TypeOf = Callable[[str, str | None], OrganisationType]
Progress = Callable[[int], None]
# A row ready to seal and append: its record's canonical text, its personal part's canonical
# bytes, its audit_rows values (ledger index 0; its time as the database stores it: plain
# values cross from the child in a fraction of the time objects take to pickle and unpickle).
_Rendered = tuple[str, bytes, list[Any]]
_Batch = list[_Rendered]
_LEDGER_INDEX = records.ROW_COLUMNS.index("ledger_index")
_AT = records.ROW_COLUMNS.index("at")


@dataclass(frozen=True, slots=True)
class ImportSource:
    """One file to import: its name as given, the SHA-256 of its bytes, its format, and
    its rows (a reader's ``AuditRow``/``RowProblem`` stream, in input order)."""

    file_name: str
    sha256: str
    format: str
    rows: Iterable[AuditRow | RowProblem]


@dataclass(slots=True)
class ImportResult:
    """What an import did: ``already`` when the same import had completed before (nothing
    changed), ``resumed_after`` the rows an interrupted run had committed, the counts of
    the whole import, and the bad rows (``file:line: message``, at most
    ``records.BAD_ROWS_LISTED``)."""

    id: str
    file_name: str
    already: bool = False
    resumed_after: int = 0
    rows: int = 0
    bad_rows: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    ledger_index: int | None = None

    @property
    def findings(self) -> int:
        return self.counts.get("findings", 0)


@dataclass(slots=True)
class Importer:
    """Imports files into ``ledger``, judging with ``judge``, classifying with
    ``classify`` and typing searching organisations with ``type_of`` relative to
    ``home_state`` (the pack's state; None: unknown)."""

    ledger: Ledger
    judge: Judge
    classify: Classify
    type_of: TypeOf
    home_state: str | None = None
    batch: int = BATCH
    _orgs: dict[str, OrganisationType] = field(default_factory=dict)

    def run(
        self, source: ImportSource, options: Mapping[str, Any], progress: Progress | None = None
    ) -> ImportResult:
        """Import ``source`` under ``options`` (records.import_id's: the options that change
        the judgement, including ``pack``, ``agency``, ``timezone``, ``rules_version``)."""
        options = records.import_options({**options, "format": source.format})
        ident = records.import_id(source.sha256, options)
        result = ImportResult(ident, source.file_name)
        done = completed(self.ledger, ident)
        if done is not None:
            result.already, result.ledger_index = True, done["ledger_index"]
            result.rows, result.bad_rows = done["rows"], done["bad_rows"]
            result.counts = done["counts"]
            return result
        result.resumed_after = committed_rows(self.ledger, ident)
        made = in_child(
            lambda: self.prepared(ident, source, result),
            lambda: (result.rows, result.bad_rows, result.problems),
            self.ledger.engine,
        )
        for batch in made:
            if isinstance(batch, Tally):
                result.rows, result.bad_rows, result.problems = batch.value
            else:
                self._append(batch, progress)
        result.counts = counts(self.ledger, ident)
        self._finish(source, options, result)
        return result

    def prepared(self, ident: str, source: ImportSource, result: ImportResult) -> Iterator[_Batch]:
        """The rows of ``source`` after those already committed, read, classified, judged
        and rendered, in batches; ``result`` counts every row and bad row."""
        make = partial(records.row_record, ident, self.judge.pack)
        renderer = RowRenderer(make, records.row_columns)
        stamp_at = partial(for_driver, self.ledger.engine.dialect.name)  # as it is stored
        pending: list[_Rendered] = []
        for item in source.rows:
            if isinstance(item, RowProblem):
                result.bad_rows += 1
                if len(result.problems) < records.BAD_ROWS_LISTED:
                    result.problems.append(str(item))
                continue
            result.rows += 1
            if item.provenance.row <= result.resumed_after:
                continue
            pending.append(self._render(renderer, stamp_at, item))
            if len(pending) >= self.batch:
                yield pending
                pending = []
        if pending:
            yield pending

    def _render(
        self, renderer: RowRenderer, stamp_at: Callable[[Any], Any], row: AuditRow
    ) -> _Rendered:
        cls = self.classify(row)
        org = self._org(row.organisation)
        judged = self.judge.judge(row, cls, org)
        text, values = renderer.render(row, cls, org, judged)
        values[_AT] = stamp_at(values[_AT])
        return text, records.personal_of(row), values

    def _org(self, name: str | None) -> OrganisationType | None:
        if name is None:
            return None
        org = self._orgs.get(name)
        if org is None:
            org = self._orgs[name] = self.type_of(name, self.home_state)
        return org

    def _append(self, batch: _Batch, progress: Progress | None) -> None:
        """Seal ``batch``'s entries now and append them with their index rows in one
        transaction; returns once they are durable."""
        now = datetime.now(UTC)
        at = stamp(now)
        sealed = [
            records.seal_row(text, personal, now, at, salt)
            for (text, personal, _), salt in zip(batch, salts(len(batch)), strict=True)
        ]

        def index(conn: Connection, appended: list[Appended]) -> None:
            rows = []
            for (_, _, row), done in zip(batch, appended, strict=True):
                row[_LEDGER_INDEX] = done.index
                rows.append(row)
            insert_rows(conn, audit_rows, records.ROW_COLUMNS, rows, ready=True)

        self.ledger.append_sealed_many(sealed, after=index)
        if progress is not None:
            progress(len(sealed))

    def _finish(
        self, source: ImportSource, options: Mapping[str, Any], result: ImportResult
    ) -> None:
        record = {
            "import": result.id,
            "file_name": source.file_name,
            "file_sha256": source.sha256,
            "format": source.format,
            "options": dict(options),
            "rules_version": options.get("rules_version"),
            "pack": options.get("pack"),
            "rows": result.rows,
            "bad_rows": result.bad_rows,
            "bad_rows_listed": result.problems,
            "counts": result.counts,
        }
        now = datetime.now(UTC)
        entry = NewEntry(records.IMPORT, record, records.ACTOR, recorded_at=now)

        def index(conn: Connection, appended: list[Appended]) -> None:
            row = records.import_columns(appended[0].index, now, record)
            insert_rows(conn, audit_imports, records.IMPORT_COLUMNS, [tuple(row.values())])

        result.ledger_index = self.ledger.append_many([entry], after=index)[0].index


def completed(ledger: Ledger, ident: str) -> dict[str, Any] | None:
    """The completed import ``ident`` (its ledger index, rows, bad rows, counts), or None."""
    m = param_mark(ledger.engine)
    with read_cursor(ledger.engine) as cur:
        cur.execute(
            f"SELECT ledger_index, rows, bad_rows, document FROM audit_imports WHERE id = {m}",
            (ident,),
        )
        found = cur.fetchone()
    if found is None:
        return None
    try:
        tallied = json.loads(found[3]).get("counts", {})
    except (ValueError, AttributeError):
        tallied = {}
    return {"ledger_index": found[0], "rows": found[1], "bad_rows": found[2], "counts": tallied}


def committed_rows(ledger: Ledger, ident: str) -> int:
    """The last row of import ``ident`` that committed batches hold (0: none)."""
    m = param_mark(ledger.engine)
    with read_cursor(ledger.engine) as cur:
        cur.execute(f"SELECT MAX(row) FROM audit_rows WHERE import_id = {m}", (ident,))
        found = cur.fetchone()
    return int(found[0]) if found and found[0] is not None else 0


def counts(ledger: Ledger, ident: str) -> dict[str, int]:
    """The rows of import ``ident`` by decision (its findings: the denied), and those the
    classifier (or a review) found of an immigration purpose."""
    m = param_mark(ledger.engine)
    with read_cursor(ledger.engine) as cur:
        cur.execute(
            f"SELECT decision, immigration, COUNT(*) FROM audit_rows WHERE import_id = {m} "
            "GROUP BY decision, immigration",
            (ident,),
        )
        found = [(str(d), i, int(n)) for d, i, n in cur.fetchall()]
    by: dict[str, int] = {}
    for decision, _, n in found:
        by[decision] = by.get(decision, 0) + n
    return {
        "findings": by.get(DENY, 0),
        "permitted": by.get(PERMIT, 0),
        "review": by.get(REVIEW, 0),
        "not_judged": by.get(NOT_JUDGED, 0),
        "immigration": sum(n for _, i, n in found if i is not None and bool(i)),
    }
