"""Deciding action requests against the directives in force (the last paragraph of
dc-pack.md, "How "in force" works").

Among the policies of the sections in force at ``at`` in the request's view,
any matching forbid denies (all cited); otherwise any matching permit permits
(all cited); otherwise deny with basis ``default``. Any evaluation error denies
with basis ``error``.

In-force resolution is precomputed: the pack's effective instants cut time
into intervals within which nothing changes, so finding the regime for a
request is a binary search. Each distinct ``policy_version`` is compiled to a
Cedar policy set once.

Verdicts go through the exact decision cache (``liaison.policy.decision_cache``),
shared by every thread that decides. Any exception from the cache is a fault: the
request is denied with basis ``error`` and the fault named in its errors, so a cache
fault can never become a permit (and is seen, not hidden).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import cedarpy

from liaison.errors import InvalidRequest, NotFound
from liaison.model.decision import Decision
from liaison.model.request import ActionRequest
from liaison.model.timestamps import check_representable, micros, now_utc, render
from liaison.policy.compiled import (
    DEFAULT_DENY,
    ActionSlice,
    CompiledPolicies,
    Verdict,
    error_verdict,
)
from liaison.policy.context import ContextKey, cedar_request, context_key
from liaison.policy.decision_cache import CacheKey, DecisionCache
from liaison.policy.directives import Pack
from liaison.policy.in_force import Resolver, Status, boundaries, statuses
from liaison.policy.version import policy_version


@dataclass(frozen=True, slots=True)
class Regime:
    """What is in force in one view over one interval of time."""

    view: str
    statuses: tuple[Status, ...]
    in_force: tuple[str, ...]
    version: str
    compiled: CompiledPolicies


@dataclass(frozen=True, slots=True)
class ViewComparison:
    """One request decided under several views (``liaison decide --compare``)."""

    id: str | None
    decisions: dict[str, Decision]

    @property
    def agree(self) -> bool:
        """Every view reached the same outcome on the same basis: (decision, basis) alike.
        Citations are not compared (two permits under different directives agree); two
        denies on different bases (a forbid and a default) do not; a view whose evaluation
        failed (basis ``error``) agrees only with another that failed. ``differences``
        says what differs."""
        return len({(d.decision, d.basis) for d in self.decisions.values()}) <= 1

    def to_dict(self, pack: Pack) -> dict[str, Any]:
        zone = pack.timezone
        return {
            "id": self.id,
            "agree": self.agree,
            "differs": differences(list(self.decisions.values())),
            "views": {name: d.to_dict(zone) for name, d in self.decisions.items()},
        }


def differences(decided: Sequence[Decision]) -> list[str]:
    """What differs between decisions of one request under several views, in the order
    ``decision`` (permit or deny), ``basis``, ``citations`` (the sections cited, as sets);
    empty when they are alike (issue 10, item 5)."""
    keys: dict[str, Callable[[Decision], object]] = {
        "decision": lambda d: d.decision,
        "basis": lambda d: d.basis,
        "citations": lambda d: frozenset((c.directive, c.section) for c in d.citations),
    }
    return [name for name, key in keys.items() if len({key(d) for d in decided}) > 1]


class Engine:
    """Decides requests against one validated pack. Safe to share between threads: the
    pack, regimes and compiled policies are read-only; the cache holds its own lock.

    ``cache_capacity`` is the most verdicts the decision cache keeps (0: none).
    """

    def __init__(self, pack: Pack, *, cache_capacity: int = 65_536) -> None:
        self.pack = pack
        self._cache = DecisionCache(cache_capacity)
        self._bounds = boundaries(pack)
        self._bound_us = [micros(b) for b in self._bounds]
        self._compiled: dict[str, CompiledPolicies] = {}
        self._regimes = {name: self._build_regimes(name) for name in pack.views}

    # -- in force ---------------------------------------------------------------

    def _build_regimes(self, view_name: str) -> list[Regime]:
        view = self.pack.views[view_name]
        resolver = Resolver(self.pack, view)
        compiled = self._compiled  # shared by every view: one compilation per policy version
        starts = [self._bounds[0] - timedelta(microseconds=1), *self._bounds]
        regimes: list[Regime] = []
        for start in starts:
            all_statuses = tuple(resolver.status(d, start) for d in sorted(self.pack.directives))
            standing = [s for s in all_statuses if s.in_force]
            version = policy_version(self.pack.schema_text, standing)
            if version not in compiled:
                compiled[version] = CompiledPolicies(self.pack, standing)
            ids = tuple(s.directive.id for s in standing)
            regimes.append(Regime(view_name, all_statuses, ids, version, compiled[version]))
        return regimes

    def view_name(self, view: str | None) -> str:
        name = self.pack.default_view if view is None else view
        if name not in self._regimes:
            raise NotFound(
                f"unknown view {name!r}; pack {self.pack.id} defines: "
                + ", ".join(sorted(self._regimes))
            )
        return name

    def regime(self, at: datetime, view: str | None = None) -> Regime:
        regimes = (
            self._regimes.get(view or self.pack.default_view) or self._regimes[self.view_name(view)]
        )
        return regimes[bisect_right(self._bound_us, micros(at))]

    def statuses(self, at: datetime, view: str | None = None) -> list[Status]:
        """The standing of every directive at ``at`` in ``view``, with reasons."""
        return statuses(self.pack, self.pack.views[self.view_name(view)], at)

    # -- deciding -----------------------------------------------------------------

    def _resolve(
        self, request: ActionRequest, default_at: datetime | None, default_view: str | None
    ) -> tuple[datetime, Regime]:
        at = request.at or default_at or now_utc()
        check_representable(at, "at", self.pack.timezone)
        view = request.view or default_view
        try:
            return at, self.regime(at, view)
        except NotFound as exc:
            raise InvalidRequest("view", f"view: {exc.message}") from None

    def evaluate(
        self, regime: Regime, request: ActionRequest, *, use_cache: bool = True
    ) -> Verdict:
        """The verdict for ``request`` under ``regime``, through the exact cache."""
        action = request.action.value
        part = regime.compiled.slices[action]
        key = context_key(request, part.readers)
        if not use_cache:
            return self._evaluate_uncached(regime.compiled, part, action, key)
        cache_key = (regime.version, action, key)
        hit = self._cached(cache_key)
        if hit is not None:
            return hit
        return self._remember(
            cache_key, self._evaluate_uncached(regime.compiled, part, action, key)
        )

    @staticmethod
    def _evaluate_uncached(
        compiled: CompiledPolicies, part: ActionSlice, action: str, key: ContextKey
    ) -> Verdict:
        if not part.policies:  # nothing in force can apply to this action
            return DEFAULT_DENY
        try:
            result = cedarpy.is_authorized(cedar_request(action, key), part.policy_set, [])
            return compiled.interpret(result)
        except Exception as exc:  # fail closed on anything the evaluator raises
            return error_verdict(f"evaluation failed: {type(exc).__name__}: {exc}")

    def decide(
        self,
        request: ActionRequest,
        *,
        default_at: datetime | None = None,
        default_view: str | None = None,
        use_cache: bool = True,
    ) -> Decision:
        """Decide one validated request. Raises ``InvalidRequest`` for an unknown view."""
        at, regime = self._resolve(request, default_at, default_view)
        return self._decision(
            request, at, regime, self.evaluate(regime, request, use_cache=use_cache)
        )

    def decide_many(
        self,
        requests: Sequence[ActionRequest],
        *,
        default_at: datetime | None = None,
        default_view: str | None = None,
    ) -> list[Decision | InvalidRequest]:
        """Decide a batch; the cache misses of one policy slice go to Cedar in one call.

        Gives exactly the decisions ``decide`` would give, in order; a request
        with an unknown view yields its ``InvalidRequest`` in its place.
        """
        known: dict[CacheKey, Verdict] = {}
        misses: dict[CacheKey, tuple[CompiledPolicies, ActionSlice]] = {}
        plan: list[tuple[ActionRequest, datetime, Regime, CacheKey] | InvalidRequest] = []
        for request in requests:
            try:
                at, regime = self._resolve(request, default_at, default_view)
            except InvalidRequest as exc:
                plan.append(exc)
                continue
            action = request.action.value
            part = regime.compiled.slices[action]
            key = (regime.version, action, context_key(request, part.readers))
            plan.append((request, at, regime, key))
            hit = self._cached(key)
            if hit is not None:
                known[key] = hit
            else:
                misses[key] = (regime.compiled, part)
        known.update(self._evaluate_batch(misses))
        return [
            item
            if isinstance(item, InvalidRequest)
            else self._decision(item[0], item[1], item[2], known[item[3]])
            for item in plan
        ]

    def _evaluate_batch(
        self, misses: dict[CacheKey, tuple[CompiledPolicies, ActionSlice]]
    ) -> dict[CacheKey, Verdict]:
        groups: dict[int, list[CacheKey]] = {}
        for key, (_, part) in misses.items():
            groups.setdefault(id(part), []).append(key)
        verdicts: dict[CacheKey, Verdict] = {}
        for keys in groups.values():
            compiled, part = misses[keys[0]]
            if not part.policies:  # nothing in force can apply to this action
                verdicts.update(dict.fromkeys(keys, DEFAULT_DENY))
                continue
            try:
                results = cedarpy.is_authorized_batch(
                    [cedar_request(k[1], k[2]) for k in keys], part.policy_set, []
                )
                found = [compiled.interpret(r) for r in results]
                if len(found) != len(keys):
                    raise ValueError(f"{len(found)} answers for {len(keys)} requests")
            except Exception as exc:  # fail closed on anything the evaluator raises
                found = [error_verdict(f"evaluation failed: {type(exc).__name__}: {exc}")] * len(
                    keys
                )
            for key, verdict in zip(keys, found, strict=True):
                verdicts[key] = self._remember(key, verdict)
        return verdicts

    # -- the cache: any fault denies with basis "error" ------------------------------

    def _cached(self, key: CacheKey) -> Verdict | None:
        """The cached verdict for ``key``; None on a miss; a deny (error) on a fault."""
        try:
            return self._cache.get(key)
        except Exception as exc:
            return _cache_fault(exc)

    def _remember(self, key: CacheKey, verdict: Verdict) -> Verdict:
        """``verdict``, kept for ``key``; a deny (error) instead if keeping it fails."""
        try:
            self._cache.put(key, verdict)
        except Exception as exc:
            return _cache_fault(exc)
        return verdict

    def cached_count(self) -> int:
        """How many verdicts the decision cache holds now (at most its capacity)."""
        return len(self._cache)

    @staticmethod
    def _decision(
        request: ActionRequest, at: datetime, regime: Regime, verdict: Verdict
    ) -> Decision:
        return Decision(
            request.id,
            verdict.outcome,
            verdict.basis,
            verdict.citations,
            regime.view,
            at,
            regime.in_force,
            regime.version,
            verdict.errors,
        )

    def decide_views(
        self,
        request: ActionRequest,
        views: Sequence[str] | None = None,
        *,
        default_at: datetime | None = None,
    ) -> ViewComparison:
        """Decide ``request`` under each of ``views`` (default: every view of the pack)."""
        names = list(views) if views else sorted(self._regimes)
        decisions = {
            name: self.decide(request.model_copy(update={"view": name}), default_at=default_at)
            for name in names
        }
        return ViewComparison(request.id, decisions)

    def render(self, decision: Decision) -> dict[str, Any]:
        return decision.to_dict(self.pack.timezone)

    def local(self, moment: datetime) -> str:
        return render(moment, self.pack.timezone)


def _cache_fault(exc: Exception) -> Verdict:
    # Fail closed: the engine's state is not what it should be, so this decision is not
    # trusted to it; the deny names the fault, and error verdicts are never cached.
    return error_verdict(f"decision cache failed: {type(exc).__name__}: {exc}")
