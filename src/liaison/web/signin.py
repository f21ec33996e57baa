"""Signing in and out of the pages (issue 11, item 2; docs/pages.md, "Who sees what").

``GET /signin`` shows the form (an API key, where to go next); ``POST /signin`` checks the
key exactly as the API does (``api.deps.check_key``: a bad key counts against the client's
failure allowance, 429 over it), opens a session (``liaison.web.sessions``) and sends the
reader on to ``next`` if it is a path of this site (never elsewhere: no open redirect,
OWASP "Unvalidated Redirects and Forwards"). ``POST /signout`` ends the session in the
database and drops its cookie. Both forms carry a CSRF token."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from liaison.api.deps import check_key
from liaison.errors import Forbidden, Unauthenticated
from liaison.web.form_body import read_form
from liaison.web.render import HEADERS, page
from liaison.web.sessions import SESSION_COOKIE, SIGNIN_COOKIE, same, store_of
from liaison.web.viewer import Viewer

router = APIRouter()
FORM_SECONDS = 3600  # how long a sign-in form may be kept open
MAX_NEXT = 2048


def safe_next(value: str | None) -> str:
    """``value`` if it is a path of this site, else ``/``: it must start with one ``/``, and
    hold no backslash, space or control character (which browsers may read as ``//``)."""
    if not value or len(value) > MAX_NEXT or not value.startswith("/"):
        return "/"
    if value.startswith("//") or "\\" in value:
        return "/"
    if any(ord(c) <= 0x20 or ord(c) == 0x7F for c in value):
        return "/"
    parts = urlsplit(value)
    return "/" if parts.scheme or parts.netloc else value


def _set_cookie(
    answer: Response, request: Request, name: str, value: str, seconds: int, path: str
) -> None:
    """A cookie HttpOnly, SameSite=Strict, Secure when the request came over TLS."""
    secure = request.url.scheme == "https"
    answer.set_cookie(
        name, value, max_age=seconds, path=path, httponly=True, samesite="strict", secure=secure
    )


def _drop_cookie(answer: Response, request: Request, name: str, path: str) -> None:
    secure = request.url.scheme == "https"
    answer.delete_cookie(name, path=path, httponly=True, samesite="strict", secure=secure)


def _form(
    request: Request, who: object, target: str, error: str | None = None, status: int = 200
) -> Response:
    """The sign-in form, with a fresh double-submit CSRF cookie when there is none."""
    cookie = request.cookies.get(SIGNIN_COOKIE) or secrets.token_urlsafe(32)
    token = store_of(request.app).signin_csrf(cookie)
    context = {"next": target, "form_token": token, "error": error}
    data = {"signed_in": who is not None, "next": target, "error": error}
    answer = page(request, "signin.html.j2", context, data)
    answer.status_code = status
    if status == 401:
        answer.headers["WWW-Authenticate"] = "Bearer"
    _set_cookie(answer, request, SIGNIN_COOKIE, cookie, FORM_SECONDS, "/signin")
    return answer


@router.get("/signin")
async def signin_form(request: Request, who: Viewer) -> Response:
    """The sign-in form."""
    return _form(request, who, safe_next(request.query_params.get("next")))


@router.post("/signin")
async def signin(request: Request) -> Response:
    """Check the key, open a session, go on to ``next``."""
    fields = await read_form(request)
    target = safe_next(fields.get("next"))
    store = store_of(request.app)
    cookie = request.cookies.get(SIGNIN_COOKIE)
    if not cookie or not same(fields.get("csrf"), store.signin_csrf(cookie)):
        expired = "the sign-in form had expired or did not come from this site: try again"
        return _form(request, None, target, expired, 403)
    key = fields.get("key", "").strip()
    if not key:
        return _form(request, None, target, "key: enter an API key", 422)
    try:
        who = await check_key(request, key)  # RateLimited (429) over the allowance
    except Unauthenticated as exc:
        return _form(request, None, target, f"key: {exc.message}", 401)
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        await run_in_threadpool(store.close, old)
    token = await run_in_threadpool(store.open, who)
    answer = RedirectResponse(target, status_code=303, headers=HEADERS)
    lifetime = int(store.lifetime.total_seconds())
    _set_cookie(answer, request, SESSION_COOKIE, token, lifetime, "/")
    _drop_cookie(answer, request, SIGNIN_COOKIE, "/signin")
    return answer


@router.post("/signout")
async def signout(request: Request) -> Response:
    """End the session (its CSRF token required) and drop its cookie."""
    fields = await read_form(request)
    token = request.cookies.get(SESSION_COOKIE)
    answer = RedirectResponse("/", status_code=303, headers=HEADERS)
    if token:
        store = store_of(request.app)
        if not same(fields.get("csrf"), store.csrf(token)):
            raise Forbidden("csrf: the sign-out form did not come from this site")
        await run_in_threadpool(store.close, token)
        _drop_cookie(answer, request, SESSION_COOKIE, "/")
    return answer
