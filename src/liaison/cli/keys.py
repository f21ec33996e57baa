"""``liaison keys``: the service's API keys, created (shown once) and revoked (docs/api.md,
"Authentication and roles")."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from liaison.cli.common import fail, fail_on
from liaison.gateway.roles import KeyRole

if TYPE_CHECKING:  # imported where used: `liaison decide` must start fast
    from liaison.gateway.auth import KeyStore

keys_app = typer.Typer(help="API keys: create (shown once), revoke.", no_args_is_help=True)


def _keys(*, verifying: bool = True) -> KeyStore:
    """The deployment's key store; with the server secret (made if missing) when it must
    make or check keys (revoking needs none, so it works without the key directory)."""
    import secrets

    from liaison.errors import LiaisonError
    from liaison.gateway.auth import KeyStore
    from liaison.gateway.key_secret import api_key_secret
    from liaison.settings import Settings
    from liaison.storage.database import open_engine

    settings = Settings()
    try:
        secret = api_key_secret(settings.key_dir) if verifying else secrets.token_bytes(32)
    except LiaisonError as exc:
        raise fail_on(exc) from None
    return KeyStore(open_engine(settings.database_url), secret)


@keys_app.command("create")
def keys_create(
    role: Annotated[
        KeyRole, typer.Option("--role", help="officer, supervisor, auditor, admin or public.")
    ],
    actor: Annotated[
        str, typer.Option("--actor", help="Who the key speaks for (e.g. officer-1234).")
    ],
    unit: Annotated[
        str | None, typer.Option("--unit", help="Unit (district) of the actor.")
    ] = None,
) -> None:
    """Create an API key; it is printed once and only its MAC is stored (HMAC-SHA256 under
    LIAISON_KEY_DIR/api-keys.secret, made if missing)."""
    key, principal = _keys().create(role, actor, unit)
    typer.echo(
        json.dumps(
            {
                "key": key,
                "key_id": principal.key_id,
                "role": principal.role.value,
                "actor": principal.actor_id,
                "unit": principal.unit,
            }
        )
    )


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key id (the part after lsn_).")],
) -> None:
    """Revoke a key (effective within 30 seconds in every running process)."""
    if not _keys(verifying=False).revoke(key_id):
        raise fail(f"no active key {key_id!r}")
    typer.echo(f"revoked {key_id}")
