"""Canonical JSON per RFC 8785 (JSON Canonicalization Scheme, JCS).

For the values liaison writes (ASCII keys, strings, booleans, null, integers
within the IEEE-754 exact range) JCS output equals compact ``json.dumps`` with
sorted keys and no ASCII escaping, so that fast path is taken; anything else
(floats, non-ASCII keys) goes through the ``rfc8785`` reference implementation.
A property test holds the fast path to the reference.
"""

from __future__ import annotations

import json
from typing import Any

import rfc8785

_MAX_EXACT = 2**53 - 1


class CanonicalJSONError(ValueError):
    """A value that has no canonical JSON form (RFC 8785 / I-JSON limits)."""


def _simple(value: Any) -> bool:
    """True when compact sorted json.dumps is already the JCS form of ``value``."""
    if value is None or isinstance(value, bool | str):
        return True
    if isinstance(value, int):
        if not -_MAX_EXACT <= value <= _MAX_EXACT:
            raise CanonicalJSONError(f"integer {value} is outside the exact range of I-JSON")
        return True
    if isinstance(value, list | tuple):
        return all(_simple(v) for v in value)
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalJSONError(f"object key {key!r} is not a string")
            if not key.isascii() or not _simple(item):
                return False
        return True
    if isinstance(value, float):
        return False
    raise CanonicalJSONError(f"{type(value).__name__} has no JSON form")


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of ``value``."""
    if _simple(value):
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise CanonicalJSONError(f"string is not valid Unicode: {exc.reason}") from None
    try:
        return rfc8785.dumps(value)
    except rfc8785.CanonicalizationError as exc:
        raise CanonicalJSONError(str(exc)) from None
