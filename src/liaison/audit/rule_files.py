"""The audit's rule files read strictly: the purpose classifier's rules (``purposes.toml``)
and the organisation table (``organisations.toml``), both shipped as data in
``liaison/audit/rules/`` (docs/audit.md, "Classifying purposes" and "Organisations").

Structure and types are checked with pydantic (unknown keys, wrong types, unknown purposes
or recipient types, bad regular expressions, duplicate ids or names are errors); every
problem raises ``AuditInputError`` naming the file, the line and the key.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from liaison.errors import AuditInputError
from liaison.model.vocabulary import Purpose, RecipientType
from liaison.policy.pack_toml import TomlLocator, dotted

RULES_DIR = Path(__file__).resolve().parent / "rules"
Id = Annotated[str, Field(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")]
Version = Annotated[str, Field(pattern=r"^\d{4}\.\d{1,2}\.\d+$")]
# a phrase or name: at least one letter or digit (what is matched is its words)
Words = list[Annotated[str, Field(pattern=r"[^\W_]")]]
StateCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
Kind = Literal["guard", "immigration", "review", "agency", "ordinary", "none"]


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SpellingDoc(_Doc):
    fuzzy: Words = []
    ordinary: Words = []
    variants: dict[str, str] = {}


class RuleDoc(_Doc):
    id: Id
    kind: Kind
    note: str = ""
    phrases: Words = []
    patterns: Words = []
    case_sensitive: bool = False
    codes: dict[str, str] = {}
    database: str | None = None
    purposes: list[Purpose] = []
    recipient: RecipientType | None = None
    vague: bool = False

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            if "(?P" in pattern:
                raise ValueError(f"pattern {pattern!r}: named groups are not allowed")
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(
                    f"pattern {pattern!r} is not a regular expression: {exc}"
                ) from None
        return patterns

    def reads_codes(self) -> bool:
        return bool(self.codes) or self.database is not None


class PurposesDoc(_Doc):
    version: Version
    spelling: SpellingDoc = SpellingDoc()
    rule: list[RuleDoc] = Field(min_length=1)


class OrganisationDoc(_Doc):
    id: Id
    type: Literal["federal_immigration", "federal_other", "state_local", "private", "unknown"]
    note: str = ""
    names: Words = Field(min_length=1)
    when_state: Literal["any", "absent", "named"] = "any"
    state: StateCode | None = None


class OrganisationsDoc(_Doc):
    version: Version
    organisation: list[OrganisationDoc] = Field(min_length=1)


D = TypeVar("D", bound=_Doc)


def read_rule_file(path: Path, model: type[D]) -> tuple[D, str]:
    """The document of ``path`` checked against ``model``, and the SHA-256 of its bytes;
    ``AuditInputError`` naming the file, line and key of the first problem."""
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except OSError as exc:
        raise AuditInputError(f"{path}: cannot read the rule file: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise AuditInputError(f"{path}: not UTF-8 text (byte {exc.start + 1})") from None
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AuditInputError(f"{path}: not valid TOML: {exc}") from None
    try:
        doc = model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = tuple(error["loc"])
        line = TomlLocator(text).line_of(_key_path(loc))
        key = dotted(loc) or "(top level)"
        raise AuditInputError(f"{path}:{line}: {key}: {error['msg']}", field=key) from None
    return doc, hashlib.sha256(raw).hexdigest()


def _key_path(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    """The key path of a pydantic location, as ``TomlLocator`` reads it: a table's key
    (``[[rule]]`` element 3, key ``purposes``), not the value's index inside a list."""
    while len(loc) > 2 and isinstance(loc[-1], int):
        loc = loc[:-1]
    return loc


def duplicate(values: list[str]) -> str | None:
    """The first value that occurs twice, or None."""
    seen: set[str] = set()
    for value in values:
        if value in seen:
            return value
        seen.add(value)
    return None


def problem(path: Path, text_line: int | None, key: str, message: str) -> AuditInputError:
    """An error located at a line and key of a rule file."""
    where = f"{path}:{text_line}" if text_line is not None else str(path)
    return AuditInputError(f"{where}: {key}: {message}", field=key)


def line_of(path: Path, loc: tuple[int | str, ...]) -> int | None:
    """The line of the key at ``loc`` in the rule file ``path``."""
    return TomlLocator(path.read_text(encoding="utf-8")).line_of(loc)
