"""Ledger entries: what a leaf commits to.

An entry is the canonical JSON (RFC 8785) of::

    {"v": 1, "kind": ..., "recorded_at": "<UTC RFC 3339>", "actor": ...,
     "record": {...}, "personal": "sha256:<hex>"}

``personal`` (present only when the entry has personal data) is
SHA-256(salt || canonical JSON of the personal data), with a 32-byte random
salt. The personal data and its salt are stored apart from the leaf
(``ledger_personal``): an authorised erasure deletes both, and every proof
stays valid because the leaf only ever held the salted hash. Without the salt
the hash cannot be tested against guesses of the data.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, NamedTuple

from liaison.ledger.canonical import canonical_json, json_string
from liaison.ledger.merkle import leaf_hash

VERSION = 1
SALT_BYTES = 32  # a personal part's salt (docs/ledger.md, "What is personal")


@dataclass(frozen=True, slots=True)
class NewEntry:
    """An entry to append: a kind (``decision``, ``event``, ``erasure``, ``pack_change``, ...),
    the public record, and optionally personal data to keep apart from the leaf."""

    kind: str
    record: dict[str, Any]
    actor: str
    personal: dict[str, Any] | None = None
    recorded_at: datetime | None = None


class Sealed(NamedTuple):
    """An entry made ready for the log: its body, leaf hash and personal row (a named tuple:
    an import makes millions, and a tuple is made faster than a dataclass)."""

    kind: str
    recorded_at: datetime
    body: bytes
    leaf_hash: bytes
    salt: bytes | None
    personal_data: bytes | None


@lru_cache(maxsize=256)
def _string(text: str) -> str:
    """``json_string`` of an actor or kind, which repeat entry after entry."""
    return json_string(text)


def commitment(salt: bytes, data: bytes) -> str:
    return "sha256:" + hashlib.sha256(salt + data).hexdigest()


def seal(entry: NewEntry, now: datetime | None = None) -> Sealed:
    """The canonical body and leaf hash of ``entry`` (RFC 6962 leaf, RFC 8785 body).

    The body's own keys are fixed ASCII names, so its canonical form is assembled in
    JCS key order around the canonical record: the same bytes ``canonical_json``
    would produce for the whole object (tested), at a fraction of the cost.
    """
    at = (entry.recorded_at or now or datetime.now(UTC)).astimezone(UTC)
    personal = None if entry.personal is None else canonical_json(entry.personal)
    record = canonical_json(entry.record).decode("utf-8")
    return seal_rendered(entry.kind, entry.actor, record, personal, at, stamp(at))


def stamp(at: datetime) -> str:
    """``recorded_at`` as the body writes it: UTC, RFC 3339 with ``Z``."""
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def seal_rendered(
    kind: str,
    actor: str,
    record: str,
    personal: bytes | None,
    at: datetime,
    recorded_at: str,
    salt: bytes | None = None,
) -> Sealed:
    """``seal`` of an entry whose record and personal data the caller has already
    rendered as canonical JSON (RFC 8785): ``record`` the record's text, ``personal`` the
    personal data's UTF-8 bytes (None: none); ``recorded_at`` is ``stamp(at)``. A caller
    appending many entries of one shape renders them directly (``audit.row_json``),
    held to ``canonical_json`` by its tests. ``salt``: the personal data's salt, when the
    caller drew many at once (``salts``); else one is drawn here."""
    commit = ""
    if personal is None:
        salt = None
    else:
        if salt is None:
            salt = secrets.token_bytes(SALT_BYTES)
        elif len(salt) != SALT_BYTES:
            raise ValueError(f"a salt is {SALT_BYTES} bytes, not {len(salt)}")
        commit = f',"personal":"{commitment(salt, personal)}"'  # "sha256:<hex>": no escapes
    body = (
        f'{{"actor":{_string(actor)},"kind":{_string(kind)}{commit},'
        f'"record":{record},"recorded_at":"{recorded_at}","v":{VERSION}}}'
    ).encode()
    return Sealed(kind, at, body, leaf_hash(body), salt, personal)


def salts(n: int) -> list[bytes]:
    """``n`` fresh salts from one draw of the system's CSPRNG (``secrets``): a salt per
    personal part costs a system call each, and an import seals millions."""
    pool = secrets.token_bytes(SALT_BYTES * n)
    return [pool[i : i + SALT_BYTES] for i in range(0, SALT_BYTES * n, SALT_BYTES)]


def parse_body(body: bytes) -> dict[str, Any]:
    """An entry's JSON object; ``ValueError`` for anything else (the database is not trusted)."""
    try:
        value = json.loads(body)
    except RecursionError:
        raise ValueError("entry body is nested too deeply") from None
    if not isinstance(value, dict):
        raise ValueError("entry body is not a JSON object")
    return value


def personal_matches(body: dict[str, Any], salt: bytes, data: bytes) -> bool:
    expected = body.get("personal")
    return isinstance(expected, str) and hmac.compare_digest(expected, commitment(salt, data))
