"""Fail closed: any evaluation error is a deny with basis ``error``, never a permit.

The known cedarpy pitfall: Cedar skips a policy whose evaluation errors, so a
forbid that errors leaves a matching permit standing and Cedar says Allow.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cedarpy
import pytest

from liaison.model import Basis, Decision, Outcome, parse_request
from liaison.model.timestamps import parse_instant
from liaison.policy import Engine, load_pack
from liaison.policy.context import cedar_request, context_key
from minipack import directive, forbid, hold_request, permit, write_pack

T0 = "2025-01-01T00:00:00-05:00"
OVERFLOW = "9223372036854775807 + 1 > 0"  # passes validation, errors at evaluation


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    pack = write_pack(
        tmp_path / "pack",
        [directive("A", T0, [("p", permit("A", "p")), ("f", forbid("A", "f", when=OVERFLOW))])],
    )
    return Engine(load_pack(pack))


def test_cedar_alone_would_permit_when_the_forbid_errors(engine: Engine) -> None:
    request = parse_request(hold_request(T0))
    regime = engine.regime(parse_instant(T0))
    result = cedarpy.is_authorized(
        cedar_request("hold", context_key(request)), regime.compiled.policy_set, []
    )
    assert result.allowed  # the pitfall is real ...
    assert result.diagnostics.errors


def test_engine_denies_with_basis_error(engine: Engine) -> None:
    decision = engine.decide(parse_request(hold_request(T0)))
    assert decision.decision is Outcome.DENY  # ... and liaison fails closed
    assert decision.basis is Basis.ERROR
    assert decision.citations == ()
    assert any("overflow" in e for e in decision.errors)
    assert decision.to_dict(engine.pack.timezone)["errors"]


def test_error_decisions_are_not_cached(engine: Engine) -> None:
    engine.decide(parse_request(hold_request(T0)))
    assert engine.cached_count() == 0


def test_an_exception_from_the_evaluator_denies(engine: Engine, monkeypatch: Any) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("evaluator crashed")

    monkeypatch.setattr(cedarpy, "is_authorized", boom)
    decision = engine.decide(parse_request(hold_request(T0)), use_cache=False)
    assert (decision.decision, decision.basis) == (Outcome.DENY, Basis.ERROR)
    assert "evaluator crashed" in decision.errors[0]


def test_a_batch_answer_of_the_wrong_length_denies_each(engine: Engine, monkeypatch: Any) -> None:
    """Cedar answering a batch with fewer results than requests denies every item (basis
    error) rather than failing the whole call."""
    real = cedarpy.is_authorized_batch

    def short(requests: list[Any], *args: Any) -> Any:
        return list(real(requests, *args))[:-1]

    monkeypatch.setattr(cedarpy, "is_authorized_batch", short)
    decisions = engine.decide_many([parse_request(hold_request(T0))] * 3)
    assert [(d.decision, d.basis) for d in decisions] == [(Outcome.DENY, Basis.ERROR)] * 3
    assert all(isinstance(d, Decision) and "answers for" in d.errors[0] for d in decisions)


class _FakeResult:
    def __init__(self, decision: Any, reasons: list[str], errors: list[str]) -> None:
        self.decision = decision
        self.diagnostics = type("D", (), {"reasons": reasons, "errors": errors})()


@pytest.mark.parametrize(
    ("decision", "reasons", "why"),
    [
        (cedarpy.Decision.Allow, ["policy0"], "not in the pack"),
        (cedarpy.Decision.Allow, [], "without a determining policy"),
        (cedarpy.Decision.Allow, ["A/f/0"], "expected permit"),
        (cedarpy.Decision.Deny, ["A/p/0"], "expected forbid"),
        (cedarpy.Decision.NoDecision, [], "no decision"),
    ],
)
def test_unexplainable_answers_deny(
    engine: Engine, monkeypatch: Any, decision: Any, reasons: list[str], why: str
) -> None:
    monkeypatch.setattr(
        cedarpy, "is_authorized", lambda *a, **k: _FakeResult(decision, reasons, [])
    )
    result = engine.decide(parse_request(hold_request(T0)), use_cache=False)
    assert (result.decision, result.basis) == (Outcome.DENY, Basis.ERROR)
    assert why in result.errors[0]


def test_citations_never_use_cedar_internal_ids(engine: Engine, monkeypatch: Any) -> None:
    monkeypatch.setattr(
        cedarpy,
        "is_authorized",
        lambda *a, **k: _FakeResult(cedarpy.Decision.Allow, ["A/p/0"], []),
    )
    result = engine.decide(parse_request(hold_request(T0)), use_cache=False)
    assert [(c.directive, c.section) for c in result.citations] == [("A", "p")]
    assert result.citations[0].title == "Title of A"
