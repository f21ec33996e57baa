"""What a verification found wrong, and where: one ``Finding`` per problem, in every
report (``liaison ledger verify``, ``liaison verify-bundle``, the index check)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Finding:
    """What a verification found wrong, and where (in a ledger, a bundle, the index)."""

    where: str  # "entry 17", "checkpoint 1000", "tile (0, 3)", "head"
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"
