"""Actions permitted under one view of the pack and denied under another (issue 10,
item 2, the ``review`` report's third part; docs/reports.md, "review").

Every recorded request of the period is decided again under each view of the pack in
force (``Engine.decide_many``), from the request its decision's record holds. Only what
can differ is decided, which the pack says in advance:

- *when and what*: the pack's effective instants cut time into windows within which no
  view's regime changes (``in_force.boundaries``); in a window, an action whose policy
  slice is the same in every view is decided alike by every view, and is skipped;
- *which requests*: two requests of one action in one window whose context agrees on
  everything the slices read (``ActionSlice.reads``) get the same verdicts, so the
  records are grouped in the database on the index columns that hold those attributes
  (purposes and data classes each as one text) and one request per group is decided.
  An attribute no column holds (an access, an operation's partners, the actor) makes
  each record its own group.

The case number is personal: not in a decision's public record, but a slice may read
whether there was one (``has_case_number``). Then the records are also grouped by whether
their personal row (``ledger_personal``, canonical JSON) names a case number, has none, or
is gone (erased, or never made): for those, by their recorded view and outcome too, and the
request is decided with and without a case number, keeping the variants that give the
recorded outcome under the recorded view. When those still differ under another view, the
group is ``undetermined`` (counted, never taken as agreeing).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import ColumnElement, Connection, case, exists, func, literal, select

from liaison.errors import InvalidRequest
from liaison.model.decision import Decision
from liaison.model.request import ActionRequest, request_from_json
from liaison.model.timestamps import now_utc
from liaison.policy.engine import Engine as PolicyEngine
from liaison.policy.in_force import boundaries
from liaison.reports.report_scope import ReportScope
from liaison.storage.tables import (
    decision_data_classes,
    decision_purposes,
    decisions,
    ledger_personal,
)

MAX_IDS = 20
WITHHELD = "(withheld)"  # stands for what a public record leaves out (no policy reads it)
_d = decisions.c


def _listed(table: Any, column: str) -> ColumnElement[Any]:
    """A decision's rows of a side table as one comma-separated text (a group key)."""
    mine = select(func.aggregate_strings(table.c[column], ",")).where(
        table.c.ledger_index == _d.ledger_index
    )
    return mine.scalar_subquery()


# The index columns that hold what a slice reads, per context attribute (and record field).
_HELD: dict[str, dict[str | None, Any]] = {
    "purposes": {None: lambda: _listed(decision_purposes, "purpose")},
    "data_classes": {None: lambda: _listed(decision_data_classes, "data_class")},
    "database": {None: lambda: _d.database},
    "legal_process": {None: lambda: _d.legal_process},
    "initiative": {None: lambda: _d.initiative},
    "arrest_basis": {None: lambda: _d.arrest_basis},
    "subject": {
        "custody": lambda: _d.custody,
        "federal_criminal_charge": lambda: _d.federal_charge,
    },
    "recipient": {"type": lambda: _d.recipient_type, "agency": lambda: _d.recipient_agency},
    "transport": {"passengers": lambda: _d.passengers},
    "operation": {"kind": lambda: _d.operation_kind},
}
# A record attribute's presence: its required field's column is not null.
_PRESENT = {
    "subject": "custody",
    "recipient": "type",
    "transport": "passengers",
    "operation": "kind",
}


@dataclass(frozen=True, slots=True)
class Contested:
    """One action in one window of time whose slice differs between views."""

    action: str
    start: datetime | None
    end: datetime | None
    reads: dict[str, frozenset[str] | None] | None  # what any view's slice reads
    case_number: bool  # whether some slice reads ``has_case_number``


@dataclass
class Disagreement:
    """Records of one action permitted under ``permit_view`` (citing ``permit_sections``)
    and denied under ``deny_view`` (citing ``deny_sections``; empty: no policy matched)."""

    action: str
    permit_view: str
    permit_sections: list[str]
    deny_view: str
    deny_sections: list[str]
    deny_basis: str
    count: int = 0
    first: datetime | None = None
    last: datetime | None = None
    ids: list[str] = field(default_factory=list)


@dataclass
class Found:
    """What the comparison found: the disagreements, how many records were decided again
    (in how many groups) and how many could not be determined."""

    views: list[str]
    disagreements: list[Disagreement]
    compared: int = 0
    groups: int = 0
    undetermined: int = 0
    windows: list[tuple[str, datetime | None, datetime | None]] = field(default_factory=list)


def contested(
    policy: PolicyEngine, start: datetime | None, end: datetime | None
) -> list[Contested]:
    """The (action, window) pairs in [start, end) where some views' slices differ."""
    views = sorted(policy.pack.views)
    cuts = [
        b
        for b in boundaries(policy.pack)
        if (start is None or b > start) and (end is None or b < end)
    ]
    edges: list[datetime | None] = [start, *cuts, end]
    out: list[Contested] = []
    for lo, hi in pairwise(edges):
        probe = lo or (hi or now_utc()) - timedelta(microseconds=1)
        regimes = [policy.regime(probe, v) for v in views]
        for action in regimes[0].compiled.slices:
            slices = [r.compiled.slices[action] for r in regimes]
            if len({tuple(p.id for p in s.policies) for s in slices}) <= 1:
                continue
            reads = _union([s.reads for s in slices])
            wants_case = reads is None or "has_case_number" in reads
            out.append(Contested(action, lo, hi, reads, wants_case))
    return out


