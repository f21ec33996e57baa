"""A failing bundle names the first entry that is wrong, once (issue 12, item 2): a dropped
line is one finding at the first missing index (the shifted lines after it counted in
it), not a thousand; an edited entry is located between the last checkpoint that holds
and the first that fails (exactly, when they are one entry apart); the later failing
checkpoints are named in the first one's finding. Also for the database (``ledger verify``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from liaison.cli import app as cli_app
from liaison.ledger.bundle import export_bundle, verify_bundle
from liaison.ledger.check import check_ledger
from liaison.ledger.entries import NewEntry
from liaison.ledger.log import Ledger
from liaison.ledger.note_keys import generate_signer, parse_signer, parse_verifier
from liaison.storage.database import open_engine
from liaison.storage.migrate import upgrade

ORIGIN = "test.example/locate"
AT = datetime(2025, 8, 14, 15, 0, tzinfo=UTC)
SKEY, VKEY = generate_signer(ORIGIN)
SIZE = 1000
SIGNED = (100, 200, 300, 400, 449, 450, 451, 500, 600, 700, 800, 900, 1000)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A ledger of 1000 entries signed at ``SIGNED``, and its bundle."""
    folder = tmp_path_factory.mktemp("locate")
    engine = open_engine(f"sqlite:///{folder / 'ledger.db'}")
    upgrade(engine)
    ledger = Ledger(engine, ORIGIN, parse_signer(SKEY))
    made = [NewEntry("decision", {"n": i}, f"officer-{i % 9}", recorded_at=AT) for i in range(SIZE)]
    start = 0
    for stop in SIGNED:
        ledger.append_many(made[start:stop])
        ledger.checkpoint()
        start = stop
    bundle = folder / "bundle.jsonl"
    export_bundle(ledger, bundle, VKEY)
    engine.dispose()
    return folder / "ledger.db", bundle


Lines = list[dict[str, Any]]
FIRST = 1 + len(SIGNED)  # the parsed line of entry 0


def edited(source: Path, target: Path, edit: Callable[[Lines], None]) -> Path:
    lines = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines()]
    edit(lines)
    target.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    return target


def change(index: int) -> Callable[[Lines], None]:
    def edit(lines: Lines) -> None:
        line = lines[FIRST + index]
        assert line["index"] == index
        line["entry"] = line["entry"].replace(f'"n":{index}}}', f'"n":{index + 1}}}')

    return edit


def drop(index: int) -> Callable[[Lines], None]:
    def edit(lines: Lines) -> None:
        del lines[FIRST + index]

    return edit


def test_a_dropped_line_is_one_finding_at_the_first_missing_index(
    built: tuple[Path, Path], tmp_path: Path
) -> None:
    path = edited(built[1], tmp_path / "dropped.jsonl", drop(620))
    report, _ = verify_bundle(path, VKEY)
    assert 1 <= len(report.problems) <= 3, report.problems
    assert [p.where for p in report.problems] == ["entry 620", "checkpoint 700", "head"]
    missing, checkpoint, _ = report.problems
    assert "missing (deleted from the log): entry 621 comes at position 620" in missing.message
    assert "(378 later entries carry indexes shifted by it: not listed)" in missing.message
    assert "the first wrong entry is entry 600 or later, before 621" in checkpoint.message
    assert "the 2 later checkpoint(s) that hold it fail too (800, 900)" in checkpoint.message
    assert "1 later checkpoint(s) are beyond the end of the log (1000)" in checkpoint.message
    assert report.first_wrong == (600, 621)


def test_the_first_line_dropped(built: tuple[Path, Path], tmp_path: Path) -> None:
    report, _ = verify_bundle(edited(built[1], tmp_path / "b.jsonl", drop(0)), VKEY)
    where = [p.where for p in report.problems]
    assert where == ["entry 0", "checkpoint 100", "checkpoints", "head"], report.problems
    assert report.first_wrong == (0, 1)


def test_the_cli_names_the_first_wrong_entry(built: tuple[Path, Path], tmp_path: Path) -> None:
    path = edited(built[1], tmp_path / "dropped.jsonl", drop(620))
    got = CliRunner().invoke(cli_app, ["verify-bundle", str(path), "--vkey", VKEY])
    assert got.exit_code == 1
    assert got.stdout.count("FAIL ") == 3, got.stdout
    assert "first wrong entry: entry 600 or later, before 621 (no signed" in got.stdout
    as_json = CliRunner().invoke(cli_app, ["verify-bundle", str(path), "--vkey", VKEY, "--json"])
    assert json.loads(as_json.stdout)["first_wrong_entry"] == {"from": 600, "before": 621}


@pytest.mark.parametrize(
    ("index", "first_wrong", "phrase"),
    [
        (450, (450, 451), "the first wrong entry is entry 450 (checkpoint 450 verified)"),
        (
            520,
            (500, 600),
            "the first wrong entry is entry 500 or later, before 600 (checkpoint 500 verified)",
        ),
        (7, (0, 100), "the first wrong entry is entry 0 or later, before 100"),
    ],
    ids=["between adjacent checkpoints", "between two checkpoints", "before the first"],
)
def test_a_changed_entry_is_located(
    built: tuple[Path, Path],
    tmp_path: Path,
    index: int,
    first_wrong: tuple[int, int],
    phrase: str,
) -> None:
    report, _ = verify_bundle(edited(built[1], tmp_path / "b.jsonl", change(index)), VKEY)
    assert report.first_wrong == first_wrong
    failed = [p for p in report.problems if p.where.startswith("checkpoint ")]
    assert len(failed) == 1, report.problems  # the later ones are named in it
    assert phrase in failed[0].message


def test_swapped_lines_name_both_places(built: tuple[Path, Path], tmp_path: Path) -> None:
    def swap(lines: Lines) -> None:
        a, b = FIRST + 250, FIRST + 260
        lines[a], lines[b] = lines[b], lines[a]

    report, _ = verify_bundle(edited(built[1], tmp_path / "b.jsonl", swap), VKEY)
    where = [p.where for p in report.problems]
    assert where == ["entries 250..259", "entry 250", "checkpoint 300", "head"], report.problems
    assert report.first_wrong == (200, 251)  # entry 250 is misplaced; none before is signed


def test_many_disorders_are_counted_not_listed(built: tuple[Path, Path], tmp_path: Path) -> None:
    def shuffle(lines: Lines) -> None:
        for k in range(100, 140, 2):  # twenty swapped pairs
            lines[FIRST + k], lines[FIRST + k + 1] = lines[FIRST + k + 1], lines[FIRST + k]

    report, _ = verify_bundle(edited(built[1], tmp_path / "b.jsonl", shuffle), VKEY)
    indexes = [p for p in report.problems if p.where.startswith("entr")]
    assert len(indexes) == 3, report.problems
    assert "more entries are misplaced: not listed" in indexes[0].message


def test_a_deleted_row_is_one_finding_in_the_database(
    built: tuple[Path, Path], tmp_path: Path
) -> None:
    copy = tmp_path / "ledger.db"
    copy.write_bytes(built[0].read_bytes())
    engine = open_engine(f"sqlite:///{copy}")
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM ledger_entries WHERE idx = 620"))
    report = check_ledger(Ledger(engine, ORIGIN), parse_verifier(VKEY))
    engine.dispose()
    entries = [p for p in report.problems if p.where.startswith("entr")]
    assert [p.where for p in entries] == ["entry 620"], report.problems
    checkpoints = [p for p in report.problems if p.where.startswith("checkpoint 7")]
    assert len(checkpoints) == 1
    assert report.first_wrong == (600, 621)
