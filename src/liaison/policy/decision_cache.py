"""The engine's exact decision cache (docs/architecture.md, "Design choices").

A bounded map from (policy version, action, what the action's slice reads of the
context) to the verdict Cedar gave: the same key always gets the same verdict, so a hit
is exact. Error verdicts are never stored. The cache is shared by the event loop and the
pool threads that decide, so every read and write holds one lock; eviction is first in,
first out, in O(1) (``OrderedDict.popitem``: ``next(iter(dict))`` after many evictions
walks the deleted slots at the front of a dict, which measured 32 us per eviction at
65,536 entries, against under 1 us).

The engine treats any exception from here as a fault and denies with basis ``error``
(``liaison.policy.engine``): a cache fault never becomes a permit.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from liaison.policy.compiled import Verdict
from liaison.policy.context import ContextKey

CacheKey = tuple[str, str, ContextKey]  # (policy version, action, what the slice reads)


class DecisionCache:
    """At most ``capacity`` verdicts (0: nothing is kept), safe to share between threads."""

    def __init__(self, capacity: int) -> None:
        if capacity < 0:
            raise ValueError(f"cache capacity must be 0 or more, not {capacity}")
        self.capacity = capacity
        self._entries: OrderedDict[CacheKey, Verdict] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: CacheKey) -> Verdict | None:
        with self._lock:
            return self._entries.get(key)

    def put(self, key: CacheKey, verdict: Verdict) -> None:
        """Keep ``verdict`` for ``key`` (not an error verdict), evicting the oldest when full."""
        if verdict.errors or self.capacity == 0:
            return
        with self._lock:
            entries = self._entries
            if key not in entries and len(entries) >= self.capacity:
                entries.popitem(last=False)
            entries[key] = verdict

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
