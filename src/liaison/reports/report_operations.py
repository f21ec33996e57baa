"""The ``operations`` report (issue 10, item 2; docs/reports.md, "operations"): each
checkpoint and joint operation with records in the period, its declared purpose beside
what its records show, its ``joint_operation`` decisions and their outcome, why it is
flagged (``gateway.encounter_flags``: it went ahead with federal immigration partners
after its joint operation was denied, or with none decided), and what in it no directive
allowed: actions carried out without a permitting decision or against a denial
(``events.flagged``) and inquiries naming ``immigration_status`` beside another purpose
(the pretext EO-25-005 § E3's "solely" leaves open).

Which encounters are operations, and the counts under each: ``reports.operation_records``.
Counts are of the records in the scope (``ReportScope.within``); what the encounter
declared (purpose, agencies, outcome, flags) is its row as its events left it.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field

from liaison.reports.operation_records import MAX_IDS, Shown, operations, shown
from liaison.reports.report_document import ReportDocument, Strict, Table
from liaison.reports.report_head import head
from liaison.reports.report_records import link
from liaison.reports.report_scope import ReportScope

NAME = "operations"
TITLE = "Checkpoints and joint operations: declared purpose and what the records show"


class JointDecision(Strict):
    """A ``joint_operation`` decision filed under the operation."""

    id: str
    at: str | None
    decision: str
    basis: str
    view: str
    sections: list[str] = Field(description="'DIRECTIVE SECTION' cited")


class Outcome(Strict):
    """How many of one kind were permitted and denied."""

    name: str
    permitted: int = Field(ge=0)
    denied: int = Field(ge=0)


class RecordsShow(Strict):
    """What the operation's records show."""

    vehicles_stopped: int | None = Field(description="as its end reported (null: not ended)")
    infractions: int | None
    arrests_reported: int | None = Field(description="arrests its end reported")
    decisions: list[Outcome] = Field(description="decisions by action")
    inquiries_by_purpose: list[Outcome] = Field(description="database inquiries by purpose")
    notifications: int = Field(ge=0)
    transports: int = Field(ge=0)
    handovers: int = Field(ge=0)
    arrests: int = Field(ge=0, description="arrest events recorded")
    events_by_kind: dict[str, int]


class NotAllowed(Strict):
    """What in the operation no directive allowed."""

    flagged_events: dict[str, int] = Field(description="events.flagged -> count")
    flagged_ids: list[str] = Field(description=f"the first {MAX_IDS} flagged events")
    mixed_status_inquiries: int = Field(
        ge=0, description="inquiries naming immigration_status beside another purpose"
    )
    mixed_ids: list[str]


class Operation(Strict):
    """One checkpoint or joint operation."""

    id: str
    unit: str = Field(description="the unit that opened it")
    participants: list[str]
    kind: str
    district: str | None
    declared_purpose: str | None
    agencies: list[str] = Field(description="'AGENCY (type)' as declared")
    federal_immigration: bool = Field(description="a federal immigration agency is declared")
    started: str | None
    ended: str | None
    flagged: list[str] = Field(description="joint_operation_denied, joint_operation_not_decided")
    joint_operation: list[JointDecision]
    records_show: RecordsShow
    not_allowed: NotAllowed
    query: str = Field(description="GET /v1/decisions?... of the decisions under it")


class OperationsReport(ReportDocument):
    """Each checkpoint and joint operation (module docstring)."""

    operations: list[Operation]
    flagged: int = Field(ge=0, description="operations flagged")

    def tables(self) -> list[Table]:
        return operation_tables(self)


def build(scope: ReportScope) -> OperationsReport:
    """The operations report over ``scope``."""
    with scope.db.connect() as conn:
        rows = operations(conn, scope)
        keys = [(str(r["id"]), str(r["unit"])) for r in rows]
        tallies = shown(conn, scope, keys)
    found = [
        _operation(scope, r, tallies[k])
        for r, k in zip(rows, keys, strict=True)
        if tallies[k].any()
    ]
    return OperationsReport(
        **head(scope, NAME, TITLE),
        operations=found,
        flagged=sum(1 for o in found if o.flagged),
    )


