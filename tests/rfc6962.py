"""RFC 6962 section 2.1 (unchanged in RFC 9162 2.1) straight from its text, over an
in-memory list of entries: MTH, PATH and PROOF/SUBPROOF. The reference the ledger's
trees and proofs are checked against; liaison itself only builds them from stored
subtrees (``liaison.ledger.merkle``), never from the whole list.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def ref_k(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while 2 * k < n:
        k *= 2
    return k


def ref_mth(d: Sequence[bytes]) -> bytes:
    n = len(d)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = ref_k(n)
    return hashlib.sha256(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:])).digest()


# PATH and SUBPROOF return the sub-lists whose MTH make up the proof, each with the
# side it joins on ("L"eft, "R"ight, "S"tart of a consistency proof), so the same
# recursion gives proofs (over entries) and shapes (over range(n), no hashing).


def ref_path(m: int, d: Sequence[T]) -> list[tuple[Sequence[T], str]]:
    n = len(d)
    if n == 1:
        return []
    k = ref_k(n)
    if m < k:
        return [*ref_path(m, d[:k]), (d[k:], "R")]
    return [*ref_path(m - k, d[k:]), (d[:k], "L")]


def ref_subproof(m: int, d: Sequence[T], b: bool) -> list[tuple[Sequence[T], str]]:
    n = len(d)
    if m == n:
        return [] if b else [(d, "S")]
    k = ref_k(n)
    if m <= k:
        return [*ref_subproof(m, d[:k], b), (d[k:], "R")]
    return [*ref_subproof(m - k, d[k:], False), (d[:k], "L")]


def ref_inclusion(d: Sequence[bytes], m: int, n: int) -> list[bytes]:
    return [ref_mth(sub) for sub, _ in ref_path(m, d[:n])]


def ref_consistency(d: Sequence[bytes], m: int, n: int) -> list[bytes]:
    return [ref_mth(sub) for sub, _ in ref_subproof(m, d[:n], True)]


def root_hash(leaves: Sequence[bytes]) -> bytes:
    """``MTH(D[n])`` of all the entries, for any ``n`` including 0."""
    return ref_mth(leaves)


def inclusion_proof(leaves: Sequence[bytes], index: int, size: int) -> list[bytes]:
    """The audit path ``PATH(index, D[0:size])`` (RFC 6962 2.1.1)."""
    if not 0 <= index < size <= len(leaves):
        raise ValueError(f"no leaf {index} in a tree of size {size} of {len(leaves)} entries")
    return ref_inclusion(leaves, index, size)


def consistency_proof(leaves: Sequence[bytes], old_size: int, new_size: int) -> list[bytes]:
    """``PROOF(old_size, D[0:new_size])`` (RFC 6962 2.1.2); empty when the sizes are equal."""
    if not 0 < old_size <= new_size <= len(leaves):
        raise ValueError(f"no proof from {old_size} to {new_size} of {len(leaves)} entries")
    return ref_consistency(leaves, old_size, new_size)
