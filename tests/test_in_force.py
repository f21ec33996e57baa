"""The generic in-force rules of dc-pack.md, on small packs built for each rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from liaison.model import Outcome, parse_request
from liaison.model.timestamps import parse_instant
from liaison.policy import Engine, Standing, load_pack
from minipack import directive, hold_request, permit, write_pack

T0 = "2025-01-01T00:00:00-05:00"
T1 = "2025-03-01T00:00:00-05:00"
T2 = "2025-05-01T00:00:00-04:00"
T3 = "2025-07-01T00:00:00-04:00"


def _engine(tmp_path: Path, directives: list[dict[str, object]], **kw: object) -> Engine:
    return Engine(load_pack(write_pack(tmp_path / "pack", directives, **kw)))  # type: ignore[arg-type]


def _standing(engine: Engine, ident: str, at: str, view: str | None = None) -> Standing:
    found = {s.directive.id: s for s in engine.statuses(parse_instant(at), view)}
    return found[ident].standing


def _cites(engine: Engine, at: str, view: str | None = None) -> set[tuple[str, str]]:
    decision = engine.decide(parse_request(hold_request(at, view)))
    return {(c.directive, c.section) for c in decision.citations}


def test_effective_window_is_half_open(tmp_path: Path) -> None:
    engine = _engine(tmp_path, [directive("A", T1, [("a", permit("A", "a"))], effective_until=T2)])
    assert _standing(engine, "A", T0) is Standing.NOT_YET_EFFECTIVE
    assert _standing(engine, "A", T1) is Standing.IN_FORCE
    assert _standing(engine, "A", "2025-04-30T23:59:59.999999-04:00") is Standing.IN_FORCE
    assert _standing(engine, "A", T2) is Standing.EXPIRED
    assert _cites(engine, T1) == {("A", "a")}
    assert _cites(engine, T2) == set()


def test_same_instant_with_other_offsets_is_the_same_moment(tmp_path: Path) -> None:
    engine = _engine(tmp_path, [directive("A", T1, [("a", permit("A", "a"))])])
    assert _standing(engine, "A", "2025-03-01T05:00:00Z") is Standing.IN_FORCE
    assert _standing(engine, "A", "2025-03-01T04:59:59Z") is Standing.NOT_YET_EFFECTIVE


def test_order_lapses_with_its_authority(tmp_path: Path) -> None:
    power = directive("POWER", T0, [("p", "")], effective_until=T2)
    order = directive(
        "ORDER", T1, [("o", permit("ORDER", "o"))], authority=[{"directive": "POWER"}]
    )
    engine = _engine(tmp_path, [power, order])
    assert _standing(engine, "ORDER", T1) is Standing.IN_FORCE
    assert _standing(engine, "ORDER", T2) is Standing.LAPSED
    status = {s.directive.id: s for s in engine.statuses(parse_instant(T2), None)}["ORDER"]
    assert status.by == "POWER"
    assert "POWER" in status.reason
    assert _cites(engine, T3) == set()


def test_rescission_is_permanent_after_the_rescinder_lapses(tmp_path: Path) -> None:
    power = directive("POWER", T0, [("p", "")], effective_until=T2)
    target = directive("TARGET", T0, [("t", permit("TARGET", "t"))])
    rescinder = directive(
        "R", T1, [("r", "")], authority=[{"directive": "POWER"}], rescinds=[{"directive": "TARGET"}]
    )
    engine = _engine(tmp_path, [power, target, rescinder])
    assert _cites(engine, T0) == {("TARGET", "t")}
    assert _standing(engine, "TARGET", T1) is Standing.RESCINDED
    assert _standing(engine, "R", T3) is Standing.LAPSED
    assert _standing(engine, "TARGET", T3) is Standing.RESCINDED  # stays rescinded
    assert _cites(engine, T3) == set()


def test_rescinder_not_in_force_at_its_start_rescinds_nothing(tmp_path: Path) -> None:
    power = directive("POWER", T2, [("p", "")])  # the power arrives only later
    target = directive("TARGET", T0, [("t", permit("TARGET", "t"))])
    rescinder = directive(
        "R", T1, [("r", "")], authority=[{"directive": "POWER"}], rescinds=[{"directive": "TARGET"}]
    )
    engine = _engine(tmp_path, [power, target, rescinder])
    assert _standing(engine, "R", T1) is Standing.LAPSED
    assert _standing(engine, "TARGET", T3) is Standing.IN_FORCE


def test_section_supersession_removes_only_listed_sections(tmp_path: Path) -> None:
    old = directive("OLD", T0, [("keep", permit("OLD", "keep")), ("drop", permit("OLD", "drop"))])
    new = directive("NEW", T1, [("n", "")], supersedes=[{"directive": "OLD", "sections": ["drop"]}])
    engine = _engine(tmp_path, [old, new])
    assert _cites(engine, T0) == {("OLD", "keep"), ("OLD", "drop")}
    assert _cites(engine, T1) == {("OLD", "keep")}
    status = {s.directive.id: s for s in engine.statuses(parse_instant(T1), None)}["OLD"]
    assert status.in_force
    assert status.removed_sections == (("drop", "NEW"),)


def test_whole_supersession(tmp_path: Path) -> None:
    old = directive("OLD", T0, [("a", permit("OLD", "a"))])
    new = directive("NEW", T1, [("b", permit("NEW", "b"))], supersedes=[{"directive": "OLD"}])
    engine = _engine(tmp_path, [old, new])
    assert _standing(engine, "OLD", T1) is Standing.SUPERSEDED
    assert _cites(engine, T1) == {("NEW", "b")}


def test_views_recognise_different_directives(tmp_path: Path) -> None:
    target = directive("TARGET", T0, [("t", permit("TARGET", "t"))])
    rescinder = directive("R", T1, [("r", "")], rescinds=[{"directive": "TARGET"}])
    engine = _engine(
        tmp_path, [target, rescinder], views={"local": ["R"], "federal": None}, default="local"
    )
    assert _cites(engine, T2, "local") == {("TARGET", "t")}
    assert _cites(engine, T2, "federal") == set()
    assert _standing(engine, "R", T2, "local") is Standing.NOT_RECOGNISED
    comparison = engine.decide_views(parse_request(hold_request(T2)))
    assert not comparison.agree
    assert comparison.decisions["local"].decision is Outcome.PERMIT
    assert comparison.decisions["federal"].decision is Outcome.DENY


def test_in_force_listing_and_policy_version_follow_the_regime(tmp_path: Path) -> None:
    a = directive("A", T0, [("a", permit("A", "a"))])
    b = directive("B", T1, [("b", permit("B", "b"))], effective_until=T2)
    engine = _engine(tmp_path, [a, b])
    first = engine.decide(parse_request(hold_request(T0)))
    second = engine.decide(parse_request(hold_request(T1)))
    third = engine.decide(parse_request(hold_request(T3)))
    assert first.in_force == ("A",)
    assert second.in_force == ("A", "B")
    assert third.in_force == ("A",)
    assert first.policy_version == third.policy_version != second.policy_version


def test_unknown_view_in_request_is_invalid(tmp_path: Path) -> None:
    from liaison.errors import InvalidRequest

    engine = _engine(tmp_path, [directive("A", T0, [("a", permit("A", "a"))])])
    with pytest.raises(InvalidRequest) as caught:
        engine.decide(parse_request(hold_request(T0, "nope")))
    assert caught.value.field == "view"


def test_policy_version_is_a_content_hash(tmp_path: Path) -> None:
    pack = [directive("A", T0, [("a", permit("A", "a"))])]
    one = _engine(tmp_path / "one", pack).regime(parse_instant(T1)).version
    two = _engine(tmp_path / "two", pack).regime(parse_instant(T1)).version
    assert one == two
    assert one.startswith("sha256:")
    assert len(one) == len("sha256:") + 64
    changed = [directive("A", T0, [("a", permit("A", "a", when="false"))])]
    assert _engine(tmp_path / "three", changed).regime(parse_instant(T1)).version != one
