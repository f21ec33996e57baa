"""Who is reading a page (issue 11, item 2): the principal of the API key the request
carries (``Authorization: Bearer``, as the API takes it) or of the signed-in session
(``liaison.web.sessions``), else nobody: the public. Pages apply the API's role rules
(``liaison.gateway.auth.Principal``) to what they show."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials

from liaison.api.deps import principal
from liaison.errors import Unauthenticated
from liaison.gateway.auth import Principal
from liaison.gateway.roles import KeyRole
from liaison.web import sessions


async def viewer(request: Request) -> Principal | None:
    """The reader's principal (``None``: the public); a bad key or session is refused."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated("an API key is required (Authorization: Bearer lsn_...)")
        credentials = HTTPAuthorizationCredentials(scheme="Bearer", credentials=token.strip())
        who: Principal | None = await principal(request, credentials)
    else:
        who = await sessions.principal_of(request)
    request.state.viewer = who
    return who


Viewer = Annotated[Principal | None, Depends(viewer)]


def require_reader(who: Principal | None, *roles: KeyRole) -> Principal:
    """``who`` if signed in with one of ``roles``: anonymous readers are sent to sign in
    (401, which a page answers with a redirect), other roles refused (403)."""
    if who is None:
        raise Unauthenticated("sign in with an API key to read this page")
    who.require(*roles)
    return who
