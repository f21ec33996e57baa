"""Whether a checkpoint is witnessed: cosigned by at least K distinct witnesses among
the verifier keys a reader gave (C2SP tlog-cosignature, read by
``liaison.ledger.cosignature``; C2SP tlog-witness says what a cosignature vouches for:
the witness saw no other history up to that checkpoint).

The cosignatures are read from the checkpoint's note as a reader has it (a bundle's
``{"checkpoint": ...}`` line, a proof file's ``checkpoint``, a saved checkpoint file):
the log's signed note with the witnesses' cosignature lines after its own signature.
Several copies of one checkpoint (same text) may each carry some of them; every copy is
read. One cosignature line by a given witness that does not verify fails the check (a
forgery is never ignored); lines by keys not given are ignored (C2SP signed-note).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from liaison.errors import NoteError
from liaison.ledger.cosignature import WitnessKey, verify_cosignatures


@dataclass(frozen=True, slots=True)
class Witnessed:
    """What the witnesses given say of one checkpoint (of ``size`` entries)."""

    size: int
    cosigned_by: tuple[str, ...]
    given: tuple[str, ...]
    required: int
    error: str = ""  # a cosignature by a given witness that does not verify

    @property
    def ok(self) -> bool:
        return not self.error and len(self.cosigned_by) >= self.required

    def describe(self) -> str:
        """One sentence: which witnesses cosigned which checkpoint, against the requirement."""
        names = ", ".join(self.cosigned_by) or "none of the witnesses given"
        missing = [n for n in self.given if n not in self.cosigned_by]
        text = (
            f"checkpoint {self.size} is cosigned by {names} "
            f"({len(self.cosigned_by)} of {len(self.given)} given, {self.required} required)"
        )
        if missing and not self.ok:
            text += f"; not by {', '.join(missing)}"
        return f"{text}; {self.error}" if self.error else text

    def to_json(self) -> dict[str, object]:
        return {
            "checkpoint": self.size,
            "cosigned_by": list(self.cosigned_by),
            "required": self.required,
            "ok": self.ok,
            **({"error": self.error} if self.error else {}),
        }


def witnessed(
    notes: Iterable[str], size: int, witnesses: Sequence[WitnessKey], minimum: int
) -> Witnessed:
    """The witnesses of ``witnesses`` that cosigned the checkpoint of ``size`` whose copies
    are ``notes`` (each a signed note, cosignature lines included)."""
    names: list[str] = []
    distinct = list({w.public_key: w for w in witnesses}.values())  # one key: one witness
    given = tuple(dict.fromkeys(w.name for w in distinct))
    for note in notes:
        try:
            found = verify_cosignatures(note, distinct)
        except NoteError as exc:
            return Witnessed(size, tuple(names), given, minimum, f"{exc.message}")
        names.extend(c.witness for c in found if c.witness not in names)
    return Witnessed(size, tuple(names), given, minimum)
