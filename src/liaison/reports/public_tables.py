"""The public figures (issue 11, item 2; docs/pages.md, "The tables"): aggregates only, no
person-level data, each naming the checkpoint (size, root) it was computed from and the
period; small counts suppressed with complementary suppression (``suppression.protect``).

The tables count, within the report scope (``ReportScope.within``: the entries in the
checkpoint's tree, the period on the record's instant), by calendar month in D.C.'s zone:

- decisions permitted, and apart decisions refused, by action;
- events not flagged, and apart flagged events, by kind (what was done);
- encounters by the kind they were opened as, in the month of their first event in the tree.

Each table counts records no other table counts, so no table's figures bound another's
hidden ones. The Council's questions (the ``council`` report, ``report_run``) are published
as yes or no and each answer's count only, as the start page publishes them
(``council_sheet.published_answers``: ``small_cell``, and a question's count withheld where
it and the count of the question it is a part of differ by 1 to 10): none of its sub-counts
(refused, carried out, by citation or initiative), which beside the count could give a
small one away.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Subquery, func, select, true

from liaison.errors import InvalidRequest
from liaison.gateway.events import EventKind
from liaison.model.vocabulary import Action, EncounterKind
from liaison.reports import report_run
from liaison.reports.council_sheet import published_answers
from liaison.reports.query import month_of
from liaison.reports.query_json import JsonText
from liaison.reports.report_council import CouncilReport
from liaison.reports.report_scope import ReportScope
from liaison.reports.suppression import MEANING, CountTable, Published, protect
from liaison.storage.tables import decisions, events

TableRows = tuple[list[str], list[list[Any]]]
COUNCIL = "council"
# What a spreadsheet would read as a formula at the start of a cell (OWASP, CSV injection).
FORMULA = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """``rows`` with each text that a spreadsheet would read as a formula prefixed ``'``."""
    return [
        [f"'{v}" if isinstance(v, str) and v.startswith(FORMULA) else v for v in r] for r in rows
    ]


@dataclass(frozen=True, slots=True)
class PublicTable:
    """One published table: its id (the file name), title, what it counts, and its counts
    by month (rows) and a column of the vocabulary, suppressed."""

    id: str
    title: str
    note: str
    column_label: str
    published: Published

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "note": self.note,
            "row_label": "month",
            "column_label": self.column_label,
            **self.published.to_dict(),
        }

    def csv(self) -> TableRows:
        """The header (month, each column, total) and a row per month, the totals last."""
        labels = [*self.published.table.rows, "total"]
        grid = self.published.grid()
        columns = ["month", *self.published.table.columns, "total"]
        return columns, [[label, *row] for label, row in zip(labels, grid, strict=True)]


@dataclass(frozen=True, slots=True)
class PublicFigures:
    """Every public table over one scope, and the Council's answers."""

    checkpoint: dict[str, Any]
    period: dict[str, str | None]
    tables: list[PublicTable]
    council: list[dict[str, Any]]

    def ids(self) -> list[str]:
        return [t.id for t in self.tables] + [COUNCIL]

    def to_dict(self) -> dict[str, Any]:
        return {
            "checkpoint": self.checkpoint,
            "period": self.period,
            "suppressed": MEANING,
            "tables": [t.to_dict() for t in self.tables],
            COUNCIL: self.council,
        }

    def csv(self, table_id: str) -> TableRows:
        """The table ``table_id`` as CSV rows; ``KeyError`` for another id."""
        if table_id == COUNCIL:
            columns = ["id", "question", "answer", "count"]
            return columns, [[a[c] for c in columns] for a in self.council]
        return {t.id: t for t in self.tables}[table_id].csv()


def whole_months(where: ReportScope) -> None:
    """Refuse a period that does not start and end at the first instant of a month in the
    pack's zone (``InvalidRequest`` naming ``from`` or ``to``): figures over periods a day
    or a second apart would give a small count away by their difference."""
    zone = where.policy.pack.timezone
    for field, moment in (("from", where.start), ("to", where.end)):
        if moment is None:
            continue
        local = moment.astimezone(zone)
        first = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        if local != first:
            raise InvalidRequest(
                field,
                f"{field}: the public figures are by whole months: the first instant of a "
                f"month, such as {where.policy.local(first)}",
            )


