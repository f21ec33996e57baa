"""Rotating the checkpoint signing key (``liaison ledger rotate-key``; docs/ledger.md,
"Rotating the signing key").

1. The old key signs a checkpoint of the tree as it is (only if it extends what it signed
   before: ``liaison.ledger.signer_memory``), so its last signed tree is the current one.
2. Under the memory's lock (no other process of this host signs meanwhile), once the tree
   is checked to extend the old key's last signed tree again, a new Ed25519 key is made,
   and a ``key_rotation`` entry is appended (``liaison.ledger.key_chain``):
   the old and new verifier keys, the old key's last signed (size, root), and the C2SP
   signed note of ``key_chain.statement_text`` signed by both keys.
3. The old key and its files are archived in the key folder (``ledger.key.<key id>.retired``
   and the same for ``ledger.vkey`` and ``ledger.signed``), the new key replaces them, and
   the new key's memory starts from the old key's last signed tree.
4. The new key signs the next checkpoint (the tree with the rotation entry), with the RFC
   6962 consistency proof from that tree.

The entry is appended before the key is replaced: a crash between them leaves a recorded
rotation to a key that never signed (the old key still signs; rotate again), never a new
key signing without a recorded rotation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from liaison.errors import LedgerError, SignerRefused
from liaison.files import write_private
from liaison.ledger.checkpoint import Checkpoint
from liaison.ledger.checkpoint_signer import LocalSigner
from liaison.ledger.entries import NewEntry
from liaison.ledger.key_chain import KIND, statement_text
from liaison.ledger.keys import SIGNER_FILE, VERIFIER_FILE, load_signer
from liaison.ledger.log import Ledger
from liaison.ledger.note_keys import Signer, b64encode, generate_signer, parse_signer
from liaison.ledger.signed_note import sign_note
from liaison.ledger.signer_memory import MEMORY_FILE, Signed, SignerMemory, check_extends
from liaison.ledger.signing import StoredCheckpoint


@dataclass(frozen=True, slots=True)
class Rotated:
    """What a rotation did: its entry, the keys, the tree it starts from, the first
    checkpoint the new key signed and where the old key was archived."""

    entry: int
    old_vkey: str
    new_vkey: str
    size: int
    checkpoint: StoredCheckpoint
    archived: Path


def rotate_key(ledger: Ledger, key_dir: Path, actor: str, reason: str) -> Rotated:
    """Rotate the key of ``key_dir`` for ``ledger`` (see the module's docstring)."""
    old = load_signer(key_dir)
    if old is None:
        raise LedgerError(f"no signing key in {key_dir}: run `liaison ledger keygen`")
    memory = SignerMemory(key_dir)
    Ledger(ledger.engine, ledger.origin, LocalSigner(old, memory)).checkpoint()
    new_skey, _ = generate_signer(ledger.origin)
    new = parse_signer(new_skey)
    with memory.locked():
        last = memory.recall()
        if last is None or last.vkey != old.verifier.vkey:
            raise SignerRefused(f"the signer's memory in {key_dir} is not of the key to rotate")
        size, root = ledger.head()  # the tree the rotation is appended to extends it
        check_extends(
            last,
            old.verifier.vkey,
            Checkpoint(ledger.origin, size, root),
            lambda signed: ledger.consistency_proof(signed, size).hashes,
        )
        entry = ledger.append(rotation_entry(ledger.origin, old, new, last, actor, reason))
        archived = _replace_key(key_dir, old, new_skey, new)
        memory.remember(Signed(ledger.origin, new.verifier.vkey, last.size, last.root, None))
    first = Ledger(ledger.engine, ledger.origin, LocalSigner(new, memory)).checkpoint()
    return Rotated(entry.index, old.verifier.vkey, new.verifier.vkey, last.size, first, archived)


def rotation_entry(
    origin: str, old: Signer, new: Signer, last: Signed, actor: str, reason: str
) -> NewEntry:
    """The ``key_rotation`` entry: both keys, the old key's last signed tree, and the
    statement of them signed by both keys (``key_chain.read_rotation`` checks it)."""
    old_vkey, new_vkey = old.verifier.vkey, new.verifier.vkey
    text = statement_text(origin, old_vkey, new_vkey, last.size, last.root)
    record = {
        "origin": origin,
        "old_vkey": old_vkey,
        "new_vkey": new_vkey,
        "size": last.size,
        "root": b64encode(last.root),
        "statement": sign_note(text, old, new),
        "reason": reason,
    }
    return NewEntry(KIND, record, actor)


def _replace_key(key_dir: Path, old: Signer, new_skey: str, new: Signer) -> Path:
    """Archive the old key's files (``<file>.<key id>.retired``, mode 0600) and put the
    new key and verifier key in their place (each written atomically)."""
    suffix = f".{old.key_id:08x}.retired"
    for name in (SIGNER_FILE, VERIFIER_FILE, MEMORY_FILE):
        current = key_dir / name
        if current.exists():
            write_private(key_dir / (name + suffix), current.read_bytes())
    write_private(key_dir / SIGNER_FILE, (new_skey + "\n").encode())
    write_private(key_dir / VERIFIER_FILE, (new.verifier.vkey + "\n").encode())
    return key_dir / (SIGNER_FILE + suffix)


__all__ = ["Rotated", "rotate_key", "rotation_entry"]
