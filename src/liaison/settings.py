"""Deployment settings, read from the environment (``LIAISON_*``) with pydantic-settings."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where liaison keeps its data and keys.

    ``LIAISON_DATABASE_URL``: SQLAlchemy URL; SQLite by default (one file under ``var/``),
    ``postgresql+psycopg://...`` for several processes or hosts.
    ``LIAISON_KEY_DIR``: where ``liaison ledger keygen`` writes the signing key.
    ``LIAISON_LOG_ORIGIN``: the checkpoint origin line (C2SP tlog-checkpoint).
    """

    model_config = SettingsConfigDict(env_prefix="LIAISON_")

    database_url: str = "sqlite:///var/liaison.db"
    key_dir: Path = Path("var/keys")
    log_origin: str = "liaison.example/dc-mpd/ledger"


def settings() -> Settings:
    return Settings()
