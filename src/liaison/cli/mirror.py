"""``liaison mirror``: keep an oversight body's copy of a deployment's ledger, pulled
through its API and verified on every pull (``liaison.ledger.mirror``; docs/ledger.md,
"Mirroring the ledger").

The API key (an auditor's) is read from ``--key-file`` or the ``LIAISON_API_KEY``
environment variable, never from the command line, where other users of the machine can
read it. Exit codes: 0 pulled (or nothing to do), 1 refused or a fork (its evidence in
``DIR/forks/``), 2 bad options. With ``--every``, a pull that fails is reported and tried
again; a fork stops the loop.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from liaison.cli.common import fail, fail_on, print_error
from liaison.errors import ForkDetected, LiaisonError

if TYPE_CHECKING:  # imported where used: `liaison decide` must start fast
    from liaison.ledger.mirror import Trust
    from liaison.ledger.mirror_source import LogSource
    from liaison.ledger.mirror_store import MirrorFolder

KEY_ENV = "LIAISON_API_KEY"


UrlArg = Annotated[
    str, typer.Argument(help="The deployment's API, e.g. https://ledger.dc.example.")
]
FolderArg = Annotated[
    Path, typer.Argument(help="The copy's folder (made on the first pull).", file_okay=False)
]
VkeyOpt = Annotated[
    str,
    typer.Option(
        "--vkey",
        help="The log's published verifier key, or a file holding it (pinned; the key "
        "rotations the log records are followed from it).",
    ),
]
KeyFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--key-file",
        help=f"A file holding an auditor's API key (default: the {KEY_ENV} variable).",
        dir_okay=False,
    ),
]
WitnessOpt = Annotated[
    list[str] | None,
    typer.Option("--witness", help="A witness's verifier key, or a file holding it (repeatable)."),
]
MinWitnessesOpt = Annotated[
    int | None,
    typer.Option(
        "--min-witnesses",
        min=0,
        help="Cosignatures required of the --witness keys (default: all of them).",
    ),
]
EveryOpt = Annotated[
    float | None,
    typer.Option("--every", min=1, help="Pull again every SECONDS until stopped (default: once)."),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", help="No progress bar.")]


def mirror(
    url: UrlArg,
    folder: FolderArg,
    vkey: VkeyOpt,
    key_file: KeyFileOpt = None,
    witness: WitnessOpt = None,
    min_witnesses: MinWitnessesOpt = None,
    every: EveryOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Pull the ledger into FOLDER and verify it: the latest checkpoint signed by --vkey
    (and cosigned by --min-witnesses of the --witness keys), consistent with the last one
    accepted, and the entries making its root. Only then are they kept.

    While the latest checkpoint is not cosigned yet, it pulls up to the newest kept one
    that is, and says so. Key rotations recorded in the ledger are followed from --vkey
    (each signed by the key trusted before it and the new one); the copy's state.json
    records the current key.

    Exits 1 on a fork (the evidence in FOLDER/forks/, the copy kept as it was) or when a
    pull is refused or cannot finish (nothing of it kept); 2 when an option is bad."""
    from liaison.ledger.mirror_source import LogSource
    from liaison.ledger.mirror_store import MirrorFolder

    trust = _trust(vkey, witness or [], min_witnesses)
    source = LogSource(url, _api_key(key_file))
    copy = MirrorFolder(folder)
    while True:
        try:
            _pull_once(source, copy, trust, quiet)
        except ForkDetected as exc:
            raise fail_on(exc) from None
        except LiaisonError as exc:
            if every is None:
                raise fail_on(exc) from None
            print_error(f"{exc} (trying again in {every:g} s)")
        if every is None:
            return
        time.sleep(every)


def _pull_once(source: LogSource, copy: MirrorFolder, trust: Trust, quiet: bool) -> None:
    from rich.progress import Progress

    from liaison.ledger.mirror import pull
    from liaison.ledger.proofs import b64

    with Progress(transient=True, disable=quiet) as bar:
        task = bar.add_task("pulling entries", total=None)
        done = pull(
            source, copy, trust, lambda n, total: bar.update(task, completed=n, total=total)
        )
    if done.said:
        typer.echo(done.said)
    for entry in done.rotations:
        typer.echo(f"followed the key rotation at entry {entry}")
    what = f"{done.added} new entries" if done.added else "nothing new"
    cosigned = f", cosigned by {', '.join(done.cosigned_by)}" if done.cosigned_by else ""
    signed = f", signed by {done.vkey}" if done.rotations else ""
    typer.echo(f"{what}: {done.size} entries, root {b64(done.root)}{cosigned}{signed}")


def _api_key(key_file: Path | None) -> str:
    """The API key from ``--key-file``, else from the environment; exit 2 without one."""
    if key_file is not None:
        try:
            key = key_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise fail(f"--key-file {key_file}: {exc.strerror}", 2) from None
        except UnicodeDecodeError:
            raise fail(f"--key-file {key_file}: not UTF-8 text", 2) from None
        if not key:
            raise fail(f"--key-file {key_file}: the file is empty", 2)
        return key
    key = os.environ.get(KEY_ENV, "").strip()
    if not key:
        raise fail(f"no API key: pass --key-file PATH or set {KEY_ENV}", 2)
    return key


def _trust(vkey: str, witnesses: list[str], minimum: int | None) -> Trust:
    """The pinned key and witnesses (``liaison.cli.key_opts``, as the other verifiers);
    exit 2 naming a bad option."""
    from liaison.cli.key_opts import log_verifier, witness_keys
    from liaison.ledger.mirror import Trust

    keys, needed = witness_keys(witnesses, minimum, 2)
    return Trust(log_verifier(vkey, 2), keys, needed)
