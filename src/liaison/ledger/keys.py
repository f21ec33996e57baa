"""The deployment's checkpoint signing key (Ed25519, C2SP signed-note key formats).

``liaison ledger keygen`` generates it into the key folder; it is never in the
repository. The verifier key (``ledger.vkey``) is what the department publishes
so that anyone can check its checkpoints.
"""

from __future__ import annotations

import os
from pathlib import Path

from liaison.errors import LiaisonError
from liaison.ledger.note import Signer, Verifier, generate_signer, parse_signer, parse_verifier

SIGNER_FILE = "ledger.key"
VERIFIER_FILE = "ledger.vkey"


class SigningKeyError(LiaisonError):
    code = "key_error"


def keygen(key_dir: Path, name: str, *, force: bool = False) -> tuple[Path, Path]:
    """Create a signer key (mode 0600) and its verifier key in ``key_dir``."""
    key_dir.mkdir(parents=True, exist_ok=True)
    skey_path, vkey_path = key_dir / SIGNER_FILE, key_dir / VERIFIER_FILE
    if skey_path.exists() and not force:
        raise SigningKeyError(f"{skey_path} exists already; refusing to replace a signing key")
    skey, vkey = generate_signer(name)
    fd = os.open(skey_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(skey + "\n")
    vkey_path.write_text(vkey + "\n")
    return skey_path, vkey_path


def load_signer(key_dir: Path) -> Signer | None:
    path = key_dir / SIGNER_FILE
    return parse_signer(path.read_text().strip()) if path.exists() else None


def load_vkey(key_dir: Path) -> str | None:
    path = key_dir / VERIFIER_FILE
    return path.read_text().strip() if path.exists() else None


def load_verifier(key_dir: Path) -> Verifier | None:
    vkey = load_vkey(key_dir)
    return parse_verifier(vkey) if vkey else None
