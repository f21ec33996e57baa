"""The server secret that API key MACs are keyed with (``api-keys.secret`` in the key dir).

An API key's secret is stored only as HMAC-SHA256 (RFC 2104, FIPS 198-1) of the key under
this server secret, so a copy of the database alone lets nobody check a guessed key. The
secret is 32 random bytes, written as hex on one line, beside the checkpoint signing key
(``LIAISON_KEY_DIR``), readable by its owner only (0600). It is made on first need
(``liaison ledger keygen``, ``liaison keys create``, service start) and never replaced:
without it no API key can be verified, so every host of a deployment needs the same file.

Creation is atomic and safe when several processes start at once: each writes a complete
candidate to a private temporary file and links it into place (``link`` fails if the name
exists); every process then reads the one that won.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

from liaison.errors import SigningKeyError

API_KEY_SECRET_FILE = "api-keys.secret"
SECRET_BYTES = 32


def api_key_secret(key_dir: Path) -> bytes:
    """The deployment's API key secret, made in ``key_dir`` (0600) if it is missing.

    Refused (``key_error``) when the file is readable or writable by group or others, or
    does not hold 32 bytes of hex.
    """
    path = key_dir / API_KEY_SECRET_FILE
    if not path.exists():
        _create(path)
    return _read(path)


def _create(path: Path) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    candidate = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(8)}")
    fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(SECRET_BYTES) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        # Another process may have linked its own first: then that one is the secret.
        with contextlib.suppress(FileExistsError):
            os.link(candidate, path)
    finally:
        candidate.unlink()
    _sync_dir(path.parent)


def _read(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY)
    with os.fdopen(fd, "r") as handle:
        if stat.S_IMODE(os.fstat(handle.fileno()).st_mode) & 0o077:
            raise SigningKeyError(
                f"{path} is accessible to group or others; it must be owner-only (chmod 600)"
            )
        text = handle.read().strip()
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        secret = b""
    if len(secret) != SECRET_BYTES:
        raise SigningKeyError(f"{path} does not hold a {SECRET_BYTES}-byte hex secret")
    return secret


def _sync_dir(folder: Path) -> None:
    """Make the new name durable (POSIX: a directory entry needs the directory synced)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
