"""The Merkle tree of RFC 6962 section 2.1 (unchanged in RFC 9162 section 2.1), as pure functions.

Hashing (RFC 6962 2.1, RFC 9162 2.1.1), with SHA-256:

- ``MTH({}) = SHA-256()``                       -> :data:`EMPTY_ROOT`
- ``MTH({d(0)}) = SHA-256(0x00 || d(0))``       -> :func:`leaf_hash`
- ``MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))`` where ``k`` is the
  largest power of two smaller than ``n``       -> :func:`node_hash`, :func:`root_from`

Proofs: audit paths ``PATH(m, D[n])`` (RFC 6962 2.1.1, RFC 9162 2.1.3.1) and
consistency proofs ``PROOF(m, D[n])`` / ``SUBPROOF(m, D[n], b)`` (RFC 6962 2.1.2,
RFC 9162 2.1.4.1). Verification follows the bit-based algorithms of RFC 9162
2.1.3.2 (inclusion) and 2.1.4.2 (consistency); the verifiers never raise, they
return ``False`` on any malformed input.

Storage-oriented API. A *perfect subtree* ``(level, index)`` is the subtree over the
``2**level`` leaves ``[index * 2**level, (index + 1) * 2**level)``; level 0 holds the
leaf hashes. Every hash in a proof is ``MTH(D[start:end])`` for some range; following
the RFC's split, such a range decomposes into perfect subtrees (:func:`subtree_plan`).
The ``*_plan`` functions name every perfect subtree a proof needs, so storage can fetch
them in one query; the ``*_from`` functions then build the proof through a
``get(level, index)`` callback without ever rebuilding the tree.

Every range that occurs in a log proof starts at a multiple of the power of two at
least its length, so its plan is the binary decomposition of its length: at most
``bit_length(end - start)`` nodes. A proof over ``n`` leaves then needs at most
``2 * ceil(log2(n))`` stored hashes (see :func:`inclusion_plan`,
:func:`consistency_plan`). Arbitrary unaligned ranges are supported by
:func:`subtree_plan` and :func:`hash_range` but may need up to ``end - start`` nodes,
since the RFC split does not line up with stored subtrees there.

Conventions: indices and sizes are 0-based leaf counts; ``leaves`` holds the raw entry
data ``d(i)``, never hashes; ``old_size``/``new_size`` are RFC 6962's ``m``/``n``.
Consistency from the empty tree: RFC 9162 2.1.4 defines proofs only for ``0 < m < n``,
so :func:`consistency_proof_from` raises for ``old_size == 0``, while
:func:`verify_consistency` accepts ``old_size == 0`` exactly when the proof is empty
(every tree extends the empty tree; there is nothing to check).
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left
from collections.abc import Callable, Mapping, Sequence

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "GetNode",
    "Node",
    "consistency_plan",
    "consistency_proof_from",
    "hash_range",
    "inclusion_plan",
    "inclusion_proof_from",
    "leaf_hash",
    "leaves_plan",
    "node_hash",
    "root_from",
    "root_with_leaves",
    "subtree_plan",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
"""Length in bytes of every hash (SHA-256)."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH of the empty list: SHA-256 of the empty string (RFC 6962 2.1)."""

Node = tuple[int, int]
"""A perfect subtree ``(level, index)``: leaves ``[index << level, (index + 1) << level)``."""

GetNode = Callable[[int, int], bytes]
"""Returns the stored hash of the perfect subtree ``(level, index)``."""

_Range = tuple[int, int]


def leaf_hash(data: bytes) -> bytes:
    """``SHA-256(0x00 || data)``: the hash of one log entry (RFC 6962 2.1)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``: the hash of an interior node (RFC 6962 2.1)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


# --- tree shape -------------------------------------------------------------------------


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (``n >= 2``): RFC 6962's ``k``."""
    return 1 << ((n - 1).bit_length() - 1)


def _perfect_node(start: int, end: int) -> Node | None:
    """The perfect subtree covering exactly ``[start, end)``, if there is one."""
    n = end - start
    if n <= 0 or n & (n - 1) or start % n:
        return None
    return n.bit_length() - 1, start // n


def _check_range(start: int, end: int) -> None:
    if not 0 <= start <= end:
        raise ValueError(f"invalid leaf range [{start}, {end})")


def _path_ranges(m: int, start: int, end: int) -> list[_Range]:
    """The ranges whose MTHs form ``PATH(m, D[start:end])`` (RFC 6962 2.1.1)."""
    n = end - start
    if n == 1:
        return []
    k = _split(n)
    if m < k:
        return [*_path_ranges(m, start, start + k), (start + k, end)]
    return [*_path_ranges(m - k, start + k, end), (start, start + k)]


