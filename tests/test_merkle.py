"""The RFC 6962 / RFC 9162 Merkle tree (liaison.ledger.merkle).

1. Published test vectors (hex, copied verbatim), from Google's reference
   implementations of RFC 6962, all over the same eight entries:

   - entries, node hashes of every perfect subtree and roots for sizes 0..8:
     google/trillian ``merkle/testonly/constants.go`` (``LeafInputs``,
     ``NodeHashes``, ``RootHashes``, ``EmptyRootHash``);
   - the same roots and entries, plus inclusion and consistency proofs:
     transparency-dev/merkle ``proof/verify_test.go`` (``leaves``, ``roots``,
     ``inclusionProofs``, ``consistencyProofs``; its leaf numbers are 1-based,
     they are 0-based here);
   - hasher vectors: transparency-dev/merkle ``rfc6962/rfc6962_test.go``;
   - which stored nodes a proof reads: transparency-dev/merkle
     ``proof/proof_test.go`` (``TestInclusion``, ``TestConsistency``; node ids are
     ``compact.NewNodeID(level, index)``, the convention used here).

2. Hypothesis properties against a naive reference written from the RFC 6962 2.1
   text (MTH, PATH, PROOF/SUBPROOF: tests/rfc6962.py, itself checked against the
   published vectors in 1).

3. Plans for logs of up to 10**7 entries stay logarithmic and name only subtrees
   inside the tree.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liaison.ledger.merkle import (
    EMPTY_ROOT,
    consistency_plan,
    consistency_proof_from,
    hash_range,
    inclusion_plan,
    inclusion_proof_from,
    leaf_hash,
    leaves_plan,
    node_hash,
    root_from,
    root_with_leaves,
    subtree_plan,
    verify_consistency,
    verify_inclusion,
)
from rfc6962 import (
    consistency_proof,
    inclusion_proof,
    ref_consistency,
    ref_inclusion,
    ref_mth,
    ref_path,
    ref_subproof,
    root_hash,
)


def h(hexes: str) -> list[bytes]:
    return [bytes.fromhex(x) for x in hexes.split()]


# --- 1. published vectors ---------------------------------------------------------------

# trillian merkle/testonly/constants.go LeafInputs()
# (= transparency-dev/merkle proof/verify_test.go leaves)
LEAVES = h("00 10 2021 3031 40414243 5051525354555657 606162636465666768696a6b6c6d6e6f")
LEAVES.insert(0, b"")  # the first entry is the empty string

# trillian merkle/testonly/constants.go RootHashes(), indexed by tree size 0..8
ROOTS = h(
    """
    e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
    6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d
    fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125
    aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77
    d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7
    4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4
    76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef
    ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c
    5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328
    """
)

# trillian merkle/testonly/constants.go NodeHashes(): [level][index]
NODE_HASHES = [
    h(
        """
        6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d
        96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7
        0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7
        07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7
        bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b
        4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658
        b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f
        46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1
        """
    ),
    h(
        """
        fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125
        5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e
        0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a
        ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0
        """
    ),
    h(
        """
        d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7
        6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4
        """
    ),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]

# transparency-dev/merkle proof/verify_test.go inclusionProofs: (0-based index, size, proof)
INCLUSION_VECTORS = [
    (0, 1, []),
    (
        0,
        8,
        h(
            """
            96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7
            5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e
            6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4
            """
        ),
    ),
    (
        5,
        8,
        h(
            """
            bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b
            ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0
            d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7
            """
        ),
    ),
    (2, 3, h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")),
    (
        1,
        5,
        h(
            """
            6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d
            5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e
            bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b
            """
        ),
    ),
]

# transparency-dev/merkle proof/verify_test.go consistencyProofs: (old size, new size, proof)
CONSISTENCY_VECTORS = [
    (1, 1, []),
    (
        1,
        8,
        h(
            """
            96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7
            5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e
            6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4
            """
        ),
    ),
    (
        6,
        8,
        h(
            """
            0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a
            ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0
            d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7
            """
        ),
    ),
    (
        2,
        5,
        h(
            """
            5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e
            bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b
            """
        ),
    ),
    (
        6,
        7,
        h(
            """
            0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a
            b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f
            d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7
            """
        ),
    ),
]

# transparency-dev/merkle proof/proof_test.go: the stored nodes (level, index) a proof
# reads. Compared as sets: that file orders a rehashed right-edge range bottom-up.
INCLUSION_NODE_VECTORS = [
    (0, 1, []),
    (0, 2, [(0, 1)]),
    (1, 2, [(0, 0)]),
    (1, 3, [(0, 0), (0, 2)]),
    (0, 7, [(0, 1), (1, 1), (0, 6), (1, 2)]),
    (1, 7, [(0, 0), (1, 1), (0, 6), (1, 2)]),
    (2, 7, [(0, 3), (1, 0), (0, 6), (1, 2)]),
    (3, 7, [(0, 2), (1, 0), (0, 6), (1, 2)]),
    (4, 7, [(0, 5), (0, 6), (2, 0)]),
    (5, 7, [(0, 4), (0, 6), (2, 0)]),
    (6, 7, [(1, 2), (2, 0)]),
    (2, 4, [(0, 3), (1, 0)]),
    (3, 5, [(0, 2), (1, 0), (0, 4)]),
    (3, 6, [(0, 2), (1, 0), (1, 2)]),
    (4, 6, [(0, 5), (2, 0)]),
    (10, 15, [(0, 11), (1, 4), (0, 14), (1, 6), (3, 0)]),
    (24, 31, [(0, 25), (1, 13), (0, 30), (1, 14), (3, 2), (4, 0)]),
    (81, 95, [(0, 80), (1, 41), (2, 21), (0, 94), (1, 46), (2, 22), (4, 4), (6, 0)]),
]
CONSISTENCY_NODE_VECTORS = [
    (1, 2, [(0, 1)]),
    (1, 4, [(0, 1), (1, 1)]),
    (1, 6, [(0, 1), (1, 1), (1, 2)]),
    (2, 3, [(0, 2)]),
    (2, 8, [(1, 1), (2, 1)]),
    (3, 7, [(0, 2), (0, 3), (1, 0), (0, 6), (1, 2)]),
    (4, 7, [(0, 6), (1, 2)]),
    (5, 7, [(0, 4), (0, 5), (0, 6), (2, 0)]),
    (6, 7, [(1, 2), (0, 6), (2, 0)]),
    (7, 8, [(0, 6), (0, 7), (1, 2), (2, 0)]),
    (5, 5, []),
    (8, 8, []),
    (2, 4, [(1, 1)]),
    (3, 5, [(0, 2), (0, 3), (1, 0), (0, 4)]),
    (3, 6, [(0, 2), (0, 3), (1, 0), (1, 2)]),
    (4, 6, [(1, 2)]),
    (1, 7, [(0, 1), (1, 1), (0, 6), (1, 2)]),
    (10, 15, [(1, 4), (1, 5), (0, 14), (1, 6), (3, 0)]),
    (24, 31, [(3, 2), (0, 30), (1, 14), (2, 6), (4, 0)]),
    (81, 95, [(0, 80), (0, 81), (1, 41), (2, 21), (0, 94), (1, 46), (2, 22), (4, 4), (6, 0)]),
]


def published_node(level: int, index: int) -> bytes:
    return NODE_HASHES[level][index]


def test_hasher_vectors() -> None:
    # transparency-dev/merkle rfc6962/rfc6962_test.go TestRFC6962Hasher
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert leaf_hash(b"").hex() == (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    )
    assert leaf_hash(b"L123456").hex() == (
        "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    )
    assert node_hash(b"N123", b"N456").hex() == (
        "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"
    )


@pytest.mark.parametrize("size", range(9))
def test_published_roots(size: int) -> None:
    assert root_hash(LEAVES[:size]) == ROOTS[size]
    assert root_from(size, published_node) == ROOTS[size]
    assert hash_range(0, size, published_node) == ROOTS[size]


def test_published_node_hashes() -> None:
    for level, row in enumerate(NODE_HASHES):
        for index, expected in enumerate(row):
            width = 1 << level
            assert root_hash(LEAVES[index * width : (index + 1) * width]) == expected
            assert hash_range(index * width, (index + 1) * width, published_node) == expected
            assert subtree_plan(index * width, (index + 1) * width) == [(level, index)]


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_VECTORS)
def test_published_inclusion_proofs(index: int, size: int, proof: list[bytes]) -> None:
    assert inclusion_proof(LEAVES, index, size) == proof
    assert inclusion_proof_from(index, size, published_node) == proof
    assert verify_inclusion(leaf_hash(LEAVES[index]), index, size, proof, ROOTS[size])


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY_VECTORS)
def test_published_consistency_proofs(old: int, new: int, proof: list[bytes]) -> None:
    assert consistency_proof(LEAVES, old, new) == proof
    assert consistency_proof_from(old, new, published_node) == proof
    assert verify_consistency(old, new, ROOTS[old], ROOTS[new], proof)


@pytest.mark.parametrize(("index", "size", "nodes"), INCLUSION_NODE_VECTORS)
def test_published_inclusion_nodes(index: int, size: int, nodes: list[tuple[int, int]]) -> None:
    plan = inclusion_plan(index, size)
    assert sorted(plan) == sorted(nodes)


@pytest.mark.parametrize(("old", "new", "nodes"), CONSISTENCY_NODE_VECTORS)
def test_published_consistency_nodes(old: int, new: int, nodes: list[tuple[int, int]]) -> None:
    plan = consistency_plan(old, new)
    assert sorted(plan) == sorted(nodes)


def test_all_small_proofs_from_published_nodes() -> None:
    """Every proof over the 8 published entries, from the published node table alone."""
    for size in range(1, 9):
        for index in range(size):
            proof = inclusion_proof_from(index, size, published_node)
            assert proof == inclusion_proof(LEAVES, index, size)
            assert verify_inclusion(leaf_hash(LEAVES[index]), index, size, proof, ROOTS[size])
        for old in range(1, size + 1):
            proof = consistency_proof_from(old, size, published_node)
            assert proof == consistency_proof(LEAVES, old, size)
            assert verify_consistency(old, size, ROOTS[old], ROOTS[size], proof)


# --- edge cases and errors --------------------------------------------------------------

SOME = hashlib.sha256(b"some").digest()
OTHER = hashlib.sha256(b"other").digest()


def test_consistency_edge_cases() -> None:
    assert verify_consistency(0, 0, SOME, SOME, [])
    assert not verify_consistency(0, 0, SOME, OTHER, [])
    assert not verify_consistency(0, 0, SOME, SOME, [SOME])
    assert verify_consistency(0, 5, EMPTY_ROOT, SOME, [])  # from the empty tree: nothing to prove
    assert not verify_consistency(0, 5, EMPTY_ROOT, SOME, [SOME])
    assert verify_consistency(3, 3, SOME, SOME, [])
    assert not verify_consistency(3, 3, SOME, OTHER, [])
    assert not verify_consistency(3, 3, SOME, SOME, [SOME])
    assert not verify_consistency(2, 1, SOME, OTHER, [])  # time travel
    assert not verify_consistency(1, 2, SOME, OTHER, [])  # empty proof
    assert not verify_consistency(-1, 2, SOME, OTHER, [SOME])
    assert not verify_consistency(1, 2, SOME[:31], OTHER, [SOME])
    assert not verify_consistency(1, 2, SOME, OTHER, [b""])
    assert not verify_consistency(2, 2, b"x", b"x", [])


def test_inclusion_edge_cases() -> None:
    one = leaf_hash(b"data")
    assert verify_inclusion(one, 0, 1, [], one)
    assert not verify_inclusion(one, 0, 1, [], b"")
    assert not verify_inclusion(b"", 0, 1, [], one)
    assert not verify_inclusion(b"", 0, 1, [], b"")
    for index, size in [(0, 0), (1, 0), (1, 1), (2, 1), (-1, 1), (0, -1)]:
        assert not verify_inclusion(one, index, size, [], one)
        assert not verify_inclusion(SOME, index, size, [], EMPTY_ROOT)
    assert not verify_inclusion(one, 0, 1, [SOME], one)  # trailing element


def test_errors() -> None:
    with pytest.raises(ValueError, match="not in a tree"):
        inclusion_plan(8, 8)
    with pytest.raises(ValueError, match="not in a tree"):
        inclusion_proof_from(0, 0, published_node)
    with pytest.raises(ValueError, match="RFC 9162"):
        consistency_proof_from(0, 3, published_node)
    with pytest.raises(ValueError, match="RFC 9162"):
        consistency_plan(4, 3)
    with pytest.raises(ValueError, match="RFC 9162"):
        consistency_plan(0, 3)
    with pytest.raises(ValueError, match="not in a tree"):
        inclusion_plan(-1, 3)
    with pytest.raises(ValueError, match="invalid leaf range"):
        subtree_plan(3, 2)
    with pytest.raises(ValueError, match="invalid leaf range"):
        hash_range(-1, 2, published_node)
    assert subtree_plan(5, 5) == []
    assert hash_range(5, 5, published_node) == EMPTY_ROOT
    assert root_from(0, published_node) == EMPTY_ROOT


# --- 2. against the naive reference of RFC 6962 section 2.1 (tests/rfc6962.py) ----------


def inclusion_shape(m: int, n: int) -> list[str]:
    return [side for _, side in ref_path(m, range(n))]


def consistency_shape(m: int, n: int) -> list[str]:
    return [side for _, side in ref_subproof(m, range(n), True)]


def naive_get(leaves: Sequence[bytes], size: int) -> Callable[[int, int], bytes]:
    def get(level: int, index: int) -> bytes:
        start, end = index << level, (index + 1) << level
        assert 0 <= start < end <= size, (level, index, size)
        return ref_mth(leaves[start:end])

    return get


def recording(
    get: Callable[[int, int], bytes],
) -> tuple[Callable[[int, int], bytes], list[tuple[int, int]]]:
    calls: list[tuple[int, int]] = []

    def wrapped(level: int, index: int) -> bytes:
        calls.append((level, index))
        return get(level, index)

    return wrapped, calls


entries = st.lists(st.binary(max_size=6), max_size=70)
distinct_entries = st.lists(st.binary(max_size=6), min_size=1, max_size=70, unique=True)
FAST = settings(max_examples=60, deadline=None)


@FAST
@given(entries)
def test_root_matches_reference(leaves: list[bytes]) -> None:
    get, calls = recording(naive_get(leaves, len(leaves)))
    assert root_from(len(leaves), get) == ref_mth(leaves)
    assert calls == subtree_plan(0, len(leaves))


@FAST
@given(entries.filter(bool), st.data())
def test_inclusion_matches_reference(leaves: list[bytes], data: st.DataObject) -> None:
    size = data.draw(st.integers(1, len(leaves)), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    proof = ref_inclusion(leaves, index, size)
    get, calls = recording(naive_get(leaves, size))
    assert inclusion_proof_from(index, size, get) == proof
    assert calls == inclusion_plan(index, size)


@FAST
@given(entries.filter(bool), st.data())
def test_consistency_matches_reference(leaves: list[bytes], data: st.DataObject) -> None:
    new = data.draw(st.integers(1, len(leaves)), label="new")
    old = data.draw(st.integers(1, new), label="old")
    proof = ref_consistency(leaves, old, new)
    get, calls = recording(naive_get(leaves, new))
    assert consistency_proof_from(old, new, get) == proof
    assert calls == consistency_plan(old, new)


@FAST
@given(entries, st.data())
def test_hash_range_matches_reference(leaves: list[bytes], data: st.DataObject) -> None:
    """Any range, aligned or not, follows the RFC split down to stored subtrees."""
    end = data.draw(st.integers(0, len(leaves)), label="end")
    start = data.draw(st.integers(0, end), label="start")
    get, calls = recording(naive_get(leaves, len(leaves)))
    assert hash_range(start, end, get) == ref_mth(leaves[start:end])
    assert calls == subtree_plan(start, end)


@FAST
@given(entries.filter(bool), st.data())
def test_many_leaves_proven_at_once(leaves: list[bytes], data: st.DataObject) -> None:
    """``root_with_leaves`` (replay's and every page's check of many entries at once,
    issue 10): the root from some leaves and stored subtrees is the reference root; one
    changed leaf changes it; it reads exactly its plan, and no more than the leaves'
    audit paths would."""
    size = data.draw(st.integers(1, len(leaves)), label="size")
    chosen = data.draw(st.sets(st.integers(0, size - 1), max_size=size), label="indexes")
    given = {i: leaf_hash(leaves[i]) for i in chosen}
    get, calls = recording(naive_get(leaves, size))
    assert root_with_leaves(given, size, get) == ref_mth(leaves[:size])
    assert calls == leaves_plan(sorted(chosen), size)
    if chosen:
        assert len(calls) <= sum(len(inclusion_plan(i, size)) for i in chosen)
        wrong = {**given, min(chosen): flip(given[min(chosen)], 3)}
        assert root_with_leaves(wrong, size, naive_get(leaves, size)) != ref_mth(leaves[:size])
    with pytest.raises(ValueError, match="not in a tree"):
        root_with_leaves({size: b"x" * 32}, size, naive_get(leaves, size))


def flip(b: bytes, bit: int) -> bytes:
    out = bytearray(b)
    out[bit // 8 % len(out)] ^= 1 << (bit % 8)
    return bytes(out)


def tamperings(proof: list[bytes], bit: int) -> list[list[bytes]]:
    """Proofs that must never verify: a flipped bit, a missing, extra or swapped element."""
    out = [[*proof[:i], flip(p, bit), *proof[i + 1 :]] for i, p in enumerate(proof)]
    out += [proof[:-1], proof[1:]] if proof else []
    out += [[*proof, SOME], [SOME, *proof], [*proof, *proof[-1:]], [*proof[:1], *proof]]
    for i in range(len(proof)):
        for j in range(i + 1, len(proof)):
            swapped = list(proof)
            swapped[i], swapped[j] = swapped[j], swapped[i]
            out.append(swapped)
    return [t for t in out if t != proof]


def nearby(x: int, limit: int) -> list[int]:
    """Values close to x, or to x in another bit pattern, in [0, limit]."""
    candidates = {0, 1, x - 2, x - 1, x + 1, x + 2, x ^ 1, x ^ 2, x ^ 4, 2 * x, x // 2, limit}
    return sorted(c for c in candidates if 0 <= c <= limit and c != x)


@FAST
@given(distinct_entries, st.data())
def test_verify_inclusion(leaves: list[bytes], data: st.DataObject) -> None:
    size = data.draw(st.integers(1, len(leaves)), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    bit = data.draw(st.integers(0, 255), label="bit")
    leaf, root = leaf_hash(leaves[index]), ref_mth(leaves[:size])
    proof = ref_inclusion(leaves, index, size)
    assert verify_inclusion(leaf, index, size, proof, root)

    assert not verify_inclusion(flip(leaf, bit), index, size, proof, root)
    assert not verify_inclusion(leaf, index, size, proof, flip(root, bit))
    for bad in tamperings(proof, bit):
        assert not verify_inclusion(leaf, index, size, bad, root)
    # Another (index, size) runs the same computation iff its audit path has the same
    # shape; with distinct entries anything else must fail.
    shape = inclusion_shape(index, size)
    for other_size in [size, *nearby(size, 2 * size + 1)]:
        for other_index in [index, *nearby(index, other_size + 1)]:
            if (other_index, other_size) == (index, size):
                continue
            expected = (
                other_index < other_size and inclusion_shape(other_index, other_size) == shape
            )
            assert verify_inclusion(leaf, other_index, other_size, proof, root) == expected


@FAST
@given(distinct_entries, st.data())
def test_verify_consistency(leaves: list[bytes], data: st.DataObject) -> None:
    new = data.draw(st.integers(1, len(leaves)), label="new")
    old = data.draw(st.integers(1, new), label="old")
    bit = data.draw(st.integers(0, 255), label="bit")
    old_root, new_root = ref_mth(leaves[:old]), ref_mth(leaves[:new])
    proof = ref_consistency(leaves, old, new)
    assert verify_consistency(old, new, old_root, new_root, proof)
    assert verify_consistency(0, new, EMPTY_ROOT, new_root, [])

    assert not verify_consistency(old, new, flip(old_root, bit), new_root, proof)
    assert not verify_consistency(old, new, old_root, flip(new_root, bit), proof)
    for bad in tamperings(proof, bit):
        assert not verify_consistency(old, new, old_root, new_root, bad)
    if old == new:
        return  # an empty proof binds no sizes: any equal pair with equal roots passes
    assert not verify_consistency(old, new, new_root, old_root, proof)
    shape = consistency_shape(old, new)
    for other_new in [new, *nearby(new, 2 * new + 1)]:
        for other_old in [old, *nearby(old, other_new + 1)]:
            if (other_old, other_new) == (old, new):
                continue
            expected = (
                0 < other_old < other_new and consistency_shape(other_old, other_new) == shape
            )
            got = verify_consistency(other_old, other_new, old_root, new_root, proof)
            assert got == expected, (other_old, other_new)


# --- 3. plans for large logs ------------------------------------------------------------

BIG = 10**7
big_sizes = st.one_of(
    st.integers(1, BIG),
    st.integers(0, 23).map(lambda e: 1 << e),
    st.integers(1, 23).map(lambda e: (1 << e) - 1),
    st.integers(0, 23).map(lambda e: (1 << e) + 1),
    st.just(BIG),
)


def leaves_of(nodes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The leaf ranges of perfect subtrees, sorted, checked to be disjoint."""
    spans = sorted((i << lv, (i + 1) << lv) for lv, i in nodes)
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert end <= start
    assert all(lv >= 0 and i >= 0 for lv, i in nodes)
    return spans


