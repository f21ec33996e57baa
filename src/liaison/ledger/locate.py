"""Locating the first wrong entry of a log being recomputed (``liaison.ledger.verify``):
one finding for one cause, not one for every entry after it.

- **Indexes.** Each entry (a bundle's line, a database row) names its index; the log
  holds entry ``i`` at position ``i``. An entry whose index differs from its position is
  reported, unless it continues the run of the entry before it (its index is that one's
  plus one): a dropped line shifts every later index by one, and is reported once, at
  the first missing index, the shifted entries counted in that finding. At most
  ``MAX_INDEX_FINDINGS`` disorders are reported; the others are counted.
- **Checkpoint roots.** A signed root at size ``m`` commits to the entries ``0..m-1``
  and to nothing narrower (RFC 6962 section 2.1: the root is the hash of all of them;
  C2SP tlog-checkpoint signs that root alone). The first checkpoint whose root fails
  bounds the first wrong entry: at or after the size of the last checkpoint verified
  before it, before its size (or at an entry already found wrong, when one is). Every
  later checkpoint commits to the same wrong entries, so their failures are consequences:
  they are named in the first one's finding, not reported again.
"""

from __future__ import annotations

from liaison.ledger.findings import Finding

MAX_INDEX_FINDINGS = 3


def _range(first: int, before: int) -> str:
    return f"entry {first}" if before - first == 1 else f"entry {first} or later, before {before}"


def _sizes(sizes: list[int]) -> str:
    return ", ".join(map(str, sizes[:5])) + (", ..." if len(sizes) > 5 else "")


class Locator:
    """The index and root findings of one recomputation, appended to ``problems``."""

    def __init__(self, problems: list[Finding]) -> None:
        self.problems = problems
        self.previous: int | None = None  # the index of the entry fed last
        self.exact: int | None = None  # the first entry known to be wrong (or misplaced)
        self.bounds: tuple[int, int] | None = None  # (last verified size, first failed size)
        self._index_at: int | None = None  # where the first index finding is in ``problems``
        self._index_reported = 0
        self._shifted = 0
        self._unlisted = 0
        self._root_at: int | None = None  # where the first root finding is in ``problems``
        self._later: list[int] = []
        self._beyond: list[int] = []

    def wrong(self, index: int) -> None:
        """Entry ``index`` is known to be wrong (its body does not make its leaf hash)."""
        if self.exact is None or index < self.exact:
            self.exact = max(index, 0)

    def misplaced(self, position: int, index: int, previous: int | None) -> None:
        """The entry at ``position`` names ``index``; ``previous`` names the entry before."""
        self.wrong(min(position, index))
        if previous is not None and index == previous + 1:
            self._shifted += 1  # the run of the entry before continues: the same cause
            return
        if self._index_reported >= MAX_INDEX_FINDINGS:
            self._unlisted += 1
            return
        self._index_reported += 1
        if self._index_at is None:
            self._index_at = len(self.problems)
        if index > position:
            where = (
                f"entry {position}" if index == position + 1 else f"entries {position}..{index - 1}"
            )
            message = f"missing (deleted from the log): entry {index} comes at position {position}"
        else:
            where, message = (
                f"entry {index}",
                f"out of order or duplicated (at position {position})",
            )
        self.problems.append(Finding(where, message))

    def first_wrong(self) -> tuple[int, int] | None:
        """Where the first wrong entry is: ``(first, before)``, or None when none was found."""
        exact = self.exact
        if self.bounds is None:
            return None if exact is None else (exact, exact + 1)
        good, failed = self.bounds
        if exact is not None and exact < good:
            return exact, exact + 1  # a row wrong under a verified root (its leaf column)
        return good, failed if exact is None else min(failed, exact + 1)

    def root_mismatch(self, size: int, verified: int) -> None:
        """The checkpoint of ``size`` does not match the entries; ``verified``: the size of
        the last checkpoint that did."""
        if self._root_at is not None:
            self._later.append(size)
            return
        self.bounds = (verified, size)
        first = self.first_wrong()
        assert first is not None
        since = f" (checkpoint {verified} verified)" if verified else ""
        self._root_at = len(self.problems)
        self.problems.append(
            Finding(
                f"checkpoint {size}",
                f"signed root does not match the entries 0..{size - 1} (an entry was edited, "
                f"removed, inserted or reordered): the first wrong entry is "
                f"{_range(*first)}{since}",
            )
        )

    def beyond(self, sizes: list[int], size: int) -> None:
        """Checkpoints of ``sizes`` are larger than the log (of ``size`` entries): one
        finding, or, after a root that failed, named in its finding (a dropped entry makes
        the log shorter: the last checkpoints are beyond it)."""
        if self._root_at is not None:
            self._beyond = sizes
            return
        later = f"; so are {len(sizes) - 1} later checkpoint(s), up to {sizes[-1]}"
        self.problems.append(
            Finding(
                f"checkpoint {sizes[0]}",
                f"the log has only {size} entries (entries were removed from the end)"
                + (later if len(sizes) > 1 else ""),
            )
        )

    def finish(self) -> None:
        """Name, in the first finding of each kind, what was counted and not reported."""
        if self._index_at is not None and (self._shifted or self._unlisted):
            more = []
            if self._shifted:
                more.append(f"{self._shifted} later entries carry indexes shifted by it")
            if self._unlisted:
                more.append(f"{self._unlisted} more entries are misplaced")
            self._amend(self._index_at, f" ({'; '.join(more)}: not listed)")
        if self._root_at is not None and self._later:
            self._amend(
                self._root_at,
                f"; the {len(self._later)} later checkpoint(s) that hold it fail too "
                f"({_sizes(self._later)})",
            )
        if self._root_at is not None and self._beyond:
            self._amend(
                self._root_at,
                f"; {len(self._beyond)} later checkpoint(s) are beyond the end of the log "
                f"({_sizes(self._beyond)})",
            )

    def _amend(self, at: int, text: str) -> None:
        found = self.problems[at]
        self.problems[at] = Finding(found.where, found.message + text)