def _subproof_ranges(m: int, start: int, end: int, complete: bool) -> list[_Range]:
    """The ranges whose MTHs form ``SUBPROOF(m, D[start:end], b)`` (RFC 6962 2.1.2)."""
    n = end - start
    if m == n:
        return [] if complete else [(start, end)]
    k = _split(n)
    if m <= k:
        return [*_subproof_ranges(m, start, start + k, complete), (start + k, end)]
    return [*_subproof_ranges(m - k, start + k, end, False), (start, start + k)]


def _inclusion_ranges(index: int, size: int) -> list[_Range]:
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} not in a tree of size {size}")
    return _path_ranges(index, 0, size)


def _consistency_ranges(old_size: int, new_size: int) -> list[_Range]:
    if not 0 < old_size <= new_size:
        raise ValueError(
            f"no consistency proof from size {old_size} to size {new_size} "
            "(RFC 9162 2.1.4 requires 0 < old_size <= new_size)"
        )
    return _subproof_ranges(old_size, 0, new_size, True)


# --- proofs over stored perfect subtrees ------------------------------------------------


def subtree_plan(start: int, end: int) -> list[Node]:
    """The perfect subtrees that, combined by RFC 6962's split, give ``MTH(D[start:end])``.

    Left to right. One node when ``[start, end)`` is itself a perfect aligned subtree;
    empty for an empty range (whose MTH is :data:`EMPTY_ROOT`).
    """
    _check_range(start, end)
    return _plan(start, end) if end > start else []


def _plan(start: int, end: int) -> list[Node]:
    node = _perfect_node(start, end)
    if node is not None:
        return [node]
    k = _split(end - start)
    return [*_plan(start, start + k), *_plan(start + k, end)]


def hash_range(start: int, end: int, get: GetNode) -> bytes:
    """``MTH(D[start:end])`` from stored perfect subtrees, reading exactly ``subtree_plan``."""
    _check_range(start, end)
    return _hash_range(start, end, get) if end > start else EMPTY_ROOT


def _hash_range(start: int, end: int, get: GetNode) -> bytes:
    node = _perfect_node(start, end)
    if node is not None:
        return get(*node)
    k = _split(end - start)
    return node_hash(_hash_range(start, start + k, get), _hash_range(start + k, end, get))


def _plan_ranges(ranges: list[_Range]) -> list[Node]:
    return [node for start, end in ranges for node in subtree_plan(start, end)]


def inclusion_plan(index: int, size: int) -> list[Node]:
    """Every perfect subtree :func:`inclusion_proof_from` reads, in reading order.

    With ``L = ceil(log2(size))``, at most ``max(L, 2 * L - 2)`` nodes: the path has at
    most ``L`` hashes, all perfect subtrees except possibly one right-edge range (the
    sibling met when the path first turns left), shorter than ``2**(L - 1)`` and so
    decomposed into at most ``L - 1`` nodes.
    """
    return _plan_ranges(_inclusion_ranges(index, size))


def consistency_plan(old_size: int, new_size: int) -> list[Node]:
    """Every perfect subtree :func:`consistency_proof_from` reads, in reading order.

    With ``L = ceil(log2(new_size))``, at most ``2 * L - 1`` nodes when
    ``old_size < new_size``: at most ``L`` siblings plus one starting subtree, all
    perfect except possibly one right-edge sibling of at most ``L - 1`` nodes.
    """
    return _plan_ranges(_consistency_ranges(old_size, new_size))


def root_from(size: int, get: GetNode) -> bytes:
    """The root of the tree of ``size`` entries, from stored perfect subtrees."""
    return hash_range(0, size, get)


def leaves_plan(indexes: Sequence[int], size: int) -> list[Node]:
    """Every perfect subtree :func:`root_with_leaves` reads for the leaves ``indexes``
    (sorted, distinct, each below ``size``): those of the ranges that hold none of them.
    For ``k`` leaves, at most ``k`` times an inclusion plan, and far fewer when they are
    near one another (their audit paths share their upper ranges)."""
    out: list[Node] = []
    _leaves_walk(0, size, indexes, 0, len(indexes), lambda a, b: out.extend(_plan(a, b)))
    return out


