"""The decision cache (issue 9, item 7): shared by many threads, bounded, and a fault in it
never becomes a permit: it denies with basis ``error``, naming the fault."""

from __future__ import annotations

import importlib.util
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from liaison.model import Basis, Outcome, parse_request
from liaison.model.decision import Decision
from liaison.model.request import ActionRequest
from liaison.policy import Engine, load_pack, shipped_pack_path
from liaison.policy.compiled import DEFAULT_DENY, Verdict, error_verdict
from liaison.policy.decision_cache import DecisionCache

THREADS = 16
PER_THREAD = 2_000
CAPACITY = 8


def _workload() -> ModuleType:
    """bench/workload.py: a deterministic, realistic mix of D.C. requests."""
    path = Path(__file__).resolve().parents[1] / "bench" / "workload.py"
    spec = importlib.util.spec_from_file_location("liaison_bench_workload", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def uncached() -> Engine:
    return Engine(load_pack(shipped_pack_path("dc")), cache_capacity=0)


@pytest.fixture(scope="module")
def pool(uncached: Engine) -> list[tuple[ActionRequest, tuple[Any, ...]]]:
    """64 distinct requests, each with the decision the engine gives without a cache."""
    out = []
    for raw in _workload().requests(64, seed=9):
        request = parse_request(raw)
        out.append((request, answer(uncached.decide(request, use_cache=False))))
    outcomes = {a[0] for _, a in out}
    assert outcomes == {Outcome.PERMIT, Outcome.DENY}, "the pool has permits and denies"
    return out


def answer(d: Decision) -> tuple[Any, ...]:
    return d.decision, d.basis, d.citations, d.errors, d.in_force, d.policy_version, d.view


@pytest.fixture
def fast_switching() -> Iterator[None]:
    """Threads switch every microsecond, so they interleave inside the cache's operations."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def run_together(work: Callable[[int], None]) -> list[BaseException]:
    """Run ``work(n)`` on ``THREADS`` threads (n: 0, 1, ...) released at once; what
    escaped any of them."""
    start = threading.Barrier(THREADS)
    escaped: list[BaseException] = []

    def run(offset: int) -> None:
        try:
            start.wait()
            work(offset)
        except BaseException as exc:  # anything escaping fails the test
            escaped.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return escaped


# -- many threads, a full small cache ------------------------------------------------------


def test_many_threads_on_a_full_small_cache_decide_as_without_it(
    uncached: Engine, pool: list[tuple[ActionRequest, tuple[Any, ...]]], fast_switching: None
) -> None:
    engine = Engine(uncached.pack, cache_capacity=CAPACITY)
    wrong: list[tuple[str, tuple[Any, ...], tuple[Any, ...]]] = []

    def work(offset: int) -> None:
        for i in range(PER_THREAD):
            request, expected = pool[(offset * 7 + i) % len(pool)]
            if i % 100 == 99:  # now and then a batch through decide_many
                batch = [r for r, _ in pool[i % 8 :: 8]]
                for item, req in zip(engine.decide_many(batch), batch, strict=True):
                    assert isinstance(item, Decision)
                    got = answer(item)
                    want = next(a for r, a in pool if r is req)
                    if got != want:
                        wrong.append((req.id or "", got, want))
                continue
            got = answer(engine.decide(request))
            if got != expected:
                wrong.append((request.id or "", got, expected))

    assert run_together(work) == []  # nothing escaped a decision
    assert wrong == []
    assert 0 < engine.cached_count() <= CAPACITY


def test_the_cache_itself_stays_bounded_and_consistent_under_threads(
    fast_switching: None,
) -> None:
    cache = DecisionCache(CAPACITY)
    verdicts = [Verdict(Outcome.PERMIT, Basis.PERMIT, ()), DEFAULT_DENY]

    def work(offset: int) -> None:
        for i in range(PER_THREAD * 2):
            key = ("v", "hold", ((offset + i) % 50,))
            cache.put(key, verdicts[key[2][0] % 2])
            hit = cache.get(key)
            assert hit is None or hit is verdicts[key[2][0] % 2]
            assert len(cache) <= CAPACITY

    assert run_together(work) == []
    assert len(cache) == CAPACITY


def test_eviction_is_first_in_first_out_and_error_verdicts_are_not_kept() -> None:
    cache = DecisionCache(2)
    permit = Verdict(Outcome.PERMIT, Basis.PERMIT, ())
    keys = [("v", "hold", (n,)) for n in range(3)]
    for key in keys:
        cache.put(key, permit)
    assert [cache.get(k) for k in keys] == [None, permit, permit]
    cache.put(("v", "hold", (9,)), error_verdict("boom"))
    assert cache.get(("v", "hold", (9,))) is None
    assert len(cache) == 2


def test_a_capacity_of_zero_keeps_nothing() -> None:
    cache = DecisionCache(0)
    cache.put(("v", "hold", ()), DEFAULT_DENY)
    assert len(cache) == 0
    with pytest.raises(ValueError, match="capacity"):
        DecisionCache(-1)


# -- a fault in the cache ------------------------------------------------------------------


def _boom(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("dictionary changed size during iteration")


@pytest.fixture
def permitted(pool: list[tuple[ActionRequest, tuple[Any, ...]]]) -> ActionRequest:
    """A request the engine permits (without a cache)."""
    return next(r for r, a in pool if a[0] is Outcome.PERMIT)


@pytest.mark.parametrize("failing", ["get", "put"])
def test_a_cache_fault_denies_with_basis_error(
    uncached: Engine, permitted: ActionRequest, monkeypatch: Any, failing: str
) -> None:
    engine = Engine(uncached.pack)
    monkeypatch.setattr(DecisionCache, failing, _boom)
    decision = engine.decide(permitted)
    assert (decision.decision, decision.basis) == (Outcome.DENY, Basis.ERROR)
    assert decision.citations == ()
    assert "decision cache failed: RuntimeError" in decision.errors[0]
    monkeypatch.undo()
    assert engine.decide(permitted).decision is Outcome.PERMIT  # the fault made the deny


@pytest.mark.parametrize("failing", ["get", "put"])
def test_a_cache_fault_in_a_batch_denies_with_basis_error(
    uncached: Engine,
    pool: list[tuple[ActionRequest, tuple[Any, ...]]],
    monkeypatch: Any,
    failing: str,
) -> None:
    engine = Engine(uncached.pack)
    monkeypatch.setattr(DecisionCache, failing, _boom)
    for item in engine.decide_many([r for r, _ in pool]):
        assert isinstance(item, Decision)
        assert (item.decision, item.basis) == (Outcome.DENY, Basis.ERROR)
        assert "decision cache failed" in item.errors[0]


def test_deciding_without_the_cache_does_not_touch_it(
    uncached: Engine, permitted: ActionRequest, monkeypatch: Any
) -> None:
    engine = Engine(uncached.pack)
    monkeypatch.setattr(DecisionCache, "get", _boom)
    monkeypatch.setattr(DecisionCache, "put", _boom)
    assert engine.decide(permitted, use_cache=False).decision is Outcome.PERMIT
