"""The pages' cache (``liaison.web.cache``): single flight (readers of a key being computed
wait for the one computation), bounded (the least recently used goes first), and an error
is raised to its reader and not kept."""

from __future__ import annotations

import threading
import time

import pytest

from liaison.web.cache import PageCache


def test_concurrent_readers_of_a_key_compute_it_once() -> None:
    cache = PageCache()
    calls: list[int] = []
    started = threading.Event()

    def compute() -> str:
        calls.append(1)
        started.set()
        time.sleep(0.2)  # the other readers arrive while this runs
        return "value"

    got: list[str] = []
    readers = [
        threading.Thread(target=lambda: got.append(cache.get("k", compute))) for _ in range(8)
    ]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    assert started.is_set()
    assert calls == [1]
    assert got == ["value"] * 8


def test_different_keys_are_computed_apart() -> None:
    cache = PageCache()
    assert cache.get("a", lambda: 1) == 1
    assert cache.get("b", lambda: 2) == 2
    assert cache.get("a", lambda: 3) == 1
    assert len(cache) == 2
    assert "a" in cache
    assert "c" not in cache


def test_the_cache_is_bounded_and_drops_the_least_recently_used() -> None:
    cache = PageCache(size=3)
    for key in "abc":
        cache.get(key, lambda key=key: key)
    cache.get("a", lambda: "again")  # a is used: b is now the oldest
    cache.get("d", lambda: "d")
    assert len(cache) == 3
    assert "b" not in cache
    assert {"a", "c", "d"} <= {k for k in "abcd" if k in cache}
    assert cache.get("a", lambda: "recomputed") == "a"


def test_an_error_reaches_its_reader_and_nothing_is_kept() -> None:
    cache = PageCache()

    def broken() -> int:
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        cache.get("k", broken)
    assert "k" not in cache
    assert cache.get("k", lambda: 5) == 5


def test_errors_keep_no_flight() -> None:
    """A key whose computation failed (a bad period asked, say) leaves nothing behind: no
    value and no single-flight lock, however many distinct ones are asked."""
    cache = PageCache()

    def refused() -> int:
        raise ValueError("from: not a date")

    for n in range(50):
        with pytest.raises(ValueError, match="not a date"):
            cache.get(("public", n), refused)
    assert len(cache) == 0
    assert cache._flights == {}


def test_clear_empties_it() -> None:
    cache = PageCache()
    cache.get("k", lambda: 1)
    cache.clear()
    assert len(cache) == 0
    assert cache.get("k", lambda: 2) == 2
