"""Consistency proof files, and the consistency part of an inclusion proof file, for checking
offline against a checkpoint the reader saved (``liaison verify-proof``; docs/ledger.md,
"Checking a proof against a checkpoint you saved").

A consistency proof file (JSON; hashes in standard base64, RFC 4648 section 4)::

    {"format": "liaison-consistency-proof/1", "old_size": 600, "old_root": "...",
     "new_size": 632, "new_root": "...", "proof": ["...", ...],
     "checkpoint": "<the C2SP signed note of the new tree, with any cosignature lines>",
     "verifier_key": "<name>+<hex>+<base64>"}

(``ConsistencyProof.to_json()``: the RFC 6962 section 2.1.2 proof that the tree of
``old_size`` is a prefix of the tree of ``new_size``, with the signed note of the new tree
around it; the old tree is the one the reader saved, and is read from their copy.)

An inclusion proof file (``liaison.ledger.proof_file``) may carry ``"consistency"``: a list
of ``{"old_size", "old_root", "proof"}``, each a consistency proof from an older tree to the
file's own tree, so that a reader who saved a checkpoint of one of those sizes can relate
the file's newer checkpoint to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from liaison.errors import InvalidRequest, NotFound
from liaison.ledger.log import Ledger
from liaison.ledger.proof_file import b64_field, count_field, hashes_field, proof_file
from liaison.ledger.proofs import ConsistencyProof
from liaison.ledger.reads import StoredEntry
from liaison.ledger.signing import StoredCheckpoint, checkpoints_after

FORMAT = "liaison-consistency-proof/1"
MAX_SINCE = 16  # consistency parts one file carries at most


def consistency_file(proof: ConsistencyProof, note: str, vkey: str) -> dict[str, Any]:
    """The consistency proof file of ``proof``, ending at the checkpoint ``note``."""
    return {"format": FORMAT, **proof.to_json(), "checkpoint": note, "verifier_key": vkey}


def consistency_part(proof: ConsistencyProof) -> dict[str, Any]:
    """One item of an inclusion proof file's ``consistency`` list."""
    made = proof.to_json()
    return {field: made[field] for field in ("old_size", "old_root", "proof")}


@dataclass(frozen=True, slots=True)
class ConsistencyFile:
    """A consistency proof file's fields: the proof as the file states it, the new tree's
    signed note."""

    proof: ConsistencyProof
    note: str


def _note(data: dict[str, Any]) -> str:
    note = data.get("checkpoint")
    if not isinstance(note, str) or not note:
        raise InvalidRequest("checkpoint", "checkpoint: expected the signed note's text")
    return note


def parse_consistency_file(data: Any) -> ConsistencyFile:
    """The file's fields, checked for form (not yet for truth); ``InvalidRequest`` naming
    the field that is missing or malformed."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InvalidRequest("format", f"format: expected {FORMAT!r}")
    stated = ConsistencyProof(
        count_field(data, "old_size"),
        count_field(data, "new_size"),
        b64_field(data, "old_root"),
        b64_field(data, "new_root"),
        hashes_field(data, "proof"),
    )
    return ConsistencyFile(stated, _note(data))


@dataclass(frozen=True, slots=True)
class ConsistencyPart:
    """One item of an inclusion file's ``consistency`` list, and where it is in the file."""

    where: str  # "consistency[0]"
    old_size: int
    old_root: bytes
    hashes: list[bytes]


def parse_consistency_parts(data: dict[str, Any]) -> list[ConsistencyPart]:
    """An inclusion proof file's ``consistency`` list (empty when it has none);
    ``InvalidRequest`` naming the item and field that is malformed."""
    items = data.get("consistency", [])
    if not isinstance(items, list):
        raise InvalidRequest("consistency", "consistency: expected a list of consistency proofs")
    parts = []
    for k, item in enumerate(items):
        where = f"consistency[{k}]"
        if not isinstance(item, dict):
            raise InvalidRequest(where, f"{where}: expected an object (old_size, old_root, proof)")
        parts.append(
            ConsistencyPart(
                where,
                count_field(item, "old_size", f"{where}.old_size"),
                b64_field(item, "old_root", f"{where}.old_root"),
                hashes_field(item, "proof", f"{where}.proof"),
            )
        )
    return parts


