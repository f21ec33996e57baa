"""A pack loads from its files (docs/packs.md): ``load_pack_files`` takes the mapping of
path in the pack -> text, with no folder behind it; problems name the path in the pack
and the line; a path outside the pack is refused before anything is read."""

from __future__ import annotations

import pathlib
import tempfile
from pathlib import Path
from typing import Any

import pytest

from liaison.errors import PackError, PackProblem
from liaison.policy import Engine, load_pack, load_pack_files, shipped_pack_path
from liaison.policy.in_force import boundaries
from liaison.policy.pack_files import read_pack_files

EO = "directives/EO-25-005.toml"


@pytest.fixture(scope="module")
def dc_files() -> dict[str, str]:
    return read_pack_files(shipped_pack_path("dc"))


def problems_of(files: dict[str, str]) -> list[PackProblem]:
    with pytest.raises(PackError) as caught:
        load_pack_files(files)
    assert caught.value.problems
    return caught.value.problems


def edited(files: dict[str, str], path: str, old: str, new: str) -> tuple[dict[str, str], int]:
    """``files`` with ``old`` replaced by ``new`` in ``path``, and the line where ``new`` starts."""
    text = files[path]
    assert text.count(old) == 1
    line = text[: text.index(old)].count("\n") + 1
    return {**files, path: text.replace(old, new)}, line


def test_a_pack_loads_from_a_mapping_without_touching_the_file_system(
    dc_files: dict[str, str], monkeypatch: Any
) -> None:
    def refused(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the loader touched the file system")

    monkeypatch.setattr(tempfile, "mkdtemp", refused)
    monkeypatch.setattr(pathlib.Path, "read_text", refused)
    monkeypatch.setattr(pathlib.Path, "write_text", refused)
    pack = load_pack_files(dict(dc_files))
    assert pack.root == Path(".")
    assert {str(d.file) for d in pack.directives.values()} == {
        p for p in dc_files if p.startswith("directives/")
    }


def test_a_mapping_loads_as_the_folder_it_was_read_from(dc_files: dict[str, str]) -> None:
    from_files = Engine(load_pack_files(dc_files))
    from_folder = Engine(load_pack(shipped_pack_path("dc")))
    instants = boundaries(from_folder.pack)
    assert instants == boundaries(from_files.pack)
    for view in from_folder.pack.views:
        for at in instants:
            assert from_files.regime(at, view).version == from_folder.regime(at, view).version


def test_a_bad_directive_names_its_path_in_the_pack_and_line(dc_files: dict[str, str]) -> None:
    files, line = edited(dc_files, EO, 'label = "E2"\n', 'label = "E2"\ncolour = "red"\n')
    problems = problems_of(files)
    assert [(p.file, p.line) for p in problems] == [(EO, line + 1)]
    assert "unknown key" in problems[0].message
    assert str(problems[0]).startswith(f"{EO}:{line + 1}: ")


def test_a_bad_pack_toml_and_a_dangling_reference_name_their_paths(
    dc_files: dict[str, str],
) -> None:
    files, zone_line = edited(dc_files, "pack.toml", "America/New_York", "Mars/Olympus")
    ag = "directives/AG-ORDER-2025-08-14.toml"
    files, ref_line = edited(files, ag, '{ directive = "EO-14333" }', '{ directive = "NOPE" }')
    located = {(p.file, p.line) for p in problems_of(files)}
    assert ("pack.toml", zone_line) in located
    assert (ag, ref_line) in located


def test_a_cycle_is_reported_at_a_path_in_the_pack(dc_files: dict[str, str]) -> None:
    first, second = "directives/MO-2025-090.toml", "directives/DC-MO-2011-174.toml"
    entry = "authority = [\n"
    files, line_first = edited(
        dc_files, first, entry, entry + '  { directive = "DC-MO-2011-174" },\n'
    )
    files, line_second = edited(files, second, entry, entry + '  { directive = "MO-2025-090" },\n')
    cycles = [p for p in problems_of(files) if "cycle" in p.message]
    assert len(cycles) == 1
    assert (cycles[0].file, cycles[0].line) in {(first, line_first + 1), (second, line_second + 1)}


def test_a_missing_file_is_named_by_its_path_in_the_pack(dc_files: dict[str, str]) -> None:
    files = {p: t for p, t in dc_files.items() if p != "pack.toml"}
    problems = problems_of(files)
    assert [(p.file, p.line) for p in problems] == [("pack.toml", None)]
    assert "cannot read" in problems[0].message
    assert "/tmp" not in problems[0].message


@pytest.mark.parametrize(
    "path",
    [
        "../x.toml",
        "/etc/passwd",
        "directives/../../x.toml",
        "directives/../pack.toml",
        "C:\\x.toml",
    ],
)
def test_a_path_outside_the_pack_is_refused(dc_files: dict[str, str], path: str) -> None:
    problems = problems_of({**dc_files, path: 'id = "x"\n'})
    assert [(p.file, p.line) for p in problems] == [(path, None)]
    assert "refused" in problems[0].message
    assert "inside the pack" in problems[0].message


@pytest.mark.parametrize("path", ["README.md", "directives/sub/X.toml", "directives/.x.toml"])
def test_a_path_a_pack_cannot_hold_is_refused(dc_files: dict[str, str], path: str) -> None:
    problems = problems_of({**dc_files, path: 'id = "x"\n'})
    assert [(p.file, p.line) for p in problems] == [(path, None)]
    assert "not a valid pack file name" in problems[0].message


def test_a_folder_names_its_files_by_their_path_on_disk(tmp_path: Path) -> None:
    root = tmp_path / "pack"
    (root / "directives").mkdir(parents=True)
    files = read_pack_files(shipped_pack_path("dc"))
    for path, text in files.items():
        (root / path).write_text(text, encoding="utf-8")
    (root / EO).write_text(files[EO].replace('label = "E2"', 'label = "E 2"'), encoding="utf-8")
    with pytest.raises(PackError) as caught:
        load_pack(root)
    assert {p.file for p in caught.value.problems} == {str(root / EO)}
