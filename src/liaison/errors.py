"""The one error hierarchy of liaison.

Every error has a stable machine ``code`` and renders to one JSON shape
(``{"code", "message", ...}``) used by the CLI and, later, the HTTP API.
No error path ever yields a permit: callers that catch a ``LiaisonError``
while deciding must deny.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class LiaisonError(Exception):
    """Base class: a failure with a stable code and a human message."""

    code = "liaison_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}


class InvalidRequest(LiaisonError):
    """An action request that does not conform to request-schema.md.

    ``field`` is the dotted path of the offending field (``subject.custody``),
    or ``None`` when the input is not a JSON object at all.
    """

    code = "invalid_request"

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "field": self.field, "message": self.message}


@dataclass(frozen=True, slots=True)
class PackProblem:
    """One problem found in a directive pack, located by file and line."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.message}"


class PackError(LiaisonError):
    """A directive pack that failed validation. It is never used."""

    code = "invalid_pack"

    def __init__(self, problems: list[PackProblem]) -> None:
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"directive pack is invalid ({len(problems)} problem(s)):\n{lines}")
        self.problems = problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": f"directive pack is invalid ({len(self.problems)} problem(s))",
            "problems": [
                {"file": p.file, "line": p.line, "message": p.message} for p in self.problems
            ],
        }


class NotFound(LiaisonError):
    """A named thing (directive, view, section) that does not exist."""

    code = "not_found"


class Ambiguous(LiaisonError):
    """An id that names several records the caller may read (ids are scoped: a decision's
    to its actor, an encounter's to its unit). ``field`` is the query parameter that
    chooses one (``actor``, ``unit``); ``choices`` are its values, sorted."""

    code = "ambiguous"

    def __init__(self, message: str, field: str, choices: list[str]) -> None:
        super().__init__(message)
        self.field = field
        self.choices = choices

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "field": self.field,
            "choices": self.choices,
        }


class IntegrityFailure(LiaisonError):
    """What the database holds disagrees with the ledger (a pack row, an index row): the
    service refuses to act on it (fail closed) until the database is repaired."""

    code = "integrity"


class PayloadTooLarge(LiaisonError):
    """A request body larger than the deployment allows (``LIAISON_MAX_BODY_BYTES``)."""

    code = "payload_too_large"


class UnsupportedMediaType(LiaisonError):
    """A request body not sent as ``application/json`` (UTF-8)."""

    code = "unsupported_media_type"
