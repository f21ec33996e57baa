"""Signed-in sessions of the pages (issue 11, item 2; docs/pages.md, "Who sees what"): an API
key exchanged at ``/signin`` for a session cookie.

The cookie holds a random 256-bit token; the database keeps only HMAC-SHA256 of it under the
deployment's server secret (``gateway.key_secret``), as it keeps API keys, beside the key it
was opened with. So sessions work across processes and hosts, and a copy of the database
opens none. A session ends when its key is revoked (checked on every request: at once), when
it is older than ``LIAISON_SESSION_HOURS`` (absolute lifetime) or unused for longer than
``LIAISON_SESSION_IDLE_MINUTES`` (idle timeout), or at ``POST /signout``. Its idle timer is
written at most once a minute (``TOUCH``), not on every request.

Forms that change state carry a CSRF token (OWASP "Cross-Site Request Forgery Prevention",
HMAC-based token pattern): a signed-in page's is HMAC of the session token (``csrf``); the
anonymous sign-in form's (login CSRF) is HMAC of a random cookie of its own (double submit,
``signin_csrf``). Tokens are compared in constant time.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI, Request
from sqlalchemy import delete, insert, or_, select, update
from starlette.concurrency import run_in_threadpool

from liaison.api.deps import Services
from liaison.gateway.auth import KeyStore, Principal
from liaison.gateway.roles import KeyRole
from liaison.settings import Settings
from liaison.storage.database import write_transaction
from liaison.storage.tables import api_keys, web_sessions

SESSION_COOKIE = "liaison_session"
SIGNIN_COOKIE = "liaison_signin"  # the sign-in form's double-submit CSRF cookie
TOUCH = timedelta(minutes=1)  # the idle timer is written when older than this
TOKEN_CHARS = 64  # a cookie longer than any token we make is not looked up


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class SessionStore:
    """Sessions in the database; ``clock`` is what time it is (tests move it)."""

    keys: KeyStore
    lifetime: timedelta
    idle: timedelta
    clock: Callable[[], datetime] = field(default=_now)

    def _id(self, token: str) -> str:
        return self.keys.mac(f"session:{token}").hex()

    def open(self, who: Principal) -> str:
        """A new session of ``who``'s key: its token (for the cookie; never stored).
        Sessions over their lifetime or idle timeout are deleted meanwhile."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        row = {"id": self._id(token), "key_id": who.key_id, "created_at": now, "seen_at": now}
        with write_transaction(self.keys.engine) as conn:
            conn.execute(
                delete(web_sessions).where(
                    or_(
                        web_sessions.c.created_at <= now - self.lifetime,
                        web_sessions.c.seen_at <= now - self.idle,
                    )
                )
            )
            conn.execute(insert(web_sessions), [row])
        return token

    def principal(self, token: str) -> Principal | None:
        """The principal of a live session of ``token`` whose key is not revoked, else
        None; its idle timer is moved on when older than ``TOUCH``."""
        if not token or len(token) > TOKEN_CHARS:
            return None
        ident, now = self._id(token), self.clock()
        s, k = web_sessions.c, api_keys.c
        query = (
            select(s.created_at, s.seen_at, k.id, k.role, k.actor_id, k.unit)
            .select_from(web_sessions.join(api_keys, k.id == s.key_id))
            .where(s.id == ident, k.revoked_at.is_(None))
        )
        with self.keys.engine.connect() as conn:
            row = conn.execute(query).one_or_none()
        if row is None:
            return None
        if now - row.created_at >= self.lifetime or now - row.seen_at >= self.idle:
            self.close(token)
            return None
        if now - row.seen_at >= TOUCH:
            with write_transaction(self.keys.engine) as conn:
                conn.execute(update(web_sessions).where(s.id == ident).values(seen_at=now))
        return Principal(row.id, KeyRole(row.role), row.actor_id, row.unit)

    def close(self, token: str) -> None:
        """End the session of ``token`` (nothing if there is none)."""
        with write_transaction(self.keys.engine) as conn:
            conn.execute(delete(web_sessions).where(web_sessions.c.id == self._id(token)))

    def csrf(self, token: str) -> str:
        """The CSRF token of the session of ``token``, for its pages' forms."""
        return self.keys.mac(f"csrf:{token}").hex()

    def signin_csrf(self, cookie: str) -> str:
        """The sign-in form's CSRF token for its double-submit ``cookie``."""
        return self.keys.mac(f"signin:{cookie}").hex()


def same(given: str | None, expected: str) -> bool:
    """Whether a submitted token is the expected one (constant time)."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def store_of(app: FastAPI) -> SessionStore:
    """The app's session store, made on first need from its services and settings."""
    found: SessionStore | None = getattr(app.state, "sessions", None)
    if found is None:
        services: Services = app.state.services
        settings = services.settings or Settings()
        found = SessionStore(
            services.keys,
            timedelta(hours=settings.session_hours),
            timedelta(minutes=settings.session_idle_minutes),
        )
        app.state.sessions = found
    return found


async def principal_of(request: Request) -> Principal | None:
    """The principal of the request's session cookie, if it has a live one; its pages'
    CSRF token is then ``request.state.csrf`` (the header's Sign out form carries it)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    store = store_of(request.app)
    who = await run_in_threadpool(store.principal, token)
    if who is not None:
        request.state.csrf = store.csrf(token)
    return who
