"""The deployment's checkpoint signing key (Ed25519, C2SP signed-note key formats).

``liaison ledger keygen`` generates it into the key folder (mode 0700; the key 0600),
with a fresh signer memory (``liaison.ledger.signer_memory``); it is never in the
repository. A key file that group or others can read is refused. The verifier key
(``ledger.vkey``) is what the department publishes so that anyone can check its
checkpoints.
"""

from __future__ import annotations

from pathlib import Path

from liaison.errors import SigningKeyError
from liaison.files import private_dir, shared_mode, write_private
from liaison.ledger.note_keys import Signer, Verifier, generate_signer, parse_signer, parse_verifier
from liaison.ledger.signer_memory import Signed, SignerMemory

SIGNER_FILE = "ledger.key"
VERIFIER_FILE = "ledger.vkey"


def keygen(key_dir: Path, name: str, *, force: bool = False) -> tuple[Path, Path]:
    """Create a signer key (mode 0600) and its verifier key in ``key_dir`` (0700), and a
    memory of nothing signed yet for the new key (``force``: replacing a key)."""
    private_dir(key_dir)
    skey_path, vkey_path = key_dir / SIGNER_FILE, key_dir / VERIFIER_FILE
    if skey_path.exists() and not force:
        raise SigningKeyError(f"{skey_path} exists already; refusing to replace a signing key")
    skey, vkey = generate_signer(name)
    memory = SignerMemory(key_dir)
    with memory.locked():
        write_private(skey_path, (skey + "\n").encode())
        vkey_path.write_text(vkey + "\n")
        memory.remember(Signed.nothing(name, parse_signer(skey)))
    return skey_path, vkey_path


def load_signer(key_dir: Path) -> Signer | None:
    """The signing key of ``key_dir`` (None: there is none); refused when group or others
    can read it."""
    path = key_dir / SIGNER_FILE
    if not path.exists():
        return None
    mode = shared_mode(path)
    if mode is not None:
        raise SigningKeyError(
            f"the signing key {path} is readable by group or others (mode {mode:04o}); "
            f"refusing to use it: run `chmod 600 {path}` (and consider it exposed)"
        )
    return parse_signer(path.read_text().strip())


def load_vkey(key_dir: Path) -> str | None:
    path = key_dir / VERIFIER_FILE
    return path.read_text().strip() if path.exists() else None


def load_verifier(key_dir: Path) -> Verifier | None:
    vkey = load_vkey(key_dir)
    return parse_verifier(vkey) if vkey else None
