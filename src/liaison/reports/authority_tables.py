"""The ``authority`` report laid out as tables for the HTML, CSV and PDF renderings
(issue 10, item 2; ``report_document.Table``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from liaison.reports.authority_chain import ChainLink, ViewStanding
from liaison.reports.report_document import Table

if TYPE_CHECKING:
    from liaison.reports.authority_decision import DecisionChain
    from liaison.reports.report_authority import AuthorityReport


def link_text(link: ChainLink) -> str:
    """One link of a chain as a person reads it."""
    if link.external is not None:
        return link.external
    who = f" ({link.issuer}" + (f", {link.issuer_name})" if link.issuer_name else ")")
    return f"{link.directive}{who if link.issuer else ''}"


def standing_text(v: ViewStanding) -> str:
    if not v.in_force:
        return f"not in force: {v.reason}"
    spans = "; ".join(f"{i.from_ or 'start'} to {i.until or 'end'}" for i in v.intervals)
    removed = f"; sections removed: {', '.join(v.removed_sections)}" if v.removed_sections else ""
    return f"in force {spans}{removed}"


def authority_tables(report: AuthorityReport) -> list[Table]:
    views = [v.name for v in report.views]
    directives = Table(
        id="directives",
        title="Directives in force under each view",
        note="contested: the views disagree on when the directive was in force",
        columns=["directive", "title", "issuer", "relies on (roots)", *views, "contested"],
        rows=[
            [d.id, d.title, d.issuer + (f" ({d.issuer_name})" if d.issuer_name else ""),
             "; ".join(d.roots), *(standing_text(v) for v in d.views),
             "yes" if d.contested else "no"]
            for d in report.directives
        ],
    )  # fmt: skip
    chains = Table(
        id="chains",
        title="Chains of authority",
        note="depth 1: what the directive names; a law outside the pack ends a chain",
        columns=["directive", "depth", "relies on"],
        rows=[[d.id, link.depth, link_text(link)] for d in report.directives for link in d.chain],
    )
    sections = Table(
        id="sections",
        title="What each section allowed, and how often it decided in the period",
        columns=["directive", "section", "heading", "effect", "actions", "decided", "records"],
        rows=[
            [d.id, s.label, s.heading, ", ".join(s.effects) or "(descriptive)",
             ", ".join(s.actions), s.decided, s.records]
            for d in report.directives for s in d.sections
        ],
    )  # fmt: skip
    by_unit = Table(
        id="by_unit",
        title="Decisions citing each section, by unit",
        columns=["directive", "section", "unit", "view", "decision", "count"],
        rows=[
            [d.id, s.label, c.unit, c.view, c.decision, c.count]
            for d in report.directives for s in d.sections for c in s.by_unit
        ],
    )  # fmt: skip
    undecided = Table(
        id="without_section",
        title="Decisions no section decided (denied by default or on an error)",
        columns=["unit", "view", "basis", "count"],
        rows=[[u.unit, u.view, u.basis, u.count] for u in report.without_section],
    )
    out = [directives, chains, sections, by_unit, undecided]
    if report.decision is not None:
        out.extend(decision_tables(report.decision))
    return out


def decision_tables(one: DecisionChain) -> list[Table]:
    summary = Table(
        id="decision",
        title=f"Decision {one.id} of {one.actor_id}",
        note=one.warning or "",
        columns=["at", "unit", "action", "view", "decision", "basis", "ledger index"],
        rows=[[one.at, one.unit, one.action, one.view, one.decision, one.basis, one.ledger_index]],
    )
    chain = Table(
        id="decision_chain",
        title="Its deciding sections and their chain of authority",
        columns=["section", "heading", "effect", "issued by", "depth", "relies on"],
        rows=[
            [f"{c.directive} {c.section}", c.heading, ", ".join(c.effects),
             (c.issuer or "") + (f" ({c.issuer_name})" if c.issuer_name else ""),
             link.depth, link_text(link)]
            for c in one.citations for link in c.chain or [ChainLink(depth=1, external="")]
        ],
    )  # fmt: skip
    others = Table(
        id="other_views",
        title="What the other view(s) would have decided",
        columns=["view", "decision", "basis", "citations", "agrees"],
        rows=[
            [o.view, o.decision, o.basis, "; ".join(o.citations), "yes" if o.agrees else "no"]
            for o in one.other_views
        ],
    )
    return [summary, chain, others]
