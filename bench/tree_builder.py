"""An RFC 6962 root (section 2.1) of a growing list of leaf hashes, with O(log n) state.

The ledger benchmark checks consistency proofs against roots recomputed with this,
independently of the tiles liaison stores and verifies with (``liaison.ledger.verify``).
"""

from __future__ import annotations

from liaison.ledger import merkle


class TreeBuilder:
    """RFC 6962 root of a growing list of leaves, with O(log n) state."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, bytes]] = []  # (height, hash) of perfect subtrees
        self.size = 0

    def add(self, leaf: bytes) -> None:
        height, value = 0, leaf
        while self._stack and self._stack[-1][0] == height:
            _, left = self._stack.pop()
            value = merkle.node_hash(left, value)
            height += 1
        self._stack.append((height, value))
        self.size += 1

    def root(self) -> bytes:
        if not self._stack:
            return merkle.EMPTY_ROOT
        value = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            value = merkle.node_hash(left, value)
        return value