def _operation(scope: ReportScope, row: dict[str, Any], tally: Shown) -> Operation:
    document = json.loads(row["document"])
    agencies = [a for a in document.get("agencies", []) if isinstance(a, dict)]
    return Operation(
        id=row["id"],
        unit=row["unit"],
        participants=json.loads(row["participants"]),
        kind=row["kind"],
        district=row["district"],
        declared_purpose=document.get("declared_purpose"),
        agencies=[f"{a.get('agency')} ({a.get('type')})" for a in agencies],
        federal_immigration=any(a.get("type") == "federal_immigration" for a in agencies),
        started=scope.local(row["started_at"]),
        ended=scope.local(row["ended_at"]),
        flagged=list(document.get("flagged", [])),
        joint_operation=[JointDecision(**j) for j in tally.joint],
        records_show=_records(document.get("outcome"), tally),
        not_allowed=NotAllowed(
            flagged_events=dict(sorted(tally.flags.items())),
            flagged_ids=tally.flagged_ids,
            mixed_status_inquiries=tally.mixed,
            mixed_ids=tally.mixed_ids,
        ),
        query=link(scope, {"encounter": row["id"]}) or "",
    )


def _records(outcome: Any, tally: Shown) -> RecordsShow:
    ended = outcome if isinstance(outcome, dict) else None
    kinds = tally.events
    return RecordsShow(
        vehicles_stopped=None if ended is None else ended.get("vehicles_stopped", 0),
        infractions=None if ended is None else ended.get("infractions", 0),
        arrests_reported=None if ended is None else ended.get("arrests", 0),
        decisions=_outcomes(tally.decisions),
        inquiries_by_purpose=_outcomes(tally.purposes),
        notifications=kinds.get("notification_sent", 0),
        transports=kinds.get("transport", 0),
        handovers=kinds.get("handover", 0),
        arrests=kinds.get("arrest", 0),
        events_by_kind=dict(sorted(kinds.items())),
    )


def _outcomes(counts: dict[tuple[str, str], int]) -> list[Outcome]:
    names = sorted({name for name, _ in counts})
    return [
        Outcome(name=n, permitted=counts.get((n, "permit"), 0), denied=counts.get((n, "deny"), 0))
        for n in names
    ]


def _listed(outcomes: list[Outcome]) -> str:
    return "; ".join(f"{o.name}: {o.permitted} permitted, {o.denied} denied" for o in outcomes)


def operation_tables(doc: OperationsReport) -> list[Table]:
    """One row per operation: declared, decided, shown; then what no directive allowed."""
    ops = doc.operations
    return [
        Table(
            id="operations",
            title="Checkpoints and joint operations",
            note=f"{len(ops)} operations, {doc.flagged} flagged",
            columns=["operation", "unit", "kind", "district", "declared purpose", "agencies",
                     "started", "ended", "flagged", "joint_operation decisions"],
            rows=[
                [o.id, o.unit, o.kind, o.district, o.declared_purpose, ", ".join(o.agencies),
                 o.started, o.ended, ", ".join(o.flagged) or "-",
                 "; ".join(f"{j.id}: {j.decision} ({', '.join(j.sections) or j.basis})"
                           for j in o.joint_operation) or "none decided"]
                for o in ops
            ],
        ),
        Table(
            id="operations-records",
            title="What their records show",
            columns=["operation", "vehicles stopped", "inquiries by purpose", "notifications",
                     "transports", "handovers", "arrests", "decisions"],
            rows=[
                [o.id, r.vehicles_stopped, _listed(r.inquiries_by_purpose), r.notifications,
                 r.transports, r.handovers, r.arrests, _listed(r.decisions)]
                for o in ops
                for r in [o.records_show]
            ],
        ),
        Table(
            id="operations-not-allowed",
            title="What in them no directive allowed",
            columns=["operation", "flagged actions", "flagged ids",
                     "immigration_status beside another purpose", "ids"],
            rows=[
                [o.id, ", ".join(f"{k}: {n}" for k, n in o.not_allowed.flagged_events.items()),
                 " ".join(o.not_allowed.flagged_ids), o.not_allowed.mixed_status_inquiries,
                 " ".join(o.not_allowed.mixed_ids)]
                for o in ops
            ],
        ),
    ]  # fmt: skip
