"""Who signs the ledger's checkpoints: the key in this process, or a signer process.

``CheckpointSigner`` is what ``Ledger.checkpoint`` (``liaison.ledger.signing``) needs: sign
the C2SP tlog-checkpoint of a tree only when it extends the last tree the key signed
(``liaison.ledger.signer_memory``: an RFC 6962 consistency proof from it), and say what
that last tree was (the service ties the records it serves to it). Two implementations:

- ``LocalSigner``: the key file and its memory in ``LIAISON_KEY_DIR``, in this process
  (the default; ``liaison ledger keygen``);
- ``liaison.ledger.signer_client.RemoteSigner``: a separate process holding both
  (``liaison signer serve``, ``LIAISON_SIGNER_SOCKET``), so that the web-facing process
  never loads the key (docs/ledger.md, "Key custody").

``deployment_signer`` chooses between them from the settings; ``published_vkey`` is the
verifier key the deployment publishes (never read from the secret key's file).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from liaison.errors import SignerRefused, SignerUnavailable
from liaison.ledger.checkpoint import Checkpoint
from liaison.ledger.keys import load_signer, load_vkey
from liaison.ledger.note_keys import Signer
from liaison.ledger.signer_memory import Kept, Prove, Signed, SignerMemory


class CheckpointSigner(Protocol):
    """Signs checkpoints that extend the last tree it signed; never anything else."""

    @property
    def vkey(self) -> str:
        """The verifier key (C2SP signed-note) its checkpoints verify with."""
        ...

    def locked(self) -> AbstractContextManager[None]:
        """Exclusive use of the signer for one signing, taken before the tree's head."""
        ...

    def sign(self, tree: Checkpoint, prove: Prove, kept: Kept) -> str:
        """The signed note of ``tree``, remembered before it is returned; ``SignerRefused``
        when it does not extend the last tree signed (``prove``: the consistency proof
        from an older size; ``kept``: the kept notes, newest first, for a first memory)."""
        ...

    def last_signed(self) -> Signed | None:
        """The last tree the key signed; None when none is known for this key."""
        ...


class LocalSigner:
    """The key and its memory in this process (``LIAISON_KEY_DIR``)."""

    def __init__(self, key: Signer, memory: SignerMemory) -> None:
        self.key = key
        self.memory = memory

    @property
    def vkey(self) -> str:
        return self.key.verifier.vkey

    def locked(self) -> AbstractContextManager[None]:
        return self.memory.locked()

    def sign(self, tree: Checkpoint, prove: Prove, kept: Kept) -> str:
        return self.memory.sign(self.key, tree, prove, kept)

    def last_signed(self) -> Signed | None:
        """The memory; None when there is none. ``SignerRefused`` when it is unreadable or
        another key's (the service then refuses to sign and to decide, as ``check_extends``
        says: a memory swapped for another key's must not pass for no memory)."""
        last = self.memory.recall()
        if last is not None and last.vkey != self.vkey:
            raise SignerRefused(
                f"the signer's memory is of another key or origin ({last.origin}, "
                f"{last.vkey}): run `liaison ledger signer-init --force` if the key was "
                "replaced on purpose"
            )
        return last


def published_vkey(signer: CheckpointSigner | None, key_dir: Path | None) -> str | None:
    """The verifier key a deployment publishes: its signer's (the key, or the signer
    process), else ``ledger.vkey`` in ``key_dir`` (a deployment that does not sign, or
    whose signer process is down and was never reached); None: neither."""
    if signer is not None:
        try:
            return signer.vkey
        except SignerUnavailable:
            pass
    return load_vkey(key_dir) if key_dir is not None else None


def deployment_signer(key_dir: Path | None, socket: Path | None) -> CheckpointSigner | None:
    """The deployment's signer: the signer process at ``socket`` when one is configured
    (the key file is then never read), else the key in ``key_dir`` (None: no key;
    ``SigningKeyError`` when others can read it)."""
    if socket is not None:
        from liaison.ledger.signer_client import RemoteSigner

        return RemoteSigner(socket)
    if key_dir is None:
        return None
    key = load_signer(key_dir)
    return None if key is None else LocalSigner(key, SignerMemory(key_dir))


__all__ = ["CheckpointSigner", "LocalSigner", "deployment_signer", "published_vkey"]
