"""A recorded decision as its page shows it (issue 11, item 1, "a decision page"): its
explanation (``liaison.gateway.explaining``, as ``GET /v1/decisions/{id}/explanation``
serves it), its request without personal data, its ledger entry, and the proof file
(``liaison.ledger.proof_file``) of that entry against the latest signed checkpoint.

The proof's checkpoint note carries the cosignature lines of the configured witnesses that
verify (C2SP tlog-cosignature; ``liaison.ledger.witnessed``), as ``GET
/v1/ledger/checkpoint`` publishes it, so that ``liaison verify-proof --witness`` can require
them; with ``since``, consistency parts from older kept checkpoints (RFC 6962 section
2.1.2), so that it checks against a checkpoint the reader saved. The proof stays against the
latest checkpoint even while the witnesses have not cosigned it yet (the in-browser check
needs only the log's key); the page says who cosigned it.

Whoever may read the decision (``Principal.may_read``) may read its entry and proof: the
entry's body is the public record of that decision (the request without its personal
part, which the body holds only as a salted commitment), and the proof's hashes are of
subtrees, which tell nothing of the other entries. Other entries, and personal data,
stay the auditors' (``GET /v1/ledger/entries``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from liaison.errors import LiaisonError, NotFound
from liaison.gateway.explaining import explain_recorded
from liaison.gateway.records import shown_request
from liaison.ledger.checkpoint_signer import published_vkey
from liaison.ledger.consistency_file import inclusion_file_at
from liaison.ledger.cosignature import Cosignature, WitnessKey
from liaison.ledger.log import Ledger
from liaison.ledger.note_keys import b64encode
from liaison.ledger.reads import StoredEntry
from liaison.ledger.signing import StoredCheckpoint
from liaison.ledger.witnessed import cosignature_json, witnessed

Offer = Callable[[StoredCheckpoint], object]  # a checkpoint signed now, for the witnesses

if TYPE_CHECKING:
    from liaison.gateway.auth import Principal
    from liaison.gateway.service import Gateway


def verifier_key(ledger: Ledger, key_dir: Path | None) -> str | None:
    """The log's verifier key, as the deployment publishes it (``ledger.vkey`` in its key
    folder): its signer's (the key, or the signer process), or the one kept beside a
    deployment that does not sign (or whose signer process is down)."""
    return published_vkey(ledger.signer, key_dir)


@dataclass(frozen=True, slots=True)
class Publishing:
    """What a proof is published with: the log's verifier key (none: no proof), the
    configured witnesses' keys (the cosignatures that verify with them go in the note),
    and where a checkpoint signed for the proof is offered to be cosigned."""

    vkey: str | None
    witnesses: Sequence[WitnessKey] = ()
    offer: Offer | None = None


def covering_checkpoint(
    ledger: Ledger, index: int, offer: Offer | None = None
) -> tuple[StoredCheckpoint | None, str]:
    """The latest signed checkpoint, signed now if the tree grew past entry ``index`` since
    (as ``GET /v1/ledger/checkpoint`` does, and offered to the witnesses), when it covers
    the entry; else why not."""
    latest = ledger.latest_checkpoint()
    if (latest is None or latest.size <= index) and ledger.signer is not None:
        try:
            latest = ledger.checkpoint()
        except LiaisonError as exc:
            return None, f"no checkpoint could be signed: {exc}"
        if offer is not None:
            offer(latest)
    if latest is None or latest.size <= index:
        return None, f"no signed checkpoint covers entry {index} yet"
    return latest, ""


def entry_shown(entry: StoredEntry) -> dict[str, Any]:
    """The ledger entry as a page shows it: its position, leaf hash and canonical body."""
    return {
        "index": entry.index,
        "kind": entry.kind,
        "leaf_hash": b64encode(entry.leaf_hash),
        "body": entry.body.decode("utf-8", errors="replace"),
        "personal_erased": entry.erased,
    }


@dataclass(frozen=True, slots=True)
class EntryProof:
    """The proof file of an entry (none: ``missing`` says why), and the witnesses'
    verified cosignatures on its checkpoint."""

    file: dict[str, Any] | None
    missing: str = ""
    cosignatures: tuple[Cosignature, ...] = ()


def entry_proof(
    gw: Gateway, entry: StoredEntry, pub: Publishing, since: Sequence[int] = ()
) -> EntryProof:
    """The proof file of ``entry`` against the latest signed checkpoint, with a consistency
    part from each kept size of ``since`` (``InvalidRequest`` naming ``since`` when one is
    not), or why there is none."""
    if pub.vkey is None:
        return EntryProof(None, "the deployment publishes no verifier key (liaison ledger keygen)")
    checkpoint, why = covering_checkpoint(gw.ledger, entry.index, pub.offer)
    if checkpoint is None:
        return EntryProof(None, why)
    found = witnessed(checkpoint, pub.witnesses)
    try:
        made = inclusion_file_at(gw.ledger, entry, checkpoint, found.cosigned_note, since, pub.vkey)
    except NotFound as exc:  # a checkpoint beyond the tree: entries were removed
        return EntryProof(None, str(exc))
    return EntryProof(made, "", found.cosignatures)


def decision_proof(
    gw: Gateway, decision_id: str, who: Principal, actor: str | None, pub: Publishing
) -> dict[str, Any]:
    """The decision of ``decision_id`` that ``who`` may read (of ``actor``, if named;
    ``NotFound``, ``Ambiguous`` as the API answers), explained, with its entry and proof,
    and the witnesses: the configured ones' names, and the cosignatures of its checkpoint."""
    row, entry = gw.decision_row(decision_id, who, actor)
    document = row["document"]
    made = entry_proof(gw, entry, pub)
    return {
        "id": row["id"],
        "actor": row["actor_id"],
        "unit": row["unit"],
        "explanation": explain_recorded(gw, row, entry),
        "request": shown_request(document["request"], gw.policy.pack.timezone),
        "decision": document["decision"],
        "entry": entry_shown(entry),
        "proof": made.file,
        "proof_missing": made.missing or None,
        "witnesses": witnesses_shown(pub.witnesses, made.cosignatures),
    }


