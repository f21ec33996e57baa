"""The public figures as files a city can post (issue 11, item 2: "``liaison publish DIR``:
CSV and JSON plus a manifest signed with the ledger key naming the checkpoint";
docs/pages.md, "Publishing the files").

The folder holds, for each public table (``public_tables``), ``ID.csv`` (cells a
spreadsheet would read as formulas prefixed ``'``) and ``ID.json`` (the table, its
checkpoint and period); ``manifest.json``, naming the checkpoint (size, root, and its
signed note) and each file's SHA-256 and size; and ``manifest.sig``, a C2SP signed note by
the ledger key whose text names the manifest's SHA-256. ``verify`` checks a folder
against the verifier key a reader saved: the signature, the checkpoint's note, every
file's hash and size, and that no file is missing or extra.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from liaison.errors import InvalidCheckpoint, NoteError
from liaison.ledger.checkpoint import open_checkpoint
from liaison.ledger.note_keys import Signer, Verifier
from liaison.ledger.signed_note import open_note, sign_note
from liaison.reports.public_tables import PublicFigures, spreadsheet_safe
from liaison.reports.query_formats import table_csv

FORMAT = "liaison-public-figures/1"
MANIFEST, SIGNATURE = "manifest.json", "manifest.sig"
HEADING = "liaison public figures manifest"


def _json(value: Any) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def files(figures: PublicFigures, note: str, signer: Signer) -> dict[str, bytes]:
    """Every file of the folder, by name: the tables, the manifest and its signature;
    ``note``: the signed note of the figures' checkpoint."""
    out: dict[str, bytes] = {}
    whole = figures.to_dict()
    head = {"checkpoint": figures.checkpoint, "period": figures.period}
    tables = {t["id"]: t for t in whole["tables"]}
    for ident in figures.ids():
        columns, rows = figures.csv(ident)
        out[f"{ident}.csv"] = table_csv(columns, spreadsheet_safe(rows)).encode()
        table = tables.get(ident, {"id": ident, "answers": whole["council"]})
        out[f"{ident}.json"] = _json({**head, "suppressed": whole["suppressed"], **table})
    manifest = {
        "format": FORMAT,
        "checkpoint": {**figures.checkpoint, "note": note},
        "period": figures.period,
        "files": [{"name": n, "sha256": sha256(b), "size": len(b)} for n, b in sorted(out.items())],
    }
    out[MANIFEST] = _json(manifest)
    out[SIGNATURE] = sign_note(f"{HEADING}\nsha256 {sha256(out[MANIFEST])}\n", signer).encode()
    return out


def verify(folder: Path, verifier: Verifier) -> list[str]:
    """What is wrong with ``folder`` (nothing: it is as published), each naming the file."""
    try:
        signed = (folder / SIGNATURE).read_bytes()
        raw = (folder / MANIFEST).read_bytes()
    except FileNotFoundError as exc:
        return [f"{Path(str(exc.filename)).name}: missing"]
    try:
        text, _ = open_note(signed, [verifier])
    except NoteError as exc:
        return [f"{SIGNATURE}: not signed by the key {verifier.name}: {exc.message}"]
    if text != f"{HEADING}\nsha256 {sha256(raw)}\n":
        return [f"{MANIFEST}: its SHA-256 is not the one {SIGNATURE} signs (altered)"]
    manifest = json.loads(raw)
    problems = _checkpoint(manifest["checkpoint"], verifier)
    listed = {f["name"]: f for f in manifest["files"]}
    for name, want in sorted(listed.items()):
        path = folder / name
        if not path.is_file():
            problems.append(f"{name}: missing")
            continue
        data = path.read_bytes()
        if len(data) != want["size"] or sha256(data) != want["sha256"]:
            problems.append(f"{name}: its SHA-256 or size differs from the manifest (altered)")
    for path in sorted(folder.iterdir()):
        if path.name not in listed and path.name not in (MANIFEST, SIGNATURE):
            problems.append(f"{path.name}: not in the manifest (extra)")
    return problems


def _checkpoint(named: dict[str, Any], verifier: Verifier) -> list[str]:
    """The manifest's checkpoint: its note signed by the key, of the size and root named."""
    try:
        checkpoint = open_checkpoint(named["note"], verifier)
    except (NoteError, InvalidCheckpoint) as exc:
        return [f"{MANIFEST}: the checkpoint's note is not signed by the key: {exc.message}"]
    root = base64.b64encode(checkpoint.root).decode()
    if (checkpoint.size, root) != (named["size"], named["root"]):
        return [f"{MANIFEST}: the checkpoint named is not the one its note signs"]
    return []
