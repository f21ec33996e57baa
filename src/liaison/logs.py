"""Structured logs with structlog: one event per line, as JSON (default) or for a console.

Events carry names (``pack_changed``, ``request``, ``unexpected_error``) and fields,
never personal data: a subject's identifiers stay in the ledger's personal store. The
format and level come from ``LIAISON_LOG_FORMAT`` (``json`` or ``console``) and
``LIAISON_LOG_LEVEL`` (``debug``, ``info``, ``warning``, ``error``).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}
LEVELS["error"] = logging.ERROR


def configure(fmt: str = "json", level: str = "info") -> None:
    """Set up structlog for this process (call once, at start)."""
    if fmt not in ("json", "console"):
        raise ValueError(f"LIAISON_LOG_FORMAT: {fmt!r} is not json or console")
    if level not in LEVELS:
        raise ValueError(f"LIAISON_LOG_LEVEL: {level!r} is not one of {', '.join(LEVELS)}")
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(LEVELS[level]),
        # the standard error of the moment of each event, not of configure(): a process
        # (or a test's runner) that replaces sys.stderr keeps its logs
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )


def _stderr_logger(*_args: Any) -> structlog.PrintLogger:
    return structlog.PrintLogger(sys.stderr)


def get_logger(name: str) -> Any:
    """A logger whose events name the module that logged them."""
    return structlog.get_logger(logger_name=name)
