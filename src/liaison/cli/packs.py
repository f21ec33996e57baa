"""``liaison packs``: the directive pack in force in the database, and its changes.

Once a deployment has started, its database holds the pack in force (docs/packs.md,
"Changing a pack"). ``export`` writes a version out as a folder to edit and check with
``liaison directives validate --pack DIR``; ``import`` records a folder as the new version (a
``pack_change`` ledger entry, as an admin's change through the API is); ``history``
lists every change. A running service decides under an imported pack from its next
decision on.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from liaison.cli.common import JsonOpt, fail, fail_on, open_ledger, open_pack
from liaison.errors import LiaisonError, PackError

if TYPE_CHECKING:
    from liaison.gateway.service import Gateway

packs_app = typer.Typer(
    help="The directive pack in force in the database, and every change to it.",
    no_args_is_help=True,
)


def _gateway(folder: Path) -> Gateway:
    from liaison.gateway.service import Gateway
    from liaison.policy import Engine

    ledger = open_ledger()
    return Gateway(Engine(open_pack(folder)), ledger, ledger.engine)


@packs_app.command("history")
def packs_history(as_json: JsonOpt = False) -> None:
    """Every change to the pack, oldest first: when, who, why, and what it touched."""
    from liaison.gateway.pack_ledger import LedgerPackStore

    ledger = open_ledger()
    try:
        changes = LedgerPackStore(ledger.engine, ledger).history()
    except LiaisonError as exc:
        raise fail_on(exc) from None
    if as_json:
        typer.echo(json.dumps({"changes": changes}, indent=2, ensure_ascii=False))
        return
    if not changes:
        typer.echo("no pack recorded yet (the service records its pack when it first starts)")
    for c in changes:
        touched = ", ".join(f"{f['change']} {f['path']}" for f in c["files"])
        typer.echo(
            f"{c['seq']:>4}  {c['changed_at']}  {c['actor']}  ledger #{c['ledger_index']}  "
            f"{c['digest'][:19]}\n      reason: {c['reason']}\n      files: {touched}"
        )


@packs_app.command("export")
def packs_export(
    folder: Annotated[Path, typer.Argument(help="Folder to write (must not exist).")],
    seq: Annotated[
        int | None, typer.Option("--seq", help="Which version (default: the one in force).")
    ] = None,
) -> None:
    """Write a recorded version of the pack out as a pack folder (as the ledger recorded it;
    refused when the database's pack rows disagree with the ledger)."""
    from liaison.gateway.pack_ledger import LedgerPackStore

    ledger = open_ledger()
    store = LedgerPackStore(ledger.engine, ledger)  # the ledger's versions, checked
    try:
        stored = store.get(seq) if seq is not None else store.latest()
    except LiaisonError as exc:
        raise fail_on(exc) from None
    if stored is None:
        raise fail("no pack recorded yet")
    if folder.exists():
        raise fail(f"{folder} exists; name a new folder")
    for path, text in stored.files.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    typer.echo(f"pack {stored.pack_id} version {stored.seq} ({stored.digest}) written to {folder}")


@packs_app.command("import")
def packs_import(
    folder: Annotated[Path, typer.Argument(help="The pack folder to put in force.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the pack changes (recorded).")],
    actor: Annotated[str, typer.Option("--actor", help="Who makes the change (recorded).")],
) -> None:
    """Record a pack folder as the pack in force (validated whole; a ledger entry)."""
    from liaison.gateway.auth import Principal
    from liaison.gateway.roles import KeyRole
    from liaison.policy.pack_files import read_pack_files

    try:
        files = read_pack_files(folder)
        gateway = _gateway(folder)
    except PackError as exc:
        raise fail_on(exc) from None
    try:
        current = gateway.packs.latest()
        if current is None:
            stored = gateway.record_pack(files, actor=actor, reason=reason)
        else:
            admin = Principal("cli", KeyRole.ADMIN, actor, None)
            stored = gateway.change_pack(admin, reason=reason, base=current.digest, whole=files)
    except LiaisonError as exc:
        raise fail_on(exc) from None
    finally:
        gateway.close()
    if stored is None:
        raise fail("another process recorded a pack meanwhile; run the import again")
    typer.echo(
        f"pack {stored.pack_id} version {stored.seq} ({stored.digest}) in force, "
        f"ledger entry #{stored.ledger_index}"
    )
