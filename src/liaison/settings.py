"""Deployment settings, read from the environment (``LIAISON_*``) with pydantic-settings."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where liaison keeps its data and keys.

    ``LIAISON_DATABASE_URL``: SQLAlchemy URL; SQLite by default (one file under ``var/``),
    ``postgresql+psycopg://...`` for several processes or hosts.
    ``LIAISON_KEY_DIR``: where ``liaison ledger keygen`` writes the signing key and the
    signer's memory (a 0700 folder; a key others can read is refused). A SQLite file is
    created 0600, and the folders made for it 0700.
    ``LIAISON_LOG_ORIGIN``: the checkpoint origin line (C2SP tlog-checkpoint).
    ``LIAISON_PACK_DIR``: the directive pack (default: the shipped D.C. pack).
    ``LIAISON_CHECKPOINT_INTERVAL``: seconds between scheduled checkpoints (0: none).
    ``LIAISON_LOG_FORMAT``: ``json`` (one object per line, the default) or ``console``.
    ``LIAISON_LOG_LEVEL``: ``debug``, ``info`` (default), ``warning`` or ``error``.
    ``LIAISON_ACCESS_LOG``: log every HTTP request (``liaison serve --access-log`` sets it).
    """

    model_config = SettingsConfigDict(env_prefix="LIAISON_")

    database_url: str = "sqlite:///var/liaison.db"
    key_dir: Path = Path("var/keys")
    log_origin: str = "liaison.example/dc-mpd/ledger"
    pack_dir: Path | None = None
    checkpoint_interval: float = 60.0
    log_format: Literal["json", "console"] = "json"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    access_log: bool = False
