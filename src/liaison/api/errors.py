"""One JSON error shape for the whole API: ``{"error": {"code", "message", "field"?}}``
(and ``problems``, each with its file and line, when a pack change is refused; ``choices``
when an id is ambiguous): ``LiaisonError.to_dict()``.

Each error class (``liaison.errors``) carries its HTTP status and the description the
OpenAPI document gives it; nothing here repeats them.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from liaison.errors import Ambiguous, LiaisonError, RateLimited, Unauthenticated


class PackProblemBody(BaseModel):
    """One problem of a directive pack, located by file (its path in the pack) and line
    (``liaison.errors.PackProblem`` in the error shape)."""

    file: str
    line: int | None = None
    message: str


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = None
    problems: list[PackProblemBody] | None = None  # every problem of a refused pack
    # What an ambiguous id names (``ambiguous``): the values of the query parameter ``field``.
    choices: list[str] | None = None


class ErrorResponse(BaseModel):
    """The one error shape of the API."""

    error: ErrorDetail


def error_classes() -> list[type[LiaisonError]]:
    """Every error class, the base first, then each one's subclasses (a breadth-first
    walk of the hierarchy)."""
    found: list[type[LiaisonError]] = []
    todo: list[type[LiaisonError]] = [LiaisonError]
    while todo:
        cls = todo.pop(0)
        if cls not in found:
            found.append(cls)
            todo.extend(cls.__subclasses__())
    return found


def _description(classes: list[type[LiaisonError]]) -> str:
    """The classes' descriptions, each naming its code, as one sentence."""
    parts = [f"{cls.description} (`{cls.code}`)" for cls in classes]
    return "; or ".join([parts[0], *(p[0].lower() + p[1:] for p in parts[1:])])


def _answered_with(status: int) -> list[type[LiaisonError]]:
    return [c for c in error_classes() if c.answered_by_api and c.status == status]


def error_responses(*statuses: int, ambiguous: bool = False) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the error statuses a route can return, in the one shape,
    each described by the error classes the API answers with it (a route that answers 401
    also answers 429: bad keys are rate-limited; ``ambiguous``: a read by id, whose 409 is
    only ever ``ambiguous``)."""
    if Unauthenticated.status in statuses:
        statuses = tuple(sorted({*statuses, RateLimited.status}))
    out: dict[int | str, dict[str, Any]] = {
        s: {"model": ErrorResponse, "description": _description(_answered_with(s))}
        for s in statuses
    }
    if ambiguous:
        out[Ambiguous.status] = {"model": ErrorResponse, "description": _description([Ambiguous])}
    return out


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    """The one shape, for errors that are not a ``LiaisonError`` (FastAPI's own)."""
    error: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        error["field"] = field
    return {"error": error}


def install(app: FastAPI) -> None:
    @app.exception_handler(LiaisonError)
    async def _liaison(_: Request, exc: LiaisonError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        if isinstance(exc, RateLimited):
            headers = {"Retry-After": str(exc.retry_after)}
        return JSONResponse({"error": exc.to_dict()}, status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
        field = ".".join(loc) or None
        message = f"{field}: {first.get('msg')}" if field else str(first.get("msg"))
        return JSONResponse(error_body("invalid_request", message, field), status_code=422)

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthenticated"}.get(
            exc.status_code, "http_error"
        )
        return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code)
