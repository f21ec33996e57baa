"""Checking a proof file offline against a checkpoint the reader saved (``liaison
verify-proof``): nothing is trusted but the log's verifier key, the witnesses' keys and
the saved checkpoint; no database, no server, and never a ``verified`` field of the file.

1. **saved**: the saved checkpoint is signed by the key (C2SP signed-note, tlog-checkpoint)
   and, when witnesses are given, cosigned by enough of them (``liaison.ledger.witness_quorum``);
2. an **inclusion** proof file (``liaison.ledger.proof_file``) is checked step by step
   (``check_proof``: signature, checkpoint, leaf, inclusion), then related to the saved
   checkpoint: its tree must be the saved one (same size and root), or a larger tree whose
   checkpoint is signed by the key, cosigned as required, and proved consistent with the
   saved one by the file's ``consistency`` item from the saved size (RFC 9162 2.1.4.2);
3. a **consistency** proof file (``liaison.ledger.consistency_file``) must start at the
   saved checkpoint (its size and root) and end at a checkpoint signed by the key (cosigned
   as required), with the proof leading from one to the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from liaison.errors import InvalidRequest, LiaisonError
from liaison.ledger import merkle
from liaison.ledger.checkpoint import Checkpoint, open_checkpoint
from liaison.ledger.consistency_file import (
    FORMAT as CONSISTENCY,
)
from liaison.ledger.consistency_file import (
    ConsistencyPart,
    parse_consistency_file,
    parse_consistency_parts,
)
from liaison.ledger.cosignature import WitnessKey
from liaison.ledger.note_keys import Verifier, b64encode
from liaison.ledger.proof_file import FORMAT as INCLUSION
from liaison.ledger.proof_file import Step, check_proof, parse_proof_file
from liaison.ledger.witness_quorum import witnessed


@dataclass(frozen=True, slots=True)
class Trust:
    """What the reader trusts: the log's key, the witnesses' keys, how many must cosign."""

    verifier: Verifier
    witnesses: Sequence[WitnessKey] = ()
    minimum: int = 0


def _tree(cp: Checkpoint) -> str:
    return f"the tree of {cp.size} entries, root {b64encode(cp.root)}"


def _opened(name: str, note: str, trust: Trust) -> tuple[list[Step], Checkpoint | None]:
    """The steps of a checkpoint ``note``: signed by the key; witnessed when required."""
    try:
        cp = open_checkpoint(note, trust.verifier)
    except LiaisonError as exc:
        return [Step(name, False, f"not signed by {trust.verifier}: {exc}")], None
    steps = [Step(name, True, f"signed by {trust.verifier}: {_tree(cp)}")]
    if trust.witnesses or trust.minimum:
        seen = witnessed([note], cp.size, trust.witnesses, trust.minimum)
        steps.append(Step(f"{name} witnesses", seen.ok, seen.describe()))
    return steps, cp


def _related(cp: Checkpoint, saved: Checkpoint, parts: list[ConsistencyPart]) -> Step:
    """Whether the file's tree ``cp`` is the saved one, or extends it by one of ``parts``."""
    if cp.origin != saved.origin:
        return Step("saved tree", False, f"the file's log {cp.origin!r} is not {saved.origin!r}")
    if cp.size == saved.size:
        same = cp.root == saved.root
        return Step(
            "saved tree",
            same,
            "the file's checkpoint is the saved one"
            if same
            else f"the key signed two trees of {cp.size} entries (the file's and the saved "
            "one differ): the log forked",
        )
    if cp.size < saved.size:
        return Step(
            "saved tree",
            False,
            f"the proof is for a tree of {cp.size} entries, older than the saved checkpoint "
            f"({saved.size}): ask for a proof against checkpoint {saved.size} or later",
        )
    part = next((p for p in parts if p.old_size == saved.size), None)
    if part is None:
        sizes = ", ".join(str(p.old_size) for p in parts) or "none"
        return Step(
            "consistency",
            False,
            f"the file carries no consistency proof from the saved size {saved.size} to its "
            f"tree of {cp.size} entries (consistency: old_size {sizes})",
        )
    if part.old_root != saved.root:
        return Step("consistency", False, f"{part.where}.old_root is not the saved root")
    return _consistent(part.where, saved, cp, part.hashes)


def _consistent(where: str, old: Checkpoint, new: Checkpoint, hashes: list[bytes]) -> Step:
    ok = merkle.verify_consistency(old.size, new.size, old.root, new.root, hashes)
    return Step(
        "consistency",
        ok,
        f"{where} ({len(hashes)} hashes) "
        + ("proves" if ok else "does NOT prove")
        + f" that the signed tree of {new.size} entries extends the saved one of {old.size}",
    )


def check_inclusion_file(data: dict[str, Any], saved_note: str, trust: Trust) -> list[Step]:
    """The steps of an inclusion proof file against the saved checkpoint."""
    got = parse_proof_file(data)
    parts = parse_consistency_parts(data)
    steps, saved = _opened("saved", saved_note, trust)
    steps += check_proof(data, trust.verifier)
    try:
        cp: Checkpoint | None = open_checkpoint(got.note, trust.verifier)
    except LiaisonError:
        cp = None  # the signature step says so
    if cp is None or saved is None:
        return [*steps, Step("saved tree", False, "not related: a checkpoint is not signed")]
    if cp.size > saved.size and (trust.witnesses or trust.minimum):
        seen = witnessed([got.note], cp.size, trust.witnesses, trust.minimum)
        steps.append(Step("witnesses", seen.ok, seen.describe()))
    return [*steps, _related(cp, saved, parts)]


def check_consistency_file(data: dict[str, Any], saved_note: str, trust: Trust) -> list[Step]:
    """The steps of a consistency proof file against the saved checkpoint."""
    got = parse_consistency_file(data)
    stated = got.proof
    steps, saved = _opened("saved", saved_note, trust)
    signed, cp = _opened("signature", got.note, trust)
    steps += signed
    if cp is not None:
        same = (stated.new_size, stated.new_root) == (cp.size, cp.root)
        steps.append(
            Step(
                "checkpoint",
                same,
                f"the file's new_size and new_root ({stated.new_size}, "
                f"{b64encode(stated.new_root)}) "
                + ("are" if same else "are NOT")
                + " the signed ones",
            )
        )
    if saved is not None:
        start = (stated.old_size, stated.old_root) == (saved.size, saved.root)
        steps.append(
            Step(
                "start",
                start,
                f"the file's old_size and old_root ({stated.old_size}, "
                f"{b64encode(stated.old_root)}) "
                + ("are" if start else "are NOT")
                + " the saved ones",
            )
        )
    if cp is not None and saved is not None:
        steps.append(_consistent("proof", saved, cp, stated.hashes))
    return steps


def check_proof_file(data: Any, saved_note: str, trust: Trust) -> tuple[str, list[Step]]:
    """``("inclusion" | "consistency", steps)`` of the proof file ``data``; the proof holds
    when every step holds. ``InvalidRequest`` naming the field when it is not a proof file."""
    kind = data.get("format") if isinstance(data, dict) else None
    if kind == INCLUSION:
        return "inclusion", check_inclusion_file(data, saved_note, trust)
    if kind == CONSISTENCY:
        return "consistency", check_consistency_file(data, saved_note, trust)
    raise InvalidRequest("format", f"format: expected {INCLUSION!r} or {CONSISTENCY!r}")