def witnesses_shown(
    keys: Sequence[WitnessKey], cosignatures: Sequence[Cosignature]
) -> dict[str, Any]:
    """Who cosigned the proof's checkpoint: the configured witnesses' names, the verified
    cosignatures, and the witnesses that have not cosigned it (yet)."""
    signed = {c.witness for c in cosignatures}
    return {
        "configured": [k.name for k in keys],
        "cosigned": [cosignature_json(c) for c in cosignatures],
        "pending": [k.name for k in keys if k.name not in signed],
    }


VIEW_COLUMNS = ("view", "decision", "basis", "cites", "decided")


def views_table(explained: dict[str, Any]) -> list[list[Any]]:
    """The decision under each view, as rows of ``VIEW_COLUMNS``: the view it was decided
    under first (``decided`` true), then what the others decide for the same request."""
    e = explained
    cites = "; ".join(f"{s['directive']} {s['section']}" for s in e["sections"])
    rows = [[e["view"], e["decision"], e["basis"], cites, True]]
    for o in e["other_views"]:
        rows.append([o["view"], o["decision"], o["basis"], "; ".join(o["citations"]), False])
    return rows


def proof_of(
    gw: Gateway,
    decision_id: str,
    who: Principal,
    actor: str | None,
    pub: Publishing,
    since: Sequence[int] = (),
) -> dict[str, Any]:
    """The proof file of the decision ``decision_proof`` reads, with a consistency part from
    each size of ``since``; ``NotFound`` saying why there is none (no checkpoint covers it
    yet, no verifier key), ``InvalidRequest`` naming ``since``."""
    row, entry = gw.decision_row(decision_id, who, actor)
    made = entry_proof(gw, entry, pub, since)
    if made.file is None:
        raise NotFound(f"no proof of decision {row['id']!r}: {made.missing}")
    return made.file
