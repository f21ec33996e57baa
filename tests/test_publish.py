"""``liaison publish DIR`` and ``liaison publish verify DIR --key`` (issue 11, item 2): the
public figures as files with a manifest signed by the ledger key naming the checkpoint;
a reader's check that fails, naming the file, on an altered file, an altered manifest, the
wrong key, a missing or an extra file; written whole or not at all."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result

from conftest import cli_runner
from liaison.files import write_folder
from liaison.ledger.note_keys import generate_signer
from site_fixture import ORIGIN, Site, demo_site

Cli = Callable[..., Result]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with demo_site(tmp_path_factory.mktemp("publish")) as built:
        yield built


@pytest.fixture(scope="module")
def cli(site: Site) -> Cli:
    return cli_runner(site.url, site.folder, ORIGIN)


@pytest.fixture(scope="module")
def published(site: Site, cli: Cli) -> Path:
    out = site.folder / "published"
    got = cli("publish", str(out))
    assert got.exit_code == 0, got.output
    return out


@pytest.fixture
def copy(published: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(published, tmp_path / "copy"))


def vkey(site: Site) -> str:
    return str(site.folder / "keys" / "ledger.vkey")


def test_the_folder_names_its_checkpoint_and_every_file(site: Site, published: Path) -> None:
    manifest = json.loads((published / "manifest.json").read_text())
    latest = site.services.gateway.ledger.latest_checkpoint()
    assert latest is not None
    assert manifest["checkpoint"]["size"] == latest.size
    assert manifest["checkpoint"]["note"] == latest.note
    names = sorted(p.name for p in published.iterdir())
    assert names == sorted(
        [f["name"] for f in manifest["files"]] + ["manifest.json", "manifest.sig"]
    )
    for table in ("decisions_permitted", "decisions_refused", "events", "encounters", "council"):
        assert f"{table}.csv" in names
        assert f"{table}.json" in names
        # The same bytes as the page's download.
        assert (published / f"{table}.csv").read_bytes() == site.client.get(
            f"/public/{table}.csv"
        ).content
    assert (published / "manifest.sig").read_text().startswith("liaison public figures manifest\n")


def test_verify_passes_on_the_folder_as_written(site: Site, cli: Cli, published: Path) -> None:
    got = cli("publish", "verify", str(published), "--key", vkey(site))
    assert got.exit_code == 0, got.output
    assert "is as published" in got.output


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda d: (d / "events.csv").write_text("month,total\r\n2025-08,1\r\n"), "events.csv"),
        (lambda d: (d / "council.json").unlink(), "council.json: missing"),
        (lambda d: (d / "extra.txt").write_text("hello"), "extra.txt: not in the manifest"),
        (
            lambda d: (d / "manifest.json").write_text(
                (d / "manifest.json").read_text().replace('"size": ', '"size": 1', 1)
            ),
            "manifest.json",
        ),
    ],
    ids=["altered file", "missing file", "extra file", "altered manifest"],
)
def test_verify_fails_naming_the_file(
    site: Site, cli: Cli, copy: Path, change: Callable[[Path], object], named: str
) -> None:
    change(copy)
    got = cli("publish", "verify", str(copy), "--key", vkey(site))
    assert got.exit_code == 1, got.output
    assert named in got.output


def test_verify_fails_with_another_key(cli: Cli, copy: Path, tmp_path: Path) -> None:
    _, other = generate_signer(ORIGIN)  # the same name, another key
    key = tmp_path / "other.vkey"
    key.write_text(other + "\n")
    got = cli("publish", "verify", str(copy), "--key", str(key))
    assert got.exit_code == 1, got.output
    assert "manifest.sig: not signed by the key" in got.output


def test_a_non_empty_folder_is_refused_unless_forced(site: Site, cli: Cli, copy: Path) -> None:
    (copy / "extra.txt").write_text("left over")
    got = cli("publish", str(copy))
    assert got.exit_code == 2, got.output
    assert "DIR:" in got.output
    assert "--force" in got.output
    assert (copy / "extra.txt").exists()
    got = cli("publish", str(copy), "--force")
    assert got.exit_code == 0, got.output
    assert not (copy / "extra.txt").exists()
    assert cli("publish", "verify", str(copy), "--key", vkey(site)).exit_code == 0


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("--checkpoint", "3"), "checkpoint"),
        (("--from", "yesterday"), "from"),
        (("--to", "2025-09-02T00:00:00-04:00"), "to"),
    ],
)
def test_bad_options_exit_2_naming_them(
    cli: Cli, tmp_path: Path, args: tuple[str, ...], field: str
) -> None:
    got = cli("publish", str(tmp_path / "out"), *args)
    assert got.exit_code == 2, got.output
    assert f"{field}:" in got.output
    assert not (tmp_path / "out").exists()


def test_a_period_is_named_in_the_manifest(cli: Cli, tmp_path: Path) -> None:
    got = cli("publish", str(tmp_path / "sept"), "--from", "2025-09-01T00:00:00-04:00")
    assert got.exit_code == 0, got.output
    manifest = json.loads((tmp_path / "sept" / "manifest.json").read_text())
    assert manifest["period"]["from"] == "2025-09-01T00:00:00-04:00"


class Failing(dict[str, bytes]):
    """Files whose writing fails after the first."""

    def items(self) -> Iterator[tuple[str, bytes]]:  # type: ignore[override]
        yield "a.csv", b"a"
        raise OSError("disk full")


def test_a_failure_leaves_no_half_written_folder(tmp_path: Path) -> None:
    with pytest.raises(OSError, match="disk full"):
        write_folder(tmp_path / "out", Failing())
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "kept.csv").write_text("kept")
    with pytest.raises(OSError, match="disk full"):
        write_folder(tmp_path / "old", Failing(), replace=True)
    assert [p.name for p in tmp_path.iterdir()] == ["old"]
    assert (tmp_path / "old" / "kept.csv").read_text() == "kept"


@pytest.mark.parametrize(
    ("content", "said"), [(None, "key: cannot read {}"), (b"\xff", "key: {} is not UTF-8 text")]
)
def test_verify_with_an_unusable_key_file_exits_2_naming_it(
    cli: Cli, published: Path, tmp_path: Path, content: bytes | None, said: str
) -> None:
    key = tmp_path / "saved.vkey"
    if content is not None:
        key.write_bytes(content)
    got = cli("publish", "verify", str(published), "--key", str(key))
    assert got.exit_code == 2, got.output
    assert said.format(key) in got.output


def test_the_long_form_and_the_help_of_the_group(cli: Cli, published: Path, tmp_path: Path) -> None:
    got = cli(
        "publish", "write", str(tmp_path / "long")
    )  # docs/pages.md: `publish DIR` is short for it
    assert got.exit_code == 0, got.output
    assert sorted(p.name for p in (tmp_path / "long").iterdir()) == sorted(
        p.name for p in published.iterdir()
    )
    shown = cli("publish", "--help")
    assert shown.exit_code == 0, shown.output
    assert "write" in shown.output
    assert "verify" in shown.output
