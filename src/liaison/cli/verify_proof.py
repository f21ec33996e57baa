"""``liaison verify-proof``: an inclusion or consistency proof file checked offline against
a checkpoint the reader saved, with nothing but the log's verifier key and the witnesses'
keys (``liaison.ledger.offline_proof``; docs/ledger.md, "Checking a proof against a
checkpoint you saved").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from liaison.cli.common import JsonOpt, fail
from liaison.cli.key_opts import MinWitnessesOpt, WitnessOpt, log_verifier, witness_keys
from liaison.errors import LiaisonError


def _read(path: Path, what: str) -> str:
    """The text of ``path``; exit 2 naming the file when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise fail(f"{what} {path}: {exc.strerror}", 2) from None
    except UnicodeDecodeError:
        raise fail(f"{what} {path}: not UTF-8 text", 2) from None


def _json(path: Path) -> Any:
    try:
        return json.loads(_read(path, "proof file"))
    except ValueError as exc:
        raise fail(f"proof file {path}: not JSON: {exc}", 2) from None
    except RecursionError:
        raise fail(f"proof file {path}: not JSON (nested too deeply)", 2) from None


def verify_proof_command(
    path: Annotated[
        Path,
        typer.Argument(
            help="An inclusion proof file (a decision page's proof.json, or `liaison ledger "
            "prove-inclusion --file`) or a consistency proof file (`liaison ledger "
            "prove-consistency --file`).",
            dir_okay=False,
        ),
    ],
    checkpoint: Annotated[
        Path,
        typer.Option(
            "--checkpoint",
            help="The signed checkpoint you saved (its note, as /checkpoint serves it).",
            dir_okay=False,
        ),
    ],
    vkey: Annotated[
        str, typer.Option("--vkey", help="The log's verifier key, or a file holding it.")
    ],
    witness: WitnessOpt = None,
    min_witnesses: MinWitnessesOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Check a proof file offline against a checkpoint you saved: no database, no server.

    The saved checkpoint must be signed by VKEY (and cosigned by --min-witnesses of the
    --witness keys, when given). An inclusion proof must lead to its root, or to a larger
    tree whose checkpoint is signed (and cosigned) and proved consistent with it by the
    file's `consistency` part; a consistency proof must start at the saved checkpoint and
    end at a signed (and cosigned) one. A `verified` field in the file is never read.
    Prints each step (OK or FAIL). Exits 0 when all hold, 1 when one fails, 2 when a file
    or key cannot be read or is malformed (naming the file and field)."""
    from liaison.ledger.checkpoint import claimed_size
    from liaison.ledger.offline_proof import Trust, check_proof_file

    verifier = log_verifier(vkey, 2)
    witnesses, minimum = witness_keys(witness, min_witnesses, 2)
    saved = _read(checkpoint, "--checkpoint")
    if claimed_size(saved) < 0:
        raise fail(f"--checkpoint {checkpoint}: not a signed checkpoint (origin, size, root)", 2)
    data = _json(path)
    try:
        kind, steps = check_proof_file(data, saved, Trust(verifier, witnesses, minimum))
    except LiaisonError as exc:
        raise fail(f"proof file {path}: {exc.message}", 2) from None
    ok = all(step.ok for step in steps)
    if as_json:
        shown = [{"step": s.name, "ok": s.ok, "detail": s.detail} for s in steps]
        typer.echo(json.dumps({"ok": ok, "kind": kind, "steps": shown}))
    else:
        for step in steps:
            typer.echo(f"{'OK  ' if step.ok else 'FAIL'} {step.name}: {step.detail}")
        what = "the entry is in" if kind == "inclusion" else "the log only grew from"
        typer.echo(f"VERIFIED: {what} the tree you saved" if ok else "NOT VERIFIED")
    if not ok:
        raise typer.Exit(1)
