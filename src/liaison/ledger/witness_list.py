"""The witnesses a deployment sends its checkpoints to (``LIAISON_WITNESSES``): a TOML file.

Each witness is a ``[[witness]]`` table with its submission prefix and its verifier key
(C2SP tlog-witness, "HTTP Interface": a witness is a name, a public key and URL
prefixes; C2SP tlog-cosignature: the key is an Ed25519 cosigner key, type 0x04)::

    [[witness]]
    url = "https://witness.council.example/liaison"   # add-checkpoint is under it
    vkey = "council.example/w1+1d2b3a4c+BE6t..."

A problem is a ``WitnessConfigError`` naming the file and the field (``witness[2].vkey``).
One key must never serve two witnesses (the cosigned message does not commit to the
witness's name), so two entries with the same key, or the same name, are refused.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from liaison.errors import InvalidKey, WitnessConfigError
from liaison.ledger.cosignature import WitnessKey, parse_witness_key

FIELDS = ("url", "vkey")


@dataclass(frozen=True, slots=True)
class Witness:
    """A witness the service asks for cosignatures: where, and the key it cosigns with."""

    url: str
    key: WitnessKey

    @property
    def name(self) -> str:
        return self.key.name

    @property
    def add_checkpoint_url(self) -> str:
        """``<submission prefix>/add-checkpoint`` (tlog-witness, "add-checkpoint")."""
        return f"{self.url.rstrip('/')}/add-checkpoint"


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """The TOML document of ``path`` (``what`` it is, for the errors: the witness's config,
    the service's list of witnesses); ``WitnessConfigError`` naming the file otherwise."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise WitnessConfigError(f"{path}: cannot read {what}: {exc.strerror}") from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise WitnessConfigError(f"{path}: not UTF-8 (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise WitnessConfigError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:  # tomllib recurses per nested array or inline table
        raise WitnessConfigError(f"{path}: not valid TOML: nested too deeply") from None


def load_witnesses(path: Path) -> tuple[Witness, ...]:
    """The witnesses listed in the TOML file ``path`` (none when it lists none)."""
    return parse_witnesses(read_toml(path, "the list of witnesses"), str(path))


def parse_witnesses(document: dict[str, Any], where: str) -> tuple[Witness, ...]:
    """The witnesses of a parsed file; ``where`` names it in errors."""
    unknown = sorted(set(document) - {"witness"})
    if unknown:
        raise WitnessConfigError(
            f"{where}: unknown key {unknown[0]!r} (only [[witness]] tables)", field=unknown[0]
        )
    entries = document.get("witness", [])
    if not isinstance(entries, list):
        raise WitnessConfigError(f"{where}: witness: [[witness]] tables expected", field="witness")
    witnesses = [_witness(entry, f"witness[{i}]", where) for i, entry in enumerate(entries)]
    _refuse_shared(witnesses, where)
    return tuple(witnesses)


def _witness(entry: object, label: str, where: str) -> Witness:
    if not isinstance(entry, dict):
        raise WitnessConfigError(f"{where}: {label}: a table expected", field=label)
    for name in sorted(set(entry) - set(FIELDS)):
        raise WitnessConfigError(
            f"{where}: {label}.{name}: unknown field (a witness has url and vkey)",
            field=f"{label}.{name}",
        )
    for name in FIELDS:
        if not isinstance(entry.get(name), str) or not entry[name]:
            raise WitnessConfigError(
                f"{where}: {label}.{name}: missing (a string)", field=f"{label}.{name}"
            )
    url = entry["url"]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise WitnessConfigError(
            f"{where}: {label}.url: {url!r} is not an http(s) URL prefix (no query, no fragment)",
            field=f"{label}.url",
        )
    try:
        key = parse_witness_key(entry["vkey"])
    except InvalidKey as exc:
        raise WitnessConfigError(
            f"{where}: {label}.vkey: {exc.message}", field=f"{label}.vkey"
        ) from None
    return Witness(url, key)


def _refuse_shared(witnesses: list[Witness], where: str) -> None:
    """One name and one key per witness."""
    for i, witness in enumerate(witnesses):
        for j, other in enumerate(witnesses[:i]):
            what = (
                "name"
                if other.name == witness.name
                else "key"
                if other.key.public_key == witness.key.public_key
                else None
            )
            if what is not None:
                raise WitnessConfigError(
                    f"{where}: witness[{i}].vkey: the same {what} as witness[{j}] "
                    "(one key, one name per witness)",
                    field=f"witness[{i}].vkey",
                )
