"""An import's work on two cores (issue 13, item 5: a 1,000,000-row log in a minute): a
child process reads, classifies, judges, renders and seals the rows (``Importer.prepared``),
and the importing process appends each batch to the ledger as it arrives.

The batches go through a pipe, one at a time: the child waits while the pipe is full, so no
more than a batch or two is ever held, whatever the file's size. The child is forked (it
starts with the rule set, the organisation table and the pack already loaded) and never
touches the database: it first forgets the parent's pooled connections without closing them
(SQLAlchemy's advice for forked processes). A failure in the child arrives as the error it
raised (itself; or its class, message and notes when it does not pickle), after the batches
before it, so what was appended stays appended; the child's death without a word is a
failure too. Where ``fork`` does not exist the work is done in one process.

The importing process receives on a thread of its own, up to ``AHEAD`` messages ahead of the
one it is appending (their bytes, unpickled when their turn comes): a batch that is slow to
append (a commit that checkpoints the database) does not hold the child up, and the child's
own pace stays the import's.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue
import threading
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from sqlalchemy import Engine

from liaison import errors

T = TypeVar("T")
WAIT = 5.0  # seconds between checks that a silent child is still alive
AHEAD = 2  # messages received ahead of the one in hand (memory: a batch is a few MB)
_END = b""  # the receiving thread's word that nothing more will come (a message never is)


def in_child(
    produce: Callable[[], Iterator[T]], tally: Callable[[], Any], engine: Engine
) -> Iterator[T | Tally]:
    """``produce()``'s items, made in a forked child, in order, then ``Tally(tally())`` as
    the child saw it at the end; made here when ``fork`` is not available."""
    if "fork" not in multiprocessing.get_all_start_methods():
        yield from produce()
        yield Tally(tally())
        return
    fork = multiprocessing.get_context("fork")
    receive, send = fork.Pipe(duplex=False)
    child = fork.Process(target=_child, args=(produce, tally, engine, send, receive), daemon=True)
    child.start()
    send.close()
    arrived: queue.Queue[bytes | BaseException] = queue.Queue(maxsize=AHEAD)
    stop = threading.Event()
    thread = threading.Thread(target=_receive, args=(receive, child, arrived, stop), daemon=True)
    thread.start()
    try:
        yield from _received(arrived)
    finally:
        stop.set()
        if child.is_alive():
            child.terminate()
        child.join()
        thread.join()
        receive.close()


class Tally:
    """The child's last word: what ``tally`` returned once every item was sent."""

    def __init__(self, value: Any) -> None:
        self.value = value


def _received(arrived: queue.Queue[bytes | BaseException]) -> Iterator[Any]:
    """The child's items, unpickled in turn from what the receiving thread got, then its
    tally; its error raised here."""
    while True:
        message = arrived.get()
        if isinstance(message, BaseException):
            raise message
        if message == _END:
            raise errors.LiaisonError("the import's reading process stopped mid-way")
        kind, value = pickle.loads(message)
        if kind == "item":
            yield value
        elif kind == "tally":
            yield Tally(value)
            return
        else:
            raise value if isinstance(value, BaseException) else _error(*value)


def _receive(
    receive: Connection,
    child: Any,
    arrived: queue.Queue[bytes | BaseException],
    stop: threading.Event,
) -> None:
    """The receiving thread: each message's bytes into ``arrived``, in order, then
    ``_END`` (the pipe closed) or the error that ended it; until ``stop``."""
    message: bytes | BaseException
    while not stop.is_set():
        try:
            if not receive.poll(WAIT):
                if child.is_alive():
                    continue
                message = errors.LiaisonError(
                    f"the import's reading process stopped without a word (exit {child.exitcode})"
                )
            else:
                message = receive.recv_bytes()
        except EOFError:
            message = _END
        except OSError as exc:
            message = errors.LiaisonError(f"the import's reading process: {exc}")
        while not stop.is_set():
            try:
                arrived.put(message, timeout=WAIT / 10)
                break
            except queue.Full:
                continue
        if not isinstance(message, bytes) or message == _END:
            return


def _child(
    produce: Callable[[], Iterator[Any]],
    tally: Callable[[], Any],
    engine: Engine,
    send: Connection,
    receive: Connection,
) -> None:
    receive.close()
    engine.dispose(close=False)  # the parent's connections are the parent's
    try:
        for item in produce():
            send.send(("item", item))
        send.send(("tally", tally()))
    except BaseException as exc:  # every failure goes to the parent, which decides
        send.send(("error", _portable(exc)))
    finally:
        send.close()
        os._exit(0)


def _portable(exc: BaseException) -> BaseException | tuple[str, str, list[str]]:
    """``exc`` itself when it survives pickling whole, else its class name, message, notes."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return type(exc).__name__, str(exc), list(getattr(exc, "__notes__", ()))
    return exc


def _error(name: str, message: str, notes: list[str]) -> BaseException:
    """The child's error, as its liaison class when it has one (else ``LiaisonError``)."""
    kind = getattr(errors, name, None)
    exc: BaseException
    if isinstance(kind, type) and issubclass(kind, errors.LiaisonError):
        try:
            exc = kind(message)
        except TypeError:
            exc = errors.LiaisonError(message)
    else:
        exc = errors.LiaisonError(f"{name}: {message}")
    for note in notes:
        exc.add_note(note)
    return exc
