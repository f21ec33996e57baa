"""``liaison db``: the database's schema, migrated with Alembic (docs/ledger.md, "Commands").

The database is ``LIAISON_DATABASE_URL`` (default: SQLite ``var/liaison.db``).
"""

from __future__ import annotations

import typer

db_app = typer.Typer(help="The database: migrations.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database to the newest schema (Alembic); a SQLite file
    (and its -wal, -shm) that group or others can read is made owner-only (0600)."""
    from liaison.settings import Settings
    from liaison.storage.database import make_sqlite_private, open_engine
    from liaison.storage.migrate import current_revision, head_revision, upgrade

    s = Settings()
    for path, mode in make_sqlite_private(s.database_url):
        typer.echo(f"made {path} owner-only (was {mode:04o})")
    engine = open_engine(s.database_url)
    upgrade(engine)
    typer.echo(
        f"database {engine.url.render_as_string(hide_password=True)} at revision "
        f"{current_revision(engine)} (newest {head_revision()})"
    )
