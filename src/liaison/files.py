"""Files readable by their owner only: the database, ``var/``, the key folder; and a folder
of files to publish (``write_folder``), written whole or not at all.

Folders are created with mode 0700 and files with mode 0600, whatever the umask (it can
only remove bits, so each is set again with ``chmod`` after creation). A file is replaced
atomically (a temporary file in the same folder, fsync, rename, fsync of the folder:
POSIX ``rename(2)``), so a crash leaves the old content or the new one, never a mix.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_dir(path: Path) -> Path:
    """Create ``path`` and its missing parents as 0700 folders; existing ones are kept as
    they are (the folders a deployment points at may be shared on purpose)."""
    missing: list[Path] = []
    at = path
    while not at.exists():
        missing.append(at)
        at = at.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:
            continue  # another process made it meanwhile
        os.chmod(folder, PRIVATE_DIR)
    return path


def create_private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, PRIVATE_FILE)
    finally:
        os.close(fd)


def make_private(path: Path) -> int | None:
    """Set an existing file that group or others can use to 0600; its old mode, or None
    when it was already owner-only (or does not exist)."""
    try:
        mode = shared_mode(path)
    except FileNotFoundError:
        return None
    if mode is not None:
        os.chmod(path, PRIVATE_FILE)
    return mode


def write_private(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically and durably, mode 0600."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, PRIVATE_FILE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def shared_mode(path: Path) -> int | None:
    """The permission bits of ``path`` when group or others have any, else None."""
    mode = stat.S_IMODE(path.stat().st_mode)
    return mode if mode & 0o077 else None


PUBLIC_DIR, PUBLIC_FILE = 0o755, 0o644


def write_folder(path: Path, files: Mapping[str, bytes], *, replace: bool = False) -> None:
    """``path`` made a folder holding exactly ``files`` (name -> content), readable by all:
    written in a temporary folder beside it, then renamed into place, so a failure leaves
    no half-written folder. An existing ``path`` is replaced only when ``replace`` (or
    empty); else ``FileExistsError``."""
    if path.exists() and not replace and (not path.is_dir() or any(path.iterdir())):
        raise FileExistsError(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    old = temp.with_suffix(".old")
    try:
        for name, data in files.items():
            (temp / name).write_bytes(data)
            os.chmod(temp / name, PUBLIC_FILE)
        os.chmod(temp, PUBLIC_DIR)
        if path.exists():
            os.replace(path, old)
        os.replace(temp, path)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        if old.exists() and not path.exists():
            os.replace(old, path)  # put the old folder back
        raise
    shutil.rmtree(old, ignore_errors=True)
