"""What pages compute over the records, kept per checkpoint (issue 11, item 5).

A page's aggregates (the Council's sheet, the charts' series, the public tables, a report)
are a function of the records in a signed checkpoint's tree, so they are computed once per
checkpoint and kept: the key always names the checkpoint's size. Bounded (the least
recently used goes first) and single-flight: concurrent readers of a key being computed
wait for the one computation. One cache per process; nothing is stored in the database."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")
SIZE = 256


class PageCache:
    """At most ``size`` computed values, by key."""

    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._flights: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The value of ``key``, computed by ``compute`` if it is not kept (an error is
        raised to the caller and nothing is kept)."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                found: T = self._values[key]
                return found
            flight = self._flights.setdefault(key, threading.Lock())
        with flight:
            with self._lock:
                if key in self._values:
                    kept: T = self._values[key]
                    return kept
            try:
                value = compute()
                with self._lock:
                    self._values[key] = value
                    while len(self._values) > self.size:
                        self._values.popitem(last=False)
            finally:  # an error keeps no flight either (a bad ask's key would stay)
                with self._lock:
                    self._flights.pop(key, None)
            return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()

    def __len__(self) -> int:
        return len(self._values)

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._values


CACHE = PageCache()
