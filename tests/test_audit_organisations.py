"""The organisation table (issue 13, item 3): types from names, the state a name places,
the jurisdiction relative to a home state, never assumed in-state; strict validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from liaison.audit.organisations import OrganisationTable, load_organisations
from liaison.audit.rows import Jurisdiction
from liaison.audit.states import STATES, place, state_code
from liaison.errors import AuditInputError
from liaison.model.vocabulary import RecipientType

FED_IMM = RecipientType.FEDERAL_IMMIGRATION
FED = RecipientType.FEDERAL_OTHER
LOCAL = RecipientType.STATE_LOCAL
PRIVATE = RecipientType.PRIVATE
IN = Jurisdiction.IN_STATE
OUT = Jurisdiction.OUT_OF_STATE


@pytest.fixture(scope="module")
def table() -> OrganisationTable:
    return load_organisations()


@pytest.mark.parametrize(
    ("name", "kind", "jurisdiction", "state"),
    [
        ("Houston TX PD", LOCAL, OUT, "TX"),
        ("Cook County IL SO", LOCAL, OUT, "IL"),
        ("Santa Rosa CA PD", LOCAL, IN, "CA"),
        ("Dallas Police Department (TX)", LOCAL, OUT, "TX"),
        ("Fresno County Sheriff's Office (CA)", LOCAL, IN, "CA"),
        ("Kansas City MO PD", LOCAL, OUT, "MO"),
        ("Kansas City KS PD", LOCAL, OUT, "KS"),
        ("Kansas City PD", LOCAL, None, None),
        ("Indiana PD", LOCAL, None, None),
        ("Indiana State Police", LOCAL, OUT, "IN"),
        ("Washington State Patrol", LOCAL, OUT, "WA"),
        ("Washington County SO", LOCAL, None, None),
        ("Washington DC Police", LOCAL, OUT, "DC"),
        ("Metropolitan Police Department, District of Columbia", LOCAL, OUT, "DC"),
        ("Linn CO SO", LOCAL, None, None),
        ("Mesa County CO SO", LOCAL, OUT, "CO"),
        ("LA County Sheriff", LOCAL, None, None),
        ("LAPD", LOCAL, IN, "CA"),
        ("University of California Police Department", LOCAL, IN, "CA"),
        ("Texas Department of Public Safety", LOCAL, OUT, "TX"),
        ("Oklahoma DHS", LOCAL, OUT, "OK"),
        ("Federal Way PD", LOCAL, None, None),
        ("U.S. Border Patrol", FED_IMM, None, None),
        ("ICE ERO Los Angeles", FED_IMM, None, None),
        ("HSI San Diego", FED_IMM, None, None),
        ("Homeland Security Investigations", FED_IMM, None, None),
        ("DHS", FED_IMM, None, None),
        ("USCIS", FED_IMM, None, None),
        ("FBI Sacramento", FED, None, None),
        ("US Marshals Service", FED, None, None),
        ("Secret Service", FED, None, None),
        ("Lowe's Home Centers", PRIVATE, None, None),
        ("Home Depot", PRIVATE, None, None),
        ("Simon Mall Security", PRIVATE, None, None),
        ("Ice Arena Security", PRIVATE, None, None),
    ],
)
def test_types_and_jurisdictions_from_names(
    table: OrganisationTable,
    name: str,
    kind: RecipientType,
    jurisdiction: Jurisdiction | None,
    state: str | None,
) -> None:
    found = table.type_of(name, "CA")
    assert (found.type, found.jurisdiction, found.state) == (kind, jurisdiction, state)
    assert found.rule


@pytest.mark.parametrize(
    "name",
    ["U.S. DHS (CA)", "US Department of Homeland Security - CA", "DHS San Diego, CA",
     "Federal DHS CA", "Homeland Security Task Force (CA)"],
)  # fmt: skip
def test_dhs_with_only_a_state_code_is_never_in_state(table: OrganisationTable, name: str) -> None:
    """The federal department's office in a state is not that state's agency: unknown."""
    found = table.type_of(name, "CA")
    assert (found.type, found.jurisdiction, found.rule) == (None, None, "unknown.dhs")


def test_a_state_named_in_full_keeps_its_own_dhs(table: OrganisationTable) -> None:
    found = table.type_of("California DHS", "CA")
    assert (found.type, found.jurisdiction) == (LOCAL, IN)


def test_a_name_that_cannot_be_typed_stays_unknown(table: OrganisationTable) -> None:
    for name in ("Acme Widgets", "", None, "Navajo Nation Police"):
        found = table.type_of(name, "CA")
        assert (found.type, found.jurisdiction) == (None, None)


def test_never_assumed_in_state(table: OrganisationTable) -> None:
    assert table.type_of("Santa Rosa CA PD", None).jurisdiction is None
    assert table.type_of("Springfield PD", "IL").jurisdiction is None
    assert table.type_of("Springfield IL PD", "Illinois").jurisdiction is IN


def test_every_state_and_dc_is_placed_by_code_and_by_name() -> None:
    assert len(STATES) == 51
    for code, name in STATES.items():
        assert place(f"Springfield {code} PD") == code, code
        assert place(f"{name} State Police") == code or code == "DC", name
        assert place(f"Springfield Police Department ({name})") == code, name
        assert state_code(name.upper()) == code
        assert state_code(code.lower()) == code


def test_two_states_or_lower_case_codes_place_nothing() -> None:
    assert place("Kansas City KS PD and MO") is None
    assert place("Houston tx pd") is None
    assert place("Police or sheriff") is None


def test_an_unknown_home_state_is_an_input_error(table: OrganisationTable) -> None:
    with pytest.raises(AuditInputError, match=r"not a U\.S\. state") as caught:
        table.type_of("Houston TX PD", "Ontario")
    assert caught.value.field == "home_state"


def test_a_bad_table_names_file_line_and_key(tmp_path: Path) -> None:
    path = tmp_path / "organisations.toml"
    path.write_text(
        'version = "2026.1.1"\n\n[[organisation]]\nid = "a"\ntype = "martian"\nnames = ["x"]\n',
        encoding="utf-8",
    )
    with pytest.raises(AuditInputError) as caught:
        load_organisations(path)
    assert caught.value.message.startswith(f"{path}:5: organisation[0].type:")
    path.write_text(
        'version = "2026.1.1"\n\n[[organisation]]\nid = "a"\ntype = "private"\nnames = ["x"]\n'
        '\n[[organisation]]\nid = "b"\ntype = "state_local"\nnames = ["X"]\n',
        encoding="utf-8",
    )
    with pytest.raises(AuditInputError, match="'x' is in the table twice"):
        load_organisations(path)


def test_the_table_version_changes_with_its_content(tmp_path: Path) -> None:
    shipped = load_organisations()
    path = tmp_path / "organisations.toml"
    text = (Path(__file__).parents[1] / "src/liaison/audit/rules/organisations.toml").read_text()
    path.write_text(text + '\n[[organisation]]\nid = "z"\ntype = "private"\nnames = ["zz"]\n')
    assert load_organisations(path).version != shipped.version
    assert shipped.version.startswith("2026.12.2+")
