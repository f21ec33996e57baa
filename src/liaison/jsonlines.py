"""Reading requests as one JSON object or as JSON lines (one object per line)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TextIO


def read_objects(stream: TextIO) -> Iterator[tuple[int, str]]:
    """Yield (line number, JSON text) for each request in ``stream``.

    If the first non-blank line is a complete JSON value the input is read as
    JSON lines, streamed; otherwise the whole input is one (pretty-printed)
    object, numbered by its first line. Blank lines are skipped.
    """
    first_no, first = 0, ""
    for number, line in enumerate(stream, start=1):
        if line.strip():
            first_no, first = number, line
            break
    else:
        return
    if _complete(first):
        yield first_no, first
        for number, line in enumerate(stream, start=first_no + 1):
            if line.strip():
                yield number, line
        return
    yield first_no, first + stream.read()


def _complete(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True
