"""The liaison HTTP API (FastAPI), under /v1 (docs/api.md): this module only assembles it.

Every route but /healthz and /metrics needs an API key (``Authorization: Bearer
lsn_...``). Bodies of POST routes are ``application/json`` (else 415), bounded in size
(``LIAISON_MAX_BODY_BYTES``, else 413), read raw and validated as ``liaison decide``
validates a line (``liaison.model.json_input``, then liaison's own strict models), so a
bad request gets one error shape naming the field, and is never decided.

The routes live in ``liaison.api.routes`` (one module per resource), the OpenAPI document
in ``liaison.api.openapi``, what routes depend on in ``liaison.api.deps``, and the
scheduled checkpoints in ``liaison.api.checkpoint_ticker``, their cosigning by witnesses in
``liaison.api.witnessing``.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager

from fastapi import FastAPI

from liaison import __version__
from liaison.api.checkpoint_ticker import checkpoint_ticker
from liaison.api.deps import Services, build_services
from liaison.api.errors import install
from liaison.api.openapi import install_openapi
from liaison.api.requestlog import RequestLog
from liaison.api.routes import (
    audit,
    decisions,
    directives,
    encounters,
    events,
    health,
    ledger,
    ledger_copy,
    packs,
    queries,
    replays,
    reports,
)
from liaison.ledger.signing import StoredCheckpoint
from liaison.logs import configure as configure_logs
from liaison.settings import Settings
from liaison.web.site import install_pages
from liaison.web.warmup import warm

ROUTERS = (
    health.router,
    decisions.router,
    events.router,
    encounters.router,
    ledger.router,
    ledger_copy.router,
    directives.router,
    packs.router,
    queries.router,
    reports.router,
    replays.router,
    audit.router,
)


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    """The API of a deployment: of ``services`` when given (tests, tools), else of the
    services ``settings`` (default: the environment) build when the app starts."""
    app = FastAPI(
        title="liaison",
        version=__version__,
        lifespan=_lifespan(settings, services),
        docs_url=None,  # served offline by liaison.web.api_docs
        redoc_url=None,
        description="Decide, record and oversee actions that touch immigration "
        "enforcement, against the directives in force.",
    )
    if services is not None:
        app.state.services = services
    config = settings or (services.settings if services else None) or Settings()
    app.state.max_body_bytes = config.max_body_bytes
    app.state.max_batch = config.max_batch
    install(app)
    app.add_middleware(RequestLog, every=config.access_log)
    for router in ROUTERS:
        app.include_router(router)
    install_openapi(app, config.max_batch)
    install_pages(app)
    return app


@contextmanager
def witnessing(services: Services) -> Iterator[None]:
    """The witnesses' workers while the app runs (when witnesses are configured)."""
    if services.witnessing is None:
        yield
        return
    with services.witnessing.running():
        yield
    services.witnessing.close()


def _after(services: Services) -> Callable[[StoredCheckpoint], None]:
    """What follows each checkpoint the ticker signs: offered to the witnesses (never
    blocks), then the pages warmed."""

    def after(signed: StoredCheckpoint) -> None:
        if services.witnessing is not None:
            services.witnessing.offer(signed)
        warm(services, signed)

    return after


def _lifespan(
    settings: Settings | None, services: Services | None
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if services is None:
            configured = settings or Settings()
            configure_logs(configured.log_format, configured.log_level)
            app.state.services = build_services(configured)
            # What start-up built (the pack, its compiled policies) lives as long as the
            # process: kept out of the collector's full passes, which would walk it each time.
            gc.collect()
            gc.freeze()
        built: Services = app.state.services
        interval = (settings or built.settings or Settings()).checkpoint_interval
        # Each checkpoint the ticker signs goes to the witnesses (liaison.api.witnessing)
        # and warms the default pages (liaison.web.warmup).
        with witnessing(built), checkpoint_ticker(built.gateway.ledger, interval, _after(built)):
            yield
        app.state.services.gateway.close()

    return lifespan
