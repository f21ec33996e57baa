"""The ``liaison`` command line (Typer): one module per command group, assembled here.

``decide``: deciding and explaining requests; ``directives``: a pack's directives;
``ledger`` and ``verify``: the tamper-evident ledger and checking it; ``mirror``: an
oversight body's verified copy of it; ``packs``: the pack in
force in the database; ``keys``: API keys; ``db``: migrations; ``serve``: the HTTP API;
``demo``: the demo history; ``query``: the records queried; ``report``: the reports;
``publish``: the public figures as signed files; ``replay``: the records decided again
under another view or a draft pack; ``witness``: a witness that cosigns checkpoints
(for the Council or the inspector general); ``signer``: the checkpoint signer as its own
process; ``audit``: other systems' query logs imported, classified, judged and reported.
``common`` holds what they share, printing errors among it.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from liaison import __version__
from liaison.cli import (
    audit,
    db,
    decide,
    demo,
    directives,
    keys,
    ledger,
    mirror,
    packs,
    publish,
    query,
    replay,
    report,
    serve,
    signer,
    verify,
    verify_proof,
    witness,
)
from liaison.cli.common import fail, fail_on
from liaison.errors import LiaisonError

app = typer.Typer(
    help="liaison: decide, record and oversee actions that touch immigration enforcement.",
    no_args_is_help=True,
    add_completion=False,
)
# `liaison --help` lists commands, then groups, each in the order they are added here.
app.add_typer(directives.directives_app, name="directives")
app.add_typer(db.db_app, name="db")
app.add_typer(ledger.ledger_app, name="ledger")
app.command("verify-bundle")(verify.verify_bundle_command)
app.add_typer(witness.witness_app, name="witness")
app.command("mirror")(mirror.mirror)
app.command("verify-proof")(verify_proof.verify_proof_command)
app.add_typer(keys.keys_app, name="keys")
app.add_typer(packs.packs_app, name="packs")
app.add_typer(query.query_app, name="query")
app.command("report")(report.report)
app.add_typer(publish.publish_app, name="publish")
app.add_typer(audit.audit_app, name="audit")
app.command("replay")(replay.replay_command)
app.command("serve")(serve.serve)
app.add_typer(signer.signer_app, name="signer")
app.command("demo")(demo.demo)
app.command("decide")(decide.decide)
app.command("explain")(decide.explain)


@app.callback(invoke_without_command=True)
def main(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
) -> None:
    """liaison: decide, record and oversee actions that touch immigration enforcement."""
    if version:
        typer.echo(f"liaison {__version__}")
        raise typer.Exit(0)


def run() -> None:  # pragma: no cover - console entry point
    try:
        app()
    except LiaisonError as exc:
        sys.exit(fail_on(exc).exit_code)
    except Exception as exc:
        from sqlalchemy.exc import SQLAlchemyError  # not at start: decide needs no database

        if not isinstance(exc, SQLAlchemyError):
            raise
        reason = getattr(exc, "orig", None) or exc
        sys.exit(fail(f"database: {exc.__class__.__name__}: {reason}").exit_code)