def _union(
    all_reads: Sequence[dict[str, frozenset[str] | None] | None],
) -> dict[str, frozenset[str] | None] | None:
    merged: dict[str, frozenset[str] | None] = {}
    for reads in all_reads:
        if reads is None:
            return None
        for name, fields in reads.items():
            if name in merged and (merged[name] is None or fields is None):
                merged[name] = None
            else:
                merged[name] = (merged.get(name) or frozenset()) | (fields or frozenset())
    return merged


CASE_NEEDLE = b'"case_number":'  # in the canonical JSON of a request's personal part


def case_state(dialect: str) -> ColumnElement[Any]:
    """Whether the decision's personal row names a case number: ``yes``, ``no`` or ``gone``
    (no personal row: erased, or there was nothing personal)."""
    lp = ledger_personal.c
    mine = lp.idx == _d.ledger_index
    found = (
        func.position(literal(CASE_NEEDLE).op("IN")(lp.data))
        if dialect == "postgresql"
        else func.instr(lp.data, literal(CASE_NEEDLE))
    )
    named = exists(select(lp.idx).where(mine, found > 0))
    kept = exists(select(lp.idx).where(mine))
    return case((named, literal("yes")), (kept, literal("no")), else_=literal("gone"))


def _group_columns(c: Contested) -> list[ColumnElement[Any]] | None:
    """The columns that hold what ``c``'s slices read (None: some attribute is in none)."""
    if c.reads is None:
        return None
    out: list[ColumnElement[Any]] = []
    for name, fields in c.reads.items():
        if name == "has_case_number":
            out += [_d.view, _d.decision]  # told apart by the recorded outcome (``groups``)
            continue
        held = _HELD.get(name)
        if held is None or (fields is None and name == "operation"):
            return None
        if fields is not None and not fields:  # presence only
            out.append(held[_PRESENT.get(name)]().is_(None))
            continue
        wanted = list(held) if fields is None else sorted(fields)
        if any(f not in held for f in wanted):
            return None
        out += [held[f]() for f in wanted]
    return out


@dataclass(frozen=True, slots=True)
class Group:
    """Records of a contested action decided alike in every view: one of them (``first``,
    a ledger index) stands for all ``count``; ``key``: their values of the group columns."""

    contested: Contested
    first: int
    count: int
    earliest: datetime
    latest: datetime
    key: tuple[Any, ...]
    case: str  # whether they had a case number: yes, no, or gone (unknown)


def groups(
    conn: Connection, scope: ReportScope, c: Contested, exact: tuple[Any, ...] | None = None
) -> list[Group]:
    """The groups of ``c``'s records in the scope (each record its own when no column
    holds what the slices read). ``exact``: only the records of the group of that key,
    grouped by their case-number state besides (``case_state``)."""
    held = _group_columns(c)
    keys = [_d.ledger_index] if held is None else held
    unknown = literal("gone" if c.case_number else "no")
    state = unknown if exact is None else case_state(conn.dialect.name)
    where = [*scope.within(decisions), _d.action == c.action]
    if c.start is not None:
        where.append(_d.at >= c.start)
    if c.end is not None:
        where.append(_d.at < c.end)
    for k, v in zip(keys, exact or (), strict=False):
        where.append(k.is_(None) if v is None else k == v)
    labelled = [k.label(f"k{n}") for n, k in enumerate([*keys, state])]
    rows = select(*labelled, _d.ledger_index, _d.at).where(*where).subquery()
    grouped = [rows.c[k.name] for k in labelled]
    first, count = func.min(rows.c.ledger_index), func.count()
    query = select(first, count, func.min(rows.c.at), func.max(rows.c.at), *grouped)
    found = conn.execute(query.group_by(*grouped)).all()
    return [
        Group(c, int(r[0]), int(r[1]), r[2], r[3], tuple(r[4:-1]), str(r[-1]))
        for r in found
        if r[1]
    ]


Outcome = tuple[str, str, tuple[str, ...]]  # decision, basis, "DIRECTIVE SECTION" cited


def _outcome(d: Decision) -> Outcome:
    cited = tuple(sorted({f"{c.directive} {c.section}" for c in d.citations}))
    return d.decision.value, d.basis.value, cited


@dataclass(frozen=True, slots=True)
class _Stand:
    """A group's stand-in record: its id, recorded view and outcome, and its request."""

    id: str
    view: str
    decision: str
    request: dict[str, Any]
    at: datetime


def _stand_ins(conn: Connection, indexes: Sequence[int]) -> dict[int, _Stand]:
    out: dict[int, _Stand] = {}
    for start in range(0, len(indexes), 500):
        chunk = indexes[start : start + 500]
        query = select(_d.ledger_index, _d.id, _d.view, _d.decision, _d.at, _d.document)
        for row in conn.execute(query.where(_d.ledger_index.in_(chunk))):
            request = json.loads(row.document)["request"]
            out[int(row.ledger_index)] = _Stand(row.id, row.view, row.decision, request, row.at)
    return out


