"""The documents stay true of the code (issue 9: docs kept true after the refactor).

Three things a refactor silently breaks, checked over README.md, docs/*.md and the
docstrings and comments of src/, tests/ and bench/:

- a cross-reference to a section (``docs/packs.md, "Changing a pack"``) names a heading
  of that document;
- a ``liaison ...`` command named in README.md or docs/ exists, with the options it is
  shown with;
- a module or name written ``liaison.x.y`` in backquotes imports.

(docs/architecture.md's table of modules is held by tests/test_architecture_doc.py.)
"""

from __future__ import annotations

import html
import importlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command

from liaison.cli import app

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
CODE = sorted(
    p
    for d in ("src", "tests", "bench")
    for p in (ROOT / d).rglob("*.py")
    if p.name != "test_docs_true.py"  # its examples are broken on purpose
)

# `docs/api.md, "Ids"`, `request-schema.md ("The decision")`, `dc-pack.md, "Decision"`
_SECTION_REF = re.compile(r'(?:docs/)?([a-z][\w-]*\.md)[,:]? \(?"')
_COMMAND = re.compile(r"(?<![\w/.-])liaison((?: [a-z][\w-]*)+)([^`\n|;)]*)")
_OPTION = re.compile(r"(?<![\w-])(--[a-z][\w-]*)")
_DOTTED = re.compile(r"\bliaison(?:\.[A-Za-z_]\w*)+(?![\w/])")  # not liaison.example/...
_QUOTED = re.compile(r"``([^`]+)``|`([^`\n]+)`")


def headings(doc: Path) -> set[str]:
    """The headings of ``doc``, each also without a closing parenthesis ("Checking the
    ledger independently (for an inspector general)" is cited without it)."""
    titles = {
        html.unescape(line.lstrip("#").strip())
        for line in doc.read_text(encoding="utf-8").splitlines()
        if line.startswith("#")
    }
    return titles | {re.sub(r" \([^()]*\)$", "", title) for title in titles}


def flowed(text: str) -> str:
    """``text`` with line breaks (and the comment markers that continue a comment) as one
    space, so a reference reflowed over two lines reads as written."""
    return re.sub(r"\s*\n\s*(?:#\s*)?", " ", text)


def broken_section_refs(text: str, where: str) -> Iterator[str]:
    """Each ``doc, "Section"`` in ``text`` whose document has no such heading."""
    text = flowed(text)
    for match in _SECTION_REF.finditer(text):
        doc = ROOT / "docs" / match.group(1)
        if not doc.exists():
            yield f"{where}: {match.group(0)}... names no document"
            continue
        titles = sorted(headings(doc), key=len, reverse=True)  # the longest that fits
        rest = text[match.end() - 1 :]
        while True:  # "A" and "B"
            title = next((t for t in titles if rest.startswith(f'"{t}"')), None)
            if title is None:
                yield f"{where}: {match.group(1)} has no section {rest[:60]}..."
                break
            rest = rest[len(title) + 2 :]
            if not rest.startswith(' and "'):
                break
            rest = rest[len(" and ") :]


def test_every_section_reference_names_a_heading() -> None:
    broken = [
        problem
        for path in [*DOCS, *CODE]
        for problem in broken_section_refs(
            path.read_text(encoding="utf-8"), str(path.relative_to(ROOT))
        )
    ]
    assert not broken, "\n".join(broken)


@pytest.mark.parametrize(
    ("text", "broken"),
    [
        ('(docs/api.md, "Routes")', 0),
        ('docs/api.md, "Ids" and "Encounters"', 0),
        ('docs/packs.md, "How "in force" is decided"', 0),
        ('request-schema.md ("The decision")', 0),
        ('docs/ledger.md, "The index is checked\n    # against the ledger"', 0),
        ('docs/api.md, "Ids and encounters"', 1),
        ('docs/packs.md ("Validation")', 1),
        ('docs/api.md, "Ids" and "Nothing"', 1),
        ('docs/nothing.md, "Routes"', 1),
    ],
)
def test_section_references_are_read_as_written(text: str, broken: int) -> None:
    assert len(list(broken_section_refs(text, "x"))) == broken


def _context(command: Any) -> Any:
    return type(command).context_class(command)


def command_problems(text: str, where: str) -> Iterator[str]:
    """Each ``liaison ...`` in ``text`` whose subcommand or option does not exist."""
    root: Any = get_command(app)
    for match in _COMMAND.finditer(text):
        words, command, path = match.group(1).split(), root, []
        for word in words:
            if not hasattr(command, "list_commands") or word not in command.list_commands(
                _context(command)
            ):
                break
            command = command.get_command(_context(command), word)
            path.append(word)
        if not path:
            continue  # prose: "liaison answers that"
        named = " ".join(["liaison", *path])
        rest = words[len(path) :]
        if hasattr(command, "list_commands") and rest:
            yield f"{where}: {named} has no command {rest[0]!r}"
        options = {"--help"}
        for param in command.params:
            options.update(param.opts, param.secondary_opts)
        for option in _OPTION.findall(" ".join(rest) + match.group(2)):
            if option not in options:
                yield f"{where}: {named} has no option {option}"


def test_every_command_in_the_docs_exists() -> None:
    problems = [
        problem
        for doc in [*DOCS, ROOT / "Makefile"]
        for problem in command_problems(doc.read_text(encoding="utf-8"), doc.name)
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        ("`liaison ledger verify --structure-only`", 0),
        ("`liaison decide [FILE|-] [--at T] [--view V] [--pack DIR]`", 0),
        ("liaison answers that", 0),
        ("`liaison ledger verify --bogus`", 1),
        ("`liaison keys frob`", 1),
    ],
)
def test_commands_are_read_as_written(text: str, problems: int) -> None:
    assert len(list(command_problems(text, "x"))) == problems


def resolves(dotted: str) -> bool:
    """Whether ``liaison.a.b.c`` names a module, or a name in the longest module it starts
    with."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            if not hasattr(found, name):
                return False
            found = getattr(found, name)
        return True
    return False


def test_every_dotted_name_imports() -> None:
    unresolved = sorted(
        f"{path.relative_to(ROOT)}: {dotted}"
        for path in [*DOCS, *CODE]
        for match in _QUOTED.finditer(path.read_text(encoding="utf-8"))
        for dotted in _DOTTED.findall(match.group(1) or match.group(2))
        if dotted != "liaison.db" and not resolves(dotted)  # var/liaison.db, a file
    )
    assert not unresolved, "\n".join(unresolved)


def test_a_name_that_is_gone_is_found() -> None:
    assert resolves("liaison.ledger.committer.GroupCommitter")
    assert not resolves("liaison.gateway.committer")
    assert not resolves("liaison.policy.engine.Engine.clear_cache")
