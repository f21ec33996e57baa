"""One JSON error shape for the whole API: ``{"error": {"code", "message", "field"?}}``
(and ``problems``, each with its file and line, when a pack change is refused; ``choices``
when an id is ambiguous): ``LiaisonError.to_dict()``.

Each error class (``liaison.errors``) carries its HTTP status and the description the
OpenAPI document gives it; nothing here repeats them. Each route declares the classes it
can answer (``error_responses``), so its document names exactly their codes.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from liaison.errors import (
    Ambiguous,
    Forbidden,
    IntegrityFailure,
    InvalidRequest,
    LedgerError,
    LiaisonError,
    NotFound,
    RateLimited,
    Unauthenticated,
    Unavailable,
)
from liaison.web.error_pages import error_page, is_page


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


# What authentication itself answers besides 401: too many bad keys from one address (429),
# and too many legacy (argon2) key checks at once (503 ``unavailable``; ``gateway.auth``).
# Every route that takes a key can answer them.
AUTHENTICATION: tuple[type[LiaisonError], ...] = (Unauthenticated, RateLimited, Unavailable)
# Reading one record by its id (``GET /v1/decisions/{id}``, ``GET /v1/encounters/{id}``):
# ids are per actor or unit, so one the key may read several of is ambiguous (409).
RECORD_READ: tuple[type[LiaisonError], ...] = (
    Unauthenticated,
    Forbidden,
    NotFound,
    Ambiguous,
    InvalidRequest,
    IntegrityFailure,
    LedgerError,
)


def error_responses(*classes: type[LiaisonError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the error classes a route can answer with, in the one
    shape: one response per status, described by exactly the route's classes of that
    status, each naming its code (a route that answers ``Unauthenticated`` also answers
    the rest of ``AUTHENTICATION``). FastAPI's own 422 (a query or path parameter) is
    ``InvalidRequest``."""
    chosen = set(classes)
    if Unauthenticated in chosen:
        chosen.update(AUTHENTICATION)
    never = sorted(c.__name__ for c in chosen if not c.answered_by_api)
    if never:
        raise ValueError(f"the API never answers with {', '.join(never)}")
    ordered = [c for c in error_classes() if c in chosen]  # the hierarchy's order
    return {
        status: {
            "model": ErrorResponse,
            "description": _description([c for c in ordered if c.status == status]),
        }
        for status in sorted({c.status for c in ordered})
    }


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    """The one shape, for errors that are not a ``LiaisonError`` (FastAPI's own)."""
    error: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        error["field"] = field
    return {"error": error}


def install(app: FastAPI) -> None:
    @app.exception_handler(LiaisonError)
    async def _liaison(request: Request, exc: LiaisonError) -> Response:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
        if isinstance(exc, RateLimited):
            headers = {"Retry-After": str(exc.retry_after)}
        if is_page(request):
            page = error_page(request, exc.status, exc.code, str(exc))
            if exc.status != 401:  # 401 is a redirect to sign in
                page.headers.update(headers)
            return page
        return JSONResponse({"error": exc.to_dict()}, status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
        field = ".".join(loc) or None
        message = f"{field}: {first.get('msg')}" if field else str(first.get("msg"))
        if is_page(request):
            return error_page(request, 422, "invalid_request", message)
        return JSONResponse(error_body("invalid_request", message, field), status_code=422)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthenticated"}.get(
            exc.status_code, "http_error"
        )
        if is_page(request):
            return error_page(request, exc.status_code, code, str(exc.detail))
        return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code)
