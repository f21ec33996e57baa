"""A proof file: one ledger entry, its RFC 6962 inclusion proof and the signed checkpoint the
proof is against, with the verifier key of the log, so that anyone can check the entry was
recorded with nothing but the file and a verifier key they saved (docs/ledger.md, "Checking
one entry"; the decision page's ``proof.json`` and ``static/verify.js`` use the same form).

Fields (JSON; hashes and the body in standard base64, RFC 4648 section 4)::

    {"format": "liaison-inclusion-proof/1", "index": 17, "size": 632, "root": "...",
     "leaf_hash": "...", "proof": ["...", ...], "body": "<entry bytes>",
     "checkpoint": "<C2SP signed note>", "verifier_key": "<name>+<hex>+<base64>"}

(the entry's ``InclusionProof.to_json()`` with the format, body, note and key around it).

Checking (``check_proof``) trusts nothing in the file but what the reader's key signed:

1. the checkpoint note is signed by the reader's key (C2SP signed-note; ``open_checkpoint``);
2. the file's ``size`` and ``root`` are the signed checkpoint's;
3. the leaf hash is ``SHA-256(0x00 || body)`` (RFC 6962 section 2.1), as the file states;
4. the audit path leads from that leaf at ``index`` to the signed root (RFC 9162 section
   2.1.3.2, ``InclusionProof.verifies``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from liaison.errors import InvalidRequest, LiaisonError
from liaison.ledger import merkle
from liaison.ledger.checkpoint import Checkpoint, open_checkpoint
from liaison.ledger.note_keys import Verifier, b64decode_canonical, b64encode
from liaison.ledger.proofs import InclusionProof

FORMAT = "liaison-inclusion-proof/1"


def proof_file(body: bytes, proof: InclusionProof, note: str, vkey: str) -> dict[str, Any]:
    """The proof file of the entry ``body`` by ``proof``, against the checkpoint ``note``."""
    return {
        "format": FORMAT,
        **proof.to_json(),
        "body": b64encode(body),
        "checkpoint": note,
        "verifier_key": vkey,
    }


@dataclass(frozen=True, slots=True)
class Step:
    """One step of the check: what was checked, whether it held, and what was found."""

    name: str
    ok: bool
    detail: str


@dataclass(frozen=True, slots=True)
class ProofFile:
    """A proof file's fields: the entry's body, its proof as the file states it, and the
    checkpoint's signed note."""

    body: bytes
    proof: InclusionProof
    note: str


def b64_field(data: dict[str, Any], field: str, label: str | None = None) -> bytes:
    """The base64 field ``field`` of ``data``; ``InvalidRequest`` naming it (as ``label``,
    its path in the file, when given) when it is not standard base64 text."""
    value = data.get(field)
    raw = b64decode_canonical(value) if isinstance(value, str) else None
    if raw is None:
        name = label or field
        raise InvalidRequest(name, f"{name}: expected standard base64 text")
    return raw


def count_field(data: dict[str, Any], field: str, label: str | None = None) -> int:
    """The whole number ``field`` of ``data``; ``InvalidRequest`` naming it otherwise."""
    value = data.get(field)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        name = label or field
        raise InvalidRequest(name, f"{name}: expected a non-negative integer")
    return value


def hashes_field(data: dict[str, Any], field: str, label: str | None = None) -> list[bytes]:
    """The list of base64 hashes ``field`` of ``data`` (an audit path or a consistency
    proof); ``InvalidRequest`` naming it, or the item that is not base64."""
    name = label or field
    hashes = data.get(field)
    if not isinstance(hashes, list):
        raise InvalidRequest(name, f"{name}: expected a list of base64 hashes")
    return [b64_field({"h": h}, "h", f"{name}[{k}]") for k, h in enumerate(hashes)]


def parse_proof_file(data: Any) -> ProofFile:
    """The file's fields, checked for form (not yet for truth); ``InvalidRequest`` naming
    the field that is missing or malformed."""
    if not isinstance(data, dict):
        raise InvalidRequest(None, "a proof file is a JSON object")
    if data.get("format") != FORMAT:
        raise InvalidRequest("format", f"format: expected {FORMAT!r}")
    path = hashes_field(data, "proof")
    note = data.get("checkpoint")
    if not isinstance(note, str) or not note:
        raise InvalidRequest("checkpoint", "checkpoint: expected the signed note's text")
    stated = InclusionProof(
        count_field(data, "index"),
        count_field(data, "size"),
        b64_field(data, "root"),
        b64_field(data, "leaf_hash"),
        path,
    )
    return ProofFile(b64_field(data, "body"), stated, note)


def _signed(note: str, verifier: Verifier) -> tuple[Step, Checkpoint | None]:
    try:
        checkpoint = open_checkpoint(note, verifier)
    except LiaisonError as exc:
        return Step("signature", False, f"the checkpoint is not signed by {verifier}: {exc}"), None
    what = f"signed by {verifier}: tree of {checkpoint.size} entries"
    return Step("signature", True, what), checkpoint


def check_proof(data: Any, verifier: Verifier) -> list[Step]:
    """Each step of checking the proof file ``data`` against ``verifier`` (the reader's own
    copy of the log's key); the entry is proven when every step holds. ``InvalidRequest``
    when the file is not a proof file."""
    got = parse_proof_file(data)
    stated = got.proof
    signature, checkpoint = _signed(got.note, verifier)
    steps = [signature]
    if checkpoint is not None:
        same = checkpoint.size == stated.size and checkpoint.root == stated.root
        steps.append(
            Step(
                "checkpoint",
                same,
                f"the file's size and root ({stated.size}, {b64encode(stated.root)}) "
                + ("are" if same else "are NOT")
                + f" the signed one ({checkpoint.size}, {b64encode(checkpoint.root)})",
            )
        )
    leaf = merkle.leaf_hash(got.body)
    steps.append(
        Step(
            "leaf",
            leaf == stated.leaf_hash,
            f"SHA-256(0x00 || body) = {b64encode(leaf)}"
            + (
                ""
                if leaf == stated.leaf_hash
                else f", not the file's leaf_hash {b64encode(stated.leaf_hash)}"
            ),
        )
    )
    # The body's own leaf, against the signed tree (the file's when the note is not signed).
    tree = checkpoint if checkpoint is not None else stated
    checked = replace(stated, leaf_hash=leaf, size=tree.size, root=tree.root)
    included = checked.verifies()
    steps.append(
        Step(
            "inclusion",
            included,
            f"the audit path (proof, {len(stated.hashes)} hashes) from entry {stated.index} "
            + ("leads" if included else "does NOT lead")
            + f" to the root of the tree of {tree.size} entries",
        )
    )
    return steps
