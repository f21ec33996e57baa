"""A mirror's folder (docs/ledger.md, "Mirroring the ledger"): an oversight body's copy of
the ledger, changed only by a pull that verified everything, all at once.

Layout of ``DIR``:

- ``entries.jsonl``: the entries, append-only, one bundle entry line each
  (``{"index": i, "entry": <canonical JSON text>}``, ``liaison.ledger.bundle``);
- ``checkpoints/<size>.note``: every checkpoint accepted, as served (the log's signed note
  and the witnesses' cosignature lines, C2SP tlog-checkpoint and tlog-cosignature), a file
  for ``liaison verify-bundle --trusted``;
- ``state.json``: the copy's size and root, the byte length of ``entries.jsonl`` at that
  size, the right edge of its tree (the partial tiles, ``liaison.ledger.tiles``, that
  extend the root without reading the entries again), the last checkpoint accepted, the
  key that signed it (``vkey``) and the key rotations followed (``rotations``: entry,
  old and new key, size and root, each checked when it was pulled);
- ``forks/<time>.json``: the evidence of each fork seen.

A pull commits by renaming ``state.json`` over the old one (after writing the entries past
the old length and the checkpoint file, each synced): an interrupted pull leaves the old
state, and entry lines past its length, which the next pull cuts, are not part of the copy.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from liaison.errors import InvalidKey, MirrorError
from liaison.ledger import merkle
from liaison.ledger.key_chain import Rotation
from liaison.ledger.key_follow import rotation_from_json, rotation_json
from liaison.ledger.note_keys import b64encode
from liaison.ledger.tiles import TileKey
from liaison.ledger.verify import TileBuilder

FORMAT = "liaison-mirror"
STATE = "state.json"
ENTRIES = "entries.jsonl"


@dataclass
class MirrorState:
    """What the copy holds: ``size`` entries making ``root``, the last checkpoint accepted
    (its file name in ``checkpoints/``, None before the first pull)."""

    url: str
    origin: str | None = None
    size: int = 0
    root: bytes = merkle.EMPTY_ROOT
    entries_bytes: int = 0
    right_edge: list[tuple[TileKey, bytes]] = field(default_factory=list)
    checkpoint: str | None = None
    vkey: str | None = None  # the key that signed the last checkpoint accepted
    rotations: list[Rotation] = field(default_factory=list)  # the key rotations followed

    def builder(self) -> TileBuilder:
        """The tree of the copy, ready to take more leaves."""
        try:
            return TileBuilder.resume(self.size, self.right_edge)
        except ValueError as exc:
            raise MirrorError(f"{STATE}: {exc}") from None

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": 1,
            "url": self.url,
            "origin": self.origin,
            "size": self.size,
            "root": b64encode(self.root),
            "entries_bytes": self.entries_bytes,
            "right_edge": [[lvl, idx, b64encode(tile)] for (lvl, idx), tile in self.right_edge],
            "checkpoint": self.checkpoint,
            "vkey": self.vkey,
            "rotations": [rotation_json(r) for r in self.rotations],
            "updated_at": datetime.now(UTC).isoformat(),
        }


class MirrorFolder:
    """The folder ``DIR`` of a mirror; ``load`` it, ``stage`` new entries, ``commit``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def load(self, url: str) -> MirrorState:
        """The copy's state (an empty one in a new folder); entry lines an interrupted pull
        left past it are cut."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / STATE
        if not path.exists():
            state = MirrorState(url)
        else:
            try:
                state = _parse_state(json.loads(path.read_text(encoding="utf-8")), url)
            except (ValueError, KeyError, TypeError, binascii.Error, InvalidKey) as exc:
                raise MirrorError(f"{path}: not a mirror's state ({exc})") from None
        self._cut_entries(state.entries_bytes)
        return state

    def accepted_note(self, state: MirrorState) -> str | None:
        """The signed note of the last checkpoint accepted."""
        if state.checkpoint is None:
            return None
        path = self.folder / "checkpoints" / state.checkpoint
        try:
            return path.read_text(encoding="utf-8")
        except OSError as exc:
            raise MirrorError(f"{path}: {exc.strerror}") from None

    def _cut_entries(self, length: int) -> None:
        path = self.folder / ENTRIES
        have = path.stat().st_size if path.exists() else 0
        if have < length:
            raise MirrorError(f"{path} holds {have} bytes, less than the {length} of its state")
        if have > length:
            with open(path, "r+b") as handle:
                handle.truncate(length)

    @contextmanager
    def stage(self) -> Iterator[IO[bytes]]:
        """A temporary file for the entry lines of a pull (removed afterwards)."""
        path = self.folder / ".pull.jsonl.tmp"
        try:
            with open(path, "w+b") as handle:
                yield handle
        finally:
            path.unlink(missing_ok=True)

    def commit(self, old: MirrorState, new: MirrorState, staged: IO[bytes], note: str) -> None:
        """Append the staged lines, keep the checkpoint ``note``, then the new state (the
        commit point: until it is renamed in place, the old state is the copy)."""
        if new.checkpoint is None:
            raise ValueError("a commit keeps a checkpoint")
        _write_atomic(self.folder / "checkpoints" / new.checkpoint, note.encode("utf-8"))
        staged.flush()
        staged.seek(0)
        entries = self.folder / ENTRIES
        with open(entries, "ab") as out:
            out.truncate(old.entries_bytes)
            out.seek(old.entries_bytes)
            shutil.copyfileobj(staged, out)
            out.flush()
            os.fsync(out.fileno())
            new.entries_bytes = out.tell()
        body = json.dumps(new.to_json(), indent=1).encode("utf-8") + b"\n"
        _write_atomic(self.folder / STATE, body)

    def write_fork(self, evidence: dict[str, Any]) -> Path:
        """Keep the evidence of a fork in ``forks/<time>.json``; its path."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        path = self.folder / "forks" / f"{stamp}.json"
        _write_atomic(path, json.dumps(evidence, indent=1, ensure_ascii=False).encode("utf-8"))
        return path


def _write_atomic(path: Path, data: bytes) -> None:
    """``data`` in ``path``, whole or not at all: a synced temporary file renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    with open(temp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _parse_state(value: dict[str, Any], url: str) -> MirrorState:
    if value.get("format") != FORMAT or value.get("version") != 1:
        raise ValueError(f"not {FORMAT} version 1")
    if value["url"].rstrip("/") != url.rstrip("/"):
        raise MirrorError(f"this folder mirrors {value['url']}, not {url} (one folder per log)")
    edge = [
        ((int(lvl), int(idx)), base64.b64decode(t, validate=True))
        for lvl, idx, t in value["right_edge"]
    ]
    size, length = int(value["size"]), int(value["entries_bytes"])
    if size < 0 or length < 0:
        raise ValueError("a negative size or length")
    checkpoint = value.get("checkpoint")
    return MirrorState(
        url=value["url"],
        origin=value.get("origin"),
        size=size,
        root=base64.b64decode(value["root"], validate=True),
        entries_bytes=length,
        right_edge=edge,
        checkpoint=str(checkpoint) if checkpoint is not None else None,
        vkey=str(value["vkey"]) if value.get("vkey") is not None else None,
        rotations=[rotation_from_json(r) for r in value.get("rotations", [])],
    )
