"""A compiled policy set for one policy version, and the reading of Cedar's answer.

Fail closed (the known cedarpy pitfall): Cedar skips a policy whose evaluation
errors, so a failing forbid could leave a permit standing. Any diagnostic
error, any answer other than Allow/Deny, any determining policy liaison does
not know, or a determining policy of the wrong effect, is a deny with basis
``error``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cedarpy

from liaison.model.decision import Basis, Citation, Outcome
from liaison.model.vocabulary import Action
from liaison.policy.cedar_policies import applies_to, policy_set_json
from liaison.policy.context import Reader, readers
from liaison.policy.directives import Pack, Policy
from liaison.policy.in_force import Status
from liaison.policy.reads import Reads, context_reads


@dataclass(frozen=True, slots=True)
class Verdict:
    """The part of a decision that depends only on the policies and the Cedar input."""

    outcome: Outcome
    basis: Basis
    citations: tuple[Citation, ...]
    errors: tuple[str, ...] = ()


def error_verdict(*messages: str) -> Verdict:
    return Verdict(Outcome.DENY, Basis.ERROR, (), tuple(messages))


DEFAULT_DENY = Verdict(Outcome.DENY, Basis.DEFAULT, ())


@dataclass(frozen=True, slots=True)
class ActionSlice:
    """The policies that can apply to one action, and the context attributes they read.

    Evaluating a slice with the context cut to ``reads`` gives the same answer as
    the whole set with the whole context: policies whose action scope excludes the
    action never match, and attributes no policy reads cannot change an outcome.
    Cedar's cost per call grows with the size of the context, so this matters.
    """

    policies: tuple[Policy, ...]
    policy_set: Any
    reads: Reads | None  # None: some policy reads the whole context
    readers: tuple[Reader, ...]


class CompiledPolicies:
    """The Cedar policy set of the sections in force, and liaison-id -> citation, resolved once."""

    def __init__(self, pack: Pack, in_force: list[Status]) -> None:
        policies: list[Policy] = []
        self._citations: dict[str, tuple[Policy, Citation]] = {}
        for status in in_force:
            d = status.directive
            active = set(status.active_sections)
            for section in d.sections:
                if section.label not in active:
                    continue
                citation = Citation(d.id, section.label, d.title, d.issuer, d.effective_from)
                for policy in section.policies:
                    policies.append(policy)
                    self._citations[policy.id] = (policy, citation)
        self.policies = tuple(policies)
        self.policy_set = cedarpy.PolicySet.from_json_str(policy_set_json(self.policies))
        self.slices = {action.value: self._slice(action.value) for action in Action}

    def _slice(self, action: str) -> ActionSlice:
        chosen = tuple(p for p in self.policies if applies_to(p, action))
        ps = cedarpy.PolicySet.from_json_str(policy_set_json(chosen))
        reads = context_reads(chosen)
        return ActionSlice(chosen, ps, reads, readers(reads))

    def interpret(self, result: Any) -> Verdict:
        errors = list(result.diagnostics.errors)
        decision = result.decision
        if errors:
            return error_verdict(*(str(e) for e in errors))
        if decision is cedarpy.Decision.Allow:
            return self._cited(result.diagnostics.reasons, "permit", Outcome.PERMIT, Basis.PERMIT)
        if decision is cedarpy.Decision.Deny:
            if not result.diagnostics.reasons:
                return DEFAULT_DENY
            return self._cited(result.diagnostics.reasons, "forbid", Outcome.DENY, Basis.FORBID)
        return error_verdict(f"Cedar returned no decision ({decision})")

    def _cited(self, reasons: list[str], effect: str, outcome: Outcome, basis: Basis) -> Verdict:
        if not reasons:
            return error_verdict(f"Cedar decided {outcome.value} without a determining policy")
        citations: dict[tuple[str, str], Citation] = {}
        for reason in reasons:
            entry = self._citations.get(reason)
            if entry is None:
                return error_verdict(f"determining policy {reason!r} is not in the pack")
            policy, citation = entry
            if policy.effect != effect:
                return error_verdict(
                    f"determining policy of {policy.directive} {policy.section} "
                    f"has effect {policy.effect}, expected {effect}"
                )
            citations[(citation.directive, citation.section)] = citation
        return Verdict(outcome, basis, tuple(citations[k] for k in sorted(citations)))
