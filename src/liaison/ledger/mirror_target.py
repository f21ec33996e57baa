"""Which checkpoint a mirror pull goes up to when it requires witnesses (docs/ledger.md,
"Mirroring the ledger"; C2SP tlog-witness, tlog-cosignature).

Witnesses cosign a checkpoint seconds to minutes after it is signed, hours later when one
is down: the log's latest checkpoint is often not cosigned yet. A pull then goes up to
the newest kept checkpoint that is cosigned by ``minimum`` of the pinned witnesses (the
``witnessed`` field of ``GET /v1/ledger/checkpoint``, else the kept checkpoints beyond
the copy, ``GET /v1/ledger/checkpoints``) and says so; it is refused only when none is.
A cosignature line by a pinned witness that does not verify, on any checkpoint read,
refuses the pull (a forgery is never ignored).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from liaison.errors import LiaisonError, MirrorError
from liaison.ledger.checkpoint import claimed_size
from liaison.ledger.cosignature import WitnessKey, verify_cosignatures
from liaison.ledger.mirror_source import LogHead, LogSource


@dataclass(frozen=True, slots=True)
class Target:
    """The checkpoint to pull up to, the witnesses that cosigned it, and why it is not the
    log's latest (empty when it is)."""

    note: str
    cosigned_by: tuple[str, ...] = ()
    said: str = ""


def choose(
    source: LogSource,
    head: LogHead,
    witnesses: Sequence[WitnessKey],
    minimum: int,
    copy_size: int,
) -> Target:
    """The checkpoint a pull of a copy of ``copy_size`` entries goes up to (``head``: what
    the log said of its latest checkpoint, read once by the pull)."""
    note = head.latest
    if not (witnesses or minimum):
        return Target(note)
    size = claimed_size(note)
    names = _cosigned_by(note, size, witnesses)
    if len(names) >= minimum:
        return Target(note, names)
    lacking = (
        f"cosigned by {len(names)} of the {len(witnesses)} witnesses given "
        f"({', '.join(names) or 'none'}); {minimum} required"
    )
    best: tuple[int, str, tuple[str, ...]] | None = None
    for candidate in _candidates(source, head, copy_size):
        at = claimed_size(candidate)
        if at < copy_size or at > size or (best is not None and at <= best[0]):
            continue
        cosigned = _cosigned_by(candidate, at, witnesses)
        if len(cosigned) >= minimum:
            best = (at, candidate, cosigned)
    if best is None:
        raise MirrorError(
            f"the log's checkpoint of size {size} is refused: {lacking}; no kept checkpoint "
            f"of at least the copy's {copy_size} entries is"
        )
    said = (
        f"the latest checkpoint ({size} entries) is not witnessed yet ({lacking}): pulled up "
        f"to checkpoint {best[0]}, the newest that is; the {size - best[0]} entries after "
        "it are not pulled"
    )
    return Target(best[1], best[2], said)


def _candidates(source: LogSource, head: LogHead, copy_size: int) -> list[str]:
    """The ``witnessed`` checkpoint the log names, then its kept checkpoints beyond the
    copy (oldest first)."""
    named = [head.witnessed] if head.witnessed is not None else []
    return named + list(source.kept_checkpoints(copy_size - 1))


def _cosigned_by(note: str, size: int, witnesses: Sequence[WitnessKey]) -> tuple[str, ...]:
    """The pinned witnesses whose cosignature on ``note`` verifies; ``MirrorError`` naming
    the checkpoint when one of theirs does not."""
    try:
        return tuple(c.witness for c in verify_cosignatures(note, witnesses))
    except LiaisonError as exc:
        raise MirrorError(
            f"the log's checkpoint of size {size} is refused: {exc.message}"
        ) from None


__all__ = ["Target", "choose"]
