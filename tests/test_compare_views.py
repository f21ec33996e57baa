"""``agree`` and ``differs`` of ``liaison decide --compare`` as documented (issue 10,
item 5; README, ``liaison decide --help``): ``agree`` compares (decision, basis) only;
``differs`` names what differs. Decisions are built by hand here."""

from __future__ import annotations

from datetime import UTC, datetime

from liaison.model.decision import Basis, Citation, Decision, Outcome
from liaison.policy import ViewComparison, load_pack, shipped_pack_path

PACK = load_pack(shipped_pack_path("dc"))
AT = datetime(2025, 8, 15, 16, tzinfo=UTC)


def made(view: str, outcome: Outcome, basis: Basis, *cited: str, error: str = "") -> Decision:
    citations = tuple(Citation(c.split()[0], c.split()[1], "t", "issuer", AT) for c in cited)
    errors = (error,) if error else ()
    return Decision("r", outcome, basis, citations, view, AT, (), "sha256:x", errors)


def compare(*decided: Decision) -> ViewComparison:
    return ViewComparison("r", {d.view: d for d in decided})


def test_two_denies_on_different_bases_do_not_agree() -> None:
    c = compare(
        made("mpd", Outcome.DENY, Basis.FORBID, "EO-25-005 E3"),
        made("doj", Outcome.DENY, Basis.DEFAULT),
    )
    assert c.agree is False
    assert _differs(c) == ["basis", "citations"]


def test_two_permits_under_different_sections_agree_and_say_the_citations_differ() -> None:
    c = compare(
        made("mpd", Outcome.PERMIT, Basis.PERMIT, "EO-25-005 E1"),
        made("doj", Outcome.PERMIT, Basis.PERMIT, "AG-ORDER-2025-08-14 cooperate"),
    )
    assert c.agree is True
    assert _differs(c) == ["citations"]


def test_a_view_that_errors_agrees_only_with_another_that_errors() -> None:
    failed = made("mpd", Outcome.DENY, Basis.ERROR, error="cedar failed")
    also = made("doj", Outcome.DENY, Basis.ERROR, error="another failure")
    forbid = made("doj", Outcome.DENY, Basis.FORBID, "EO-25-005 E3")
    assert compare(failed, also).agree is True
    assert _differs(compare(failed, also)) == []
    assert compare(failed, forbid).agree is False
    assert _differs(compare(failed, forbid)) == ["basis", "citations"]


def test_the_same_outcome_on_the_same_basis_and_sections_differs_in_nothing() -> None:
    c = compare(
        made("mpd", Outcome.DENY, Basis.FORBID, "EO-25-005 E3", "DC-MO-2011-174 inquiry"),
        made("doj", Outcome.DENY, Basis.FORBID, "DC-MO-2011-174 inquiry", "EO-25-005 E3"),
    )
    assert (c.agree, _differs(c)) == (True, [])


def _differs(c: ViewComparison) -> list[str]:
    differs: list[str] = c.to_dict(PACK)["differs"]
    return differs
