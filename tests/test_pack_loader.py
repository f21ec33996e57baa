"""Validation of directive packs (docs/packs.md): every defect is reported with file AND line.

Each test copies the shipped `dc` pack, breaks one thing, and checks that ``load_pack``
raises ``PackError`` with a problem naming the edited file, the exact line of the defect
in the edited text (computed from the edit, never hard-coded) and the key or problem.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from liaison.cli import app
from liaison.errors import PackError, PackProblem
from liaison.policy import load_pack, shipped_pack_path

# Sections appended to a directive by the policy tests: a valid section body whose
# `policy` string is filled in by each test.
SECTION = """
[[sections]]
label = "T1"
heading = "A section added by the test"
text = "Test text."
text_kind = "paraphrase"
source = "the test"
policy = \'\'\'
{policy}\'\'\'
"""

SHARE = 'permit (principal, action == Liaison::Action::"share_information", resource)'
# the scope of a second policy in the same section, distinct from SHARE's text
SHARE2 = 'permit (principal, action in [Liaison::Action::"share_information"], resource)'
GOOD_POLICY = f"""@directive("MO-2025-090")
@section("T1")
{SHARE}
when {{ context.recipient.type == "federal_other" }};
"""


# --- helpers ----------------------------------------------------------------------------


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    root = tmp_path / "dc"
    shutil.copytree(shipped_pack_path("dc"), root)
    return root


def directive_file(root: Path, ident: str) -> Path:
    return root / "directives" / f"{ident}.toml"


def _line_within(block: str, at: str | None) -> int:
    """0-based index of the first line of ``block`` containing ``at`` (0 when ``at`` is None)."""
    if at is None:
        return 0
    for index, line in enumerate(block.split("\n")):
        if at in line:
            return index
    raise AssertionError(f"{at!r} is not in the edited text")


def edit(path: Path, old: str, new: str, *, at: str | None = None) -> int:
    """Replace the single occurrence of ``old`` by ``new`` in ``path``.

    Returns the 1-based line, in the edited file, of the first line of ``new`` that
    contains ``at`` (the line where ``new`` begins when ``at`` is None).
    """
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur exactly once in {path.name}"
    start = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new), encoding="utf-8")
    return start + _line_within(new, at)


def append(path: Path, extra: str, *, at: str | None = None) -> int:
    """Append ``extra`` to ``path``; return the line of its first line containing ``at``."""
    head = path.read_text(encoding="utf-8").rstrip("\n") + "\n\n"
    path.write_text(head + extra, encoding="utf-8")
    return head.count("\n") + 1 + _line_within(extra, at)


def insert_after_first_line(path: Path, extra: str, *, at: str | None = None) -> int:
    """Insert ``extra`` (whole lines) after the first line of ``path`` (top-level keys)."""
    first = path.read_text(encoding="utf-8").split("\n", 1)[0] + "\n"
    return edit(path, first, first + extra) + 1 + _line_within(extra, at)


def nearest_above(path: Path, line: int, prefix: str) -> int:
    """The last line at or above ``line`` of ``path`` that starts with ``prefix``."""
    lines = path.read_text(encoding="utf-8").split("\n")
    return next(n for n in range(line, 0, -1) if lines[n - 1].startswith(prefix))


def append_section(root: Path, policy: str, *, at: str) -> tuple[Path, int]:
    """Append section T1 with ``policy`` to MO-2025-090; return the file and the line of ``at``."""
    path = directive_file(root, "MO-2025-090")
    return path, append(path, SECTION.format(policy=policy), at=at)


def problems_of(root: Path) -> list[PackProblem]:
    with pytest.raises(PackError) as info:
        load_pack(root)
    assert info.value.problems, "a PackError lists its problems"
    return info.value.problems


def find_problem(
    problems: list[PackProblem], file: Path, line: int | None, *words: str
) -> PackProblem | None:
    for problem in problems:
        if (
            Path(problem.file).name == file.name  # the file name, not just a suffix of it
            and problem.line == line
            and all(word in problem.message for word in words)
        ):
            return problem
    return None


def assert_problem(
    problems: list[PackProblem], file: Path, line: int | None, *words: str
) -> PackProblem:
    found = find_problem(problems, file, line, *words)
    if found is None:
        listing = "\n".join(f"  {p}" for p in problems)
        pytest.fail(f"no problem at {file.name}:{line} mentioning {words!r}; got:\n{listing}")
    return found


# --- the shipped pack -------------------------------------------------------------------


def test_shipped_pack_loads_cleanly() -> None:
    pack = load_pack(shipped_pack_path("dc"))
    assert pack.id == "dc"
    assert pack.default_view in pack.views
    assert len(pack.directives) == len(list((pack.root / "directives").glob("*.toml")))


def test_copied_pack_loads_cleanly(pack: Path) -> None:
    assert load_pack(pack).id == "dc"


# --- TOML structure ---------------------------------------------------------------------


def test_toml_syntax_error(pack: Path) -> None:
    path = directive_file(pack, "EO-25-005")
    line = insert_after_first_line(path, "oops = = 1\n", at="oops")
    assert_problem(problems_of(pack), path, line, "TOML syntax error")


def test_toml_syntax_error_in_pack_toml(pack: Path) -> None:
    path = pack / "pack.toml"
    line = append(path, 'extra = "unterminated\n', at="extra")
    assert_problem(problems_of(pack), path, line, "TOML syntax error")


def test_unknown_top_level_key(pack: Path) -> None:
    path = directive_file(pack, "EO-25-005")
    line = insert_after_first_line(path, "colour = 1\n", at="colour")
    assert_problem(problems_of(pack), path, line, "colour", "unknown key")


def test_unknown_top_level_key_in_pack_toml(pack: Path) -> None:
    path = pack / "pack.toml"
    line = append(path, 'flavour = "x"\n', at="flavour")
    assert_problem(problems_of(pack), path, line, "flavour", "unknown key")


def test_unknown_key_in_a_section(pack: Path) -> None:
    path = directive_file(pack, "EO-25-005")
    line = edit(path, 'label = "E2"\n', 'label = "E2"\ncolour = "red"\n', at="colour")
    assert_problem(problems_of(pack), path, line, "sections[1].colour", "unknown key")


def test_unknown_key_after_a_policy_whose_text_looks_like_a_table_header(pack: Path) -> None:
    # E1's policy has a line starting with `["free", "stopped"]`: text inside a multi-line
    # string must not be read as TOML structure when locating the key.
    path = directive_file(pack, "EO-25-005")
    text = path.read_text(encoding="utf-8")
    assert '\n  ["free", "stopped"]' in text
    end_of_e1 = "'''\n\n[[sections]]\nlabel = \"E2\""
    line = edit(path, end_of_e1, end_of_e1.replace("'''\n", "'''\ncolour = 1\n", 1), at="colour")
    assert_problem(problems_of(pack), path, line, "sections[0].colour", "unknown key")


def test_unknown_key_in_a_view(pack: Path) -> None:
    path = pack / "views.toml"
    line = edit(path, "[views.doj]\n", "[views.doj]\ncolour = 1\n", at="colour")
    assert_problem(problems_of(pack), path, line, "views.doj.colour", "unknown key")


def test_missing_required_top_level_key(pack: Path) -> None:
    path = directive_file(pack, "EO-25-005")
    text = path.read_text(encoding="utf-8")
    title = next(line for line in text.split("\n") if line.startswith("title = "))
    edit(path, title + "\n", "")
    # A missing top-level key has no line of its own: it is reported at the top of the file.
    assert_problem(problems_of(pack), path, 1, "title", "required key is missing")


def test_missing_required_key_in_a_section(pack: Path) -> None:
    path = directive_file(pack, "MO-2025-090")
    index = path.read_text(encoding="utf-8").count("[[sections]]")
    body = SECTION.format(policy="").replace('source = "the test"\n', "")
    # a missing key of a section is reported at the section's [[sections]] header
    line = append(path, body, at="[[sections]]")
    assert_problem(problems_of(pack), path, line, f"sections[{index}].source", "required key")


def test_wrong_type(pack: Path) -> None:
    path = directive_file(pack, "MO-2025-090")
    line = edit(path, 'kind = "mayors_order"', 'kind = "decree"')
    assert_problem(problems_of(pack), path, line, "kind")


def test_authority_entry_naming_both_directive_and_external(pack: Path) -> None:
    path = directive_file(pack, "AG-ORDER-2025-08-14")
    line = edit(
        path,
        '  { directive = "EO-14333" },\n',
        '  { directive = "EO-14333" },\n  { directive = "USC-8-1373", external = "x" },\n',
        at="USC-8-1373",
    )
    assert_problem(problems_of(pack), path, line, "authority[1]", "exactly one")


# --- times ------------------------------------------------------------------------------


def test_effective_from_without_offset(pack: Path) -> None:
    path = directive_file(pack, "MO-2025-090")
    line = edit(
        path,
        'effective_from = "2025-09-02T00:00:00-04:00"',
        'effective_from = "2025-09-02T00:00:00"',
    )
    assert_problem(problems_of(pack), path, line, "effective_from", "offset")


def test_effective_from_as_a_toml_local_datetime(pack: Path) -> None:
    path = directive_file(pack, "MO-2025-090")
    line = edit(
        path,
        'effective_from = "2025-09-02T00:00:00-04:00"',
        "effective_from = 2025-09-02T00:00:00",
    )
    assert_problem(problems_of(pack), path, line, "effective_from", "offset")


@pytest.mark.parametrize("until", ["2025-09-01T00:00:00-04:00", "2025-09-02T04:00:00Z"])
def test_effective_until_not_after_effective_from(pack: Path, until: str) -> None:
    path = directive_file(pack, "MO-2025-090")
    start = 'effective_from = "2025-09-02T00:00:00-04:00"\n'
    line = edit(path, start, f'{start}effective_until = "{until}"\n', at="effective_until")
    assert_problem(problems_of(pack), path, line, "effective_until", "after effective_from")


def test_unknown_timezone(pack: Path) -> None:
    path = pack / "pack.toml"
    line = edit(path, '"America/New_York"', '"America/Gotham"')
    assert_problem(problems_of(pack), path, line, "timezone", "America/Gotham")


# --- ids and labels ---------------------------------------------------------------------


def test_id_differs_from_file_name(pack: Path) -> None:
    path = directive_file(pack, "MO-2025-090")
    line = edit(path, 'id = "MO-2025-090"', 'id = "MO-2025-091"')
    assert_problem(problems_of(pack), path, line, "MO-2025-091", "file name")


def test_duplicate_section_label(pack: Path) -> None:
    path = directive_file(pack, "EO-25-005")
    line = edit(path, 'label = "E2"', 'label = "E1"')
    assert_problem(problems_of(pack), path, line, "duplicate section label", "E1")


def test_section_label_with_bad_characters(pack: Path) -> None:
    path = directive_file(pack, "EO-25-005")
    line = edit(path, 'label = "E2"', 'label = "E 2"')
    assert_problem(problems_of(pack), path, line, "sections[1].label")


# --- references -------------------------------------------------------------------------


def test_authority_naming_a_missing_directive(pack: Path) -> None:
    path = directive_file(pack, "AG-ORDER-2025-08-14")
    # the authority array spans several lines: the problem is on the entry's own line
    line = edit(path, '{ directive = "EO-14333" }', '{ directive = "EO-99999" }')
    assert_problem(problems_of(pack), path, line, "authority", "EO-99999")


def test_authority_naming_a_missing_directive_in_a_one_line_array(pack: Path) -> None:
    path = directive_file(pack, "AG-ORDER-2025-08-14")
    line = edit(
        path,
        'authority = [\n  { directive = "EO-14333" },\n]',
        'authority = [{ directive = "EO-14333" }, { directive = "NOPE" }]',
    )
    assert_problem(problems_of(pack), path, line, "authority", "NOPE")


def test_rescinds_naming_a_missing_directive(pack: Path) -> None:
    path = directive_file(pack, "AG-ORDER-2025-08-14")
    line = edit(path, '{ directive = "MPD-PRIOR-POLICY" }]', '{ directive = "MPD-NOPE" }]')
    assert_problem(problems_of(pack), path, line, "rescinds", "MPD-NOPE")


def test_rescinds_naming_a_missing_directive_in_a_multi_line_array(pack: Path) -> None:
    path = directive_file(pack, "AG-ORDER-2025-08-14")
    text = path.read_text(encoding="utf-8")
    old = next(line for line in text.split("\n") if line.startswith("rescinds = "))
    new = 'rescinds = [\n  { directive = "EO-25-005" },\n  { directive = "MPD-NOPE" },\n]'
    line = edit(path, old, new, at="MPD-NOPE")
    assert_problem(problems_of(pack), path, line, "rescinds", "MPD-NOPE")


def test_supersedes_naming_a_missing_directive(pack: Path) -> None:
    path = directive_file(pack, "EO-25-005")
    line = edit(path, '{ directive = "MPD-PRIOR-POLICY" }', '{ directive = "MPD-NOPE" }')
    assert_problem(problems_of(pack), path, line, "supersedes", "MPD-NOPE")


def test_supersedes_naming_a_missing_section(pack: Path) -> None:
    path = directive_file(pack, "EO-25-005")
    line = edit(
        path,
        '{ directive = "MPD-PRIOR-POLICY" }',
        '{ directive = "MPD-PRIOR-POLICY", sections = ["sharing", "no_such_section"] }',
    )
    assert_problem(problems_of(pack), path, line, "supersedes", "no_such_section")


def test_supersedes_naming_an_existing_section_is_fine(pack: Path) -> None:
    path = directive_file(pack, "EO-25-005")
    edit(
        path,
        '{ directive = "MPD-PRIOR-POLICY" }',
        '{ directive = "MPD-PRIOR-POLICY", sections = ["sharing"] }',
    )
    loaded = load_pack(pack)
    assert loaded.directives["EO-25-005"].supersedes[0].sections == ("sharing",)


def test_directive_removing_itself(pack: Path) -> None:
    path = directive_file(pack, "MO-2025-090")
    line = insert_after_first_line(path, 'rescinds = [{ directive = "MO-2025-090" }]\n')
    assert_problem(problems_of(pack), path, line, "rescinds", "itself")


def test_view_excludes_a_missing_directive(pack: Path) -> None:
    path = pack / "views.toml"
    line = edit(path, '"AG-DIRECTIVE-2025-08-15"]', '"AG-NOPE"]')
    assert_problem(problems_of(pack), path, line, "views.mpd.excludes", "AG-NOPE")


def test_view_excludes_a_missing_directive_in_a_multi_line_array(pack: Path) -> None:
    path = pack / "views.toml"
    text = path.read_text(encoding="utf-8")
    old = next(line for line in text.split("\n") if line.startswith("excludes = "))
    new = 'excludes = [\n  "AG-ORDER-2025-08-14",\n  "AG-NOPE",\n]'
    line = edit(path, old, new, at="AG-NOPE")
    assert_problem(problems_of(pack), path, line, "views.mpd.excludes", "AG-NOPE")


def test_view_recognises_a_missing_directive(pack: Path) -> None:
    path = pack / "views.toml"
    line = edit(
        path, "[views.doj]\n", '[views.doj]\nrecognises = ["EO-14333", "NOPE"]\n', at="NOPE"
    )
    assert_problem(problems_of(pack), path, line, "views.doj.recognises", "NOPE")


def test_view_with_both_excludes_and_recognises(pack: Path) -> None:
    path = pack / "views.toml"
    header = edit(path, "[views.doj]\n", '[views.doj]\nrecognises = ["EO-14333"]\nexcludes = []\n')
    assert_problem(problems_of(pack), path, header, "views.doj", "not both")


def test_default_view_not_defined(pack: Path) -> None:
    path = pack / "views.toml"
    line = edit(path, 'default = "mpd"', 'default = "ice"')
    assert_problem(problems_of(pack), path, line, "default", "ice")


# --- cycles -----------------------------------------------------------------------------


def test_cycle_in_authority(pack: Path) -> None:
    first = directive_file(pack, "MO-2025-090")
    second = directive_file(pack, "DC-MO-2011-174")
    entry = "authority = [\n"
    line_first = edit(first, entry, entry + '  { directive = "DC-MO-2011-174" },\n', at="DC-MO")
    line_second = edit(second, entry, entry + '  { directive = "MO-2025-090" },\n', at="MO-2025")
    problems = problems_of(pack)
    cycles = [p for p in problems if "cycle" in p.message]
    assert cycles, problems
    # the cycle is reported at one of the two authority entries that make it
    located = {(Path(p.file).name, p.line) for p in cycles}
    assert located & {(first.name, line_first), (second.name, line_second)}, cycles
    assert all("MO-2025-090" in p.message and "DC-MO-2011-174" in p.message for p in cycles)


def test_cycle_through_three_directives(pack: Path) -> None:
    entry = "authority = [\n"
    idents = ["MO-2025-090", "DC-MO-2011-174", "USC-8-1373"]
    lines = {}
    for ident, relies_on in zip(idents, [*idents[1:], idents[0]], strict=True):
        path = directive_file(pack, ident)
        added = f'  {{ directive = "{relies_on}" }},\n'
        lines[path.name] = edit(path, entry, entry + added, at=relies_on)
    cycles = [p for p in problems_of(pack) if "cycle" in p.message]
    assert len(cycles) == 1
    assert (Path(cycles[0].file).name, cycles[0].line) in lines.items()


def test_rescission_cycle(pack: Path) -> None:
    first = directive_file(pack, "MO-2025-090")
    second = directive_file(pack, "DC-MO-2011-174")
    line_first = insert_after_first_line(first, 'rescinds = [{ directive = "DC-MO-2011-174" }]\n')
    line_second = insert_after_first_line(second, 'supersedes = [{ directive = "MO-2025-090" }]\n')
    cycles = [p for p in problems_of(pack) if "cycle" in p.message]
    assert cycles
    located = {(Path(p.file).name, p.line) for p in cycles}
    assert located & {(first.name, line_first), (second.name, line_second)}, cycles


# --- policies ---------------------------------------------------------------------------


def test_appended_valid_section_loads(pack: Path) -> None:
    append_section(pack, GOOD_POLICY, at="T1")
    loaded = load_pack(pack)
    section = loaded.directives["MO-2025-090"].sections[-1]
    assert section.label == "T1"
    assert len(section.policies) == 1


def test_policy_missing_directive_annotation(pack: Path) -> None:
    policy = GOOD_POLICY + '\n@section("T1")\n' + SHARE.replace("permit", "forbid") + ";\n"
    path, line = append_section(pack, policy, at="forbid (")
    problem = assert_problem(problems_of(pack), path, line, "@directive")
    assert "MO-2025-090" in problem.message


def test_policy_with_wrong_section_annotation(pack: Path) -> None:
    policy = GOOD_POLICY + '\n@directive("MO-2025-090")\n@section("T2")\nforbid (\n'
    policy += '  principal,\n  action == Liaison::Action::"share_information",\n  resource\n);\n'
    path, line = append_section(pack, policy, at="forbid (")
    assert_problem(problems_of(pack), path, line, '@section("T1")')


def test_policy_with_wrong_directive_annotation_in_a_shipped_section(pack: Path) -> None:
    # the second policy of EO-25-005 section E3 names another directive
    path = directive_file(pack, "EO-25-005")
    old = '@directive("EO-25-005")\n@section("E3")\nforbid (principal, action == '
    old += 'Liaison::Action::"database_inquiry", resource)\nwhen { context.database'
    new = old.replace('@directive("EO-25-005")', '@directive("EO-25-006")')
    line = edit(path, old, new, at="forbid (")
    assert_problem(problems_of(pack), path, line, '@directive("EO-25-005")')


def test_policy_constraining_principal(pack: Path) -> None:
    scoped = SHARE.replace("(principal,", '(principal == Liaison::Actor::"actor",')
    policy = GOOD_POLICY + f'\n@directive("MO-2025-090")\n@section("T1")\n{scoped};\n'
    path, line = append_section(pack, policy, at='Liaison::Actor::"actor"')
    assert_problem(problems_of(pack), path, line, "principal")


def test_policy_constraining_resource(pack: Path) -> None:
    scoped = SHARE.replace("resource)", "resource is Liaison::Subject)")
    policy = f'@directive("MO-2025-090")\n@section("T1")\n{scoped};\n'
    path, line = append_section(pack, policy, at="Liaison::Subject)")
    assert_problem(problems_of(pack), path, line, "resource")


def test_policy_reading_resource_in_its_condition(pack: Path) -> None:
    policy = GOOD_POLICY + (
        f'\n@directive("MO-2025-090")\n@section("T1")\n{SHARE2}\nwhen {{\n'
        '  context.recipient.type == "federal_other" &&\n'
        '  resource == Liaison::Subject::"subject"\n};\n'
    )
    path, line = append_section(pack, policy, at=SHARE2)
    assert_problem(problems_of(pack), path, line, "resource")


def test_cedar_syntax_error(pack: Path) -> None:
    policy = GOOD_POLICY + (
        f'\n@directive("MO-2025-090")\n@section("T1")\n{SHARE2}\nwhen {{\n'
        "  context.has_case_number &&\n"
        '  context.recipient.type == == "federal_other"\n};\n'
    )
    path, line = append_section(pack, policy, at="== ==")
    assert_problem(problems_of(pack), path, line, "Cedar syntax error")


def test_cedar_syntax_error_missing_semicolon(pack: Path) -> None:
    policy = GOOD_POLICY.rstrip().removesuffix(";") + "\n"
    path, line = append_section(pack, policy, at="when {")
    assert_problem(problems_of(pack), path, line, "Cedar syntax error")


def test_cedar_validation_error_unguarded_optional_attribute(pack: Path) -> None:
    policy = GOOD_POLICY + (
        f'\n@directive("MO-2025-090")\n@section("T1")\n{SHARE2}\n'
        'when { context.database == "NCIC" };\n'
    )
    path, line = append_section(pack, policy, at=SHARE2)
    problem = assert_problem(problems_of(pack), path, line, "Cedar validation")
    assert "database" in problem.message


def test_cedar_validation_passes_with_has_guard(pack: Path) -> None:
    policy = GOOD_POLICY + (
        f'\n@directive("MO-2025-090")\n@section("T1")\n{SHARE}\n'
        'when { context has database && context.database == "NCIC" };\n'
    )
    append_section(pack, policy, at="T1")
    assert len(load_pack(pack).directives["MO-2025-090"].sections[-1].policies) == 2


def test_cedar_validation_error_in_a_shipped_section(pack: Path) -> None:
    path = directive_file(pack, "EO-25-005")
    line = edit(
        path,
        '  context.recipient.type == "federal_immigration" &&\n  ["free", "stopped"]',
        '  context.recipient.type == "federal_immigration" && context.database == "NCIC" &&\n'
        '  ["free", "stopped"]',
    )
    line = nearest_above(path, line, "permit (")  # the line of E1's policy's `permit`
    assert_problem(problems_of(pack), path, line, "Cedar validation")


def test_template_policy(pack: Path) -> None:
    templated = SHARE.replace("(principal,", "(principal == ?principal,")
    policy = GOOD_POLICY + f'\n@directive("MO-2025-090")\n@section("T1")\n{templated};\n'
    path, line = append_section(pack, policy, at="?principal")
    assert_problem(problems_of(pack), path, line, "template")


# --- files ------------------------------------------------------------------------------


def test_no_directive_files(pack: Path) -> None:
    for path in (pack / "directives").glob("*.toml"):
        path.unlink()
    assert_problem(problems_of(pack), pack / "directives", None, "no directive files")


def test_no_directives_folder(pack: Path) -> None:
    shutil.rmtree(pack / "directives")
    assert_problem(problems_of(pack), pack / "directives", None, "no directive files")


def test_missing_schema_file(pack: Path) -> None:
    schema = pack / "schema.cedarschema"
    schema.unlink()
    assert_problem(problems_of(pack), schema, None, "Cedar schema")


def test_missing_pack_toml(pack: Path) -> None:
    path = pack / "pack.toml"
    path.unlink()
    assert_problem(problems_of(pack), path, None, "cannot read")


def test_not_a_folder(tmp_path: Path) -> None:
    problems = problems_of(tmp_path / "nowhere")
    assert problems[0].file.endswith("nowhere")


# --- every problem at once --------------------------------------------------------------


def test_independent_defects_in_different_files_are_all_reported(pack: Path) -> None:
    expected = [
        (
            pack / "pack.toml",
            edit(pack / "pack.toml", "America/New_York", "Mars/Olympus"),
            "timezone",
        ),
        (
            pack / "views.toml",
            edit(pack / "views.toml", 'default = "mpd"', 'default = "x"'),
            "default",
        ),
    ]
    eo = directive_file(pack, "EO-25-005")
    expected.append(
        (eo, edit(eo, 'label = "E2"\n', 'label = "E2"\nbogus = 1\n', at="bogus"), "bogus")
    )
    ag = directive_file(pack, "AG-ORDER-2025-08-14")
    expected.append((ag, edit(ag, '{ directive = "EO-14333" }', '{ directive = "NOPE" }'), "NOPE"))
    unguarded = f'{SHARE}\nwhen {{ context.database == "N" }};\n'
    mo_path, mo_line = append_section(
        pack, f'@directive("MO-2025-090")\n@section("T1")\n{unguarded}', at=SHARE
    )
    expected.append((mo_path, mo_line, "Cedar validation"))
    problems = problems_of(pack)
    for file, line, word in expected:
        assert_problem(problems, file, line, word)
    assert len({p.file for p in problems}) >= len(expected)


def test_a_broken_directive_file_is_not_also_reported_as_missing(pack: Path) -> None:
    # AG-ORDER-2025-08-14 and AG-DIRECTIVE-2025-08-15 name EO-14333 as their authority: the
    # file exists, so only its own problem is reported, not a dangling reference to it.
    path = directive_file(pack, "EO-14333")
    line = insert_after_first_line(path, "oops = = 1\n", at="oops")
    problems = problems_of(pack)
    assert_problem(problems, path, line, "TOML syntax error")
    assert len(problems) == 1, problems


# --- the error object and the CLI -------------------------------------------------------


def test_pack_error_to_dict(pack: Path) -> None:
    path = pack / "pack.toml"
    line = edit(path, '"America/New_York"', '"America/Gotham"')
    with pytest.raises(PackError) as info:
        load_pack(pack)
    data = info.value.to_dict()
    assert data["code"] == "invalid_pack"
    assert isinstance(data["message"], str)
    assert isinstance(data["problems"], list)
    assert {"file", "line", "message"} <= set(data["problems"][0])
    assert any(
        p["file"].endswith("pack.toml") and p["line"] == line and "timezone" in p["message"]
        for p in data["problems"]
    )
    assert str(info.value.problems[0]).startswith(info.value.problems[0].file)


def test_cli_validate_broken_pack_exits_1_with_file_and_line(pack: Path) -> None:
    path = directive_file(pack, "MO-2025-090")
    line = edit(path, 'id = "MO-2025-090"', 'id = "MO-2025-091"')
    result = CliRunner().invoke(app, ["directives", "validate", "--pack", str(pack)])
    assert result.exit_code == 1
    assert f"{path}:{line}" in result.output
    assert f"{path}:{line}" in result.stderr
    assert "is valid" not in result.output


def test_cli_validate_shipped_pack(pack: Path) -> None:
    result = CliRunner().invoke(app, ["directives", "validate", "--pack", str(pack)])
    assert result.exit_code == 0, result.output
    assert "is valid" in result.output


def test_a_schema_that_does_not_parse_is_reported_against_the_schema_file(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(shipped_pack_path("dc"), pack)
    (pack / "schema.cedarschema").write_text("namespace Liaison { entity Actor; not a schema }")
    with pytest.raises(PackError) as caught:
        load_pack(pack)
    problems = [p for p in caught.value.problems if p.file.endswith("schema.cedarschema")]
    assert problems
    assert "does not parse" in problems[0].message
