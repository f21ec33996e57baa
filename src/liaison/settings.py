"""Deployment settings, read from the environment (``LIAISON_*``) with pydantic-settings."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MAX_BODY_BYTES = 8 * 1024 * 1024  # a batch of 1000 requests is ~300 KB, the D.C. pack ~40 KB
MAX_BATCH = 1000


class Settings(BaseSettings):
    """Where liaison keeps its data and keys.

    ``LIAISON_DATABASE_URL``: SQLAlchemy URL; SQLite by default (one file under ``var/``),
    ``postgresql+psycopg://...`` for several processes or hosts.
    ``LIAISON_KEY_DIR``: where ``liaison ledger keygen`` writes the signing key and the
    signer's memory (a 0700 folder; a key others can read is refused); also holds
    ``api-keys.secret``, the server secret API keys are checked with (made on first need).
    A SQLite file is created 0600, and the folders made for it 0700.
    ``LIAISON_SIGNER_SOCKET``: the Unix socket of a signer process (``liaison signer
    serve``) that signs the checkpoints; when set, this process never reads the signing
    key (docs/ledger.md, "Key custody").
    ``LIAISON_LOG_ORIGIN``: the checkpoint origin line (C2SP tlog-checkpoint).
    ``LIAISON_PACK_DIR``: the directive pack (default: the shipped D.C. pack).
    ``LIAISON_CHECKPOINT_INTERVAL``: seconds between scheduled checkpoints (0: none).
    ``LIAISON_LOG_FORMAT``: ``json`` (one object per line, the default) or ``console``.
    ``LIAISON_LOG_LEVEL``: ``debug``, ``info`` (default), ``warning`` or ``error``.
    ``LIAISON_ACCESS_LOG``: log every HTTP request (``liaison serve --access-log`` sets it).
    ``LIAISON_AUTH_FAILURE_BURST``: bad API keys a client address may send before it is
    answered 429 (default 20); ``LIAISON_AUTH_FAILURES_PER_MINUTE``: how fast that allowance
    comes back (default 10); ``LIAISON_AUTH_CLIENTS_TRACKED``: client addresses remembered
    (default 10000, least recently seen forgotten first).
    ``LIAISON_FORWARDED_ALLOW_IPS``: reverse proxies whose ``X-Forwarded-For`` names the
    client (``liaison serve --forwarded-allow-ips``); none by default.
    ``LIAISON_MAX_BODY_BYTES``: the largest request body the API reads (larger: 413).
    ``LIAISON_MAX_BATCH``: the most requests in one batch of ``POST /v1/decisions``.
    ``LIAISON_SESSION_HOURS``: how long a page session (signing in with an API key at
    ``/signin``) lasts at most (default 12); ``LIAISON_SESSION_IDLE_MINUTES``: how long it
    lasts unused (default 30). docs/pages.md, "Who sees what".
    ``LIAISON_WITNESSES``: a TOML file listing the witnesses each new checkpoint is sent to
    for cosigning (``[[witness]]`` tables with ``url`` and ``vkey``; none by default);
    ``LIAISON_WITNESS_TIMEOUT``: seconds a witness may take to answer (default 10);
    ``LIAISON_WITNESS_RETRY_FIRST`` and ``LIAISON_WITNESS_RETRY_MAX``: the first and the
    longest wait before retrying a witness that is down (default 1 and 300 seconds,
    doubling, with jitter). The newest kept checkpoint is offered to them at start and
    every ``LIAISON_CHECKPOINT_INTERVAL`` seconds (60 when 0). docs/ledger.md, "Witnesses".
    """

    model_config = SettingsConfigDict(env_prefix="LIAISON_")

    database_url: str = "sqlite:///var/liaison.db"
    key_dir: Path = Path("var/keys")
    signer_socket: Path | None = None
    log_origin: str = "liaison.example/dc-mpd/ledger"
    pack_dir: Path | None = None
    checkpoint_interval: float = 60.0
    log_format: Literal["json", "console"] = "json"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    access_log: bool = False
    auth_failure_burst: int = Field(default=20, ge=1)
    auth_failures_per_minute: float = Field(default=10.0, gt=0)
    auth_clients_tracked: int = Field(default=10_000, ge=1)
    forwarded_allow_ips: str = ""
    max_body_bytes: int = Field(default=MAX_BODY_BYTES, ge=1024)
    max_batch: int = Field(default=MAX_BATCH, ge=1)
    session_hours: float = Field(default=12.0, gt=0)
    session_idle_minutes: float = Field(default=30.0, gt=0)
    witnesses: Path | None = None
    witness_timeout: float = Field(default=10.0, gt=0)
    witness_retry_first: float = Field(default=1.0, gt=0)
    witness_retry_max: float = Field(default=300.0, gt=0)
