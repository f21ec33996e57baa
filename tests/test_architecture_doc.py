"""docs/architecture.md stays true (issue 9, item 9): every module of ``src/liaison/`` is
named in it, every ``src/liaison/`` path it names exists, and its drawings name modules,
methods and functions that exist.

A path is named in backquotes. In a table row, a bare file name after a full path is in
that path's folder (``src/liaison/api/app.py``, ``errors.py`` names ``api/errors.py``).
``__init__.py`` files need no row; the Alembic scripts are named by their folder.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"
PACKAGE = "src/liaison"
# Folders named whole: their modules are steps of one thing (the schema's revisions), not
# concepts of their own.
NAMED_WHOLE = ("src/liaison/storage/migrations/",)

_QUOTED = re.compile(r"`([^`\s]+)`")


def named_paths(text: str) -> set[str]:
    """Every ``src/liaison/`` path the text names (folders end in ``/``)."""
    named: set[str] = set()
    for line in text.splitlines():
        folder: PurePosixPath | None = None
        for token in _QUOTED.findall(line):
            if token.startswith(f"{PACKAGE}/"):
                named.add(token)
                folder = PurePosixPath(token).parent
            elif folder is not None and re.fullmatch(r"[\w.]+\.py", token):
                named.add(str(folder / token))
    return named


def modules() -> set[str]:
    """Every module of the package, as a path from the repository root."""
    return {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / PACKAGE).rglob("*.py")
        if path.name != "__init__.py"
    }


def test_every_module_is_named() -> None:
    named = named_paths(DOC.read_text(encoding="utf-8"))
    missing = sorted(
        module for module in modules() if module not in named and not module.startswith(NAMED_WHOLE)
    )
    assert not missing, f"modules not named in {DOC.name}: {missing}"


def test_every_named_path_exists() -> None:
    named = named_paths(DOC.read_text(encoding="utf-8"))
    gone = sorted(path for path in named if not (ROOT / path).exists())
    assert not gone, f"{DOC.name} names paths that do not exist: {gone}"
    for folder in NAMED_WHOLE:
        assert folder in named, f"{folder} is named whole but not named in {DOC.name}"


@pytest.mark.parametrize(
    ("line", "paths"),
    [
        ("| x | `src/liaison/a/b.py` |", {"src/liaison/a/b.py"}),
        ("| x | `src/liaison/a/b.py`, `c.py` |", {"src/liaison/a/b.py", "src/liaison/a/c.py"}),
        ("| x | `c.py` |", set()),  # a bare name with no folder before it names nothing
        ("| x | `src/liaison/m/` |", {"src/liaison/m/"}),
        ("| x | `packs/dc/`, `bench/` |", set()),
    ],
)
def test_paths_are_read_as_the_table_writes_them(line: str, paths: set[str]) -> None:
    assert named_paths(line) == paths


def test_a_module_missing_from_the_doc_is_found() -> None:
    """The check can fail: a doc without the engine's row misses exactly that module."""
    text = DOC.read_text(encoding="utf-8")
    row = next(line for line in text.splitlines() if "`src/liaison/policy/engine.py`" in line)
    named = named_paths(text.replace(row, ""))
    assert "src/liaison/policy/engine.py" not in named
    assert named_paths(text) - named == {"src/liaison/policy/engine.py"}


# -- the drawings name what exists ---------------------------------------------------------------

_FOLDERS = "api|cli|demo|gateway|ledger|model|policy|reports|storage"
_MODULE = re.compile(rf"\b(?:{_FOLDERS})/[\w/]*\w")
_METHOD = re.compile(r"\b([A-Z][A-Za-z]+)\.([a-z_]+)")
_FUNCTION = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")


def drawings(text: str) -> str:
    """The text of the page's drawings (its fenced blocks)."""
    return "\n".join(text.split("```")[1::2])


def missing_from_the_code(drawn: str) -> list[str]:
    """What the drawings name that ``src/liaison/`` does not hold: a module (``gateway/
    deciding``), a method (``Ledger.append_many``: a class of that name defines it) or a
    function or name (``write_index``)."""
    sources = [path.read_text(encoding="utf-8") for path in (ROOT / PACKAGE).rglob("*.py")]
    every = "\n".join(sources)
    gone = [
        name
        for name in sorted(set(_MODULE.findall(drawn)))
        if not (ROOT / PACKAGE / f"{name}.py").exists() and not (ROOT / PACKAGE / name).is_dir()
    ]
    for cls, method in sorted(set(_METHOD.findall(drawn))):
        defines = re.compile(rf"^class {cls}\b[\s\S]*?^    (?:async )?def {method}\b", re.M)
        if not any(defines.search(source) for source in sources):
            gone.append(f"{cls}.{method}")
    for name in sorted(set(_FUNCTION.findall(drawn))):
        if not re.search(rf"\b{name}\b", every):
            gone.append(name)
    return gone


def test_the_drawings_name_modules_methods_and_functions_that_exist() -> None:
    drawn = drawings(DOC.read_text(encoding="utf-8"))
    assert "Engine.decide" in drawn
    assert missing_from_the_code(drawn) == []


def test_a_drawing_naming_what_is_gone_is_found() -> None:
    """The check can fail: an old module, method and function name are each found."""
    drawn = "Ledger.checkpoint (ledger/store_old) → verify_ledger; Engine.clear_cache"
    assert missing_from_the_code(drawn) == [
        "ledger/store_old",
        "Engine.clear_cache",
        "clear_cache",
        "store_old",
        "verify_ledger",
    ]