def kept_checkpoint(ledger: Ledger, size: int | None) -> StoredCheckpoint:
    """The kept checkpoint of ``size`` (default: the latest); ``NotFound`` when none is kept."""
    if size is None:
        found = ledger.latest_checkpoint()
    else:
        after = checkpoints_after(ledger.engine, size - 1, 1)
        found = after[0] if after and after[0].size == size else None
    if found is None:
        what = "no checkpoint is kept" if size is None else f"no kept checkpoint of size {size}"
        raise NotFound(f"{what}: sign one with `liaison ledger checkpoint`")
    return found


def since_sizes(ledger: Ledger, since: Sequence[int], size: int) -> list[int]:
    """The older tree sizes ``since`` (each once, in order), each the size of a kept
    checkpoint below ``size``: the checkpoints a reader may have saved from this log.
    ``InvalidRequest`` naming ``since`` otherwise."""
    if len(since) > MAX_SINCE:
        raise InvalidRequest("since", f"since: at most {MAX_SINCE} sizes, not {len(since)}")
    sizes = list(dict.fromkeys(since))
    for old in sizes:
        if old == size:
            raise InvalidRequest(
                "since",
                f"since: {old} is the proof's own tree: a checkpoint of {size} entries you "
                "saved is checked without a consistency proof",
            )
        if not 0 < old < size:
            raise InvalidRequest(
                "since", f"since: {old} is not a tree size from 1 to {size - 1} (the proof's tree)"
            )
        after = checkpoints_after(ledger.engine, old - 1, 1)
        if not after or after[0].size != old:
            raise InvalidRequest(
                "since",
                f"since: no checkpoint of {old} entries is kept by this log, so none of that "
                "size was signed and published (GET /v1/ledger/checkpoints lists them)",
            )
    return sizes


def inclusion_file_at(
    ledger: Ledger,
    entry: StoredEntry,
    checkpoint: StoredCheckpoint,
    note: str,
    since: Sequence[int],
    vkey: str,
) -> dict[str, Any]:
    """The inclusion proof file of ``entry`` against the kept ``checkpoint``, whose signed
    note (with the cosignature lines to publish) is ``note``, and a consistency part to its
    tree from each size of ``since`` (``since_sizes``). The one builder of inclusion proof
    files: ``liaison ledger prove-inclusion --file`` and a decision page's ``proof.json``."""
    sizes = since_sizes(ledger, since, checkpoint.size)
    proof = ledger.inclusion_proof(entry.index, checkpoint.size)
    made = proof_file(entry.body, proof, note, vkey)
    parts = [consistency_part(ledger.consistency_proof(old, checkpoint.size)) for old in sizes]
    return {**made, "consistency": parts} if parts else made


def inclusion_file_of(
    ledger: Ledger, index: int, size: int | None, since: Sequence[int], vkey: str
) -> dict[str, Any]:
    """The inclusion proof file of entry ``index`` against the kept checkpoint of ``size``
    (default: the latest), with its cosignatures, and a consistency proof to its tree from
    each size of ``since``."""
    checkpoint = kept_checkpoint(ledger, size)
    entry = ledger.entry(index)
    return inclusion_file_at(ledger, entry, checkpoint, checkpoint.cosigned_note, since, vkey)


def consistency_file_of(ledger: Ledger, old: int, new: int | None, vkey: str) -> dict[str, Any]:
    """The consistency proof file from the tree of ``old`` to the kept checkpoint of ``new``
    (default: the latest), with its cosignatures."""
    checkpoint = kept_checkpoint(ledger, new)
    proof = ledger.consistency_proof(old, checkpoint.size)
    return consistency_file(proof, checkpoint.cosigned_note, vkey)
