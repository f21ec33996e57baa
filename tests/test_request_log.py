"""The structured request log (structlog): request ids, the access log, and failures."""

from __future__ import annotations

from typing import Any

import pytest
import structlog
from fastapi import FastAPI
from fastapi.testclient import TestClient
from structlog.testing import LogCapture, capture_logs

from liaison.api.errors import install
from liaison.api.requestlog import RequestLog
from liaison.logs import configure


def app(every: bool) -> FastAPI:
    made = FastAPI()
    install(made)
    made.add_middleware(RequestLog, every=every)

    @made.get("/fine")
    def fine() -> dict[str, Any]:
        return {"ok": True}

    @made.get("/broken")
    def broken() -> dict[str, Any]:
        raise RuntimeError("boom")

    return made


def test_every_response_has_a_request_id() -> None:
    client = TestClient(app(every=False))
    given = client.get("/fine", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = client.get("/fine", headers={"X-Request-ID": "bad id with spaces"})
    assert made.headers["x-request-id"] != "bad id with spaces"
    assert len(made.headers["x-request-id"]) == 32


def test_access_log_logs_each_request_without_secrets() -> None:
    client = TestClient(app(every=True))
    with capture_logs() as logs:
        client.get("/fine", headers={"Authorization": "Bearer lsn_secret", "X-Request-ID": "r1"})
    requests = [e for e in logs if e["event"] == "request"]
    assert len(requests) == 1
    assert requests[0]["method"] == "GET"
    assert requests[0]["path"] == "/fine"
    assert requests[0]["status"] == 200
    assert requests[0]["duration_ms"] >= 0
    assert "lsn_secret" not in repr(logs)


def test_failures_are_logged_even_without_the_access_log() -> None:
    """An unexpected exception is answered in the one error shape with the request id,
    and logged once, with its traceback and the request id."""
    client = TestClient(app(every=False), raise_server_exceptions=False)
    capture = LogCapture()
    structlog.configure(processors=[structlog.contextvars.merge_contextvars, capture])
    try:
        assert client.get("/fine").status_code == 200
        response = client.get("/broken", headers={"X-Request-ID": "req-42"})
    finally:
        configure("json", "info")
    assert response.status_code == 500
    assert response.json() == {"error": {"code": "internal_error", "message": "RuntimeError"}}
    assert response.headers["x-request-id"] == "req-42"
    logs = capture.entries
    unexpected = [e for e in logs if e["event"] == "unexpected_error"]
    assert len(unexpected) == 1
    assert unexpected[0]["request_id"] == "req-42"
    assert isinstance(unexpected[0]["exc_info"], RuntimeError)
    failed = [e for e in logs if e["event"] == "request"]
    assert [(e["path"], e["status"], e["log_level"], e["request_id"]) for e in failed] == [
        ("/broken", 500, "error", "req-42")
    ]


def test_log_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="LIAISON_LOG_FORMAT"):
        configure("xml", "info")
    with pytest.raises(ValueError, match="LIAISON_LOG_LEVEL"):
        configure("json", "loud")
    configure("console", "warning")
    configure("json", "info")
