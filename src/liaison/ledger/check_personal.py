"""The personal-data part of ``liaison ledger verify`` (``liaison.ledger.check``): each kept
personal row must match its entry's commitment (``liaison.ledger.entries``); data may be
missing only after a recorded erasure (docs/ledger.md, "What is personal").

Checked batch by batch beside the entries, with the commitment read off a body's head as
the writer makes it (no JSON parse in the common case: it would double the cost of the
whole check); any other body is parsed.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

from liaison.ledger.entries import parse_body, personal_matches
from liaison.ledger.store import blob
from liaison.ledger.verify import Finding

_COMMITTED = b'"personal":"sha256:'  # the writer's fixed key order: no parse needed
# The head of a body as ``liaison.ledger.entries.seal`` writes it, with personal data.
_SEALED = re.compile(
    rb'\{"actor":"[^"\\]*","kind":"[^"\\]*","personal":"sha256:([0-9a-f]{64})","record":\{'
)
_sha256 = hashlib.sha256


class PersonalCheck:
    """The personal-data check, batch by batch beside the entries; findings in index order
    (kept rows first, then data missing without a recorded erasure), as a whole."""

    def __init__(self) -> None:
        self.problems: list[Finding] = []
        self.missing: list[int] = []  # committed, nothing kept: fine only if erased later
        self.erased: set[int] = set()

    def batch(self, rows: list[Any], indexes: list[int], bodies: list[bytes]) -> None:
        """``rows``: the personal rows of the index range of this batch of entries."""
        if rows and self._all_kept_and_matching(rows, indexes, bodies):
            return
        committed = [i for i, body in zip(indexes, bodies, strict=True) if _commits(body)]
        if not rows:
            self.missing.extend(committed)
            return
        body_of = dict(zip(indexes, bodies, strict=True))
        marked = set(committed)
        kept = set()
        for idx, salt, data in rows:
            index = int(idx)
            kept.add(index)
            body = body_of.get(index)
            if index not in marked or body is None:
                self._problem(index, "personal data kept for an entry that does not commit to any")
            elif not _matches(body, blob(salt), blob(data)):
                self._problem(
                    index, "personal data does not match the entry's commitment (altered)"
                )
        self.missing.extend(i for i in committed if i not in kept)

    @staticmethod
    def _all_kept_and_matching(rows: list[Any], indexes: list[int], bodies: list[bytes]) -> bool:
        """The common case, checked in bulk: every entry of the batch keeps personal data,
        as the writer made it, matching its commitment (read off the body's head as
        ``_matches`` does). False sends the batch to the row-by-row check."""
        if len(rows) != len(indexes) or [row[0] for row in rows] != indexes:
            return False
        # The conditions of ``_matches``' fast path, over the whole batch at once: no escape,
        # ASCII, and "personal" exactly once in each body (each head below holds one).
        joined = b"".join(bodies)
        if not (
            joined.isascii() and b"\\" not in joined and joined.count(b'"personal"') == len(bodies)
        ):
            return False
        match, sha256 = _SEALED.match, _sha256
        claimed = [head.group(1) if (head := match(body)) is not None else None for body in bodies]
        try:
            actual = [sha256(row[1] + row[2]).hexdigest().encode() for row in rows]
        except TypeError:  # a value of another type: row by row
            return False
        return claimed == actual

    def orphans(self, rows: list[Any]) -> None:
        """Personal rows beyond every entry."""
        for idx, _, _ in rows:
            self._problem(int(idx), "personal data kept for an entry that does not commit to any")

    def finish(self) -> list[Finding]:
        for index in sorted(set(self.missing) - self.erased):
            self._problem(index, "personal data is missing without a recorded erasure")
        return self.problems

    def _problem(self, index: int, message: str) -> None:
        self.problems.append(Finding(f"entry {index}", message))


def _commits(body: bytes) -> bool:
    """Whether the entry ``body`` commits to personal data (has a top-level ``personal``).

    Read off a body's head as the writer makes it; a body without the marker anywhere
    commits to none; any other (a record that itself holds a ``personal`` key) is parsed.
    """
    if _COMMITTED not in body:
        return False
    if _SEALED.match(body) is not None:
        return True
    try:
        return "personal" in parse_body(body)
    except ValueError:
        return False


def _matches(body: bytes, salt: bytes, data: bytes) -> bool:
    """Whether ``data`` (with ``salt``) is what the entry ``body`` commits to.

    A body as the writer makes it (its fixed head, ASCII, no escapes, ``"personal"``
    once: so no other top-level ``personal`` key, however spelt) has its commitment read
    off its head, without a JSON parse (which would double the cost of the whole check);
    any other body is parsed. For every body that is JSON this is exactly the parsed
    body's top-level ``personal``; a body of that shape that is not JSON at all is an
    edited body, found by its leaf hash or by the checkpoints that cover it."""
    head = _SEALED.match(body)
    if head is not None and body.isascii() and b"\\" not in body and body.count(b'"personal"') == 1:
        digest = _sha256(salt + data).hexdigest().encode()
        return hmac.compare_digest(head.group(1), digest)
    try:
        return personal_matches(parse_body(body), salt, data)
    except ValueError:
        return False