def root_with_leaves(leaves: Mapping[int, bytes], size: int, get: GetNode) -> bytes:
    """``MTH(D[0:size])`` from the leaf hashes ``leaves`` (index -> hash) and, for every
    range holding none of them, the stored perfect subtrees (:func:`leaves_plan`).

    Equal to a signed root, it proves each of ``leaves`` at its index in that tree at
    once, as an audit path (RFC 6962 2.1.1) for each would: the hashes combined are the
    union of their paths'. ``ValueError`` unless every index is below ``size``."""
    indexes = sorted(leaves)
    if indexes and not 0 <= indexes[0] <= indexes[-1] < size:
        raise ValueError(f"leaf indexes {indexes[0]}..{indexes[-1]} not in a tree of size {size}")
    if size == 0:
        return EMPTY_ROOT

    def hashed(start: int, end: int, lo: int, hi: int) -> bytes:
        if lo == hi:
            return _hash_range(start, end, get)
        if end - start == 1:
            return leaves[start]
        k = _split(end - start)
        mid = bisect_left(indexes, start + k, lo, hi)
        return node_hash(hashed(start, start + k, lo, mid), hashed(start + k, end, mid, hi))

    return hashed(0, size, 0, len(indexes))


def _leaves_walk(
    start: int,
    end: int,
    indexes: Sequence[int],
    lo: int,
    hi: int,
    empty: Callable[[int, int], object],
) -> None:
    """Call ``empty(a, b)`` for each maximal range of RFC 6962's split of ``[start, end)``
    that holds none of ``indexes[lo:hi]``, left to right."""
    if lo == hi:
        empty(start, end)
        return
    if end - start == 1:
        return
    k = _split(end - start)
    mid = bisect_left(indexes, start + k, lo, hi)
    _leaves_walk(start, start + k, indexes, lo, mid, empty)
    _leaves_walk(start + k, end, indexes, mid, hi, empty)


def inclusion_proof_from(index: int, size: int, get: GetNode) -> list[bytes]:
    """The audit path ``PATH(index, D[0:size])`` (RFC 6962 2.1.1), from stored perfect
    subtrees; ValueError unless ``0 <= index < size``."""
    return [_hash_range(start, end, get) for start, end in _inclusion_ranges(index, size)]


def consistency_proof_from(old_size: int, new_size: int, get: GetNode) -> list[bytes]:
    """``PROOF(old_size, D[0:new_size])`` (RFC 6962 2.1.2), from stored perfect subtrees;
    empty when the sizes are equal. ValueError unless ``0 < old_size <= new_size``."""
    ranges = _consistency_ranges(old_size, new_size)
    return [_hash_range(start, end, get) for start, end in ranges]


# --- verification (RFC 9162 2.1.3.2 and 2.1.4.2) ----------------------------------------


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes | bytearray) and len(value) == HASH_SIZE


def _all_hashes(*values: object, proof: Sequence[object]) -> bool:
    return all(_is_hash(v) for v in values) and all(_is_hash(p) for p in proof)


def _is_size(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _shift_while_even(fn: int, sn: int) -> tuple[int, int]:
    """Right-shift both until LSB(fn) is set or fn is 0 (RFC 9162 2.1.3.2 step 4.b.ii)."""
    while fn and not fn & 1:
        fn, sn = fn >> 1, sn >> 1
    return fn, sn


def _inclusion_root(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes | None:
    """Steps 2-5 of RFC 9162 2.1.3.2: the root the path leads to, or None if it fails."""
    fn, sn, r = index, size - 1, bytes(leaf)
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            fn, sn = _shift_while_even(fn, sn)
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return r if sn == 0 else None


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Whether ``proof`` shows the entry hashing to ``leaf_hash`` at ``index`` (RFC 9162 2.1.3.2).

    ``False``, never an exception, for any bad input: ``index >= size``, a proof of the
    wrong length, hashes that are not 32 bytes.
    """
    if not (_is_size(index) and _is_size(size) and index < size):
        return False
    if not _all_hashes(leaf_hash, root, proof=proof):
        return False
    return _inclusion_root(leaf_hash, index, size, proof) == root


def _consistency_roots(
    old_size: int, new_size: int, old_root: bytes, proof: Sequence[bytes]
) -> tuple[bytes, bytes] | None:
    """Steps 1-7 of RFC 9162 2.1.4.2 for ``0 < old_size < new_size``: (fr, sr) or None."""
    path = [bytes(p) for p in proof]
    if not path:
        return None
    if old_size & (old_size - 1) == 0:
        path.insert(0, bytes(old_root))
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            fn, sn = _shift_while_even(fn, sn)
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return (fr, sr) if sn == 0 else None


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows the tree ``new_root`` extends ``old_root`` (RFC 9162 2.1.4.2).

    Equal sizes need an empty proof and equal roots; ``old_size == 0`` is accepted exactly
    when the proof is empty. ``False``, never an exception, for any bad input.
    """
    if not (_is_size(old_size) and _is_size(new_size) and old_size <= new_size):
        return False
    if not _all_hashes(old_root, new_root, proof=proof):
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof
    return _consistency_roots(old_size, new_size, old_root, proof) == (old_root, new_root)
