"""The tree's hashes stored as tiles (the layout of C2SP tlog-tiles).

A tile at level L and index N holds up to 256 hashes of tree level 8L: the
nodes 256N .. 256N+255 of that level (level 0 holds the leaf hashes). A perfect
subtree of any height is computed from one tile: height h = 8L + r is the
root of 2**r consecutive level-8L hashes. A right-edge tile may be partial; it
is rewritten as the tree grows. Every proof therefore reads O(log n) tiles,
whatever the size of the log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from liaison.ledger.merkle import node_hash

HEIGHT = 8
WIDTH = 1 << HEIGHT
HASH = 32

TileKey = tuple[int, int]  # (tile level, tile index)


def tile_of(level: int, index: int) -> tuple[TileKey, int, int]:
    """The tile holding perfect subtree (level, index), the offset of its first hash there,
    and how many hashes it spans."""
    tile_level, height = divmod(level, HEIGHT)
    first = index << height
    return (tile_level, first // WIDTH), first % WIDTH, 1 << height


def tiles_for(nodes: Iterable[tuple[int, int]]) -> set[TileKey]:
    return {tile_of(level, index)[0] for level, index in nodes}


def reduce_hashes(hashes: list[bytes]) -> bytes:
    """Root of a perfect subtree given its 2**k lowest hashes, in order."""
    while len(hashes) > 1:
        hashes = [node_hash(hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
    return hashes[0]


class TileView:
    """Perfect subtree hashes read from a set of tiles (``get`` for liaison.ledger.merkle)."""

    def __init__(self, tiles: Mapping[TileKey, bytes]) -> None:
        self._tiles = tiles
        self._memo: dict[tuple[int, int], bytes] = {}

    def get(self, level: int, index: int) -> bytes:
        key = (level, index)
        if key in self._memo:
            return self._memo[key]
        tile, offset, count = tile_of(level, index)
        data = self._tiles.get(tile)
        if data is None or len(data) < (offset + count) * HASH:
            raise LookupError(f"tile {tile} does not hold node {key}")
        chunk = [data[(offset + i) * HASH : (offset + i + 1) * HASH] for i in range(count)]
        value = reduce_hashes(chunk)
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
    level, count, incoming = 0, size, new_leaf_hashes
    while incoming:
        index = count // WIDTH
        current = read((level, index)) if count % WIDTH else b""
        completed: list[bytes] = []
        for value in incoming:
            current += value
            if len(current) == WIDTH * HASH:
                changed[(level, index)] = current
                completed.append(reduce_hashes(_split(current)))
                index, current = index + 1, b""
        if current:
            changed[(level, index)] = current
        # The next level has one hash per full tile below it: the old count // WIDTH.
        level, count, incoming = level + 1, count // WIDTH, completed
    return changed


def _split(data: bytes) -> list[bytes]:
    return [data[i : i + HASH] for i in range(0, len(data), HASH)]
