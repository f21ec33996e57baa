"""An oversight body's copy of the ledger, kept up to date by pulls that trust nothing but
pinned keys and the copy itself (issue 12, item 3; docs/ledger.md, "Mirroring the ledger").

A pull (``pull``):

1. reads the log's latest checkpoint and, when asked, requires ``K`` cosignatures by the
   pinned witnesses (C2SP tlog-cosignature): while the latest is not cosigned yet, the
   pull goes up to the newest kept checkpoint that is, and says so
   (``liaison.ledger.mirror_target``); it opens it with the key of its size (C2SP
   signed-note, tlog-checkpoint; the origin must stay the one accepted first): the pinned
   verifier key, or the key the log's ``key_rotation`` entries hand over to from it
   (``liaison.ledger.key_follow``: the rotations the copy holds, and those among the
   entries fetched, each signed by the key trusted before it and the new one, naming the
   copy's tree at its size);
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
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import IO, Any, NoReturn

from liaison.errors import ForkDetected, LiaisonError, MirrorError
from liaison.ledger import merkle
from liaison.ledger.checkpoint import Checkpoint, claimed_size, open_checkpoint
from liaison.ledger.cosignature import WitnessKey
from liaison.ledger.findings import Finding
from liaison.ledger.key_chain import KeyChain, Rotation
from liaison.ledger.key_follow import follow, root_finding, rotation_in
from liaison.ledger.mirror_source import LogSource, ServedEntry
from liaison.ledger.mirror_store import MirrorFolder, MirrorState
from liaison.ledger.mirror_target import Target, choose
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
    """What a pull did: the copy's size before and after, its root, the witnesses that
    cosigned the checkpoint pulled to, why it is not the log's latest (``said``), the key
    that signed it and the rotation entries followed."""

    before: int
    size: int
    root: bytes
    cosigned_by: tuple[str, ...]
    said: str = ""
    vkey: str = ""
    rotations: tuple[int, ...] = ()

    @property
    def added(self) -> int:
        return self.size - self.before


def pull(
    source: LogSource, folder: MirrorFolder, trust: Trust, progress: Progress | None = None
) -> Pulled:
    """One pull of ``source`` into ``folder``, checked as the module says. When the log's
    latest checkpoint is not witnessed as required, the pull goes up to the newest that is
    (or is refused), and the latest, if the key signed it, is still compared with the copy
    as pulled: the department names the witnessed checkpoint it serves, so a rewrite the
    witnesses refused must not pass for their lag."""
    state = folder.load(source.url)
    known = _chain(trust, state.rotations)
    head = source.head()
    try:
        target = choose(source, head, trust.witnesses, trust.minimum, state.size)
    except MirrorError:  # not witnessed: still, a fork signed by the key is evidence
        _fork_behind_refusal(source, folder, state, known, head.latest)
        raise
    done = _pull_to(source, folder, trust, target, progress)
    if target.said:  # an older checkpoint than the latest: the latest is checked too
        now = folder.load(source.url)
        _fork_behind_refusal(source, folder, now, _chain(trust, now.rotations), head.latest)
    return done


def _pull_to(
    source: LogSource,
    folder: MirrorFolder,
    trust: Trust,
    target: Target,
    progress: Progress | None,
) -> Pulled:
    """Pull the copy up to ``target``'s checkpoint, checked, kept only when all holds."""
    state = folder.load(source.url)
    known = _chain(trust, state.rotations)
    note = target.note
    size = claimed_size(note)
    if state.checkpoint is not None and size <= state.size:
        checkpoint = _open(note, known.verifier_at(size), state)
        _check_not_behind(folder, state, note, checkpoint)
        vkey = known.verifier_at(size).vkey
        return Pulled(state.size, state.size, state.root, target.cosigned_by, target.said, vkey)
    early = _try_open(note, known.verifier_at(size), state)
    if early is not None:  # signed by the key trusted now: a fork is found before fetching
        _check_consistency(source, folder, state, note, early)
    tree = state.builder()
    with folder.stage() as staged:
        fetched = _fetch(source, state.size, size, tree, staged, progress, _origin(note, state))
        chain = _chain(trust, [*state.rotations, *fetched.rotations], fetched.problems)
        key = chain.verifier_at(size)
        if early is None or key != known.verifier_at(size):
            checkpoint = _open(note, key, state)
            _check_consistency(source, folder, state, note, checkpoint)
        else:
            checkpoint = early
        root = tree.root()
        if root != checkpoint.root:
            _Forks(folder, state, folder.accepted_note(state), note, checkpoint).found(
                f"the entries {state.size}..{checkpoint.size - 1} served, after the "
                f"{state.size} of the copy, make the root {b64encode(root)}, not the signed one",
                recomputed_root=b64encode(root),
            )
        _check_rotation_roots(source, fetched.unproved, checkpoint)
        new = replace(
            state,
            origin=checkpoint.origin,
            size=checkpoint.size,
            root=root,
            right_edge=tree.partial(),
            checkpoint=f"{checkpoint.size}.note",
            vkey=key.vkey,
            rotations=[*state.rotations, *fetched.rotations],
        )
        folder.commit(state, new, staged, note)
    done = tuple(r.index for r in fetched.rotations)
    return Pulled(state.size, size, root, target.cosigned_by, target.said, key.vkey, done)


def _check_not_behind(
    folder: MirrorFolder, state: MirrorState, note: str, checkpoint: Checkpoint
) -> None:
    """A checkpoint no larger than the copy's must be the copy's tree: a fork otherwise."""
    fork = _Forks(folder, state, folder.accepted_note(state), note, checkpoint)
    if checkpoint.size < state.size:
        fork.found(
            f"the log's latest checkpoint has {checkpoint.size} entries, fewer "
            f"than the {state.size} of the one accepted (a rollback)"
        )
    if checkpoint.root != state.root:
        fork.found("two checkpoints of the same size with different roots")


