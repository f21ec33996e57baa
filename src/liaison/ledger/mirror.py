"""An oversight body's copy of the ledger, kept up to date by pulls that trust nothing but
pinned keys and the copy itself (issue 12, item 3; docs/ledger.md, "Mirroring the ledger").

A pull (``pull``):

1. reads the log's latest checkpoint and opens it with the pinned verifier key (C2SP
   signed-note, tlog-checkpoint; the origin must stay the one accepted first) and, when
   asked, requires ``K`` cosignatures by the pinned witnesses (C2SP tlog-cosignature);
2. compares it with the last checkpoint accepted: a smaller tree, or the same size with
   another root, is a fork; a larger one must be proved consistent with it (RFC 6962
   2.1.2, checked as RFC 9162 2.1.4.2 says) against the roots the mirror holds;
3. reads the entries the copy lacks, page by page, checks each index and leaf hash
   (RFC 6962 2.1), extends the copy's tree from its right edge, and compares the root with
   the checkpoint's: another root is a fork;
4. only then appends the entries and keeps the checkpoint (``MirrorFolder.commit``).

A fork writes its evidence (both signed checkpoints, what differs) to ``forks/`` and
raises ``ForkDetected``; the copy is kept as it was. Anything else that fails raises
``MirrorError`` and keeps nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import IO, Any, NoReturn

from liaison.errors import ForkDetected, LiaisonError, MirrorError
from liaison.ledger import merkle
from liaison.ledger.checkpoint import Checkpoint, open_checkpoint
from liaison.ledger.cosignature import WitnessKey, require_cosignatures
from liaison.ledger.mirror_source import LogSource, ServedEntry
from liaison.ledger.mirror_store import MirrorFolder, MirrorState
from liaison.ledger.note_keys import Verifier, b64encode
from liaison.ledger.verify import TileBuilder

Progress = Callable[[int, int], None]  # (entries fetched, entries to fetch)


@dataclass(frozen=True, slots=True)
class Trust:
    """What a mirror trusts: the log's verifier key and, optionally, ``minimum`` of the
    ``witnesses``' keys."""

    verifier: Verifier
    witnesses: Sequence[WitnessKey] = ()
    minimum: int = 0


@dataclass(frozen=True, slots=True)
class Pulled:
    """What a pull did: the copy's size before and after, and its root."""

    before: int
    size: int
    root: bytes
    cosigned_by: tuple[str, ...]

    @property
    def added(self) -> int:
        return self.size - self.before


def pull(
    source: LogSource, folder: MirrorFolder, trust: Trust, progress: Progress | None = None
) -> Pulled:
    """One pull of ``source`` into ``folder``, checked as the module says."""
    state = folder.load(source.url)
    note = source.latest_checkpoint()
    checkpoint, witnesses = _open(note, trust, state)
    fork = _Forks(folder, state, folder.accepted_note(state), note, checkpoint)
    if state.checkpoint is not None:
        if checkpoint.size < state.size:
            fork.found(
                f"the log's latest checkpoint has {checkpoint.size} entries, fewer "
                f"than the {state.size} of the one accepted (a rollback)"
            )
        if checkpoint.size == state.size:
            if checkpoint.root != state.root:
                fork.found("two checkpoints of the same size with different roots")
            return Pulled(state.size, state.size, state.root, witnesses)
        if state.size > 0:
            _check_consistency(source, state, checkpoint, fork)
    tree = state.builder()
    with folder.stage() as staged:
        _fetch(source, state.size, checkpoint.size, tree, staged, progress)
        root = tree.root()
        if root != checkpoint.root:
            fork.found(
                f"the entries {state.size}..{checkpoint.size - 1} served, after the "
                f"{state.size} of the copy, make the root {b64encode(root)}, not the signed one",
                recomputed_root=b64encode(root),
            )
        new = replace(
            state,
            origin=checkpoint.origin,
            size=checkpoint.size,
            root=root,
            right_edge=tree.partial(),
            checkpoint=f"{checkpoint.size}.note",
        )
        folder.commit(state, new, staged, note)
    return Pulled(state.size, checkpoint.size, root, witnesses)


