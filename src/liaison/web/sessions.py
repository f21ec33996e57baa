"""Signed-in sessions of the pages (issue 11, item 2): an API key exchanged for a session
cookie. Until sign-in is built, no request has a session."""

from __future__ import annotations

from fastapi import Request

from liaison.gateway.auth import Principal


async def principal_of(request: Request) -> Principal | None:
    """The principal of the request's session cookie, if it has a live one."""
    return None
