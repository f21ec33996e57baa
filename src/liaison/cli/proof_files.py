"""Writing proof files for ``liaison verify-proof`` (``liaison ledger prove-inclusion
--file``, ``prove-consistency --file``): a proof against a kept signed checkpoint, with its
signed note, cosignatures and the log's verifier key (``liaison.ledger.consistency_file``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from liaison.cli.common import fail, fail_on, open_ledger
from liaison.errors import LiaisonError

if TYPE_CHECKING:  # imported where used: `liaison decide` must start fast
    from liaison.ledger.log import Ledger

FileOpt = Annotated[
    Path | None,
    typer.Option(
        "--file",
        help="Write a proof file for `liaison verify-proof` (against a kept signed "
        "checkpoint, with its cosignatures; default: the latest) instead of printing the proof.",
        dir_okay=False,
    ),
]


SinceOpt = Annotated[
    list[int] | None,
    typer.Option(
        "--since",
        help="With --file: add a consistency proof from this older tree size (the one a "
        "reader saved; repeatable).",
    ),
]


def write_proof_file(path: Path, make: Callable[[Ledger, str], dict[str, Any]]) -> None:
    """Write the proof file ``make`` builds from the ledger and its verifier key."""
    from liaison.ledger.keys import load_vkey
    from liaison.settings import Settings

    s = Settings()
    vkey = load_vkey(s.key_dir)
    if vkey is None:
        raise fail("no verifier key: run `liaison ledger keygen` first")
    try:
        made = make(open_ledger(s), vkey)
    except LiaisonError as exc:
        raise fail_on(exc) from None
    try:
        path.write_text(json.dumps(made, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    except OSError as exc:
        raise fail(f"--file {path}: {exc.strerror}") from None
    typer.echo(f"wrote {path}: {made['format']}, tree of {made.get('size', made.get('new_size'))}")
