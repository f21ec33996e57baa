"""The signer's memory: the last checkpoint it signed, kept beside the key, not in the database.

The database is not trusted. Without this memory, someone who can write to it (and has no
key) could rebuild the leaf hashes, tiles and head of a rewritten log, delete the kept
checkpoints, and have the next checkpoint sign the rewritten tree. So the signer signs a
tree of size n with root r (C2SP tlog-checkpoint) only when it extends the last tree it
signed, (m, r'):

- n < m: refused (a rollback or truncation below a signed size);
- n = m: only when r = r' (the remembered note is served again; nothing new is signed);
- n > m: only with an RFC 6962 section 2.1.2 consistency proof from (m, r') to (n, r),
  built by the ledger's own proof code and verified here (``merkle.verify_consistency``).
  The empty tree (m = 0) is consistent with every tree.

The memory is ``ledger.signed`` in the key folder: JSON ``{"origin", "vkey", "size",
"root", "note"}``, replaced atomically (``liaison.files.write_private``: temporary file,
fsync, rename; mode 0600) *before* a new note is stored or returned. Signing holds an
exclusive lock (``flock(2)`` on ``ledger.signed.lock``), so processes on one host that
share the key folder cannot race; each host's key folder has its own memory.

A key folder with a key but no memory (a deployment from before this file existed)
starts from the newest kept checkpoint whose signature verifies with the key, logged as a
warning; when there is none and the tree is not empty, signing is refused until
``liaison ledger signer-init`` (``initial_memory``) is run.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from liaison.errors import LiaisonError, SignerRefused
from liaison.files import PRIVATE_FILE, write_private
from liaison.ledger import merkle
from liaison.ledger.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from liaison.ledger.note_keys import Signer
from liaison.logs import get_logger

MEMORY_FILE = "ledger.signed"
LOCK_FILE = "ledger.signed.lock"
log = get_logger("liaison.ledger.signer")


@dataclass(frozen=True, slots=True)
class Signed:
    """The last tree a key signed (size 0 and the empty root: nothing yet)."""

    origin: str
    vkey: str
    size: int
    root: bytes
    note: str | None

    def to_json(self) -> bytes:
        root = base64.b64encode(self.root).decode()
        fields = {"origin": self.origin, "vkey": self.vkey, "size": self.size, "root": root}
        return (json.dumps({**fields, "note": self.note}, indent=1) + "\n").encode()

    @classmethod
    def nothing(cls, origin: str, signer: Signer) -> Signed:
        return cls(origin, signer.verifier.vkey, 0, merkle.EMPTY_ROOT, None)


Prove = Callable[[int], list[bytes]]  # old size -> consistency proof to the tree to sign
Kept = Callable[[], Iterable[str]]  # the kept checkpoint notes, newest first


class SignerMemory:
    """The memory of one key folder (``folder=None``: of this process only, for tests)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._thread_lock = threading.Lock()
        self._in_process: Signed | None = None

    @property
    def path(self) -> Path | None:
        return None if self.folder is None else self.folder / MEMORY_FILE

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive use of the memory, across threads and processes of this host."""
        with self._thread_lock:
            if self.folder is None:
                yield
                return
            fd = os.open(self.folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)  # releases the lock

    def recall(self) -> Signed | None:
        path = self.path
        if path is None:
            return self._in_process
        try:
            item = json.loads(path.read_bytes())
            return Signed(
                str(item["origin"]),
                str(item["vkey"]),
                int(item["size"]),
                base64.b64decode(item["root"], validate=True),
                None if item["note"] is None else str(item["note"]),
            )
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError) as exc:
            raise SignerRefused(f"the signer's memory {path} is unreadable ({exc})") from None

    def remember(self, signed: Signed) -> None:
        """Keep ``signed`` durably (call under ``locked``)."""
        if self.path is None:
            self._in_process = signed
        else:
            write_private(self.path, signed.to_json())

    def sign(self, signer: Signer, tree: Checkpoint, prove: Prove, kept: Kept) -> str:
        """The note of ``tree`` signed by ``signer``, remembered before it is returned; or
        ``SignerRefused`` when the tree does not extend the last one signed (call under
        ``locked``, with the tree's head locked)."""
        last: Signed | None = None
        try:
            last = self.recall() or self._first_memory(signer, tree, kept)
            check_extends(last, signer.verifier.vkey, tree, prove)
        except SignerRefused as exc:
            signed = None if last is None else last.size
            log.error("checkpoint_refused", reason=exc.message, size=tree.size, signed=signed)
            raise
        if last.size == tree.size and last.note is not None:
            return last.note
        note = sign_checkpoint(tree, signer)
        self.remember(Signed(tree.origin, signer.verifier.vkey, tree.size, tree.root, note))
        return note

    def _first_memory(self, signer: Signer, tree: Checkpoint, kept: Kept) -> Signed:
        """The upgrade path of a key folder without a memory (see the module's docstring)."""
        if self.path is None:
            return Signed.nothing(tree.origin, signer)
        start = initial_memory(signer, tree.origin, kept())
        if start.note is None and tree.size > 0:
            raise SignerRefused(
                f"the signer has no memory of what it signed ({self.path} is missing) and "
                "the database keeps no checkpoint signed by this key: check the ledger "
                "(`liaison ledger verify --structure-only`), then run "
                "`liaison ledger signer-init`"
            )
        log.warning(
            "signer_memory_initialised",
            path=str(self.path),
            size=start.size,
            source="the newest kept checkpoint signed by this key" if start.note else "empty",
        )
        self.remember(start)
        return start


def initial_memory(signer: Signer, origin: str, notes: Iterable[str]) -> Signed:
    """The first memory of a key: the newest kept checkpoint (notes newest first) whose
    signature verifies with it, for ``origin``; else nothing signed (size 0)."""
    for note in notes:
        try:
            cp = open_checkpoint(note, signer.verifier, origin)
        except LiaisonError:  # a note this key did not sign (or malformed) is skipped
            continue
        return Signed(origin, signer.verifier.vkey, cp.size, cp.root, note)
    return Signed.nothing(origin, signer)


def check_extends(last: Signed, vkey: str, tree: Checkpoint, prove: Prove) -> None:
    """Refuse unless ``tree`` extends ``last`` (RFC 6962 section 2.1.2), the memory of the
    key whose verifier key is ``vkey``."""
    if last.vkey != vkey or last.origin != tree.origin:
        raise SignerRefused(
            f"the signer's memory is of another key or origin ({last.origin}, {last.vkey}): "
            "run `liaison ledger signer-init --force` if the key was replaced on purpose"
        )
    if tree.size < last.size:
        raise SignerRefused(
            f"the tree has {tree.size} entries but this key signed a tree of {last.size}: "
            "the ledger was rolled back or truncated; refusing to sign"
        )
    if tree.size == last.size:
        if tree.root != last.root:
            raise SignerRefused(
                f"the tree of size {tree.size} has another root than the one this key "
                "signed: the ledger was rewritten; refusing to sign"
            )
        return
    if last.size == 0:
        return
    try:
        proof = prove(last.size)
    except (LiaisonError, LookupError, ValueError) as exc:
        raise SignerRefused(
            f"no consistency proof from the signed tree of size {last.size} to size "
            f"{tree.size} ({exc}); refusing to sign"
        ) from None
    if not merkle.verify_consistency(last.size, tree.size, last.root, tree.root, proof):
        raise SignerRefused(
            f"the tree of size {tree.size} is not consistent with the tree of size "
            f"{last.size} this key signed (RFC 6962 consistency proof fails): the ledger "
            "was rewritten; refusing to sign"
        )


def describe(signed: Signed) -> dict[str, Any]:
    """The memory as the CLI prints it."""
    root = base64.b64encode(signed.root).decode()
    return {"origin": signed.origin, "size": signed.size, "root": root}


__all__ = [
    "MEMORY_FILE",
    "Signed",
    "SignerMemory",
    "check_extends",
    "initial_memory",
]
