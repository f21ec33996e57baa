"""One JSON error shape for the whole API: ``{"error": {"code", "message", "field"?}}``
(and ``problems``, each with its file and line, when a pack change is refused).

The codes are those of ``liaison.errors`` and its subclasses; each maps to one
HTTP status.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from liaison.api.ratelimit import RateLimited
from liaison.errors import LiaisonError

STATUS = {
    "invalid_request": 422,
    "unauthenticated": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "rate_limited": 429,
    "ambiguous": 409,
    "signer_refused": 409,  # the tree does not extend the last one the key signed
    "invalid_pack": 422,
    "payload_too_large": 413,
    "unsupported_media_type": 415,
    "unavailable": 503,
    "integrity": 503,  # the database disagrees with the ledger: nothing is decided or served
    "pack_changed": 503,  # retried inside the gateway; never expected out here
}


class Problem(BaseModel):
    """One problem of a directive pack, located by file (its path in the pack) and line."""

    file: str
    line: int | None = None
    message: str


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = None
    problems: list[Problem] | None = None  # every problem of a refused pack (invalid_pack)
    # What an ambiguous id names (``ambiguous``): the values of the query parameter ``field``.
    choices: list[str] | None = None


class ErrorResponse(BaseModel):
    """The one error shape of the API."""

    error: ErrorDetail


_DESCRIPTIONS = {
    401: "No API key, or an unknown, malformed or revoked one (`unauthenticated`)",
    403: "The key's role may not do this (`forbidden`)",
    404: "Not found, or not visible to the key (`not_found`)",
    409: "The actor's id was already used for a different request or event, or a pack change "
    "was made against a pack that is no longer in force (`conflict`); or the encounter id "
    "a record names is shared with the actor's unit by several units (`ambiguous`)",
    413: "The body is larger than the deployment allows (`payload_too_large`)",
    415: "The body is not sent as `application/json` (UTF-8) (`unsupported_media_type`)",
    422: "The request is invalid; `field` names the offending field (`invalid_request`), "
    "or a pack change would make an invalid pack; `problems` lists each (`invalid_pack`)",
    429: "Too many bad API keys from this client address; retry after `Retry-After` seconds "
    "(`rate_limited`)",
    503: "The service could not decide now; retry (`unavailable`), or the database "
    "disagrees with the ledger and nothing is decided or served from it (`integrity`)",
}


_AMBIGUOUS = (
    "The id names several records the key may read (ids are per actor, encounter ids per "
    "unit); `choices` lists the values of the query parameter `field` that choose one "
    "(`ambiguous`)"
)


def error_responses(*statuses: int, ambiguous: bool = False) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the error statuses a route can return, in the one shape
    (a route that answers 401 also answers 429: bad keys are rate-limited; ``ambiguous``:
    a read by id that can answer 409 ``ambiguous``)."""
    if 401 in statuses:
        statuses = tuple(sorted({*statuses, 429}))
    out: dict[int | str, dict[str, Any]] = {
        s: {"model": ErrorResponse, "description": _DESCRIPTIONS[s]} for s in statuses
    }
    if ambiguous:
        out[409] = {"model": ErrorResponse, "description": _AMBIGUOUS}
    return out


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        error["field"] = field
    return {"error": error}


def install(app: FastAPI) -> None:
    @app.exception_handler(LiaisonError)
    async def _liaison(_: Request, exc: LiaisonError) -> JSONResponse:
        body = exc.to_dict()
        status = STATUS.get(exc.code, 500)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        if isinstance(exc, RateLimited):
            headers = {"Retry-After": str(exc.retry_after)}
        return JSONResponse({"error": body}, status_code=status, headers=headers)

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
