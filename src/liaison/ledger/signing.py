"""Signing checkpoints of the stored tree (C2SP tlog-checkpoint) and keeping them.

A checkpoint is signed only when it extends the last tree the key signed
(``liaison.ledger.signer_memory``): the consistency proof from that tree to this one is
checked before the key signs. Each signed checkpoint is kept in ``ledger_checkpoints``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, insert, select, update

from liaison.errors import NotFound, SignerRefused
from liaison.ledger.checkpoint import Checkpoint
from liaison.ledger.note_keys import b64decode_canonical
from liaison.ledger.proofs import consistency_proof
from liaison.ledger.reads import aware
from liaison.ledger.store import TreeStore, blob
from liaison.storage.database import driver_cursor, write_transaction
from liaison.storage.tables import ledger_checkpoints

if TYPE_CHECKING:
    from liaison.ledger.checkpoint_signer import CheckpointSigner


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    """A kept checkpoint: its signed note, and the witnesses' cosignature lines received
    for it (C2SP tlog-cosignature; unverified as read: check them with the witnesses' keys)."""

    size: int
    root: bytes
    note: str
    created_at: datetime
    cosignatures: str = ""

    @property
    def cosigned_note(self) -> str:
        """The note with the cosignature lines after its own signature (a signed note)."""
        return self.note + self.cosignatures


_KEPT_NOTES = select(ledger_checkpoints.c.note).order_by(ledger_checkpoints.c.size.desc())


def sign_and_keep_checkpoint(
    store: TreeStore, origin: str, signer: CheckpointSigner
) -> StoredCheckpoint:
    """Sign and keep a checkpoint of the current tree (the kept one, if it is signed
    already); ``SignerRefused`` when it does not extend what the key signed before."""
    with signer.locked(), write_transaction(store.engine) as conn:
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
            note = signer.sign(
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


def checkpoints_after(engine: Engine, after: int, limit: int) -> list[StoredCheckpoint]:
    """At most ``limit`` kept checkpoints of a size above ``after``, oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(ledger_checkpoints)
            .where(ledger_checkpoints.c.size > after)
            .order_by(ledger_checkpoints.c.size)
            .limit(limit)
        ).all()
    return [_checkpoint(r) for r in rows]


def latest_checkpoint(engine: Engine) -> StoredCheckpoint | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(ledger_checkpoints).order_by(ledger_checkpoints.c.size.desc()).limit(1)
        ).one_or_none()
    return _checkpoint(row) if row is not None else None


def add_cosignatures(
    engine: Engine, size: int, lines: Iterable[str], note: str | None = None
) -> StoredCheckpoint:
    """Keep cosignature ``lines`` (each a signature line ending in a newline) for the kept
    checkpoint of ``size``; a witness's newer line replaces its older one (same name and
    key ID). The caller verifies them first (``cosignature.verify_cosignatures``) against
    ``note``: given, the kept row must hold that very note (the database may have been
    rewritten meanwhile). ``NotFound`` when no such checkpoint is kept."""
    with write_transaction(engine) as conn:
        row = conn.execute(
            select(ledger_checkpoints).where(ledger_checkpoints.c.size == size)
        ).one_or_none()
        if row is None or (note is not None and str(row.note) != note):
            raise NotFound(f"no kept checkpoint of size {size} with the note cosigned")
        merged = _merge_lines(str(row.cosignatures or ""), lines)
        conn.execute(
            update(ledger_checkpoints)
            .where(ledger_checkpoints.c.size == size)
            .values(cosignatures=merged)
        )
    return replace(_checkpoint(row), cosignatures=merged)


def _merge_lines(kept: str, new: Iterable[str]) -> str:
    """Signature lines keyed by their key (name and key ID prefix), the newest winning."""
    by_key: dict[str, str] = {}
    for line in [*kept.splitlines(keepends=True), *new]:
        if not line.endswith("\n") or line.count("\n") != 1:
            raise ValueError(f"not one signature line: {line!r}")
        name, _, payload = line.partition(" ")[2].partition(" ")
        raw = b64decode_canonical(payload.rstrip("\n"))
        if raw is None or len(raw) < 5:
            raise ValueError(f"not a signature line: {line!r}")
        by_key[f"{name}+{raw[:4].hex()}"] = line
    return "".join(by_key.values())


def _checkpoint(row: Any) -> StoredCheckpoint:
    return StoredCheckpoint(
        int(row.size),
        blob(row.root),
        str(row.note),
        aware(row.created_at),
        str(row.cosignatures or ""),
    )


def checkpoint_from_row(row: Any) -> StoredCheckpoint:
    """A kept checkpoint from its ``ledger_checkpoints`` row (for readers' own queries)."""
    return _checkpoint(row)
