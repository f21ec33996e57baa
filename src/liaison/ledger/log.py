"""The ledger: an append-only RFC 6962 log in liaison's database, one object per database.

``Ledger`` ties the layers together, in the way transparency-dev/tessera separates them:
storage (``liaison.ledger.store``: head, tiles, entry rows), sequencing and integration
(``liaison.ledger.sequencer``), reads (``liaison.ledger.reads``), proofs
(``liaison.ledger.proofs``), erasure (``liaison.ledger.erasure``) and checkpoint signing
(``liaison.ledger.signing``). Batching concurrent appends into one transaction is the
group committer's (``liaison.ledger.committer``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Engine

from liaison.errors import LedgerError, NotFound, NothingToErase
from liaison.ledger.checkpoint_signer import CheckpointSigner, LocalSigner
from liaison.ledger.entries import NewEntry, Sealed, seal
from liaison.ledger.erasure import delete_personal
from liaison.ledger.note_keys import Signer
from liaison.ledger.proofs import (
    ConsistencyProof,
    InclusionProof,
    consistency_proof,
    inclusion_proofs,
    root_with_leaves,
)
from liaison.ledger.reads import StoredEntry, read_entries, read_entry
from liaison.ledger.sequencer import Appended, append_sealed
from liaison.ledger.signer_memory import SignerMemory
from liaison.ledger.signing import (
    StoredCheckpoint,
    kept_checkpoints,
    latest_checkpoint,
    sign_and_keep_checkpoint,
)
from liaison.ledger.store import TreeStore
from liaison.storage.database import read_cursor, write_transaction

# What runs in an append's transaction, after the entries are written, with their positions.
AfterAppend = Callable[[Connection, list[Appended]], None]


class Ledger:
    """The log stored in one database (SQLite or PostgreSQL)."""

    def __init__(
        self,
        engine: Engine,
        origin: str,
        signer: Signer | CheckpointSigner | None = None,
        memory: SignerMemory | None = None,
    ) -> None:
        """``signer``: who signs checkpoints (``checkpoint_signer``; a key is signed with
        here, remembering in ``memory``: its key folder's, default: this process's)."""
        self.engine = engine
        self.origin = origin
        if isinstance(signer, Signer):
            signer = LocalSigner(signer, memory if memory is not None else SignerMemory(None))
        self.signer: CheckpointSigner | None = signer
        self.store = TreeStore(engine)

    # -- appending ----------------------------------------------------------------

    def append(self, entry: NewEntry) -> Appended:
        return self.append_many([entry])[0]

    def append_many(
        self, entries: Sequence[NewEntry], after: AfterAppend | None = None
    ) -> list[Appended]:
        """Append ``entries`` in one transaction; return only once they are durable.

        ``after`` runs inside the same transaction with the appended positions, so rows
        that index the entries (decisions, events) commit with them or not at all.
        """
        return self.append_sealed_many([seal(e) for e in entries], after)

    def append_sealed_many(
        self, sealed: list[Sealed], after: AfterAppend | None = None
    ) -> list[Appended]:
        """``append_many`` of entries already sealed (``entries.seal``): a caller that
        needs an entry's canonical bytes for its index rows seals it once."""
        with write_transaction(self.engine) as conn:
            done = append_sealed(self.store, conn, sealed)
            if after is not None:
                after(conn, done)
            return done

    # -- reading --------------------------------------------------------------------

    def head(self) -> tuple[int, bytes]:
        """The current (size, root)."""
        with read_cursor(self.engine) as cur:
            return self.store.read_head(cur)

    def entry(self, index: int) -> StoredEntry:
        """Entry ``index`` with its personal data (``NotFound`` if there is none)."""
        return read_entry(self.engine, index)

    def entries(
        self, start: int = 0, stop: int | None = None, batch: int = 5000
    ) -> Iterator[StoredEntry]:
        """Entries in index order (streamed in batches), without their personal data."""
        return read_entries(self.engine, start, stop, batch)

    # -- proofs ---------------------------------------------------------------------

    def inclusion_proof(self, index: int, size: int | None = None) -> InclusionProof:
        return self.inclusion_proofs([index], size)[0]

    def inclusion_proofs(
        self, indexes: Sequence[int], size: int | None = None
    ) -> list[InclusionProof]:
        """The proofs of ``indexes`` in one tree, from one read of the tiles they need."""
        with read_cursor(self.engine) as cur:
            return inclusion_proofs(self.store, cur, indexes, size)

    def root_with_leaves(self, leaves: dict[int, bytes], size: int) -> bytes:
        """The root of the tree of ``size`` from ``leaves`` (index -> leaf hash) and the
        stored subtrees beside them: many inclusions checked at once against a root."""
        with read_cursor(self.engine) as cur:
            return root_with_leaves(self.store, cur, leaves, size)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> ConsistencyProof:
        with read_cursor(self.engine) as cur:
            return consistency_proof(self.store, cur, old_size, new_size)

    # -- erasure ----------------------------------------------------------------------

    def erase(self, index: int, reason: str, actor: str, authority: str) -> Appended:
        """Delete the personal data of entry ``index`` and record the erasure as an entry.

        Both happen in one transaction; every proof stays valid (the leaf holds only
        the salted hash).
        """

        def chosen(conn: Connection, size: int) -> list[int]:
            if not 0 <= index < size:
                raise NotFound(f"no ledger entry {index}")
            return [index]

        def record(erased: list[int]) -> dict[str, Any]:
            return {"erased_index": index, "reason": reason, "authority": authority}

        try:
            return self.erase_rows(chosen, record, actor)[1]
        except NothingToErase:
            raise LedgerError(
                f"entry {index} holds no personal data (none recorded, or erased)"
            ) from None

    def erase_rows(
        self,
        choose: Callable[[Connection, int], Sequence[int]],
        record: Callable[[list[int]], dict[str, Any]],
        actor: str,
    ) -> tuple[list[int], Appended]:
        """One erasure, all or nothing: in one transaction holding the head (the sequencer,
        so no other erasure or append interleaves), delete the personal rows among those
        ``choose`` names (given the tree size) and append the ``erasure`` entry ``record``
        makes of the indexes actually deleted. Raises ``NothingToErase`` (nothing written)
        when none of them holds personal data."""
        with write_transaction(self.engine) as conn:
            size, _ = self.store.lock_head(conn)
            erased = delete_personal(conn, sorted(set(choose(conn, size))))
            if not erased:
                raise NothingToErase("no personal data to erase")
            entry = seal(NewEntry("erasure", record(erased), actor))
            return erased, append_sealed(self.store, conn, [entry], size)[0]

    # -- checkpoints ------------------------------------------------------------------

    def checkpoint(self) -> StoredCheckpoint:
        """Sign and keep a checkpoint of the current tree (C2SP tlog-checkpoint), only when
        it extends the last tree the key signed (``liaison.ledger.signer_memory``)."""
        if self.signer is None:
            raise LedgerError("no signing key: run `liaison ledger keygen`")
        return sign_and_keep_checkpoint(self.store, self.origin, self.signer)

    def checkpoints(self) -> list[StoredCheckpoint]:
        return kept_checkpoints(self.engine)

    def latest_checkpoint(self) -> StoredCheckpoint | None:
        return latest_checkpoint(self.engine)