def _fork_behind_refusal(
    source: LogSource, folder: MirrorFolder, state: MirrorState, known: KeyChain, note: str
) -> None:
    """When no checkpoint is witnessed as required, the latest one signed by the key
    trusted now is still compared with the copy: a rewritten history that the witnesses
    refused is reported as the fork it is, with its evidence, not only as unwitnessed."""
    if state.checkpoint is None:
        return
    checkpoint = _try_open(note, known.verifier_at(claimed_size(note)), state)
    if checkpoint is None:
        return
    if checkpoint.size <= state.size:
        _check_not_behind(folder, state, note, checkpoint)
    else:
        _check_consistency(source, folder, state, note, checkpoint)


def _chain(trust: Trust, rotations: Sequence[Rotation], bad: Sequence[Finding] = ()) -> KeyChain:
    """The keys from the pinned one through the rotations the copy holds and those just
    fetched (``liaison.ledger.key_follow``); ``MirrorError`` naming the first entry that
    does not hold."""
    chain = follow(trust.verifier, rotations, bad)
    if chain.problems:
        raise MirrorError(f"pull refused: {chain.problems[0]}")
    return chain


def _origin(note: str, state: MirrorState) -> str:
    """The log's origin: the copy's, else the one the checkpoint claims (checked when the
    checkpoint is opened)."""
    return state.origin or note.split("\n", 1)[0]


def _try_open(note: str, key: Verifier, state: MirrorState) -> Checkpoint | None:
    try:
        return _open(note, key, state)
    except MirrorError:
        return None


def _open(note: str, key: Verifier, state: MirrorState) -> Checkpoint:
    """The checkpoint of ``note``, signed by ``key``, of the origin accepted before;
    ``MirrorError`` otherwise (nothing is kept)."""
    try:
        return open_checkpoint(note, key, state.origin)
    except LiaisonError as exc:
        raise MirrorError(f"the log's latest checkpoint is refused: {exc.message}") from None


def _check_consistency(
    source: LogSource, folder: MirrorFolder, state: MirrorState, note: str, checkpoint: Checkpoint
) -> None:
    """The log's proof that the signed tree extends the copy's; a fork when it does not."""
    if state.checkpoint is None or state.size == 0:
        return
    proof = source.consistency(state.size, checkpoint.size)
    if not merkle.verify_consistency(
        state.size, checkpoint.size, state.root, checkpoint.root, proof
    ):
        _Forks(folder, state, folder.accepted_note(state), note, checkpoint).found(
            f"the log's consistency proof from size {state.size} to {checkpoint.size} does "
            "not prove that the signed tree extends the one accepted",
            consistency_proof=[b64encode(h) for h in proof],
        )


def _check_rotation_roots(
    source: LogSource, rotations: Sequence[Rotation], checkpoint: Checkpoint
) -> None:
    """A rotation naming a tree older than the copy's when its entry came: its (size,
    root) must be a tree the signed one extends (RFC 6962 2.1.2 consistency proof, against
    the copy's root, which is the signed root); ``MirrorError`` naming the entry."""
    for rotation in rotations:
        proved = (
            rotation.root == merkle.EMPTY_ROOT
            if rotation.size == 0
            else merkle.verify_consistency(
                rotation.size,
                checkpoint.size,
                rotation.root,
                checkpoint.root,
                source.consistency(rotation.size, checkpoint.size),
            )
        )
        if not proved:
            raise MirrorError(f"pull refused: {root_finding(rotation, b'')}")


@dataclass
class _Fetched:
    """The rotation entries among the entries fetched, those whose root is still to be
    proved (``_check_rotation_roots``), and the findings about them."""

    rotations: list[Rotation] = field(default_factory=list)
    unproved: list[Rotation] = field(default_factory=list)
    problems: list[Finding] = field(default_factory=list)


def _fetch(
    source: LogSource,
    start: int,
    stop: int,
    tree: TileBuilder,
    staged: IO[bytes],
    progress: Progress | None,
    origin: str,
) -> _Fetched:
    """Entries ``[start, stop)`` into ``tree`` and ``staged``, each checked as served; the
    ``key_rotation`` entries among them, each one's (size, root) compared with the copy's
    tree when it is the tree the entry was appended to."""
    fetched = _Fetched()
    for page in source.entries(start, stop):
        for entry in page:
            leaf = _leaf(entry, tree.size)
            _rotation(entry, origin, tree, fetched)
            tree.extend(0, leaf)
            line = {"index": entry.index, "entry": entry.text}
            staged.write(json.dumps(line, ensure_ascii=False).encode("utf-8") + b"\n")
        if progress is not None:
            progress(tree.size - start, stop - start)
    if tree.size != stop:
        raise MirrorError(f"the log served {tree.size - start} entries of {stop - start}")
    return fetched


def _rotation(entry: ServedEntry, origin: str, tree: TileBuilder, fetched: _Fetched) -> None:
    """A ``key_rotation`` entry into ``fetched`` (``key_follow.rotation_in``)."""
    try:
        rotation = rotation_in(entry.index, entry.text, origin)
    except ValueError as exc:
        fetched.problems.append(Finding(f"entry {entry.index}", str(exc)))
        return
    if rotation is None:
        return
    fetched.rotations.append(rotation)
    if rotation.size == tree.size:  # the tree it was appended to: the copy's, now
        found = root_finding(rotation, tree.root())
        if found is not None:
            fetched.problems.append(found)
    else:
        fetched.unproved.append(rotation)


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
