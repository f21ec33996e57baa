"""The ``council`` report: the D.C. Council's yes/no sheet (issue 10, item 2, ``council``;
docs/reports.md, "council").

Each question is answered yes or no, with the count, the first and last date (in the
pack's zone, with offset), the query that selects the records behind the answer and the
first of their ids. Where the records can say both, an answer says what was *decided*
(permitted; and, apart, asked and refused) and what was *carried out* (events reporting
the action done, citing one of those decisions), and under which directive and section the
permits were given. The exact rule of every answer is in its ``rule`` and in
docs/reports.md.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import Field
from sqlalchemy import ColumnElement, and_, exists, select

from liaison.reports.before_after_counts import joint_with_immigration
from liaison.reports.query_filter import under_encounter_of_kind
from liaison.reports.report_document import ReportDocument, Table
from liaison.reports.report_encounters import Held, with_federal_immigration_agencies
from liaison.reports.report_head import head
from liaison.reports.report_records import (
    CitationCount,
    Conditions,
    Records,
    by_citation,
    carried_out,
    count_by,
    decision_records,
    encounter_records,
)
from liaison.reports.report_scope import ReportScope
from liaison.storage.tables import decision_purposes, decisions

NAME = "council"
TITLE = "The Council's questions: yes or no, how often, when, and the records behind each"
d = decisions.c
IMMIGRATION = "federal_immigration"


class Answer(Records):
    """One question's answer: yes or no, and the records behind it (``kind``, ``count``,
    ``first``, ``last``, ``query``, ``ids``: see ``rule``); for decided actions, the refused
    ones and what was carried out."""

    id: str
    question: str
    rule: str = Field(description="exactly which records count")
    answer: Literal["yes", "no"]
    denied: Records | None = Field(None, description="the same asked, and refused")
    carried_out: Records | None = Field(
        None, description="events reporting the permitted action done, citing the decision"
    )
    carried_out_flagged: int | None = Field(None, description="of those, how many are flagged")
    carried_out_despite_denial: Records | None = Field(
        None, description="events reporting the action done citing a decision that refused it"
    )
    by_citation: list[CitationCount] = Field(
        [], description="the permits per directive and section cited"
    )
    by_initiative: dict[str, int] = Field(
        {}, description="the permits on request (on_request) or proactive"
    )
    by_kind: dict[str, int] = Field({}, description="encounters: how many of each kind")
    by_flag: dict[str, int] = Field({}, description="encounters: how many carry each flag")


class CouncilReport(ReportDocument):
    """The yes/no sheet (issue 10, item 2, ``council``)."""

    answers: list[Answer]

    def tables(self) -> list[Table]:
        return [_answers_table(self.answers), _done_table(self.answers), _why_table(self.answers)]


def build(scope: ReportScope) -> CouncilReport:
    """The council report over ``scope``."""
    answers = [
        *_sharing(scope),
        *_transports(scope),
        *_handovers(scope),
        *_status_inquiries(scope),
        *_joint_operations(scope),
    ]
    return CouncilReport(
        **head(scope, NAME, TITLE),
        answers=answers,
    )


def _yes(*counts: int) -> Literal["yes", "no"]:
    return "yes" if any(counts) else "no"


def decided(
    scope: ReportScope,
    head: tuple[str, str, str],
    where: Conditions,
    wanted: Mapping[str, str] | None,
) -> Answer:
    """An answer about a decided action: ``head`` (id, question, rule); the records are
    the permits ``where`` selects; "yes" when any was permitted or carried out."""
    permit, deny = [*where, d.decision == "permit"], [*where, d.decision == "deny"]
    permitted = decision_records(scope, permit, _with(wanted, decision="permit"))
    refused = decision_records(scope, deny, _with(wanted, decision="deny"))
    done, flagged = carried_out(scope, permit)
    anyway, _ = carried_out(scope, deny)
    return Answer(
        **permitted.model_dump(),
        id=head[0],
        question=head[1],
        rule=head[2],
        answer=_yes(permitted.count, done.count, anyway.count),
        denied=refused,
        carried_out=done,
        carried_out_flagged=flagged,
        carried_out_despite_denial=anyway,
        by_citation=by_citation(scope, permit),
        by_initiative=count_by(scope, "initiative", permit),
    )


def _with(wanted: Mapping[str, str] | None, **more: str) -> dict[str, str] | None:
    return None if wanted is None else {**wanted, **more}


def _sharing(scope: ReportScope) -> list[Answer]:
    where = [
        d.action == "share_information",
        d.recipient_type == IMMIGRATION,
        d.custody.in_(("free", "stopped")),
    ]
    wanted = {
        "action": "share_information",
        "recipient_type": IMMIGRATION,
        "custody": "free,stopped",
    }
    rule = (
        "share_information decisions with a federal_immigration recipient about a subject "
        "whose custody is free or stopped, permitted"
    )
    stops = " under an encounter of kind traffic_stop"
    return [
        decided(
            scope,
            (
                "share_not_in_custody",
                "Did MPD share information with federal immigration agencies about people "
                "not in its custody (how often, from when, under which directive and section, "
                "on request or proactively)?",
                rule,
            ),
            where,
            wanted,
        ),
        decided(
            scope,
            (
                "share_during_traffic_stops",
                "Did it do so during traffic stops?",
                rule + stops,
            ),
            [*where, under_encounter_of_kind(("traffic_stop",))],
            {**wanted, "encounter_kind": "traffic_stop"},
        ),
    ]


def _transports(scope: ReportScope) -> list[Answer]:
    out = []
    for passengers, ident, question in (
        ("federal_employees", "transport_federal_agents", "Did MPD transport federal "
         "immigration agents?"),
        ("detained_subject", "transport_detained_subjects", "Did MPD transport detained "
         "subjects for federal immigration agencies?"),
    ):  # fmt: skip
        rule = (
            f"transport decisions with a federal_immigration recipient and passengers "
            f"{passengers}, permitted"
        )
        where = [
            d.action == "transport",
            d.recipient_type == IMMIGRATION,
            d.passengers == passengers,
        ]
        wanted = {"action": "transport", "recipient_type": IMMIGRATION, "passengers": passengers}
        out.append(decided(scope, (ident, question, rule), where, wanted))
    return out


def _handovers(scope: ReportScope) -> list[Answer]:
    base = [d.action == "custody_transfer", d.recipient_type == IMMIGRATION]
    wanted = {"action": "custody_transfer", "recipient_type": IMMIGRATION}
    others = "none,ice_detainer,ice_administrative_warrant,criminal_warrant"
    rule = "custody_transfer decisions with a federal_immigration recipient, permitted"
    return [
        decided(
            scope,
            (
                "handover_with_judicial_warrant",
                "Did MPD hand people over to ICE with a judicial warrant?",
                rule + ", whose legal_process is judicial_warrant",
            ),
            [*base, d.legal_process == "judicial_warrant"],
            {**wanted, "legal_process": "judicial_warrant"},
        ),
        decided(
            scope,
            (
                "handover_without_judicial_warrant",
                "Did MPD hand people over to ICE without a judicial warrant?",
                rule + ", whose legal_process is anything but judicial_warrant",
            ),
            [*base, d.legal_process != "judicial_warrant"],
            {**wanted, "legal_process": others},
        ),
    ]


def status_only() -> ColumnElement[bool]:
    """A database inquiry whose only purpose is ``immigration_status``."""
    p = decision_purposes.c
    mine = p.ledger_index == d.ledger_index
    return and_(
        d.action == "database_inquiry",
        exists(select(p.ledger_index).where(mine, p.purpose == "immigration_status")),
        ~exists(select(p.ledger_index).where(mine, p.purpose != "immigration_status")),
    )


def _status_inquiries(scope: ReportScope) -> list[Answer]:
    rule = "database_inquiry decisions whose purposes are exactly [immigration_status]"
    only = [status_only()]
    asked = decided(scope, ("", "", ""), only, None)
    made, _ = carried_out(scope, only)  # whatever was decided
    anyway, flagged = carried_out(scope, [*only, d.decision == "deny"])
    fields = asked.model_dump(include={"denied", "carried_out", "carried_out_despite_denial"})
    refused = Records.model_validate(fields["denied"])  # ``decided`` always sets it
    return [
        _plain(
            made,
            "status_only_inquiries",
            "Were database inquiries made solely for immigration status?",
            "events reporting an action done that cite one of the " + rule + " (any outcome)",
            **fields,
            carried_out_flagged=asked.carried_out_flagged,
            by_citation=asked.by_citation,
        ),
        _plain(refused, "status_only_inquiries_refused", "Were they refused?", rule + ", denied"),
        _plain(
            anyway,
            "status_only_inquiries_carried_out_anyway",
            "Were any carried out anyway?",
            "events reporting an action done that cite one of those refused decisions",
            carried_out_flagged=flagged,
        ),
    ]


def _plain(records: Records, ident: str, question: str, rule: str, **more: Any) -> Answer:
    return Answer(
        **records.model_dump(),
        id=ident,
        question=question,
        rule=rule,
        answer=_yes(records.count),
        **more,
    )


def _joint_operations(scope: ReportScope) -> list[Answer]:
    partnered = joint_with_immigration(scope, scope.end, None)
    decision = decided(
        scope,
        (
            "joint_operations_decided",
            "Did MPD decide to hold joint operations (checkpoints, task forces, patrols) with "
            "federal immigration agencies?",
            "joint_operation decisions naming a federal_immigration partner, permitted",
        ),
        [d.action == "joint_operation", d.ledger_index.in_(partnered)],
        None,
    )
    held = with_federal_immigration_agencies(scope)
    checkpoints = [h for h in held if h.kind == "checkpoint"]
    unpermitted = [h for h in held if h.flagged]
    went = "encounters (as at the checkpoint) that declared a federal_immigration agency"
    return [
        decision,
        _held(scope, held, "joint_operations_held", "Were joint operations held with "
              "federal immigration agencies?", went),
        _held(scope, checkpoints, "checkpoints_held", "Were checkpoints held with federal "
              "immigration agencies?", went + ", of kind checkpoint"),
        _held(scope, unpermitted, "joint_operations_without_permit", "Did any go ahead after "
              "its joint operation was denied, or without one decided?",
              went + ", flagged joint_operation_denied or joint_operation_not_decided"),
    ]  # fmt: skip


def _held(scope: ReportScope, held: Sequence[Held], ident: str, question: str, rule: str) -> Answer:
    records = encounter_records(scope, [(h.first, h.id) for h in held])
    flags = Counter(f for h in held for f in h.flagged)
    kinds = Counter(h.kind for h in held)
    return _plain(
        records, ident, question, rule, by_kind=dict(sorted(kinds.items())),
        by_flag=dict(sorted(flags.items())),
    )  # fmt: skip


# -- tables (HTML, CSV, PDF) ------------------------------------------------------------------


def _answers_table(answers: Sequence[Answer]) -> Table:
    columns = ["id", "question", "answer", "count", "counted", "first", "last", "refused",
               "query", "first ids"]  # fmt: skip
    rows = [
        [a.id, a.question, a.answer, a.count, a.kind, a.first, a.last,
         a.denied.count if a.denied else None, a.query, " ".join(a.ids)]
        for a in answers
    ]  # fmt: skip
    note = "count: the records the rule of each answer selects (docs/reports.md, council)"
    return Table(id="answers", title="Answers", note=note, columns=columns, rows=rows)


def _done_table(answers: Sequence[Answer]) -> Table:
    columns = ["id", "what", "count", "flagged", "first", "last", "first ids"]
    rows: list[list[Any]] = []
    for a in answers:
        for what, found, flagged in (
            ("carried out", a.carried_out, a.carried_out_flagged),
            ("carried out despite a denial", a.carried_out_despite_denial, None),
        ):
            if found is not None:
                rows.append(
                    [a.id, what, found.count, flagged, found.first, found.last, " ".join(found.ids)]
                )
    note = "events reporting the action done that cite one of the answer's decisions"
    return Table(id="carried_out", title="Decided and carried out", note=note, columns=columns,
                 rows=rows)  # fmt: skip


def _why_table(answers: Sequence[Answer]) -> Table:
    rows: list[list[Any]] = []
    for a in answers:
        rows += [[a.id, "cited", f"{c.directive} {c.section}", c.count] for c in a.by_citation]
        rows += [[a.id, "initiative", k, n] for k, n in a.by_initiative.items()]
        rows += [[a.id, "kind", k, n] for k, n in a.by_kind.items()]
        rows += [[a.id, "flag", k, n] for k, n in a.by_flag.items()]
    note = "permits by directive and section cited and by initiative; encounters by kind, flag"
    return Table(id="breakdown", title="Under which directive, on whose initiative",
                 note=note, columns=["id", "by", "value", "count"], rows=rows)  # fmt: skip
