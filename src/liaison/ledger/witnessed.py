"""What the witnesses cosigned, as the database keeps it, checked with their keys.

The cosignature lines kept with a checkpoint (``StoredCheckpoint.cosignatures``) are read
from a database that is not trusted: only the lines that verify (C2SP tlog-cosignature)
against the configured witnesses' keys are published, and a line by a known witness that
does not verify is dropped and logged. A checkpoint with one or more verified
cosignatures is *witnessed*: independent parties saw that it extends every checkpoint of
this log they cosigned before (C2SP tlog-witness).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select

from liaison.errors import NoteError
from liaison.ledger.cosignature import Cosignature, WitnessKey, verify_cosignatures
from liaison.ledger.proofs import b64
from liaison.ledger.signing import StoredCheckpoint, checkpoint_from_row
from liaison.logs import get_logger
from liaison.storage.tables import ledger_checkpoints

log = get_logger("liaison.ledger")
_SCAN = 64  # kept checkpoints read at a time while looking for the newest witnessed one


@dataclass(frozen=True, slots=True)
class Witnessed:
    """A kept checkpoint with its cosignatures that verify (none: not witnessed)."""

    checkpoint: StoredCheckpoint
    cosignatures: tuple[Cosignature, ...]

    @property
    def cosigned_note(self) -> str:
        """The log's signed note followed by the verified cosignature lines: a signed note
        any verifier opens with the log's key, and checks with the witnesses' keys."""
        return self.checkpoint.note + "".join(c.line for c in self.cosignatures)

    def age(self, now: datetime | None = None) -> float:
        """Seconds since the checkpoint was signed."""
        moment = now or datetime.now(UTC)
        return max(0.0, (moment - self.checkpoint.created_at).total_seconds())


def witnessed(stored: StoredCheckpoint, keys: Sequence[WitnessKey]) -> Witnessed:
    """``stored`` with the kept cosignatures that verify against ``keys``, one per witness."""
    found: list[Cosignature] = []
    for key in keys:
        try:
            found += verify_cosignatures(stored.cosigned_note, [key])
        except NoteError as exc:  # a bad signature, or a line that is not one
            log.error("cosignature_invalid", size=stored.size, witness=str(key), error=str(exc))
    return Witnessed(stored, tuple(found))


def newest_witnessed(engine: Engine, keys: Sequence[WitnessKey]) -> Witnessed | None:
    """The newest kept checkpoint with a verified cosignature by one of ``keys``."""
    if not keys:
        return None
    query = (
        select(ledger_checkpoints)
        .where(ledger_checkpoints.c.cosignatures != "")
        .order_by(ledger_checkpoints.c.size.desc())
    )
    offset = 0
    while True:
        with engine.connect() as conn:
            rows = conn.execute(query.offset(offset).limit(_SCAN)).all()
        for row in rows:
            found = witnessed(checkpoint_from_row(row), keys)
            if found.cosignatures:
                return found
        if len(rows) < _SCAN:
            return None
        offset += _SCAN


def cosignature_json(cosignature: Cosignature) -> dict[str, Any]:
    """A verified cosignature: the witness, its key ID (hex), when it cosigned (``time``
    null when its timestamp, a u64 the witness chose, is no date ``datetime`` can hold:
    the database is not trusted, and a published checkpoint never fails on it)."""
    return {
        "witness": cosignature.witness,
        "key_id": f"{cosignature.key_id:08x}",
        "timestamp": cosignature.timestamp,
        "time": _instant(cosignature.timestamp),
    }


def _instant(timestamp: int) -> str | None:
    """POSIX seconds as ISO 8601 UTC (``...Z``); None out of ``datetime``'s range."""
    try:
        moment = datetime.fromtimestamp(timestamp, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return moment.isoformat().replace("+00:00", "Z")


def checkpoint_json(found: Witnessed) -> dict[str, Any]:
    """A kept checkpoint as the API and the ``/checkpoint`` page publish it: the log's
    signed ``note``, and the ``cosigned_note`` with the ``cosignatures`` that verify."""
    stored = found.checkpoint
    return {
        "size": stored.size,
        "root": b64(stored.root),
        "note": stored.note,
        "cosigned_note": found.cosigned_note,
        "cosignatures": [cosignature_json(c) for c in found.cosignatures],
    }


def witnessed_json(found: Witnessed, now: datetime | None = None) -> dict[str, Any]:
    """The newest witnessed checkpoint when the latest is not (yet): its size and root,
    cosigned note and cosignatures, and ``age``, the seconds since it was signed."""
    stored = found.checkpoint
    return {
        "size": stored.size,
        "root": b64(stored.root),
        "cosigned_note": found.cosigned_note,
        "cosignatures": [cosignature_json(c) for c in found.cosignatures],
        "age": round(found.age(now), 3),
    }
