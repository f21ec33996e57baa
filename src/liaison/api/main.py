"""The ASGI application as uvicorn imports it (``liaison.api.main:app``)."""

from liaison.api.app import create_app

app = create_app()
