"""Reading requests as one JSON object or as JSON lines (one object per line)."""

from __future__ import annotations

import io
import json
import os
import select
import stat
from collections.abc import Callable, Iterable, Iterator
from typing import IO, TextIO, TypeVar


def read_objects(stream: TextIO) -> Iterator[tuple[int, str]]:
    """Yield (line number, JSON text) for each request in ``stream``.

    If the first non-blank line is a complete JSON value the input is read as
    JSON lines, streamed; otherwise the whole input is one (pretty-printed)
    object, numbered by its first line. Blank lines are skipped. A first line
    that is not valid JSON but is followed by a line that starts a new object
    in column 0 is a broken JSON line, not the start of a pretty-printed object:
    the input is still read as JSON lines so that one bad line does not swallow
    the rest. A leading byte-order mark is ignored.
    """
    lines = enumerate(stream, start=1)
    first_no, first = 0, ""
    for number, line in lines:
        if number == 1:
            line = line.removeprefix("\ufeff")
        if line.strip():
            first_no, first = number, line
            break
    else:
        return
    if _complete(first):
        yield first_no, first
        yield from _non_blank(lines)
        return
    consumed = [first]
    if first.strip() not in ("{", "["):  # a lone brace opens a pretty-printed value
        for number, line in lines:
            consumed.append(line)
            if not line.strip():
                continue
            if _starts_a_line(line):
                yield first_no, first
                yield number, line
                yield from _non_blank(lines)
                return
            break
    yield first_no, "".join(consumed) + stream.read()


def _non_blank(lines: Iterator[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    for number, line in lines:
        if line.strip():
            yield number, line


def _starts_a_line(line: str) -> bool:
    """Whether ``line`` reads as a JSON line of its own rather than part of a value."""
    if line[:1] == "{":
        return True
    return not line[:1].isspace() and _complete(line)


def _complete(text: str) -> bool:
    try:
        json.loads(text)
    except (ValueError, RecursionError):  # nested too deeply: a line of its own, refused later
        return False
    return True


T = TypeVar("T")


def chunked(
    items: Iterable[T], size: int, ready: Callable[[], bool] = lambda: True
) -> Iterator[list[T]]:
    """Consecutive lists of at most ``size`` items, in order.

    A list is also handed on early whenever ``ready()`` says that taking the next
    item could block, so that a caller writing one request and waiting for its
    answer is never kept waiting for a full chunk.
    """
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size or not ready():
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def input_ready(stream: IO[str]) -> Callable[[], bool]:
    """A check that more of ``stream`` can be read without waiting (pipes and terminals)."""
    try:
        fd = stream.fileno()
        regular = stat.S_ISREG(os.fstat(fd).st_mode)
    except (OSError, ValueError, io.UnsupportedOperation):
        return lambda: True  # in-memory streams hold all their data already
    if regular:
        return lambda: True
    return lambda: bool(select.select([fd], [], [], 0)[0])
