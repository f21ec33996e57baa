"""Reading the text of a pack's TOML files into checked documents, with a line for every problem.

The file formats are described in docs/packs.md. Structure and types are
checked with pydantic; ``TomlLocator`` maps an error's location (a key path
such as ``sections[2].label``) back to a line of the file. Files are read as text
(``liaison.policy.pack_files``): nothing here touches the file system.
"""

from __future__ import annotations

import re
import tomllib
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from liaison.errors import PackProblem
from liaison.model.timestamps import parse_instant

Instant = Annotated[datetime, BeforeValidator(parse_instant)]
Text = Annotated[str, Field(min_length=1)]
Kind = Literal[
    "federal_statute",
    "statute",
    "presidential_order",
    "attorney_general_order",
    "mayors_order",
    "chief_order",
    "department_configuration",
]

# How the section's text is known (ca-pack.md, "Marks"): read in a public copy of the text
# at ``source``; known from a secondary copy; or the encoding's own reading.
Evidence = Literal["verified", "secondary", "interpretation"]

_KEY = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=")
_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?")
_SYNTAX_LINE = re.compile(r"\(at line (\d+), column \d+\)")
_MASK = "~"


def _mask(text: str) -> str:
    """``text`` with every string (quotes included) and comment blanked, newlines kept.

    Lines inside multi-line strings (a policy, notes) then never look like keys or
    table headers, and brackets inside strings do not count.
    """
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "#":
            end = text.find("\n", i)
            end = n if end < 0 else end
            out.append(" " * (end - i))
            i = end
            continue
        if char not in "\"'":
            out.append(char)
            i += 1
            continue
        delim = char * 3 if text.startswith(char * 3, i) else char
        j = i + len(delim)
        while j < n:
            if char == '"' and text[j] == "\\":
                j += 2
                continue
            if text.startswith(delim, j):
                j += len(delim)
                while len(delim) == 3 and j < n and text[j] == char and j - i < 2 * 3 + 2:
                    j += 1  # a multi-line string may end with one or two extra quotes
                break
            if len(delim) == 1 and text[j] == "\n":
                break  # unterminated one-line string (a syntax error, reported by tomllib)
            j += 1
        out.append("".join("\n" if c == "\n" else _MASK for c in text[i:j]))
        i = j
    return "".join(out)


class TomlLocator:
    """Finds the line of a key path in a TOML file written in the docs/packs.md style."""

    def __init__(self, text: str) -> None:
        self._lines = text.split("\n")
        self._code = _mask(text).split("\n")

    def line_of(self, loc: tuple[int | str, ...]) -> int | None:
        """Line of the key (or array element) at ``loc``; its table's header, or 1, if absent."""
        found = self._key_line(loc)
        if found is not None:
            return found
        if len(loc) >= 2 and isinstance(loc[0], str) and isinstance(loc[1], int):
            # an element of an inline array (`authority = [{...}, ...]`), not an array of tables
            key_line = self._key_line(loc[:1])
            if key_line is not None:
                return self._element_line(key_line, loc[1])
        header = self._header_line(loc)
        if header is not None:
            return header
        return 1 if loc else None

    def line_of_value(self, loc: tuple[int | str, ...], needle: str) -> int | None:
        """Line, within the value of the key at ``loc``, of the string ``needle``.

        For references in a (multi-line) array: the line of the entry naming ``needle``.
        Falls back to the key's line.
        """
        key_line = self._key_line(loc)
        if key_line is None:
            return self.line_of(loc)
        quoted = (f'"{needle}"', f"'{needle}'")
        for number in range(key_line, self._value_end(key_line) + 1):
            if any(q in self._lines[number - 1] for q in quoted):
                return number
        return key_line

    def _target(self, loc: tuple[int | str, ...]) -> tuple[str | None, int, str | None]:
        """(table, index among tables of that name, key) addressed by ``loc``."""
        if len(loc) >= 2 and isinstance(loc[0], str) and isinstance(loc[1], int):
            return loc[0], loc[1], (str(loc[2]) if len(loc) > 2 else None)
        if len(loc) >= 2 and loc[0] == "views":
            return f"views.{loc[1]}", 0, (str(loc[2]) if len(loc) > 2 else None)
        return None, 0, (str(loc[0]) if loc else None)

    def _key_line(self, loc: tuple[int | str, ...]) -> int | None:
        want_table, want_index, key = self._target(loc)
        if key is None:
            return None
        table: str | None = None
        index = -1
        for number, raw in enumerate(self._code, start=1):
            header = _HEADER.match(raw)
            if header:
                table = header.group(2)
                index = index + 1 if table == want_table else index
                continue
            match = _KEY.match(raw)
            same_table = table == want_table and (want_table is None or index == want_index)
            if match and match.group(1) == key and same_table:
                return number
        return None

    def _header_line(self, loc: tuple[int | str, ...]) -> int | None:
        want_table, want_index, _ = self._target(loc)
        if want_table is None:
            return None
        index = -1
        for number, raw in enumerate(self._code, start=1):
            header = _HEADER.match(raw)
            if header and header.group(2) == want_table:
                index += 1
                if index == want_index:
                    return number
        return None

    def _value_chars(self, key_line: int) -> list[tuple[int, str]]:
        """(line, char) of the masked text from just after the ``=`` on ``key_line``."""
        first = self._code[key_line - 1]
        chars = [(key_line, c) for c in first[first.index("=") + 1 :]]
        for number in range(key_line + 1, len(self._code) + 1):
            chars.append((number - 1, "\n"))
            chars.extend((number, c) for c in self._code[number - 1])
        return chars

    def _value_end(self, key_line: int) -> int:
        """Last line of the value of the key on ``key_line`` (brackets balanced)."""
        depth = 0
        for number, char in self._value_chars(key_line):
            if char in "[{":
                depth += 1
            elif char in "]}":
                depth -= 1
                if depth <= 0:
                    return number
            elif depth == 0 and not char.isspace():
                return number  # a scalar value
        return key_line

    def _element_line(self, key_line: int, wanted: int) -> int:
        """Line where element ``wanted`` of the inline array on ``key_line`` begins."""
        depth = 0
        element = -1
        expecting = False
        for number, char in self._value_chars(key_line):
            if depth == 1 and expecting and not char.isspace() and char not in ",]":
                element += 1
                expecting = False
                if element == wanted:
                    return number
            if char in "[{":
                depth += 1
                expecting = expecting or depth == 1
            elif char in "]}":
                depth -= 1
                if depth <= 0:
                    break
            elif char == "," and depth == 1:
                expecting = True
        return key_line


