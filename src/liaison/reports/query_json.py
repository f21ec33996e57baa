"""A condition on a JSON array held in a text column, the same on SQLite and PostgreSQL
(issue 10, item 1: an encounter's ``flagged`` list, its ``agencies`` and its
``participants``, which its row holds as JSON; docs/api.md, "Querying the records").

``JsonHas(column, path, values, key)`` holds when the array at ``$.path`` of the JSON in
``column`` (the whole value when ``path`` is None) has an element equal to one of
``values`` (strings, or columns of another table: a join on them; with ``key``: an object
whose ``key`` is one of them; ``values`` None: any element at all). SQLite reads it with
``json_each``, PostgreSQL with ``jsonb_array_elements``; ``path`` and ``key`` are the
code's own names, ``values`` bound parameters. ``JsonText(column, *path)`` reads the text at
a path (issue 11: the kind an encounter was opened as, in its first event's record).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Boolean, ColumnElement, String, bindparam
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler

_NAME = re.compile(r"[a-z_]{1,40}")


class JsonHas(ColumnElement[bool]):
    """The array at ``path`` of ``column``'s JSON has one of ``values`` (module docstring)."""

    type = Boolean()
    inherit_cache = False

    def __init__(
        self,
        column: ColumnElement[Any],
        path: str | None,
        values: Sequence[str | ColumnElement[Any]] | None,
        key: str | None = None,
    ) -> None:
        for name in (path, key):
            if name is not None and not _NAME.fullmatch(name):
                raise ValueError(f"not a JSON member name: {name!r}")
        self.column = column
        self.path = path
        self.values = None if values is None else tuple(values)
        self.key = key


def _values(element: JsonHas, compiler: SQLCompiler, item: str, **kw: Any) -> str:
    if element.values is None:
        return ""
    binds = [
        compiler.process(v if isinstance(v, ColumnElement) else bindparam(None, v, String()), **kw)
        for v in element.values
    ]
    return f" WHERE {item} IN ({', '.join(binds)})"


@compiles(JsonHas, "sqlite")
def _sqlite(element: JsonHas, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    path = "'$'" if element.path is None else f"'$.{element.path}'"
    item = "j.value" if element.key is None else f"json_extract(j.value, '$.{element.key}')"
    where = _values(element, compiler, item, **kw)
    return f"EXISTS (SELECT 1 FROM json_each({column}, {path}) AS j{where})"


@compiles(JsonHas, "postgresql")
def _postgresql(element: JsonHas, compiler: SQLCompiler, **kw: Any) -> str:
    column = f"CAST({compiler.process(element.column, **kw)} AS jsonb)"
    array = column if element.path is None else f"({column} -> '{element.path}')"
    item = "j.v #>> '{}'" if element.key is None else f"j.v ->> '{element.key}'"
    where = _values(element, compiler, item, **kw)
    return f"EXISTS (SELECT 1 FROM jsonb_array_elements({array}) AS j(v){where})"


class JsonText(ColumnElement[str]):
    """The text at ``path`` (member names) of ``column``'s JSON, or NULL: the same on
    SQLite (``json_extract``) and PostgreSQL (``#>>``); the names are the code's own."""

    type = String()
    inherit_cache = False

    def __init__(self, column: ColumnElement[Any], *path: str) -> None:
        if not path or not all(_NAME.fullmatch(name) for name in path):
            raise ValueError(f"not a JSON path of member names: {path!r}")
        self.column = column
        self.path = path


@compiles(JsonText, "sqlite")
def _sqlite_text(element: JsonText, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"json_extract({column}, '$.{'.'.join(element.path)}')"


@compiles(JsonText, "postgresql")
def _postgresql_text(element: JsonText, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    return f"(CAST({column} AS jsonb) #>> '{{{','.join(element.path)}}}')"
