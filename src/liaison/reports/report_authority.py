"""The ``authority`` report, "who gave the orders" (issue 10, item 2; docs/reports.md).

For the period: every directive in force under some view of the pack, with, under each
view, when it was in force (contested readings flagged: D.C.'s ``mpd`` view recognises the
Chief's order, ``doj`` the Attorney General's rescission of it); its issuer and the chain
of authority it relies on up to the statute or emergency power (``authority_chain``); what
each of its sections allows or forbids; and how often each section decided in the period,
by unit, view and outcome (``decision_citations`` joined to ``decisions`` within the
scope, counted in the database). With ``decision_id``: that decision's chain and what the
other view(s) would have decided (``authority_decision``).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pydantic import Field
from sqlalchemy import func, select

from liaison.errors import InvalidRequest
from liaison.gateway.index_reads import IndexReader
from liaison.reports.authority_chain import (
    ChainLink,
    SectionRule,
    ViewStanding,
    chain_of,
    checks,
    roots,
    section_rule,
    standing,
)
from liaison.reports.authority_decision import DecisionChain, decision_chain
from liaison.reports.authority_tables import authority_tables
from liaison.reports.report_document import ReportDocument, Strict, Table
from liaison.reports.report_head import head
from liaison.reports.report_records import link
from liaison.reports.report_scope import ReportScope
from liaison.storage.tables import decision_citations, decisions

NAME = "authority"
TITLE = "Who gave the orders: directives in force, their authority, and what they decided"


class ViewInfo(Strict):
    name: str
    description: str
    default: bool


class SectionCount(Strict):
    """Decisions in the period that cite a section, of one unit, view and outcome."""

    unit: str | None
    view: str
    decision: str
    count: int = Field(ge=1)


class SectionEntry(SectionRule):
    """A section in brief, and how often it decided in the period."""

    decided: int = Field(ge=0, description="decisions in the period citing it")
    by_unit: list[SectionCount]
    records: str = Field(description="the GET /v1/decisions query selecting them")


class DirectiveEntry(Strict):
    id: str
    title: str
    kind: str
    issuer: str
    issuer_name: str | None
    effective_from: str
    effective_until: str | None
    chain: list[ChainLink] = Field(description="its authority, down to the laws outside the pack")
    roots: list[str]
    views: list[ViewStanding]
    contested: bool = Field(description="the views disagree on when it was in force")
    sections: list[SectionEntry]


class Undecided(Strict):
    """Decisions in the period no section decided (a default deny, or an error)."""

    unit: str | None
    view: str
    basis: str
    count: int = Field(ge=1)


class AuthorityReport(ReportDocument):
    views: list[ViewInfo]
    directives: list[DirectiveEntry] = Field(description="in force under some view, or cited")
    not_in_force: list[str] = Field(description="directives of the pack in force in no view")
    contested: list[str] = Field(description="directives the views disagree on")
    without_section: list[Undecided]
    decision: DecisionChain | None = Field(description="the one decision asked for, if any")

    def tables(self) -> list[Table]:
        return authority_tables(self)


def build(
    scope: ReportScope,
    *,
    decision_id: str | None = None,
    actor: str | None = None,
    reader: IndexReader | None = None,
) -> AuthorityReport:
    """The report over ``scope``; with ``decision_id`` (and ``actor`` if the id is used by
    several), that decision's chain too, read through ``reader`` (checked against the
    ledger: required then)."""
    pack = scope.policy.pack
    at = checks(pack, scope.start, scope.end)
    names = [scope.view] if scope.view is not None else sorted(pack.views)
    counts = _section_counts(scope)
    entries, idle = [], []
    for d in sorted(pack.directives.values(), key=lambda x: (x.effective_from, x.id)):
        views = [standing(scope.policy, d.id, v, at, scope.start, scope.end) for v in names]
        cited = any(k[0] == d.id for k in counts)
        if not any(v.in_force for v in views) and not cited:
            idle.append(d.id)
            continue
        chain = chain_of(pack, d)
        sections = [_section(scope, d.id, s, counts) for s in d.sections]
        until = scope.local(d.effective_until)
        entries.append(
            DirectiveEntry(
                id=d.id, title=d.title, kind=d.kind, issuer=d.issuer,
                issuer_name=d.issuer_name, effective_from=scope.policy.local(d.effective_from),
                effective_until=until, chain=chain, roots=roots(chain), views=views,
                contested=len({_spans(v) for v in views}) > 1, sections=sections,
            )
        )  # fmt: skip
    return AuthorityReport(
        **head(scope, NAME, TITLE),
        views=[
            ViewInfo(name=n, description=pack.views[n].description, default=n == pack.default_view)
            for n in names
        ],
        directives=entries,
        not_in_force=idle,
        contested=[e.id for e in entries if e.contested],
        without_section=_undecided(scope),
        decision=_one(scope, decision_id, actor, reader),
    )


def _one(
    scope: ReportScope, decision_id: str | None, actor: str | None, reader: IndexReader | None
) -> DecisionChain | None:
    if decision_id is None:
        if actor is not None:
            raise InvalidRequest("actor", "actor: given only with decision_id")
        return None
    if not decision_id or len(decision_id) > 256 or "\x00" in decision_id:
        raise InvalidRequest("decision_id", "decision_id: must be 1 to 256 characters, no NUL")
    if reader is None:
        raise ValueError("a decision is read through an IndexReader (checked against the ledger)")
    return decision_chain(scope, reader, decision_id, actor)


def _spans(v: ViewStanding) -> tuple[tuple[str | None, str | None], ...]:
    return tuple((i.from_, i.until) for i in v.intervals)


Key = tuple[str, str]  # (directive, section)


def _section_counts(scope: ReportScope) -> dict[Key, list[SectionCount]]:
    """Decisions in the scope citing each section, by unit, view and outcome (one query)."""
    c, d = decision_citations, decisions
    query = (
        select(c.c.directive, c.c.section, d.c.unit, d.c.view, d.c.decision, func.count())
        .select_from(c.join(d, d.c.ledger_index == c.c.ledger_index))
        .where(*scope.within(d))
        .group_by(c.c.directive, c.c.section, d.c.unit, d.c.view, d.c.decision)
    )
    out: dict[Key, list[SectionCount]] = defaultdict(list)
    with scope.db.connect() as conn:
        for directive, section, unit, view, decision, n in conn.execute(query):
            out[(directive, section)].append(
                SectionCount(unit=unit, view=view, decision=decision, count=int(n))
            )
    for found in out.values():
        found.sort(key=lambda s: (-s.count, s.unit or "", s.view, s.decision))
    return out


def _section(
    scope: ReportScope, directive: str, section: Any, counts: dict[Key, list[SectionCount]]
) -> SectionEntry:
    found = counts.get((directive, section.label), [])
    return SectionEntry(
        **section_rule(section).model_dump(),
        decided=sum(s.count for s in found),
        by_unit=found,
        records=link(scope, {"directive": directive, "section": section.label}) or "",
    )


def _undecided(scope: ReportScope) -> list[Undecided]:
    d = decisions
    query = (
        select(d.c.unit, d.c.view, d.c.basis, func.count())
        .where(*scope.within(d), d.c.basis.in_(("default", "error")))
        .group_by(d.c.unit, d.c.view, d.c.basis)
    )
    with scope.db.connect() as conn:
        found = conn.execute(query).all()
    rows = [Undecided(unit=u, view=v, basis=b, count=int(n)) for u, v, b, n in found]
    return sorted(rows, key=lambda r: (-r.count, r.unit or "", r.view, r.basis))
