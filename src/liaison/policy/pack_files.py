"""Reading a pack's TOML files into checked documents, with file and line for every problem.

The file formats are described in docs/packs.md. Structure and types are
checked with pydantic; ``TomlLocator`` maps an error's location (a key path
such as ``sections[2].label``) back to a line of the file.
"""

from __future__ import annotations

import re
import tomllib
from datetime import datetime
from pathlib import Path
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

_KEY = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=")
_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?")


class TomlLocator:
    """Finds the line of a key path in a TOML file written in the docs/packs.md style."""

    def __init__(self, text: str) -> None:
        self._lines = text.splitlines()

    def line_of(self, loc: tuple[int | str, ...]) -> int | None:
        table: str | None = None
        index = -1
        want_table: str | None = None
        want_index = 0
        key: str | None = None
        if len(loc) >= 2 and isinstance(loc[0], str) and isinstance(loc[1], int):
            want_table, want_index = loc[0], loc[1]
            key = str(loc[2]) if len(loc) > 2 else None
        elif len(loc) >= 2 and loc[0] == "views":
            want_table, want_index, key = (
                f"views.{loc[1]}",
                0,
                (str(loc[2]) if len(loc) > 2 else None),
            )
        else:
            key = str(loc[0]) if loc else None
        header_line: int | None = None
        for number, raw in enumerate(self._lines, start=1):
            header = _HEADER.match(raw)
            if header:
                table = header.group(2)
                index = index + 1 if table == want_table else index
                if table == want_table and index == want_index:
                    header_line = number
                continue
            match = _KEY.match(raw)
            if not match or match.group(1) != key:
                continue
            in_wanted = want_table is None and table is None
            in_wanted = in_wanted or (table == want_table and index == want_index)
            if in_wanted:
                return number
        if header_line is not None:
            return header_line
        return 1 if loc else None


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


def read_doc(path: Path, model: type[Doc], problems: list[PackProblem]) -> tuple[Doc, str] | None:
    """Parse and check one TOML file; append every problem found; None when unusable."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(PackProblem(str(path), None, f"cannot read file: {exc}"))
        return None
    try:
        raw: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        problems.append(PackProblem(str(path), line, f"TOML syntax error: {exc}"))
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
                PackProblem(
                    str(path), locator.line_of(loc), f"{where}: {message}" if where else message
                )
            )
        return None
