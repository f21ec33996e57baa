"""Reading request bodies: ``application/json`` only, bounded in size, decoded by the
rules every JSON input follows (``liaison.model.json_input``).

A body over the deployment's limit (``LIAISON_MAX_BODY_BYTES``) is refused with 413
before it is read when its ``Content-Length`` says so, and otherwise as soon as the
bytes received pass the limit (a chunked body is counted as it streams): no more than
the limit is ever held in memory. A body sent as anything but ``application/json``
(RFC 8259 §11; a ``charset`` parameter, if any, must be UTF-8) is refused with 415.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.requests import ClientDisconnect

from liaison.errors import InvalidRequest, PayloadTooLarge, UnsupportedMediaType
from liaison.model.json_input import decode_json


async def json_body(request: Request) -> Any:
    """The decoded JSON body of ``request`` (``InvalidRequest`` if it is not JSON)."""
    _check_media_type(request.headers.get("content-type"))
    return decode_json(await _read(request, request.app.state.max_body_bytes))


def _check_media_type(value: str | None) -> None:
    kind, _, parameters = (value or "").partition(";")
    if kind.strip().lower() != "application/json":
        raise UnsupportedMediaType(
            f"send the body as application/json, not {value.strip() if value else 'untyped'}"
        )
    for parameter in parameters.split(";"):
        name, _, setting = parameter.partition("=")
        charset = setting.strip().strip('"').lower()
        if name.strip().lower() == "charset" and charset not in ("utf-8", "utf8"):
            raise UnsupportedMediaType(f"a JSON body is UTF-8, not {setting.strip()}")


async def _read(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            chunks.append(chunk)
    except ClientDisconnect:  # nobody reads the answer; the log says what happened
        raise InvalidRequest(None, "the client went away before sending the whole body") from None
    return b"".join(chunks)


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"the body is larger than {limit} bytes (LIAISON_MAX_BODY_BYTES)")
