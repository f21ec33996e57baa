"""``liaison witness``: run a witness (C2SP tlog-witness) for the Council or the inspector
general, on their own host (docs/ledger.md, "Witnesses"): ``keygen``, ``serve``, ``show``."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from liaison.cli.common import JsonOpt, fail_on
from liaison.errors import LiaisonError

witness_app = typer.Typer(
    help="A witness that cosigns a log's checkpoints only when consistent with what it "
    "cosigned before (C2SP tlog-witness; run by the Council or the inspector general).",
    no_args_is_help=True,
)

ConfigOpt = Annotated[
    Path,
    typer.Option("--config", help="The witness's TOML config (docs/ledger.md, 'Witnesses').",
                 dir_okay=False),
]  # fmt: skip


@witness_app.command("keygen")
def witness_keygen(
    name: Annotated[
        str, typer.Option("--name", help="The witness's key name, e.g. council.dc.gov/witness.")
    ],
    out: Annotated[
        Path,
        typer.Option("--out", help="Folder for witness.key and witness.vkey.", file_okay=False),
    ],
    force: Annotated[bool, typer.Option("--force", help="Replace an existing key.")] = False,
) -> None:
    """Generate the witness's cosigning key; print its verifier key.

    The Ed25519 key (C2SP tlog-cosignature) goes to witness.key (mode 0600), the verifier
    key to witness.vkey and standard output: give it to the department and to whoever
    checks cosignatures."""
    from liaison.witness.config import keygen

    try:
        key_path, vkey_path, vkey = keygen(out, name, force=force)
    except LiaisonError as exc:
        raise fail_on(exc) from None
    typer.echo(f"witness key: {key_path} (keep it secret)", err=True)
    typer.echo(f"verifier key: {vkey_path}", err=True)
    typer.echo(vkey)


@witness_app.command("serve")
def witness_serve(
    config: ConfigOpt,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port.")] = 8470,
) -> None:
    """Serve the witness over HTTP (POST /add-checkpoint, GET /checkpoints) with uvicorn."""
    import uvicorn

    from liaison.witness.app import create_witness_app
    from liaison.witness.config import load_config
    from liaison.witness.state import WitnessState

    try:
        loaded = load_config(config)
        app = create_witness_app(loaded, WitnessState(loaded.state_file))
    except LiaisonError as exc:
        raise fail_on(exc) from None
    uvicorn.run(app, host=host, port=port, log_level="info")


def _instant(seconds: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(seconds, UTC).isoformat()


def _eastern(seconds: int) -> str:
    """The instant as a person reads it: Eastern (D.C.'s zone), with its offset."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from liaison.model.timestamps import render

    moment = datetime.fromtimestamp(seconds, UTC)
    return render(moment, ZoneInfo("America/New_York"))


@witness_app.command("show")
def witness_show(
    config: ConfigOpt,
    as_json: JsonOpt = False,
    refused: Annotated[
        bool,
        typer.Option(
            "--refused",
            help="Print instead each refused submission kept as evidence, as JSON lines "
            "(origin, old_size, proof, note, status, reason, refused_at).",
        ),
    ] = False,
) -> None:
    """Print the latest checkpoint cosigned per log, and the refusals kept.

    Per followed log: its size, root and when it was cosigned, and how many submissions
    signed by the log were refused (kept in the state as evidence of its misbehaviour)."""
    from liaison.ledger.note_keys import b64encode
    from liaison.witness.config import load_config
    from liaison.witness.state import WitnessState

    try:
        loaded = load_config(config)
        state = WitnessState(loaded.state_file)
    except LiaisonError as exc:
        raise fail_on(exc) from None
    kept = state.refused()
    if refused:
        for item in kept:
            fields = {**asdict(item), "refused_at": _instant(item.refused_at)}
            typer.echo(json.dumps({**fields, "proof": list(item.proof)}))
        return
    for origin in loaded.logs:
        latest = state.latest(origin)
        row = {
            "origin": origin,
            "size": None if latest is None else latest.size,
            "root": None if latest is None else b64encode(latest.root),
            "cosigned_at": None if latest is None else _instant(latest.cosigned_at),
            "refused": sum(1 for r in kept if r.origin == origin),
        }
        if as_json:
            typer.echo(json.dumps(row))
        elif latest is None:
            typer.echo(f"{origin}: nothing cosigned; refused {row['refused']}")
        else:
            typer.echo(
                f"{origin}: size {row['size']} root {row['root']} cosigned "
                f"{_eastern(latest.cosigned_at)}; refused {row['refused']}"
            )
