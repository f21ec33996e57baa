"""``liaison ledger verify``, the audit part: ``audit_rows`` and ``audit_imports`` against
their ledger entries, both ways (docs/ledger.md, "The index is checked against the ledger";
called by ``liaison.gateway.index_check.check_index``).

- ``audit_rows``: each ``audit_row`` entry has exactly one row, at its index, whose every
  column is what the entry determines (``records.row_columns``) with the ``audit_review``
  entries of that row replayed over it in ledger order (the latest decides:
  ``records.reviewed_columns``); a row that points at no ``audit_row`` entry is reported,
  and so is a review of a row no entry holds;
- ``audit_imports``: each ``audit_import`` entry has its row (``records.import_columns``),
  and each row its entry.

The reviews and imports (few) are read first; the row entries are streamed in batches of
``BATCH`` by index range with the rows of that range beside them, in one snapshot.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from liaison.audit import records
from liaison.gateway.index_rows import differences, instant
from liaison.ledger.entries import parse_body
from liaison.ledger.findings import Finding
from liaison.ledger.log import Ledger
from liaison.ledger.store import blob
from liaison.storage.database import DriverCursor, param_mark, read_cursor

BATCH = 8192
_LOWEST = -(2**62)


def check_audit_index(ledger: Ledger) -> list[Finding]:
    """Every finding about the audit tables; never raises on tampered data."""
    try:
        with read_cursor(ledger.engine, snapshot=True) as cur:
            return _AuditCheck(cur, param_mark(ledger.engine)).run()
    except Exception as exc:  # a crash would hide a finding: report it as one
        return [Finding("audit index", f"the audit index check could not finish: {exc}")]


class _AuditCheck:
    def __init__(self, cur: DriverCursor, mark: str) -> None:
        self.cur, self.m = cur, mark
        self.problems: list[Finding] = []
        self.reviews: dict[tuple[str, int], tuple[int, dict[str, Any]]] = {}

    def run(self) -> list[Finding]:
        self._read_reviews()
        self._check_imports()
        after = _LOWEST
        while entries := self._entries(records.ROW, after, BATCH):
            last = int(entries[-1][0])
            rows = self._rows(after, last)
            for index, body in entries:
                self._row_entry(int(index), body, rows)
            self._stray(rows)
            after = last
        self._stray(self._rows(after, None))
        for (ident, row), (index, _) in sorted(self.reviews.items()):
            self._problem(
                f"entry {index}",
                f"an audit_review of row {row} of import {ident!r}, which no audit_row entry holds",
            )
        return self.problems

    def _entries(self, kind: str, after: int, limit: int | None) -> list[Any]:
        m = self.m
        tail = f" LIMIT {limit}" if limit else ""
        self.cur.execute(
            f"SELECT idx, body FROM ledger_entries WHERE idx > {m} AND kind = {m} "
            f"ORDER BY idx{tail}",
            (after, kind),
        )
        return list(self.cur.fetchall())

    def _read_reviews(self) -> None:
        """The latest review of each row, in ledger order (a later one supersedes)."""
        for index, body in self._entries(records.REVIEW, _LOWEST, None):
            try:
                record = parse_body(blob(body))["record"]
                key = (str(record["import"]), int(record["row"]))
                records.reviewed_columns(record)
            except (ValueError, KeyError, TypeError, AttributeError):
                self._problem(f"entry {index}", "an audit_review entry without a readable record")
                continue
            self.reviews[key] = (int(index), record)

    def _rows(self, after: int, last: int | None) -> dict[int, dict[str, Any]]:
        m = self.m
        where, params = f"ledger_index > {m}", [after]
        if last is not None:
            where += f" AND ledger_index <= {m}"
            params.append(last)
        names = records.ROW_COLUMNS
        self.cur.execute(f"SELECT {', '.join(names)} FROM audit_rows WHERE {where}", params)
        out = {}
        for values in self.cur.fetchall():
            row = dict(zip(names, values, strict=True))
            row["at"] = instant(row["at"])
            out[int(row["ledger_index"])] = row
        return out

    def _row_entry(self, index: int, body: Any, rows: dict[int, dict[str, Any]]) -> None:
        try:
            record = parse_body(blob(body))["record"]
            expected = records.row_columns(index, record)
        except (ValueError, KeyError, TypeError, AttributeError):
            self._problem(f"entry {index}", "an audit_row entry without a readable record")
            return
        key = (expected["import_id"], expected["row"])
        review = self.reviews.pop(key, None)
        if review is not None:
            if review[1].get("row_entry") != index:
                self._problem(
                    f"entry {review[0]}",
                    f"the audit_review names entry "
                    f"{review[1].get('row_entry')!r}, but its row is entry {index}",
                )
            expected.update(records.reviewed_columns(review[1]))
        where = f"audit_rows {key[0]!r} row {key[1]}"
        row = rows.pop(index, None)
        if row is None:
            self._problem(where, f"audit_row entry {index} has no audit_rows row")
            return
        differ = differences(expected, row, records.ROW_COLUMNS)
        if differ:
            self._problem(
                where,
                f"column(s) {', '.join(differ)} differ from audit_row entry {index}"
                + (f" and its review (entry {review[0]})" if review else "")
                + " (edited)",
            )

    def _stray(self, rows: Mapping[int, Mapping[str, Any]]) -> None:
        for index, row in rows.items():
            self._problem(
                f"audit_rows {row.get('import_id')!r} row {row.get('row')!r}",
                f"column ledger_index: the row points at entry {index}, which is no audit_row "
                "entry (a row the ledger does not hold)",
            )

    def _check_imports(self) -> None:
        expected: dict[str, tuple[int, dict[str, Any]]] = {}
        m = self.m
        self.cur.execute(
            f"SELECT idx, body FROM ledger_entries WHERE kind = {m} ORDER BY idx", (records.IMPORT,)
        )
        for index, body in self.cur.fetchall():
            try:
                parsed = parse_body(blob(body))
                made = records.import_columns(int(index), parsed["recorded_at"], parsed["record"])
            except (ValueError, KeyError, TypeError, AttributeError):
                self._problem(f"entry {index}", "an audit_import entry without a readable record")
                continue
            expected[made["id"]] = (int(index), made)
        names = records.IMPORT_COLUMNS
        self.cur.execute(f"SELECT {', '.join(names)} FROM audit_imports")
        for values in self.cur.fetchall():
            row = dict(zip(names, values, strict=True))
            row["imported_at"] = instant(row["imported_at"])
            where = f"audit_imports {row['id']!r}"
            found = expected.pop(str(row["id"]), None)
            if found is None:
                self._problem(
                    where, "no audit_import entry holds it (a row the ledger does not hold)"
                )
                continue
            differ = differences(found[1], row, names)
            if differ:
                self._problem(
                    where,
                    f"column(s) {', '.join(differ)} differ from audit_import entry "
                    f"{found[0]} (edited)",
                )
        for ident, (index, _) in expected.items():
            self._problem(f"audit_imports {ident!r}", f"audit_import entry {index} has no row")

    def _problem(self, where: str, message: str) -> None:
        self.problems.append(Finding(where, message))
