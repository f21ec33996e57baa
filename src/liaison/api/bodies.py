"""Reading request bodies: JSON, objects without NUL, and work off the event loop."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from liaison.errors import InvalidRequest


async def json_body(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise InvalidRequest(None, f"body is not valid JSON: {exc}") from None


def json_object(raw: Any, what: str) -> dict[str, Any]:
    """``raw`` as a JSON object without NUL characters (which no stored text may hold)."""
    if not isinstance(raw, dict):
        raise InvalidRequest(None, f"{what} must be a JSON object")
    where = _nul_at(raw, "")
    if where is not None:
        raise InvalidRequest(where or None, f"{where or what}: text must not contain NUL (U+0000)")
    return raw


def _nul_at(value: Any, path: str) -> str | None:
    """The dotted path of the first string (or key) holding U+0000 in ``value``, or None."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if "\x00" in key:
                return here
            found = _nul_at(item, here)
            if found is not None:
                return found
    elif isinstance(value, list):
        for n, item in enumerate(value):
            found = _nul_at(item, f"{path}[{n}]")
            if found is not None:
                return found
    return None


async def in_thread(fn: Any, *args: Any) -> Any:
    return await run_in_threadpool(fn, *args)
