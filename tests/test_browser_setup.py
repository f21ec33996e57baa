"""The browser tests' set-up (issue 11, item 4): without chromium they are skipped, except
under CI=true, where a missing chromium, like a page not yet built, is a failure."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI

from browser_fixtures import Live, chromium_path


@pytest.fixture
def no_chromium(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LIAISON_CHROMIUM", str(tmp_path / "no-chromium"))
    monkeypatch.setenv("PATH", str(tmp_path))


@pytest.mark.usefixtures("no_chromium")
def test_a_missing_chromium_skips_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="chromium is missing"):
        chromium_path()


@pytest.mark.usefixtures("no_chromium")
def test_a_missing_chromium_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="chromium is missing"):
        chromium_path()


def test_the_chromium_named_is_the_one_launched(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    binary = tmp_path / "chromium"
    binary.write_text("")
    monkeypatch.setenv("LIAISON_CHROMIUM", str(binary))
    assert chromium_path() == str(binary)


def _app_with(path: str) -> FastAPI:
    app = FastAPI()
    app.get(path)(lambda: None)
    return app


def test_a_page_not_built_is_skipped_naming_its_route_and_a_failure_under_ci(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    live = Live(site=None, url="http://127.0.0.1:1", app=_app_with("/decisions/{decision_id}"))  # type: ignore[arg-type]
    assert live.serves("/decisions/d-1?actor=officer-1")
    assert not live.serves("/decisions")
    live.need("/decisions/d-1?actor=officer-1")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"no route for: /decisions, /reports$"):
        live.need("/decisions", "/reports", "/decisions/x")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"no route for: /decisions$"):
        live.need("/decisions")
