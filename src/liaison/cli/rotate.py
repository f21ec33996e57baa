"""``liaison ledger rotate-key``: a new checkpoint signing key, the rotation recorded in the
ledger and signed by both keys (docs/ledger.md, "Rotating the signing key";
``liaison.ledger.key_rotation``)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from liaison.cli.common import fail, fail_on
from liaison.errors import LiaisonError


def ledger_rotate_key(
    actor: Annotated[str, typer.Option("--actor", help="Who rotates the key.")],
    reason: Annotated[
        str, typer.Option("--reason", help="Why (scheduled, a suspected exposure, ...).")
    ] = "scheduled rotation",
) -> None:
    """Replace the signing key in LIAISON_KEY_DIR with a new one (the old one is archived
    there), record a key_rotation entry signed by both keys, and sign the next checkpoint
    with the new key. Run it where the key is, with the signer process stopped; restart
    the service (or `liaison signer serve`) afterwards, and publish the new ledger.vkey.

    Exits 1, replacing nothing, when the old key cannot sign the current tree (it does
    not extend what it signed) or a signer process is listening on LIAISON_SIGNER_SOCKET."""
    from liaison.errors import SignerUnavailable
    from liaison.ledger.key_rotation import rotate_key
    from liaison.ledger.log import Ledger
    from liaison.ledger.signer_client import RemoteSigner
    from liaison.settings import Settings
    from liaison.storage.database import open_engine

    s = Settings()
    if s.signer_socket is not None:
        live = True  # it answers, even with a refusal: it holds the old key
        try:
            RemoteSigner(s.signer_socket, timeout=2).status()
        except SignerUnavailable:
            live = False  # stopped, as it must be
        except LiaisonError:
            pass
        if live:
            raise fail(f"a signer process is listening on {s.signer_socket}: stop it first")
    ledger = Ledger(open_engine(s.database_url), s.log_origin)
    try:
        done = rotate_key(ledger, s.key_dir, actor, reason)
    except LiaisonError as exc:
        raise fail_on(exc) from None
    out = {
        "entry": done.entry,
        "old_vkey": done.old_vkey,
        "new_vkey": done.new_vkey,
        "size": done.size,
        "checkpoint": done.checkpoint.size,
        "archived": str(done.archived),
    }
    typer.echo(json.dumps(out))
    typer.echo(
        "restart the service and any `liaison signer serve` so that they load the new key",
        err=True,
    )
