"""The body of a page's form (issue 11, item 2): ``application/x-www-form-urlencoded``
(WHATWG URL standard, "application/x-www-form-urlencoded parsing"), read up to a bound and
parsed here (no multipart: no form of the pages sends files). Another media type is 415, a
larger body 413, a field given twice or a body that is not UTF-8 422 naming it."""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import Request

from liaison.errors import InvalidRequest, PayloadTooLarge, UnsupportedMediaType

FORM = "application/x-www-form-urlencoded"
MAX_FORM_BYTES = 4096  # a sign-in form is an API key (~60 bytes), a path and a token
MAX_FIELDS = 8


async def read_form(request: Request, limit: int = MAX_FORM_BYTES) -> dict[str, str]:
    """The fields of the request's form body, each once."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != FORM:
        raise UnsupportedMediaType(f"a form is sent as {FORM}")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"a form body is at most {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"a form body is at most {limit} bytes")
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS, errors="strict")
    except UnicodeDecodeError:
        raise InvalidRequest(None, "the form is not UTF-8") from None
    except ValueError:
        raise InvalidRequest(None, f"a form has at most {MAX_FIELDS} fields") from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in fields:
            raise InvalidRequest(name, f"{name}: given more than once")
        fields[name] = value
    return fields
