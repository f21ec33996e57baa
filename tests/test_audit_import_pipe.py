"""The import's child process (``liaison.audit.import_pipe``): items arrive in order and then
the child's tally; a failure arrives after the items before it, as the error raised (or, when
it does not survive pickling, as a liaison error naming its class); a child that dies without
a word is a failure, never a short import; the parent's database connections survive it."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from liaison.audit.import_pipe import Tally, in_child
from liaison.errors import AuditInputError, LiaisonError


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    made = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with made.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
    return made


def _collect(items: Iterator[object]) -> tuple[list[object], object]:
    got, tally = [], None
    for item in items:
        if isinstance(item, Tally):
            tally = item.value
        else:
            got.append(item)
    return got, tally


def test_items_in_order_then_the_tally(engine: Engine) -> None:
    seen: list[int] = []

    def produce() -> Iterator[int]:
        for n in range(2000):
            seen.append(n)  # the child's own list: only the tally tells the parent
            yield n

    got, tally = _collect(in_child(produce, lambda: len(seen), engine))
    assert got == list(range(2000))
    assert tally == 2000
    assert seen == []  # made in the child, not here


def test_a_liaison_error_arrives_as_itself_after_the_items_before_it(engine: Engine) -> None:
    def produce() -> Iterator[int]:
        yield 1
        error = AuditInputError("log.csv:7: the file changed while it was read")
        error.add_note("nothing after row 6 was read")
        raise error

    got: list[object] = []

    def drain() -> None:
        got.extend(in_child(produce, lambda: None, engine))

    with pytest.raises(AuditInputError, match="changed while it was read") as caught:
        drain()
    assert got == [1]
    assert caught.value.__notes__ == ["nothing after row 6 was read"]


def test_an_error_that_does_not_pickle_is_named(engine: Engine) -> None:
    class Local(Exception):
        def __init__(self) -> None:
            super().__init__("no way back")
            self.lock = threading.Lock()  # a lock does not pickle

    def produce() -> Iterator[int]:
        raise Local()
        yield 0  # pragma: no cover

    with pytest.raises(LiaisonError, match="Local: no way back"):
        list(in_child(produce, lambda: None, engine))


def test_a_child_that_dies_is_a_failure_and_the_parent_keeps_its_database(
    engine: Engine,
) -> None:
    with engine.connect() as conn:  # a pooled connection the child inherits
        conn.execute(text("INSERT INTO t VALUES (1)"))
        conn.commit()

    def produce() -> Iterator[int]:
        yield 1
        os._exit(3)

    with pytest.raises(LiaisonError, match="stopped"):
        list(in_child(produce, lambda: None, engine))
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (2)"))
        assert conn.execute(text("SELECT count(*) FROM t")).scalar_one() == 2


def test_a_consumer_that_stops_early_stops_the_child_and_the_receiving_thread(
    engine: Engine,
) -> None:
    """The importing process failing mid-way (an append refused) leaves no child running
    and no thread receiving, however far ahead the child had got."""
    before = threading.active_count()

    def produce() -> Iterator[bytes]:
        while True:  # endless: only the parent can stop it
            yield b"x" * 100_000

    made = in_child(produce, lambda: None, engine)
    assert next(made) == b"x" * 100_000
    assert threading.active_count() == before + 1  # the receiving thread
    children = multiprocessing.active_children()
    assert len(children) == 1
    assert children[0].is_alive()
    made.close()
    assert threading.active_count() == before
    assert multiprocessing.active_children() == []
