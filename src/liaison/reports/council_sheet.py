"""The Council's yes/no sheet on the start page (issue 11, item 1; docs/pages.md, "The start
page: `/`"): the ``council`` report (``report_council``) over a period of whole days up to a
signed checkpoint, as each reader may see it.

*Which period.* For an auditor, by default the 90 days to the newest record the checkpoint
covers: from midnight (in the pack's zone) 90 days before the day after that record's day,
to that midnight; an auditor may choose another (``from``/``to``). For everyone else, the
three whole calendar months to the newest record's month, counting only months that have
ended (``public_period``): a window moving day by day would let two days' sheets be
subtracted to reveal one day's records; closed months change only if records of them
arrive late.

*What the public may see* (everyone but an auditor: ``public``): each question, yes or no,
and its count published through ``suppression.small_cell`` ("<11" for 1 to 10); no record
ids, no dates but the period's, none of the report's breakdowns (refused, carried out, by
directive, by initiative: with an answer's count they would let a suppressed part be worked
out by subtraction). Where one question's records are a subset of another's (``NESTED``),
showing both exactly would reveal their difference: when that difference is from 1 to 10
the subset's count is withheld (``WITHHELD``) unless it is already suppressed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import Engine, func, select, union_all

from liaison.errors import InvalidRequest
from liaison.gateway.index_rows import instant
from liaison.model.timestamps import parse_instant
from liaison.reports import report_run
from liaison.reports.query_filter import date_as_instant
from liaison.reports.report_council import Answer, CouncilReport
from liaison.reports.report_records import Records
from liaison.reports.report_scope import ReportScope
from liaison.reports.series import midnight
from liaison.reports.suppression import SMALL, small_cell
from liaison.storage.tables import decisions, events

DAYS = 90
MONTHS = 3  # the public sheet's whole months
WITHHELD = "withheld"
# (subset, superset): every record counted by the first is counted by the second.
NESTED = (
    ("share_during_traffic_stops", "share_not_in_custody"),
    ("status_only_inquiries_carried_out_anyway", "status_only_inquiries"),
    ("checkpoints_held", "joint_operations_held"),
    ("joint_operations_without_permit", "joint_operations_held"),
)


@dataclass(frozen=True, slots=True)
class Period:
    """[start, end) in whole days of the pack's zone; ``chosen``: asked for, not the default."""

    start: datetime
    end: datetime
    chosen: bool = False

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(microseconds=1)).date()


def newest_record(db: Engine, size: int) -> datetime | None:
    """The instant of the newest decision or event in the tree of ``size``."""
    parts = [
        select(func.max(t.c.at).label("at")).where(t.c.ledger_index < size)
        for t in (decisions, events)
    ]
    both = union_all(*parts).subquery()
    with db.connect() as conn:
        found = conn.execute(select(func.max(both.c.at))).scalar()
    return instant(found)


def default_period(newest: datetime | None, zone: tzinfo, today: date) -> Period:
    """The ``DAYS`` days to the newest record's day (to ``today`` when there is none)."""
    last = newest.astimezone(zone).date() if newest is not None else today
    end = midnight(last + timedelta(days=1), zone)
    return Period(midnight(last + timedelta(days=1 - DAYS), zone), end)


def public_period(newest: datetime | None, zone: tzinfo, today: date) -> Period:
    """The ``MONTHS`` whole calendar months to the newest record's month (to ``today``'s
    when there is none), each one ended by ``today``: never the month in progress."""
    last = newest.astimezone(zone).date() if newest is not None else today
    month = min(date(last.year, last.month, 1), _months_after(date(today.year, today.month, 1), -1))
    start = _months_after(month, 1 - MONTHS)
    return Period(midnight(start, zone), midnight(_months_after(month, 1), zone))


def _months_after(first: date, months: int) -> date:
    """The first day of the month ``months`` after ``first``'s (negative: before)."""
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def chosen_period(given: dict[str, str | None], zone: tzinfo, fallback: Period) -> Period:
    """The period ``from``/``to`` ask for: a date (``2025-08-01``: that day's midnight in
    the pack's zone; ``to`` is not included) or an RFC 3339 instant with offset; one left
    out is the default's. ``InvalidRequest`` naming a bad one."""
    start = (_moment("from", given.get("from"), zone) or fallback.start).astimezone(zone)
    end = (_moment("to", given.get("to"), zone) or fallback.end).astimezone(zone)
    if end <= start:
        raise InvalidRequest("to", "to: must be after from")
    return Period(start, end, chosen=True)


def _moment(name: str, value: str | None, zone: tzinfo) -> datetime | None:
    if not value:
        return None
    try:  # a date alone is its midnight, as on every page; else as the API's from/to
        return parse_instant(date_as_instant(name, value, zone))
    except ValueError:
        raise InvalidRequest(
            name, f"{name}: a date (2025-08-01) or an RFC 3339 instant with its offset"
        ) from None


def council(scope: ReportScope) -> CouncilReport:
    """The council report over ``scope`` (``report_run.run``)."""
    doc = report_run.run("council", scope)
    assert isinstance(doc, CouncilReport)
    return doc


def full_sheet(doc: CouncilReport, period: Period) -> dict[str, Any]:
    """The sheet as an auditor reads it: every answer with its exact counts, first and last
    instants, the queries behind it, refused and carried out."""
    return {
        "period": _period(period),
        "checkpoint": doc.checkpoint.model_dump(),
        "public": False,
        "answers": [_full(a) for a in doc.answers],
    }


def _full(a: Answer) -> dict[str, Any]:
    row: dict[str, Any] = {"id": a.id, "question": a.question, "answer": a.answer, "rule": a.rule}
    row.update(_records(a))
    for part in ("denied", "carried_out", "carried_out_despite_denial"):
        found: Records | None = getattr(a, part)
        row[part] = None if found is None else _records(found)
    return row


def _records(r: Records) -> dict[str, Any]:
    return {
        "kind": r.kind,
        "count": r.count,
        "first": r.first,
        "last": r.last,
        "query": r.query,
        "ids": list(r.ids),
    }


def public_sheet(doc: CouncilReport, period: Period) -> dict[str, Any]:
    """The sheet as everyone but an auditor reads it (the module's docstring)."""
    return {
        "period": {k: v for k, v in _period(period).items() if k in ("first_day", "last_day")},
        "checkpoint": doc.checkpoint.model_dump(),
        "public": True,
        "answers": published_answers(doc),
    }


def published_answers(doc: CouncilReport) -> list[dict[str, Any]]:
    """Each question, yes or no, and its count as published: ``small_cell``, and a subset's
    count ``WITHHELD`` where its difference from its superset's is from 1 to 10 (the start
    page and ``/public`` alike)."""
    exact = {a.id: a.count for a in doc.answers}
    shown = {a.id: small_cell(a.count) for a in doc.answers}
    for part, whole in NESTED:
        exposed = isinstance(shown[part], int) and isinstance(shown[whole], int)
        if exposed and 1 <= exact[whole] - exact[part] <= SMALL:
            shown[part] = WITHHELD
    return [
        {"id": a.id, "question": a.question, "answer": a.answer, "count": shown[a.id]}
        for a in doc.answers
    ]


def _period(period: Period) -> dict[str, Any]:
    return {
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "first_day": period.start.date().isoformat(),
        "last_day": period.last_day.isoformat(),
        "days": (period.last_day - period.start.date()).days + 1,
        "chosen": period.chosen,
    }