def _open(note: str, trust: Trust, state: MirrorState) -> tuple[Checkpoint, tuple[str, ...]]:
    """The checkpoint of ``note``, signed by the pinned key, of the origin accepted before,
    cosigned as required; ``MirrorError`` otherwise (nothing is kept)."""
    try:
        checkpoint = open_checkpoint(note, trust.verifier, state.origin)
    except LiaisonError as exc:
        raise MirrorError(f"the log's latest checkpoint is refused: {exc.message}") from None
    found: tuple[str, ...] = ()
    if trust.minimum or trust.witnesses:
        try:
            cosigned = require_cosignatures(note, trust.witnesses, trust.minimum)
        except LiaisonError as exc:
            raise MirrorError(
                f"the log's checkpoint of size {checkpoint.size} is refused: {exc.message}"
            ) from None
        found = tuple(c.witness for c in cosigned)
    return checkpoint, found


def _check_consistency(
    source: LogSource, state: MirrorState, checkpoint: Checkpoint, fork: _Forks
) -> None:
    """The log's proof that the signed tree extends the copy's; a fork when it does not."""
    proof = source.consistency(state.size, checkpoint.size)
    if not merkle.verify_consistency(
        state.size, checkpoint.size, state.root, checkpoint.root, proof
    ):
        fork.found(
            f"the log's consistency proof from size {state.size} to {checkpoint.size} does "
            "not prove that the signed tree extends the one accepted",
            consistency_proof=[b64encode(h) for h in proof],
        )


def _fetch(
    source: LogSource,
    start: int,
    stop: int,
    tree: TileBuilder,
    staged: IO[bytes],
    progress: Progress | None,
) -> None:
    """Entries ``[start, stop)`` into ``tree`` and ``staged``, each checked as served."""
    for page in source.entries(start, stop):
        for entry in page:
            tree.extend(0, _leaf(entry, tree.size))
            line = {"index": entry.index, "entry": entry.text}
            staged.write(json.dumps(line, ensure_ascii=False).encode("utf-8") + b"\n")
        if progress is not None:
            progress(tree.size - start, stop - start)
    if tree.size != stop:
        raise MirrorError(f"the log served {tree.size - start} entries of {stop - start}")


def _leaf(entry: ServedEntry, expected: int) -> bytes:
    """The leaf hash of ``entry`` (RFC 6962: SHA-256(0x00 || entry)), where it belongs."""
    if entry.index != expected:
        raise MirrorError(f"the log served entry {entry.index} where entry {expected} belongs")
    try:
        leaf = merkle.leaf_hash(entry.text.encode("utf-8"))
    except UnicodeEncodeError:
        raise MirrorError(f"entry {entry.index}: not Unicode text") from None
    if leaf != entry.leaf_hash:
        raise MirrorError(f"entry {entry.index}: its leaf_hash is not the hash of its text")
    return leaf


class _Forks:
    """Writes the evidence of a fork and raises ``ForkDetected``."""

    def __init__(
        self,
        folder: MirrorFolder,
        state: MirrorState,
        accepted: str | None,
        served: str,
        checkpoint: Checkpoint,
    ) -> None:
        self.folder, self.state, self.accepted = folder, state, accepted
        self.served, self.checkpoint = served, checkpoint

    def found(self, what: str, **details: Any) -> NoReturn:
        evidence = {
            "detected_at": datetime.now(UTC).isoformat(),
            "log": self.state.url,
            "origin": self.checkpoint.origin,
            "what": what,
            "accepted": {
                "size": self.state.size,
                "root": b64encode(self.state.root),
                "checkpoint": self.accepted,
            },
            "served": {
                "size": self.checkpoint.size,
                "root": b64encode(self.checkpoint.root),
                "checkpoint": self.served,
            },
            **details,
        }
        path = self.folder.write_fork(evidence)
        raise ForkDetected(f"FORK: {what}; evidence in {path}", str(path))
