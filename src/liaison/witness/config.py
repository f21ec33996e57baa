"""A witness's configuration: one TOML file (stdlib ``tomllib``), read by
``liaison witness serve --config FILE`` (docs/ledger.md, "Witnesses").

C2SP tlog-witness, "HTTP Interface" and "add-checkpoint": a witness is a name and a key,
and "each witness is configured with a list of supported log public keys", each log
"uniquely identified by its origin line". So the file holds::

    name = "council.dc.gov/witness"   # the witness's key name (C2SP signed-note)
    key = "witness.key"               # its secret key (``liaison witness keygen``)
    state = "witness.db"              # its own state file (``liaison.witness.state``)

    [[log]]                           # one per log followed
    origin = "liaison.example/dc-mpd/ledger"  # the checkpoint's origin line
    vkey = "liaison.example/dc-mpd/ledger+1a2b3c4d+AQ..."  # the log's verifier key, or
    # vkeys = ["...", "..."]          # several (a key being rotated)

Relative paths are resolved against the config file's folder. Every problem is refused
with a ``WitnessConfigError`` naming the file, the field and, for a log, its number
(``[[log]] #2``); unknown fields are refused too (a misspelt field must not be ignored).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from liaison.errors import NoteError, WitnessConfigError
from liaison.files import private_dir, shared_mode, write_private
from liaison.ledger.cosignature import Cosigner, generate_cosigner, parse_cosigner
from liaison.ledger.note_keys import Verifier, is_valid_key_name, parse_verifier
from liaison.ledger.witness_list import read_toml

__all__ = ["FollowedLog", "WitnessConfig", "keygen", "load_config", "load_cosigner"]

KEY_FILE = "witness.key"
VKEY_FILE = "witness.vkey"

_TOP_FIELDS = frozenset({"name", "key", "state", "log"})
_LOG_FIELDS = frozenset({"origin", "vkey", "vkeys"})


@dataclass(frozen=True, slots=True)
class FollowedLog:
    """A log the witness follows: its origin and the keys its checkpoints may be signed by."""

    origin: str
    verifiers: tuple[Verifier, ...]


@dataclass(frozen=True, slots=True)
class WitnessConfig:
    """A witness's configuration, checked whole (``load_config``)."""

    path: Path
    name: str
    key_file: Path
    state_file: Path
    logs: Mapping[str, FollowedLog]

    def log(self, origin: str) -> FollowedLog | None:
        """The followed log of ``origin``; None when the witness does not follow it."""
        return self.logs.get(origin)


def _fail(path: Path, field: str, message: str) -> WitnessConfigError:
    return WitnessConfigError(f"{path}: {field}: {message}")


def _text(path: Path, table: Mapping[str, Any], field: str, where: str) -> str:
    value = table.get(field)
    if value is None:
        raise _fail(path, f"{where}{field}", "missing")
    if not isinstance(value, str) or not value:
        raise _fail(path, f"{where}{field}", "must be a non-empty string")
    return value


def _file(path: Path, table: Mapping[str, Any], field: str) -> Path:
    given = Path(_text(path, table, field, ""))
    return given if given.is_absolute() else (path.parent / given)


def _unknown(path: Path, table: Mapping[str, Any], known: frozenset[str], where: str) -> None:
    extra = sorted(set(table) - known)
    if extra:
        allowed = ", ".join(sorted(known))
        raise _fail(path, f"{where}{extra[0]}", f"unknown field (the fields are {allowed})")


def _vkeys(path: Path, table: Mapping[str, Any], where: str) -> list[tuple[str, object]]:
    if "vkey" in table and "vkeys" in table:
        raise _fail(path, f"{where}vkeys", "give vkey or vkeys, not both")
    if "vkey" in table:
        return [(f"{where}vkey", table["vkey"])]
    given = table.get("vkeys")
    if given is None:
        raise _fail(path, f"{where}vkey", "missing (the log's verifier key; or vkeys = [...])")
    if not isinstance(given, list) or not given:
        raise _fail(path, f"{where}vkeys", "must be a non-empty list of verifier keys")
    return [(f"{where}vkeys[{i}]", value) for i, value in enumerate(given)]


