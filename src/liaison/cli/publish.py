"""``liaison publish DIR``: the public figures as files a city can post (issue 11, item 2;
docs/pages.md, "Publishing the files"; ``liaison.reports.public_files``), counted up to a signed
checkpoint over a period, with a manifest signed by the ledger key; and
``liaison publish verify DIR --key VKEY_FILE``: a reader's check of such a folder.

A non-empty DIR is refused (exit 2) unless ``--force``; the folder is written whole or
not at all. A bad option exits 2 naming it; no ledger key exits 1; a folder that fails
verification exits 1, each problem naming its file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from liaison.cli.common import (
    CheckpointOpt,
    FromOpt,
    ToOpt,
    fail,
    open_ledger,
    read_verifier,
    report_scope,
)


class _WriteByDefault(TyperGroup):
    """``liaison publish DIR`` is ``liaison publish write DIR``; ``verify`` is the check."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # a click Context
        if args and args[0] not in (*self.commands, "--help"):
            args = ["write", *args]
        return super().parse_args(ctx, args)


publish_app = typer.Typer(
    cls=_WriteByDefault,
    no_args_is_help=True,
    help="The public figures as files (CSV, JSON, a signed manifest): "
    "`liaison publish DIR`, `liaison publish verify DIR --key VKEY_FILE`.",
)


@publish_app.command("write")
def write(
    folder: Annotated[Path, typer.Argument(help="The folder to write (created).")],
    start: FromOpt = None,
    end: ToOpt = None,
    checkpoint: CheckpointOpt = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace DIR if it exists and is not empty.")
    ] = False,
) -> None:
    """Write the public figures to DIR (each table as CSV and JSON, manifest.json naming the
    checkpoint and each file's SHA-256, manifest.sig signed by the ledger key)."""
    from liaison.files import write_folder
    from liaison.reports import public_files, public_tables

    if folder.exists() and not force and (not folder.is_dir() or any(folder.iterdir())):
        raise fail(f"DIR: {folder} exists and is not empty (--force replaces it)", 2)
    from liaison.ledger.checkpoint_signer import LocalSigner

    ledger = open_ledger()
    if ledger.signer is None:
        raise fail("no ledger key to sign the manifest: run `liaison ledger keygen`")
    if not isinstance(ledger.signer, LocalSigner):
        raise fail(
            "the manifest is signed with the ledger key, which the signer process at "
            "LIAISON_SIGNER_SOCKET holds (it signs checkpoints only): publish on the "
            "signer's host, without LIAISON_SIGNER_SOCKET"
        )
    with report_scope(ledger, {"from": start, "to": end}, checkpoint) as (where, index):
        note = next(c.note for c in ledger.checkpoints() if c.size == where.checkpoint.size)
        figures = public_tables.build(where, index)
        written = public_files.files(figures, note, ledger.signer.key)
        write_folder(folder, written, replace=True)
    typer.echo(
        f"wrote {len(written)} files to {folder}: checkpoint {where.checkpoint.size} "
        f"{where.checkpoint.root}"
    )


@publish_app.command("verify")
def verify(
    folder: Annotated[Path, typer.Argument(help="A folder `liaison publish` wrote.")],
    key: Annotated[
        Path, typer.Option("--key", help="The ledger's verifier key (a file), as you saved it.")
    ],
) -> None:
    """Check DIR: manifest.sig signed by the key, the checkpoint's note too, every file's
    SHA-256 and size as the manifest says, no file missing or extra."""
    from liaison.reports import public_files

    if not folder.is_dir():
        raise fail(f"DIR: {folder} is not a folder", 2)
    verifier = read_verifier(key)
    problems = public_files.verify(folder, verifier)
    for problem in problems:
        typer.echo(problem, err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo(f"verified: {folder} is as published, signed by {verifier.name}")
