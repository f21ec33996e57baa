"""The request log: one structured event per HTTP request (pure ASGI, no buffering).

Every response carries ``X-Request-ID`` (the caller's, when it is a plain token, else a
new one), and the id is bound to every log event made while the request is handled.
Each request is logged when the access log is on; failures (5xx) always are, and an
unexpected exception is logged here with its traceback and the request id, and answered
in the one error shape. Events hold the method, path, status, duration and API key id,
never a key or a body.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import structlog

from liaison.errors import LiaisonError
from liaison.logs import get_logger

log = get_logger("liaison.api")
_TOKEN = re.compile(r"[A-Za-z0-9._:-]{1,128}")

Scope = dict[str, Any]


class RequestLog:
    def __init__(self, app: Any, every: bool = False) -> None:
        self.app = app
        self.every = every

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        started = time.perf_counter()
        status = 500
        responded = False

        async def respond(message: dict[str, Any]) -> None:
            nonlocal status, responded
            if message["type"] == "http.response.start":
                status, responded = message["status"], True
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, respond)
            except Exception as exc:  # not a LiaisonError (those are answered inside)
                log.error("unexpected_error", path=scope.get("path"), exc_info=exc)
                if not responded:
                    await _internal_error(respond, exc)
            finally:
                if self.every or status >= 500:
                    _log_request(scope, status, time.perf_counter() - started)


async def _internal_error(respond: Any, exc: Exception) -> None:
    """The one error shape, for a failure nothing else answered (logged with its trace)."""
    error = LiaisonError(type(exc).__name__)  # the base class: ``internal_error``, 500
    body = json.dumps({"error": error.to_dict()}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await respond({"type": "http.response.start", "status": error.status, "headers": headers})
    await respond({"type": "http.response.body", "body": body})


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            text = str(value.decode("latin-1"))
            if _TOKEN.fullmatch(text):
                return text
    return uuid.uuid4().hex


def _log_request(scope: Scope, status: int, seconds: float) -> None:
    state = scope.get("state") or {}
    fields = {
        "method": scope.get("method"),
        "path": scope.get("path"),
        "status": status,
        "duration_ms": round(seconds * 1000, 2),
        "key_id": state.get("key_id"),
    }
    if status >= 500:
        log.error("request", **fields)
    else:
        log.info("request", **fields)