def _followed(path: Path, table: object, number: int) -> FollowedLog:
    where = f"[[log]] #{number} "
    if not isinstance(table, dict):
        raise _fail(path, f"[[log]] #{number}", "must be a table")
    _unknown(path, table, _LOG_FIELDS, where)
    origin = _text(path, table, "origin", where)
    if "\n" in origin or any(ch < " " for ch in origin):
        raise _fail(path, f"{where}origin", "must be one line with no control characters")
    verifiers: list[Verifier] = []
    for field, value in _vkeys(path, table, where):
        if not isinstance(value, str):
            raise _fail(path, field, "must be a string (a C2SP signed-note verifier key)")
        try:
            verifiers.append(parse_verifier(value.strip()))
        except NoteError as exc:
            raise _fail(path, field, exc.message) from None
    return FollowedLog(origin, tuple(verifiers))


def _parse(path: Path, document: Mapping[str, Any]) -> WitnessConfig:
    _unknown(path, document, _TOP_FIELDS, "")
    name = _text(path, document, "name", "")
    if not is_valid_key_name(name):
        raise _fail(path, "name", f"{name!r} is not a key name (no spaces, no '+')")
    key_file, state_file = _file(path, document, "key"), _file(path, document, "state")
    tables = document.get("log")
    if not isinstance(tables, list) or not tables:
        raise _fail(path, "[[log]]", "no log to follow: add a [[log]] table with origin, vkey")
    logs: dict[str, FollowedLog] = {}
    for number, table in enumerate(tables, start=1):
        followed = _followed(path, table, number)
        if followed.origin in logs:
            raise _fail(path, f"[[log]] #{number} origin", f"{followed.origin!r} is repeated")
        logs[followed.origin] = followed
    return WitnessConfig(path, name, key_file, state_file, logs)


def load_config(path: Path) -> WitnessConfig:
    """Read and check the witness configuration file ``path``."""
    return _parse(path.absolute(), read_toml(path, "the config"))


def load_cosigner(config: WitnessConfig) -> Cosigner:
    """The witness's secret key (field ``key``): refused when group or others may read it,
    when it is not a witness secret key, or when its name is not the field ``name``."""
    path = config.key_file
    try:
        mode = shared_mode(path)
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8"
        raise _fail(config.path, "key", f"cannot read {path}: {reason}") from None
    if mode is not None:
        raise _fail(
            config.path,
            "key",
            f"{path} is readable by group or others (mode {mode:04o}); run `chmod 600 {path}`",
        )
    try:
        cosigner = parse_cosigner(text)
    except NoteError as exc:
        raise _fail(config.path, "key", f"{path}: {exc.message}") from None
    if cosigner.name != config.name:
        raise _fail(
            config.path, "name", f"{config.name!r}, but the key {path} is {cosigner.name!r}'s"
        )
    return cosigner


def keygen(folder: Path, name: str, *, force: bool = False) -> tuple[Path, Path, str]:
    """A new witness key pair for ``name`` in ``folder`` (made 0700): the secret key file
    (0600, the config's ``key``), the verifier key file, and the verifier key, which the
    department configures to trust the witness. An existing key is replaced only when
    ``force``: its cosignatures would no longer verify with the vkey already given out."""
    key_path, vkey_path = folder / KEY_FILE, folder / VKEY_FILE
    if key_path.exists() and not force:
        raise WitnessConfigError(f"{key_path} exists already; refusing to replace a witness key")
    try:
        skey, vkey = generate_cosigner(name)
    except NoteError as exc:
        raise WitnessConfigError(f"--name: {exc.message}") from None
    private_dir(folder)
    write_private(key_path, (skey + "\n").encode())
    vkey_path.write_text(vkey + "\n")
    return key_path, vkey_path, vkey
