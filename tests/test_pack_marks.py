"""The pack keys added for the state packs (docs/packs.md): ``state`` in pack.toml, and a
section's ``evidence`` and ``interpretation``; and the marks the shipped ca and il packs
carry from their references (ca-pack.md, il-pack.md)."""

from __future__ import annotations

import pytest

from liaison.errors import PackError
from liaison.policy import load_pack, load_pack_files, shipped_pack_path
from liaison.policy.pack_files import read_pack_files


@pytest.fixture(scope="module")
def dc_files() -> dict[str, str]:
    return dict(read_pack_files(shipped_pack_path("dc")))


@pytest.mark.parametrize(("pack", "state"), [("dc", "DC"), ("ca", "CA"), ("il", "IL")])
def test_shipped_packs_name_their_state(pack: str, state: str) -> None:
    assert load_pack(shipped_pack_path(pack)).state == state


def test_state_is_optional(dc_files: dict[str, str]) -> None:
    files = dict(dc_files)
    files["pack.toml"] = "\n".join(
        line for line in files["pack.toml"].splitlines() if not line.startswith("state")
    )
    assert load_pack_files(files).state is None


@pytest.mark.parametrize("bad", ["ca", "Cal", "C", "C1"])
def test_state_must_be_a_postal_code(dc_files: dict[str, str], bad: str) -> None:
    files = dict(dc_files)
    files["pack.toml"] = files["pack.toml"].replace('state = "DC"', f'state = "{bad}"')
    with pytest.raises(PackError) as info:
        load_pack_files(files)
    (problem,) = info.value.problems
    assert problem.file == "pack.toml"
    assert problem.line == 5
    assert problem.message.startswith("state: ")


def test_evidence_is_one_of_the_marks(dc_files: dict[str, str]) -> None:
    path = "directives/USC-8-1373.toml"
    files = dict(dc_files)
    marked = files[path].replace(
        'source = "8 U.S.C. § 1373(a)"\n',
        'source = "8 U.S.C. § 1373(a)"\nevidence = "verified"\ninterpretation = "Mine."\n',
    )
    section = load_pack_files({**files, path: marked}).directive("USC-8-1373").section("a")
    assert (section.evidence, section.interpretation) == ("verified", "Mine.")
    with pytest.raises(PackError) as info:
        load_pack_files({**files, path: marked.replace('"verified"', '"likely"')})
    (problem,) = info.value.problems
    assert "sections[0].evidence" in problem.message


# What each shipped section is marked, as its reference marks it.
MARKS = {
    ("ca", "CA-GOV-7284.6"): {
        "a1": ("quote", "verified"),
        "a1A": ("quote", "verified"),
        "a1B": ("quote", "verified"),
        "a1C": ("quote", "secondary"),
        "a1D": ("paraphrase", "secondary"),
        "a1E": ("paraphrase", "secondary"),
        "a4": ("paraphrase", "secondary"),
        "b2": ("paraphrase", "secondary"),
        "b3": ("paraphrase", "secondary"),
        "b5": ("paraphrase", "secondary"),
        "e": ("paraphrase", "secondary"),
    },
    ("ca", "CA-GOV-7282.5-2014"): {"a": ("paraphrase", "interpretation")},
    ("ca", "CA-GOV-7282.5"): {"a": ("paraphrase", "secondary")},
    ("ca", "CA-CIV-1798.90.55"): {"b": ("quote", "verified")},
    ("ca", "USC-8-1373"): {"a": ("quote", "verified")},
    ("il", "IL-TRUST-2017"): {"5": ("quote", "verified"), "15a": ("quote", "verified")},
    ("il", "IL-TRUST-2021"): {
        "5": ("quote", "verified"),
        "15a": ("quote", "verified"),
        "15e": ("quote", "verified"),
        **{f"15h{n}": ("paraphrase", "secondary") for n in range(1, 8)},
    },
    ("il", "IL-VEH-2-130"): {"b2": ("quote", "verified"), "c": ("quote", "verified")},
}


@pytest.mark.parametrize(("pack", "directive"), sorted(MARKS))
def test_shipped_sections_carry_their_reference_marks(pack: str, directive: str) -> None:
    d = load_pack(shipped_pack_path(pack)).directive(directive)
    got = {s.label: (s.text_kind, s.evidence) for s in d.sections}
    assert got == MARKS[(pack, directive)]


@pytest.mark.parametrize("pack", ["ca", "il"])
def test_baselines_are_unmarked_department_configuration(pack: str) -> None:
    d = load_pack(shipped_pack_path(pack)).directive(f"{pack.upper()}-BASELINE")
    assert d.kind == "department_configuration"
    assert {s.label for s in d.sections} == {
        "inquiry", "sharing", "alpr", "arrest", "transport", "custody", "access", "joint",
    }  # fmt: skip
    assert all(s.text_kind == "paraphrase" and s.evidence is None for s in d.sections)