def covered(nodes: list[tuple[int, int]]) -> int:
    return sum(end - start for start, end in leaves_of(nodes))


def log2_ceil(n: int) -> int:
    return (n - 1).bit_length()


@settings(max_examples=300, deadline=None)
@given(big_sizes, st.data())
def test_plans_are_logarithmic(size: int, data: st.DataObject) -> None:
    """Bounds, with L = ceil(log2(size)), justified in the merkle.py docstrings:

    - the whole tree: popcount(size) <= L + 1 nodes, covering [0, size) exactly;
    - an audit path: at most max(L, 2L - 2) nodes, covering [0, size) minus the leaf;
    - a consistency proof: at most 2L - 1 nodes, covering [0, new) (minus the old tree
      when its size is a power of two, as its root is not sent).
    """
    lg = log2_ceil(size)
    whole = subtree_plan(0, size)
    assert len(whole) == size.bit_count() <= lg + 1
    assert leaves_of(whole)[-1][1] == size
    assert covered(whole) == size

    index = data.draw(st.integers(0, size - 1), label="index")
    path = inclusion_plan(index, size)
    assert len(path) <= max(lg, 2 * lg - 2)
    assert covered(path) == size - 1
    assert all(not start <= index < end for start, end in leaves_of(path))
    assert all(end <= size for _, end in leaves_of(path))

    old = data.draw(st.integers(1, size), label="old")
    proof = consistency_plan(old, size)
    if old == size:
        assert proof == []
        return
    assert len(proof) <= 2 * lg - 1
    assert all(end <= size for _, end in leaves_of(proof))
    omitted = old if old & (old - 1) == 0 else 0
    assert covered(proof) == size - omitted
    assert all(start >= omitted for start, _ in leaves_of(proof))


def test_proofs_for_a_ten_million_entry_log() -> None:
    """Proofs from stored subtrees only, for 10**7 equal entries (every level is one hash)."""
    levels = [leaf_hash(b"entry")]
    for _ in range(24):
        levels.append(node_hash(levels[-1], levels[-1]))
    get, calls = recording(lambda level, index: levels[level])
    for size in [BIG, BIG - 1, 1 << 23, (1 << 23) + 1]:
        root = root_from(size, get)
        for index in [0, 1, size // 3, size - 2, size - 1]:
            calls.clear()
            proof = inclusion_proof_from(index, size, get)
            assert calls == inclusion_plan(index, size)
            assert verify_inclusion(levels[0], index, size, proof, root)
        for old in [1, 2, 3, size // 3, 1 << 20, size - 1, size]:
            proof = consistency_proof_from(old, size, get)
            assert verify_consistency(old, size, root_from(old, get), root, proof)
