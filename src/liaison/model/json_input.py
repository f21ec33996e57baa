"""JSON input, read the same way by the HTTP API and the command line.

Every request body (a decision request, an event, a pack change) and every line given
to ``liaison decide`` goes through here before its model sees it, so both refuse the
same inputs and name the same field:

- the text is JSON (RFC 8259) in UTF-8 (§8.1; a leading byte-order mark is ignored);
  ``NaN`` and ``Infinity``, which Python's decoder accepts, are not JSON;
- nesting is at most ``MAX_DEPTH`` levels deep (RFC 8259 §9 lets a parser set the limit;
  a deeper text is refused, never a ``RecursionError``);
- every string and member name is Unicode text (I-JSON, RFC 7493 §2.1): no lone
  surrogate, which a JSON escape can spell (``"\\ud800"``); and no NUL (U+0000), which
  no stored text may hold;
- every number is finite and every integer within ±(2^53−1) (I-JSON §2.2), which the
  ledger's canonical form requires (RFC 8785 §3.2.2.3).

Each refusal is an ``InvalidRequest`` naming the field by its path
(``encounter.outcome.vehicles_stopped``, ``operation.partners[0].agency``), the same
path the models' own refusals are named by (``invalid_request_from``).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from liaison.errors import InvalidRequest
from liaison.ledger.canonical import MAX_EXACT_INTEGER

MAX_DEPTH = 32  # arrays and objects within one another; a request needs four
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")

M = TypeVar("M", bound=BaseModel)
Loc = list[str | int]


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


_DECODER = json.JSONDecoder(parse_constant=_not_json)


def decode_json(raw: str | bytes) -> Any:
    """The JSON value of ``raw`` (UTF-8 bytes or text); ``InvalidRequest`` if it is not."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidRequest(
                None, f"not valid JSON: not UTF-8 (undecodable byte at offset {exc.start})"
            ) from None
    try:
        return _DECODER.decode(raw.removeprefix("\ufeff"))
    except ValueError as exc:
        raise InvalidRequest(None, f"not valid JSON: {exc}") from None
    except RecursionError:
        raise InvalidRequest(None, "not valid JSON: nested too deeply") from None


def check_json(value: Any) -> None:
    """Refuse a decoded JSON value that breaks a rule above, naming the field."""
    if _clean(value, 0):
        return
    found = _problem(value, 0)
    if found is None:
        return
    loc, message = found
    loc.reverse()
    field = dotted(loc) if loc else None
    raise InvalidRequest(field, f"{field}: {message}" if field is not None else message)


def check_text(text: str, field: str) -> None:
    """Refuse ``text`` holding NUL or a lone surrogate, naming ``field``."""
    if _BAD_TEXT.search(text):
        raise InvalidRequest(field, f"{field}: {_text_problem(text)}")


def validate_object(model: type[M], raw: Any, what: str) -> M:
    """``raw`` (a decoded JSON value) as ``model``: a JSON object, held to the rules
    above, then validated by the model; ``InvalidRequest`` naming the field if not."""
    if not isinstance(raw, dict):
        raise InvalidRequest(None, f"{what} must be a JSON object")
    check_json(raw)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise invalid_request_from(exc) from None


def _text_problem(text: str) -> str:
    if "\x00" in text:
        return "text must not contain NUL (U+0000)"
    bad = _BAD_TEXT.search(text)
    code = ord(bad.group()) if bad else 0
    return f"text must be Unicode: a lone surrogate (U+{code:04X}) is not a character"


def _text_ok(text: str) -> bool:
    return "\x00" not in text if text.isascii() else _BAD_TEXT.search(text) is None


def _clean(value: Any, depth: int) -> bool:
    """Whether ``value`` breaks no rule: the common case, checked fast (``_problem``
    then finds where a value that is not clean goes wrong)."""
    kind = type(value)
    if kind is str:
        return _text_ok(value)
    if kind is dict:
        if depth >= MAX_DEPTH:
            return False
        for key, item in value.items():
            if not _text_ok(key):
                return False
            if not (_text_ok(item) if type(item) is str else _clean(item, depth + 1)):
                return False
        return True
    if kind is list:
        if depth >= MAX_DEPTH:
            return False
        return all(_clean(item, depth + 1) for item in value)  # lists are short: no loss
    if kind is int:
        return bool(-MAX_EXACT_INTEGER <= value <= MAX_EXACT_INTEGER)
    if kind is float:
        return math.isfinite(value)
    return value is None or kind is bool


def _problem(value: Any, depth: int) -> tuple[Loc, str] | None:
    """The first problem in ``value``: its path (innermost first) and what is wrong."""
    if isinstance(value, str):
        return None if _BAD_TEXT.search(value) is None else ([], _text_problem(value))
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        if -MAX_EXACT_INTEGER <= value <= MAX_EXACT_INTEGER:
            return None
        return [], f"integer out of range: at most ±{MAX_EXACT_INTEGER} (2^53−1, I-JSON)"
    if isinstance(value, float):
        return None if math.isfinite(value) else ([], "number out of range")
    if depth >= MAX_DEPTH:
        return [], f"nested more than {MAX_DEPTH} levels deep"
    found: tuple[Loc, str] | None = None
    if isinstance(value, dict):
        for key, item in value.items():
            if _BAD_TEXT.search(key):
                found = [], f"member name: {_text_problem(key)}"
            else:
                found = _problem(item, depth + 1)
            if found is not None:
                found[0].append(key)
                return found
    elif isinstance(value, list):
        for n, item in enumerate(value):
            found = _problem(item, depth + 1)
            if found is not None:
                found[0].append(n)
                return found
    return None


def dotted(loc: Loc | tuple[str | int, ...]) -> str:
    """A field's path: ``a.b[0].c``; text that is not Unicode is shown escaped."""
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
            continue
        if not item.isascii():
            item = item.encode("utf-8", "backslashreplace").decode("utf-8")
        parts.append(("." if parts else "") + item)
    return "".join(parts)


def _message(error: Any) -> str:
    kind = error["type"]
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field"
    text = str(error["msg"])
    return text.removeprefix("Value error, ")


def invalid_request_from(exc: ValidationError) -> InvalidRequest:
    """The InvalidRequest (first problem, field named) for a pydantic ValidationError."""
    first = exc.errors()[0]
    loc = tuple(first["loc"])
    field = dotted(loc) if loc else None  # an unknown key "" is named "", not None
    message = _message(first)
    extra = exc.error_count() - 1
    if extra:
        message += f" (and {extra} more problem(s))"
    if field is None:
        return InvalidRequest(None, message)
    return InvalidRequest(field, f"{field or repr(field)}: {message}")