def dotted(loc: tuple[int | str, ...]) -> str:
    out = ""
    for item in loc:
        out += f"[{item}]" if isinstance(item, int) else (f".{item}" if out else item)
    return out


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PackDoc(_Doc):
    id: Text
    name: Text
    jurisdiction: Text
    timezone: Text
    state: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = None  # home state, postal code


class ViewDoc(_Doc):
    description: str = ""
    excludes: list[Text] | None = None
    recognises: list[Text] | None = None

    @model_validator(mode="after")
    def _one_way(self) -> ViewDoc:
        if self.excludes is not None and self.recognises is not None:
            raise ValueError("give either 'excludes' or 'recognises', not both")
        return self


class ViewsDoc(_Doc):
    default: Text
    views: dict[str, ViewDoc] = Field(min_length=1)


class AuthorityDoc(_Doc):
    directive: Text | None = None
    external: Text | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> AuthorityDoc:
        if (self.directive is None) == (self.external is None):
            raise ValueError("an authority names exactly one of 'directive' or 'external'")
        return self


class ReferenceDoc(_Doc):
    directive: Text
    sections: list[Text] | None = None


class SourceDoc(_Doc):
    title: Text
    url: str | None = None
    date: str | None = None


class SectionDoc(_Doc):
    label: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$")]
    heading: str = ""
    text: Text
    text_kind: Literal["quote", "paraphrase"]
    source: Text
    evidence: Evidence | None = None
    interpretation: str = ""
    policy: str = ""


class DirectiveDoc(_Doc):
    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$")]
    title: Text
    kind: Kind
    issuer: Text
    issuer_name: str | None = None
    issued_at: Instant
    effective_from: Instant
    effective_until: Instant | None = None
    authority: list[AuthorityDoc] = []
    rescinds: list[ReferenceDoc] = []
    supersedes: list[ReferenceDoc] = []
    notes: str = ""
    sources: list[SourceDoc] = []
    sections: list[SectionDoc] = Field(min_length=1)


Doc = TypeVar("Doc", bound=_Doc)


def read_doc(
    file: str, text: str, model: type[Doc], problems: list[PackProblem]
) -> tuple[Doc, str] | None:
    """Parse and check the TOML ``text`` of ``file`` (the name problems give it); append
    every problem found; None when unusable."""
    try:
        raw: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)  # Python 3.14+
        if line is None:  # before 3.14 the position is only in the message
            found = _SYNTAX_LINE.search(str(exc))
            line = int(found.group(1)) if found else None
        problems.append(PackProblem(file, line, f"TOML syntax error: {exc}"))
        return None
    except RecursionError:  # tomllib recurses per nested array or inline table
        problems.append(PackProblem(file, None, "TOML nested too deeply"))
        return None
    try:
        return model.model_validate(raw), text
    except ValidationError as exc:
        locator = TomlLocator(text)
        for error in exc.errors():
            loc = tuple(error["loc"])
            message = "required key is missing" if error["type"] == "missing" else error["msg"]
            if error["type"] == "extra_forbidden":
                message = "unknown key"
            message = str(message).removeprefix("Value error, ")
            where = dotted(loc)
            problems.append(
                PackProblem(file, locator.line_of(loc), f"{where}: {message}" if where else message)
            )
        return None
