"""Canonical JSON (RFC 8785) of ledger entries: the fast path held to the reference.

``liaison.ledger.canonical.canonical_json`` serialises with ``json.dumps`` and falls
back to the ``rfc8785`` reference implementation for floats and text at U+E000 or
above; ``liaison.ledger.entries.seal`` assembles an entry body by hand around the
canonical record. These properties hold both to ``rfc8785.dumps``:

- for JSON-like values (text with non-ASCII, emoji, control characters, private-use
  and supplementary characters in keys and values; integers within +-2**53; any
  float, NaN and infinities included; booleans; null), ``canonical_json`` gives the
  reference's bytes, or both refuse the value;
- integers outside the exact range of I-JSON and lone surrogates are refused with
  ``CanonicalJSONError``;
- a sealed body is its own canonical form (``canonical_json(json.loads(body))``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from liaison.errors import CanonicalJSONError
from liaison.ledger import merkle
from liaison.ledger.canonical import canonical_json
from liaison.ledger.entries import (
    SALT_BYTES,
    NewEntry,
    commitment,
    salts,
    seal,
    seal_rendered,
)

LIMIT = 2**53

# Characters where JCS and a naive serialiser could disagree: control characters
# (escaped, short forms for \b \f \n \r \t), quote and backslash, DEL and U+2028
# (not escaped), private-use U+E000.. and U+FFFF (UTF-16 order == code point order
# only below U+E000), and supplementary characters (surrogate pairs in UTF-16).
SPECIAL = [
    "\x00",
    "\x01",
    "\x08",
    "\t",
    "\n",
    "\x0c",
    "\r",
    "\x1f",
    '"',
    "\\",
    "/",
    "\x7f",
    "\x80",
    "é",
    "\u2028",
    "\u20ac",
    "\ud7ff",
    "\ue000",
    "\uf8ff",
    "\ufb33",
    "\ufffd",
    "\uffff",
    "\U00010000",
    "\U0001f600",
    "\U0001f1fa",
    "\U0010ffff",
]

chars = st.one_of(st.characters(codec="utf-8"), st.sampled_from(SPECIAL))
texts = st.text(alphabet=chars, max_size=10)
ints = st.integers(min_value=-LIMIT, max_value=LIMIT)  # +-2**53 themselves are refused
exact_ints = st.integers(min_value=-LIMIT + 1, max_value=LIMIT - 1)
scalars = st.one_of(st.none(), st.booleans(), ints, st.floats(), texts)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(texts, inner, max_size=6)),
    max_leaves=30,
)

finite = st.floats(allow_nan=False, allow_infinity=False)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), exact_ints, finite, texts),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(texts, inner, max_size=5)),
    max_leaves=10,
)
records = st.dictionaries(texts, json_values, max_size=5)
names = st.text(alphabet=chars, min_size=1, max_size=12)
instants = st.datetimes(
    min_value=datetime(1900, 1, 1),
    max_value=datetime(2200, 1, 1),
    timezones=st.one_of(
        st.just(UTC),
        st.builds(
            timezone, st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23))
        ),
    ),
)


def read_jcs(body: bytes) -> Any:
    """JSON as JCS reads it: every number is a double. A float of 2**53 or more is written
    as digits without a fraction, which plain ``json.loads`` would read as a Python int
    outside the exact range; read it back as the float it is."""

    def number(text: str) -> int | float:
        value = int(text)
        return value if -LIMIT < value < LIMIT else float(value)

    return json.loads(body, parse_int=number)


def outcome(fn: Any, value: Any) -> bytes | None:
    """The bytes, or None when the function refuses the value (any ValueError)."""
    try:
        result: bytes = fn(value)
    except ValueError:
        return None
    return result


@settings(max_examples=300, deadline=None)
@given(values)
def test_fast_path_equals_rfc8785(value: Any) -> None:
    expected = outcome(rfc8785.dumps, value)
    if expected is None:
        with pytest.raises(CanonicalJSONError):
            canonical_json(value)
    else:
        assert canonical_json(value) == expected


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(texts, st.one_of(exact_ints, texts, st.booleans()), min_size=2, max_size=8))
def test_key_order_is_utf16_order(value: dict[str, Any]) -> None:
    """No floats: the fast path decides alone unless a key holds U+E000 or above."""
    assert canonical_json(value) == rfc8785.dumps(value)


@pytest.mark.parametrize(
    "value",
    [
        # UTF-16 order puts U+1F600 (D83D DE00) before U+E000; code point order does not.
        {"\ue000": 1, "\U0001f600": 2, "a": 3},
        {"\uffff": 1, "\U00010000": 2},
        {"k": ["\ue000", "x"], "\u20ac": 1},  # a high character in a value only
        {"a": 1.5, "b": [0.1, -0.0, 1e21, 1e-7, 5e-324]},  # ECMAScript number format
        {"c": '\x00\x1f\x7f\u2028"\\/\b\f\n\r\t'},
        [LIMIT - 1, -(LIMIT - 1), 0, True, False, None],
    ],
)
def test_examples_equal_rfc8785(value: Any) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


@settings(max_examples=100, deadline=None)
@given(
    st.one_of(st.integers(min_value=LIMIT), st.integers(max_value=-LIMIT)),
    st.booleans(),
)
def test_integers_beyond_2_53_are_refused(big: int, with_float: bool) -> None:
    # Through the fast path, and through the reference (a float sends the value there).
    value: dict[str, Any] = {"n": [1, {"deep": big}]}
    if with_float:
        value["f"] = 0.5
    with pytest.raises(CanonicalJSONError):
        canonical_json(value)
    with pytest.raises(CanonicalJSONError):
        canonical_json(big)


@pytest.mark.parametrize(
    "lone",
    [chr(0xD800), chr(0xDFFF), "a" + chr(0xDC00) + "b", chr(0xD83D)],
    ids=["high", "low", "inside", "half-emoji"],
)
@pytest.mark.parametrize(
    "make",
    [
        lambda s: s,
        lambda s: {"k": s},
        lambda s: {s: 1},
        lambda s: [1, {"x": s}, 2.5],  # a float: reference path
        lambda s: {"\ue000": s},  # a high key: reference path
    ],
    ids=["bare", "value", "key", "with-float", "with-high-key"],
)
def test_lone_surrogates_are_refused(lone: str, make: Any) -> None:
    with pytest.raises(CanonicalJSONError):
        canonical_json(make(lone))


@pytest.mark.parametrize("value", [float("nan"), float("inf"), {"x": [float("-inf")]}])
def test_non_finite_floats_are_refused(value: Any) -> None:
    with pytest.raises(CanonicalJSONError):
        canonical_json(value)


@settings(max_examples=200, deadline=None)
@given(
    kind=names,
    actor=names,
    record=records,
    personal=st.one_of(st.none(), records),
    at=instants,
)
def test_sealed_body_is_canonical(
    kind: str, actor: str, record: dict[str, Any], personal: dict[str, Any] | None, at: datetime
) -> None:
    sealed = seal(NewEntry(kind, record, actor, personal, recorded_at=at))
    body = sealed.body
    document = read_jcs(body)
    assert body == canonical_json(document) == rfc8785.dumps(document)
    assert sealed.leaf_hash == merkle.leaf_hash(body)
    assert document["v"] == 1
    assert document["kind"] == kind == sealed.kind
    assert document["actor"] == actor
    assert document["record"] == record
    assert datetime.fromisoformat(document["recorded_at"]) == at
    assert document["recorded_at"].endswith("Z")
    assert sealed.recorded_at == at
    if personal is None:
        assert "personal" not in document
        assert sealed.salt is None
        assert sealed.personal_data is None
    else:
        assert sealed.salt is not None
        assert len(sealed.salt) == 32
        assert sealed.personal_data == canonical_json(personal)
        assert document["personal"] == commitment(sealed.salt, sealed.personal_data)


def test_sealed_body_without_time_uses_now_in_utc() -> None:
    before = datetime.now(UTC)
    sealed = seal(NewEntry("event", {"a": 1}, "x"))
    document = json.loads(sealed.body)
    stamp = datetime.fromisoformat(document["recorded_at"])
    assert before <= stamp <= datetime.now(UTC)
    assert sealed.body == canonical_json(document)


def test_each_seal_has_a_fresh_salt() -> None:
    entry = NewEntry("decision", {"n": 1}, "officer", {"name": "A. Person"})
    first, second = seal(entry), seal(entry)
    assert first.salt != second.salt
    assert first.body != second.body  # the commitment differs: guesses cannot be tested
    assert first.personal_data == second.personal_data


def test_salts_drawn_at_once_are_each_fresh_and_a_wrong_salt_is_refused() -> None:
    """An import draws its batch's salts at once (``salts``): each is 32 bytes, none repeats,
    each seals its entry's commitment; a salt of another size is an error, not a weak salt."""
    drawn = salts(500)
    assert len(drawn) == 500
    assert {len(salt) for salt in drawn} == {SALT_BYTES}
    assert len(set(drawn)) == 500
    at = datetime(2025, 8, 14, tzinfo=UTC)
    sealed = seal_rendered("audit_row", "liaison-audit", '{"n":1}', b'{"a":1}', at, "x", drawn[0])
    assert sealed.salt == drawn[0]
    assert json.loads(sealed.body)["personal"] == commitment(drawn[0], b'{"a":1}')
    with pytest.raises(ValueError, match="32 bytes, not 16"):
        seal_rendered("audit_row", "liaison-audit", "{}", b"{}", at, "x", drawn[0][:16])
    unsalted = seal_rendered("audit_row", "liaison-audit", "{}", None, at, "x", drawn[1])
    assert unsalted.salt is None  # no personal part: nothing to salt


@pytest.mark.parametrize(
    "entry",
    [
        NewEntry("decision", {"x": "\ud800"}, "officer"),
        NewEntry("decision", {"x": 1}, "officer", {"name": "\udfff"}),
        NewEntry("decision", {"x": float("nan")}, "officer"),
        NewEntry("decision", {"x": 2**53}, "officer"),
        NewEntry("decision", {"x": 1}, "officer\ud800"),
        NewEntry("kind\udc00", {"x": 1}, "officer"),
    ],
)
def test_seal_refuses_values_without_canonical_form(entry: NewEntry) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - CanonicalJSONError or UnicodeEncodeError
        seal(entry)
