"""Canonical JSON per RFC 8785 (JSON Canonicalization Scheme, JCS).

For most values JCS output equals compact ``json.dumps`` with sorted keys and no
ASCII escaping: the escapes agree, and key order agrees unless a key holds a
character from U+E000 up (where UTF-16 order, which JCS uses, differs from
code point order). The fast path serialises with ``json.dumps`` and re-reads
the text with C-speed ``json.loads`` hooks that see only numbers: any float
(whose JCS form is ECMAScript's number format), or any text at U+E000 or above,
sends the value to the ``rfc8785`` reference implementation instead. A property
test holds the fast path to the reference.
"""

from __future__ import annotations

import json
import re
from typing import Any

import rfc8785

from liaison.errors import CanonicalJSONError

MAX_EXACT_INTEGER = 2**53 - 1
_HIGH = re.compile("[\ue000-\U0010ffff]")


def _float(_: str) -> float:
    """Not done by the fast path: a float's JCS form is ECMAScript's number format."""
    raise NotImplementedError


def _int(text: str) -> int:
    value = int(text)
    if not -MAX_EXACT_INTEGER <= value <= MAX_EXACT_INTEGER:
        raise CanonicalJSONError(f"integer {value} is outside the exact range of I-JSON")
    return value


# Built once: json.dumps/json.loads with options build a new encoder/decoder on every call.
_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)
_NUMBERS = json.JSONDecoder(parse_float=_float, parse_int=_int)


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of ``value``."""
    try:
        text = _ENCODER.encode(value)
    except (TypeError, ValueError) as exc:
        raise CanonicalJSONError(str(exc)) from None
    if not text.isascii() and _HIGH.search(text):
        return _reference(value)  # keys may sort differently in UTF-16
    try:
        _NUMBERS.decode(text)  # refuses an integer outside I-JSON's exact range
    except NotImplementedError:  # a float
        return _reference(value)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CanonicalJSONError(f"string is not valid Unicode: {exc.reason}") from None


def _reference(value: Any) -> bytes:
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise CanonicalJSONError(str(exc)) from None


json_string = json.JSONEncoder(ensure_ascii=False).encode
"""A str as a JSON string literal, escaped exactly as JCS escapes it."""
