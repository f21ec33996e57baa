"""A recorded decision as its page shows it (issue 11, item 1, "a decision page"): its
explanation (``liaison.gateway.explaining``, as ``GET /v1/decisions/{id}/explanation``
serves it), its request without personal data, its ledger entry, and the proof file
(``liaison.ledger.proof_file``) of that entry against the latest signed checkpoint.

Whoever may read the decision (``Principal.may_read``) may read its entry and proof: the
entry's body is the public record of that decision (the request without its personal
part, which the body holds only as a salted commitment), and the proof's hashes are of
subtrees, which tell nothing of the other entries. Other entries, and personal data,
stay the auditors' (``GET /v1/ledger/entries``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from liaison.errors import LiaisonError, NotFound
from liaison.gateway.explaining import explain_recorded
from liaison.gateway.records import shown_request
from liaison.ledger.checkpoint_signer import published_vkey
from liaison.ledger.log import Ledger
from liaison.ledger.note_keys import b64encode
from liaison.ledger.proof_file import proof_file
from liaison.ledger.reads import StoredEntry
from liaison.ledger.signing import StoredCheckpoint

if TYPE_CHECKING:
    from liaison.gateway.auth import Principal
    from liaison.gateway.service import Gateway


def verifier_key(ledger: Ledger, key_dir: Path | None) -> str | None:
    """The log's verifier key, as the deployment publishes it (``ledger.vkey`` in its key
    folder): its signer's (the key, or the signer process), or the one kept beside a
    deployment that does not sign (or whose signer process is down)."""
    return published_vkey(ledger.signer, key_dir)


def covering_checkpoint(ledger: Ledger, index: int) -> tuple[StoredCheckpoint | None, str]:
    """The latest signed checkpoint, signed now if the tree grew past entry ``index`` since
    (as ``GET /v1/ledger/checkpoint`` does), when it covers the entry; else why not."""
    latest = ledger.latest_checkpoint()
    if (latest is None or latest.size <= index) and ledger.signer is not None:
        try:
            latest = ledger.checkpoint()
        except LiaisonError as exc:
            return None, f"no checkpoint could be signed: {exc}"
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


def entry_proof(
    gw: Gateway, entry: StoredEntry, vkey: str | None
) -> tuple[dict[str, Any] | None, str]:
    """The proof file of ``entry`` against the latest signed checkpoint, or why there is none."""
    if vkey is None:
        return None, "the deployment publishes no verifier key (liaison ledger keygen)"
    checkpoint, why = covering_checkpoint(gw.ledger, entry.index)
    if checkpoint is None:
        return None, why
    try:
        proof = gw.ledger.inclusion_proof(entry.index, checkpoint.size)
    except NotFound as exc:  # a checkpoint beyond the tree: entries were removed
        return None, str(exc)
    return proof_file(entry.body, proof, checkpoint.note, vkey), ""


def decision_proof(
    gw: Gateway, decision_id: str, who: Principal, actor: str | None, vkey: str | None
) -> dict[str, Any]:
    """The decision of ``decision_id`` that ``who`` may read (of ``actor``, if named;
    ``NotFound``, ``Ambiguous`` as the API answers), explained, with its entry and proof."""
    row, entry = gw.decision_row(decision_id, who, actor)
    document = row["document"]
    proof, missing = entry_proof(gw, entry, vkey)
    return {
        "id": row["id"],
        "actor": row["actor_id"],
        "unit": row["unit"],
        "explanation": explain_recorded(gw, row, entry),
        "request": shown_request(document["request"], gw.policy.pack.timezone),
        "decision": document["decision"],
        "entry": entry_shown(entry),
        "proof": proof,
        "proof_missing": missing or None,
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
    gw: Gateway, decision_id: str, who: Principal, actor: str | None, vkey: str | None
) -> dict[str, Any]:
    """The proof file of the decision ``decision_proof`` reads; ``NotFound`` saying why
    there is none (no checkpoint covers it yet, no verifier key)."""
    row, entry = gw.decision_row(decision_id, who, actor)
    proof, missing = entry_proof(gw, entry, vkey)
    if proof is None:
        raise NotFound(f"no proof of decision {row['id']!r}: {missing}")
    return proof