def build(where: ReportScope, reader: Any = None) -> PublicFigures:
    """The public figures over ``where`` (its checkpoint and period, whole months; every
    view)."""
    whole_months(where)
    d, e = decisions.c, events.c
    with where.db.connect() as conn:
        tables = [
            _table(conn, "decisions_permitted", "Decisions permitted, by month and action",
                   "decisions that permitted the action asked", "action", [a.value for a in Action],
                   select(d.at, d.action).where(*where.within(decisions), d.decision == "permit")),
            _table(conn, "decisions_refused", "Decisions refused, by month and action",
                   "decisions that refused the action asked", "action", [a.value for a in Action],
                   select(d.at, d.action).where(*where.within(decisions), d.decision != "permit")),
            _table(conn, "events", "Events not flagged, by month and kind",
                   "events recorded (what was done), not flagged", "kind", list(EventKind),
                   select(e.at, e.kind).where(*where.within(events), e.flagged.is_(None))),
            _table(conn, "events_flagged", "Flagged events, by month and kind",
                   "events recorded that stand out (flagged: e.g. done without a permit)",
                   "kind", list(EventKind),
                   select(e.at, e.kind).where(*where.within(events), e.flagged.is_not(None))),
            _table(conn, "encounters", "Encounters, by month and kind",
                   "encounters (traffic stops, checkpoints, ...), in the month of their first "
                   "event, by the kind they were opened as", "kind", list(EncounterKind),
                   _encounters(where)),
        ]  # fmt: skip
    report = report_run.run(COUNCIL, where, reader)
    assert isinstance(report, CouncilReport)
    council = published_answers(report)  # as the start page publishes them
    return PublicFigures(where.checkpoint.to_dict(), where.period(), tables, council)


def _encounters(where: ReportScope) -> Any:
    """Each encounter's first event in the tree: its instant and the kind it opened as."""
    e = events.c
    first = (
        select(func.min(e.ledger_index).label("first"))
        .where(e.ledger_index + 0 < where.checkpoint.size, e.encounter_id.is_not(None))
        .group_by(e.encounter_id, e.encounter_unit)
        .subquery()
    )
    period = where.within(events)[1:]  # the tree: in the subquery
    kind = JsonText(e.document, "encounter", "kind")
    return select(e.at, kind).join(first, e.ledger_index == first.c.first).where(*period)


def _table(
    conn: Connection,
    ident: str,
    title: str,
    note: str,
    label: str,
    columns: Sequence[str],
    source: Any,
) -> PublicTable:
    """``source`` (a select of an instant and a key) counted by month and key, protected."""
    inner: Subquery = source.subquery()
    at, key = inner.c[0], inner.c[1]
    month: ColumnElement[Any] = month_of(conn, true(), at)
    labelled = select(month.label("month"), key.label("key")).subquery()
    found = conn.execute(
        select(labelled.c.month, labelled.c.key, func.count()).group_by(
            labelled.c.month, labelled.c.key
        )
    ).all()
    counts = {(str(m), str(k)): int(n) for m, k, n in found}
    months = _months([m for m, _ in counts])
    extra = sorted({k for _, k in counts} - set(columns))  # a kind newer than the vocabulary
    keys = [*columns, *extra]
    grid = [[counts.get((m, k), 0) for k in keys] for m in months]
    return PublicTable(ident, title, note, label, protect(CountTable.of(months, keys, grid)))


def _months(found: Sequence[str]) -> list[str]:
    """Every month from the first found to the last (``YYYY-MM``)."""
    if not found:
        return []
    year, month = map(int, min(found).split("-"))
    last = tuple(map(int, max(found).split("-")))
    out = []
    while (year, month) <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out
