"""The browser tests' set-up (issue 11, item 4): without chromium they are skipped, except
under CI=true, where a missing chromium is a failure."""

from __future__ import annotations

from pathlib import Path

import pytest

from browser_fixtures import chromium_path


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
