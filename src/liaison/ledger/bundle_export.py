"""Exporting a ledger bundle: the one line generator behind ``liaison ledger export`` and
``GET /v1/ledger/bundle`` (docs/ledger.md, "Checking the ledger independently").

The format is ``liaison.ledger.bundle``'s (JSON Lines: a header, one line per kept
checkpoint, one line per entry). Each checkpoint line holds the checkpoint's cosigned note
(``StoredCheckpoint.cosigned_note``): the log's signed note (C2SP tlog-checkpoint) with the
witnesses' cosignature lines after its signature (C2SP tlog-cosignature), still a signed
note for the log's key, whose verifiers ignore the lines of keys they do not know
(C2SP signed-note). A bundle may stop at a tree size ``to``: entries ``0..to-1``, the
head of the tree of that size (its root from the stored tiles, RFC 6962 2.1) and only the
checkpoints of at most that size, so an auditor can fetch the bundle as of a checkpoint.

Everything that can refuse is checked before the first line (``plan_export``): a database
that keeps a checkpoint larger than its tree (truncation) is refused, never exported
without it. The lines are then produced from entries read in batches (the whole ledger is
never in memory), and ``gzip_chunks`` compresses them as they come (RFC 1952).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from liaison.errors import LedgerError, NotFound
from liaison.ledger.log import Ledger
from liaison.ledger.note_keys import b64encode
from liaison.ledger.signing import StoredCheckpoint
from liaison.storage.database import read_cursor

FORMAT = "liaison-ledger-bundle"
BATCH = 2000  # entries read per query while streaming


@dataclass(frozen=True, slots=True)
class ExportPlan:
    """What a bundle holds, fixed before its first line: the tree of ``size`` entries
    (``root``) and the kept checkpoints of at most that size, oldest first."""

    ledger: Ledger
    vkey: str
    size: int
    root: bytes
    checkpoints: list[StoredCheckpoint]

    def header(self) -> dict[str, object]:
        return {
            "format": FORMAT,
            "version": 1,
            "origin": self.ledger.origin,
            "vkey": self.vkey,
            "size": self.size,
            "root": b64encode(self.root),
            "exported_at": datetime.now(UTC).isoformat(),
        }

    def lines(self) -> Iterator[str]:
        """The bundle's lines, each ending in a newline; entries read ``BATCH`` at a time."""
        yield json.dumps(self.header()) + "\n"
        for cp in self.checkpoints:
            yield json.dumps({"checkpoint": cp.cosigned_note}, ensure_ascii=False) + "\n"
        for entry in self.ledger.entries(0, self.size, batch=BATCH):
            line = {"index": entry.index, "entry": entry.body.decode("utf-8")}
            yield json.dumps(line, ensure_ascii=False) + "\n"


def plan_export(ledger: Ledger, vkey: str, to: int | None = None) -> ExportPlan:
    """The bundle of the tree of ``to`` entries (default: the whole tree).

    ``LedgerError`` when the database keeps a checkpoint larger than its tree;
    ``NotFound`` when ``to`` is beyond the tree."""
    kept = ledger.checkpoints()  # before the head: a checkpoint signed since is not "beyond"
    with read_cursor(ledger.engine, snapshot=True) as cur:
        tree, root = ledger.store.read_head(cur)
        size = tree if to is None else to
        if size != tree:
            if not 0 <= size < tree:
                raise NotFound(f"the ledger has {tree} entries: no tree of size {size}")
            root = ledger.store.root(cur, size)
    beyond = [c.size for c in kept if c.size > tree]
    if beyond:
        raise LedgerError(
            f"the database keeps a checkpoint of size {max(beyond)}, larger than its tree "
            f"(size {tree}): a sign that the ledger was truncated; refusing to export "
            "(run `liaison ledger verify`)"
        )
    return ExportPlan(ledger, vkey, size, root, [c for c in kept if c.size <= size])


def gzip_chunks(lines: Iterable[str], chunk: int = 64 * 1024) -> Iterator[bytes]:
    """``lines`` (UTF-8) as one gzip member (RFC 1952), in chunks of about ``chunk`` bytes."""
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)  # wbits 16 + 15: the gzip wrapper
    pending: list[bytes] = []
    held = 0
    for line in lines:
        data = packer.compress(line.encode("utf-8"))
        if data:
            pending.append(data)
            held += len(data)
        if held >= chunk:
            yield b"".join(pending)
            pending, held = [], 0
    pending.append(packer.flush())
    yield b"".join(pending)


def export_bundle(ledger: Ledger, path: Path, vkey: str, to: int | None = None) -> tuple[int, int]:
    """Write the bundle to ``path`` (gzip when it ends in ``.gz``); return (entries,
    checkpoints) written."""
    plan = plan_export(ledger, vkey, to)
    written = 0

    def counted() -> Iterator[str]:
        nonlocal written
        for line in plan.lines():
            written += line.startswith('{"index"')
            yield line

    if path.name.endswith(".gz"):
        with open(path, "wb") as raw:
            raw.writelines(gzip_chunks(counted()))
    else:
        with open(path, "w", encoding="utf-8") as out:
            out.writelines(counted())
    return written, len(plan.checkpoints)


__all__ = ["FORMAT", "ExportPlan", "export_bundle", "gzip_chunks", "plan_export"]