def _variants(stand: _Stand, case: str, views: Sequence[str]) -> list[ActionRequest]:
    """The stand-in's request under each view, with a case number or without as its
    ``case`` state says, or both when it is gone: ``len(views)`` or twice as many."""
    body = dict(stand.request)
    subject = body.get("subject")
    if isinstance(subject, dict) and "id" not in subject:
        body["subject"] = {**subject, "id": WITHHELD}  # personal; no policy reads it
    named = {**body, "case_number": WITHHELD}
    bodies = {"no": [body], "yes": [named]}.get(case, [body, named])
    return [
        request_from_json({**b, "at": stand.at.isoformat(), "view": view})
        for b in bodies
        for view in views
    ]


def _settled(
    stand: _Stand, decided: Sequence[Outcome], views: Sequence[str]
) -> dict[str, Outcome] | None:
    """Each view's outcome for the group; None when the variants kept (those giving the
    recorded outcome under the recorded view) disagree somewhere."""
    n = len(views)
    variants = [
        dict(zip(views, decided[k : k + n], strict=True)) for k in range(0, len(decided), n)
    ]
    if len(variants) > 1:
        variants = [v for v in variants if v.get(stand.view, ("",))[0] == stand.decision]
    if not variants or any(v != variants[0] for v in variants[1:]):
        return None
    return variants[0]


def compare(scope: ReportScope) -> Found:
    """Every contested record of the scope decided again under each view of the pack, and
    where one view permits what another denies (by action, views and sections). A group
    whose outcome elsewhere hangs on an unknown case number is grouped again by its
    records' case-number state (``case_state``: only then is the personal row read)."""
    policy = scope.policy
    views = sorted(policy.pack.views)
    found = Found(views, [])
    windows = contested(policy, scope.start, scope.end) if len(views) > 1 else []
    found.windows = [(c.action, c.start, c.end) for c in windows]
    tally: dict[tuple[Any, ...], Disagreement] = {}
    with scope.db.connect() as conn:
        every = [g for c in windows for g in groups(conn, scope, c)]
        settled = _decide(conn, policy, views, every, found)
        hanging = [g for g, _, s in settled if s is None and g.case == "gone" and g.key]
        again = [h for g in hanging for h in groups(conn, scope, g.contested, g.key)]
        if any(h.case != "gone" for h in again):  # else it stays as unknown as it was
            settled = [x for x in settled if x[2] is not None or x[0] not in hanging]
            settled += _decide(conn, policy, views, again, found)
    for g, stand, outcome in settled:
        found.compared += g.count
        found.groups += 1
        if outcome is None:
            found.undetermined += g.count
            continue
        for yes, no in _pairs(outcome):
            key = (g.contested.action, yes, outcome[yes][2], no, outcome[no][2], outcome[no][1])
            row = tally.get(key) or tally.setdefault(key, Disagreement(*_named(key)))
            _add(row, g, stand)
    found.disagreements = [tally[k] for k in sorted(tally)]
    return found


def _decide(
    conn: Connection,
    policy: PolicyEngine,
    views: Sequence[str],
    every: Sequence[Group],
    found: Found,
) -> list[tuple[Group, _Stand, dict[str, Outcome] | None]]:
    """Each group's stand-in decided under each view (None: undetermined); a record that
    no longer validates is counted undetermined in ``found`` and left out."""
    stands = _stand_ins(conn, [g.first for g in every])
    requests: list[ActionRequest] = []
    spans: list[tuple[Group, _Stand, int, int]] = []
    for g in every:
        stand = stands[g.first]
        try:
            variants = _variants(stand, g.case, views)
        except InvalidRequest:
            found.undetermined += g.count
            continue
        spans.append((g, stand, len(requests), len(requests) + len(variants)))
        requests += variants
    decided = policy.decide_many(requests)
    out = []
    for g, stand, lo, hi in spans:
        outcomes = [_outcome(d) for d in decided[lo:hi] if isinstance(d, Decision)]
        complete = len(outcomes) == hi - lo
        out.append((g, stand, _settled(stand, outcomes, views) if complete else None))
    return out


def _pairs(settled: dict[str, Outcome]) -> Iterable[tuple[str, str]]:
    """(permitting view, denying view) for each pair of views that disagree."""
    for yes, a in settled.items():
        for no, b in settled.items():
            if a[0] == "permit" and b[0] == "deny":
                yield yes, no


def _named(key: tuple[Any, ...]) -> tuple[str, str, list[str], str, list[str], str]:
    action, yes, permit_sections, no, deny_sections, basis = key
    return action, yes, list(permit_sections), no, list(deny_sections), basis


def _add(row: Disagreement, g: Group, stand: _Stand) -> None:
    row.count += g.count
    row.first = g.earliest if row.first is None else min(row.first, g.earliest)
    row.last = g.latest if row.last is None else max(row.last, g.latest)
    if len(row.ids) < MAX_IDS:
        row.ids.append(stand.id)
