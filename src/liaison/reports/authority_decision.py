"""One decision's chain of authority and what the other views would have decided (issue 10,
item 2, the ``authority`` report for one decision).

The decision is read from the index and checked against its ledger entry first
(``IndexReader.verified``): what is shown is what the entry says. Its chain is each
deciding section, its directive and issuer, and the authorities the directive relies on up
to the laws outside the pack (``authority_chain.chain_of``). The request in the entry is
decided again under every other view of the pack (``Engine.decide_views``), its personal
part put back from the entry (a policy reads whether there was a case number, never the
subject's id; ``gateway.explaining.recorded_request``); when that part was erased, the
request is decided with and without a case number, and if those differ the other view's
outcome is "undetermined". The views are those of the pack in force (the scope's);
``GET /v1/decisions/{id}/explanation`` decides under the pack version of the decision.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field
from sqlalchemy import select

from liaison.gateway.explaining import ERASED_SUBJECT, recorded_request
from liaison.gateway.index_reads import IndexReader
from liaison.gateway.index_rows import instant
from liaison.gateway.records import only_one
from liaison.ledger.reads import StoredEntry
from liaison.model.decision import Decision
from liaison.model.request import ActionRequest
from liaison.reports.authority_chain import ChainLink, chain_of, roots, section_rule
from liaison.reports.report_document import Strict
from liaison.reports.report_scope import ReportScope
from liaison.storage.tables import decisions

ERASED = ERASED_SUBJECT  # stands for an erased case number: a policy reads only that it is


class CitedSection(Strict):
    """A deciding section, its directive's issuer and the directive's chain of authority."""

    directive: str
    section: str
    heading: str | None
    effects: list[str]
    title: str | None
    issuer: str | None
    issuer_name: str | None
    chain: list[ChainLink]
    roots: list[str] = Field(description="the laws outside the pack the chain ends in")


class OtherView(Strict):
    """What another view would have decided for the same request."""

    view: str
    decision: str = Field(description="permit, deny, or undetermined (erased personal data)")
    basis: str | None
    citations: list[str]
    agrees: bool = Field(description="same decision and basis as the recorded one")


class DecisionChain(Strict):
    """One recorded decision (checked against its ledger entry), its chain, other views."""

    id: str
    actor_id: str
    unit: str | None
    ledger_index: int
    at: str
    action: str
    view: str
    decision: str
    basis: str
    citations: list[CitedSection]
    other_views: list[OtherView]
    contested: bool = Field(description="some other view would decide otherwise")
    warning: str | None


def decision_chain(
    scope: ReportScope, reader: IndexReader, decision_id: str, actor: str | None = None
) -> DecisionChain:
    """The decision ``decision_id`` (of ``actor``, when several actors used the id) among
    the checkpoint's records; ``NotFound``/``Ambiguous`` (field ``actor``) otherwise."""
    query = select(decisions).where(
        decisions.c.id == decision_id, decisions.c.ledger_index < scope.checkpoint.size
    )
    if actor is not None:
        query = query.where(decisions.c.actor_id == actor)
    with scope.db.connect() as conn:
        found = [dict(r._mapping) for r in conn.execute(query)]
    row = only_one(found, f"decision {decision_id!r}", "actor", lambda r: str(r["actor_id"]))
    expected, entry = reader.verified("decisions", row)
    record = expected["document"]
    decided = record["decision"]
    cited = [_cited(scope, c["directive"], c["section"]) for c in decided.get("citations", ())]
    others = _other_views(scope, expected, entry)
    contested = [o for o in others if not o.agrees]
    warning = None
    if contested:
        parts = "; ".join(f"{o.view} would {o.decision} ({o.basis or '?'})" for o in contested)
        warning = (
            f"contested reading: recorded {decided['decision']} ({decided['basis']}) under "
            f"{decided['view']}; {parts}"
        )
    return DecisionChain(
        id=str(expected["id"]),
        actor_id=str(expected["actor_id"]),
        unit=expected["unit"],
        ledger_index=entry.index,
        at=str(decided["at"]),
        action=str(expected["action"]),
        view=str(decided["view"]),
        decision=str(decided["decision"]),
        basis=str(decided["basis"]),
        citations=cited,
        other_views=others,
        contested=bool(contested),
        warning=warning,
    )


def _cited(scope: ReportScope, directive_id: str, label: str) -> CitedSection:
    directive = scope.policy.pack.directives.get(directive_id)
    if directive is None:  # cited under a pack that had it; the pack in force does not
        return CitedSection(
            directive=directive_id, section=label, heading=None, effects=[], title=None,
            issuer=None, issuer_name=None, chain=[], roots=[],
        )  # fmt: skip
    section = next((s for s in directive.sections if s.label == label), None)
    rule = section_rule(section) if section is not None else None
    chain = chain_of(scope.policy.pack, directive)
    return CitedSection(
        directive=directive.id,
        section=label,
        heading=rule.heading if rule else None,
        effects=list(rule.effects) if rule else [],
        title=directive.title,
        issuer=directive.issuer,
        issuer_name=directive.issuer_name,
        chain=chain,
        roots=roots(chain),
    )


def _other_views(
    scope: ReportScope, expected: dict[str, Any], entry: StoredEntry
) -> list[OtherView]:
    record = expected["document"]
    decided = record["decision"]
    views = [v for v in sorted(scope.policy.pack.views) if v != decided["view"]]
    if not views:
        return []
    at = instant(expected["at"])
    variants = _variants(record["request"], entry)
    outcomes = [scope.policy.decide_views(v, views, default_at=at).decisions for v in variants]
    recorded = (decided["decision"], decided["basis"])
    out = []
    for view in views:
        found = {_key(o[view]) for o in outcomes}
        if len(found) > 1:
            out.append(OtherView(view=view, decision="undetermined", basis=None,
                                 citations=[], agrees=False))  # fmt: skip
            continue
        made = outcomes[0][view]
        out.append(
            OtherView(
                view=view,
                decision=made.decision.value,
                basis=made.basis.value,
                citations=[f"{c.directive} {c.section}" for c in made.citations],
                agrees=(made.decision.value, made.basis.value) == recorded,
            )
        )
    return out


def _key(decision: Decision) -> tuple[str, str, tuple[str, ...]]:
    cited = tuple(f"{c.directive} {c.section}" for c in decision.citations)
    return decision.decision.value, decision.basis.value, cited


def _variants(public: dict[str, Any], entry: StoredEntry) -> list[ActionRequest]:
    """The request as decided (``explaining.recorded_request``: its personal part put back
    from the entry); erased, also with a case number, which a policy may read."""
    request = recorded_request(public, entry)
    if not entry.erased or request.case_number is not None:
        return [request]
    return [request, request.model_copy(update={"case_number": ERASED})]
