"""Signing checkpoints of the stored tree (C2SP tlog-checkpoint) and keeping them.

A checkpoint is signed only when it extends the last tree the key signed
(``liaison.ledger.signer_memory``): the consistency proof from that tree to this one is
checked before the key signs. Each signed checkpoint is kept in ``ledger_checkpoints``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select

from liaison.errors import SignerRefused
from liaison.ledger.checkpoint import Checkpoint
from liaison.ledger.note_keys import Signer
from liaison.ledger.proofs import consistency_proof
from liaison.ledger.reads import aware
from liaison.ledger.signer_memory import SignerMemory
from liaison.ledger.store import TreeStore, blob
from liaison.storage.database import driver_cursor, write_transaction
from liaison.storage.tables import ledger_checkpoints


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    size: int
    root: bytes
    note: str
    created_at: datetime


_KEPT_NOTES = select(ledger_checkpoints.c.note).order_by(ledger_checkpoints.c.size.desc())


def sign_and_keep_checkpoint(
    store: TreeStore, origin: str, signer: Signer, memory: SignerMemory
) -> StoredCheckpoint:
    """Sign and keep a checkpoint of the current tree (the kept one, if it is signed
    already); ``SignerRefused`` when it does not extend what the key signed before."""
    with memory.locked(), write_transaction(store.engine) as conn:
        size, root = store.lock_head(conn)
        existing = conn.execute(
            select(ledger_checkpoints).where(ledger_checkpoints.c.size == size)
        ).one_or_none()
        if existing is not None:
            if blob(existing.root) == root:
                return _checkpoint(existing)
            raise SignerRefused(
                f"the kept checkpoint of size {size} has another root than the tree: the "
                "ledger or its checkpoints were altered; refusing to sign"
            )
        cur = driver_cursor(conn)
        try:
            note = memory.sign(
                signer,
                Checkpoint(origin, size, root),
                lambda old: consistency_proof(store, cur, old, size).hashes,
                lambda: [str(n) for n in conn.execute(_KEPT_NOTES).scalars()],
            )
        finally:
            cur.close()
        made = StoredCheckpoint(size, root, note, datetime.now(UTC))
        conn.execute(
            insert(ledger_checkpoints),
            [{"size": size, "root": root, "note": note, "created_at": made.created_at}],
        )
    return made


def kept_checkpoints(engine: Engine) -> list[StoredCheckpoint]:
    with engine.connect() as conn:
        rows = conn.execute(select(ledger_checkpoints).order_by(ledger_checkpoints.c.size)).all()
    return [_checkpoint(r) for r in rows]


def latest_checkpoint(engine: Engine) -> StoredCheckpoint | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(ledger_checkpoints).order_by(ledger_checkpoints.c.size.desc()).limit(1)
        ).one_or_none()
    return _checkpoint(row) if row is not None else None


def _checkpoint(row: Any) -> StoredCheckpoint:
    return StoredCheckpoint(int(row.size), blob(row.root), str(row.note), aware(row.created_at))
