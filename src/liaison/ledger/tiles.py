"""The tree's hashes stored as tiles (the layout of C2SP tlog-tiles).

A tile at level L and index N holds up to 256 hashes of tree level 8L: the
nodes 256N .. 256N+255 of that level (level 0 holds the leaf hashes). A perfect
subtree of any height is computed from one tile: height h = 8L + r is the
root of 2**r consecutive level-8L hashes. A right-edge tile may be partial; it
is rewritten as the tree grows. Every proof therefore reads O(log n) tiles,
whatever the size of the log.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache

HEIGHT = 8
WIDTH = 1 << HEIGHT
HASH = 32
TILE_BYTES = WIDTH * HASH

TileKey = tuple[int, int]  # (tile level, tile index)

_sha256 = hashlib.sha256


def tile_of(level: int, index: int) -> tuple[TileKey, int, int]:
    """The tile holding perfect subtree (level, index), the offset of its first hash there,
    and how many hashes it spans."""
    tile_level, height = divmod(level, HEIGHT)
    first = index << height
    return (tile_level, first // WIDTH), first % WIDTH, 1 << height


def tiles_for(nodes: Iterable[tuple[int, int]]) -> set[TileKey]:
    return {tile_of(level, index)[0] for level, index in nodes}


def pair_up(data: bytes, rounds: int) -> bytes:
    """``rounds`` levels up from the concatenated hashes ``data``: each round replaces every
    two adjacent hashes by their RFC 6962 node hash (an odd last hash is dropped).

    Over whole tiles, ``HEIGHT`` rounds give the concatenated roots of the tiles: the pairs
    never straddle two tiles. One SHA-256 call per node, on contiguous slices."""
    prefixed = _sha256(b"\x01")
    for _ in range(rounds):
        if len(data) < 2 * HASH:
            break
        out: list[bytes] = []
        append = out.append
        for at in range(0, len(data) - 2 * HASH + 1, 2 * HASH):
            h = prefixed.copy()
            h.update(data[at : at + 2 * HASH])
            append(h.digest())
        data = b"".join(out)
    return data


@lru_cache(maxsize=512)
def tile_levels(data: bytes) -> tuple[bytes, ...]:
    """Every perfect subtree a tile holds, level by level (``[0]`` is the tile itself).

    A pure function of the tile's bytes, kept for the tiles read most (the upper levels and
    the right edge serve every proof): a changed tile is other bytes, so never a stale hit.
    """
    levels = [data]
    for _ in range(HEIGHT):
        if len(data) < 2 * HASH:
            break
        data = pair_up(data, 1)
        levels.append(data)
    return tuple(levels)


class TileView:
    """Perfect subtree hashes read from a set of tiles (``get`` for liaison.ledger.merkle)."""

    def __init__(self, tiles: Mapping[TileKey, bytes]) -> None:
        self._tiles = tiles
        self._memo: dict[tuple[int, int], bytes] = {}

    def get(self, level: int, index: int) -> bytes:
        key = (level, index)
        value = self._memo.get(key)
        if value is not None:
            return value
        tile, offset, count = tile_of(level, index)
        data = self._tiles.get(tile)
        if data is None or len(data) < (offset + count) * HASH:
            raise LookupError(f"tile {tile} does not hold node {key}")
        at = (offset // count) * HASH
        value = tile_levels(data)[level % HEIGHT][at : at + HASH]
        self._memo[key] = value
        return value


def grow(
    size: int, new_leaf_hashes: list[bytes], read: Callable[[TileKey], bytes]
) -> dict[TileKey, bytes]:
    """The tiles that change when ``new_leaf_hashes`` are appended to a tree of ``size``.

    ``read`` returns a tile's current bytes (empty when it does not exist yet);
    only the right-edge tile of each level is read.
    """
    changed: dict[TileKey, bytes] = {}
    level, count, incoming = 0, size, b"".join(new_leaf_hashes)
    while incoming:
        index = count // WIDTH
        data = (read((level, index)) if count % WIDTH else b"") + incoming
        full = len(data) // TILE_BYTES
        for k in range(full):
            changed[(level, index + k)] = data[k * TILE_BYTES : (k + 1) * TILE_BYTES]
        if len(data) > full * TILE_BYTES:
            changed[(level, index + full)] = data[full * TILE_BYTES :]
        # The next level has one hash per full tile below it: the old count // WIDTH.
        level, count = level + 1, count // WIDTH
        incoming = pair_up(data[: full * TILE_BYTES], HEIGHT)
    return changed
