"""Pages ready before their first reader (issue 11, item 5): after the service signs a new
checkpoint (``liaison.api.checkpoint_ticker``), what the default pages compute over it is
computed in the ticker's thread and kept in ``liaison.web.cache.CACHE``, so the first
reader of the new checkpoint does not wait.

``WARMERS`` is the registry: a page module registers a function of the services and the new
checkpoint with ``@warmer("name")`` (at import; ``liaison.web.site`` imports every page
module). A warmer's failure is logged and the others still run: warming is never fatal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from liaison.ledger.signing import StoredCheckpoint
from liaison.logs import get_logger

if TYPE_CHECKING:
    from liaison.api.deps import Services

Warmer = Callable[["Services", StoredCheckpoint], object]
WARMERS: dict[str, Warmer] = {}
log = get_logger("liaison.web.warmup")


def warmer(name: str) -> Callable[[Warmer], Warmer]:
    """Register ``function`` as the warmer ``name`` (a later one of the name replaces it)."""

    def register(function: Warmer) -> Warmer:
        WARMERS[name] = function
        return function

    return register


def warm(services: Services, checkpoint: StoredCheckpoint) -> list[str]:
    """Run every warmer over ``checkpoint``; the names of those that failed (logged).
    None runs while the database disagrees with the ledger (``gateway.rules.fault``): the
    pages refuse their counts then, so there is nothing to compute."""
    if services.gateway.rules.fault is not None:
        return []
    failed = []
    for name, function in list(WARMERS.items()):
        try:
            function(services, checkpoint)
        except Exception as exc:
            failed.append(name)
            log.warning("warmup_failed", warmer=name, size=checkpoint.size, error=repr(exc))
    return failed
