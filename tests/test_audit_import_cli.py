"""``liaison audit import``, ``queue`` and ``review`` end to end (issue 13; docs/audit.md):
the readers, the classifier and the organisation table on the fixtures of
``tests/fixtures/audit/``, judged with the shipped ``ca`` pack; each file its own import,
a file that cannot be read changes nothing and does not stop the others; importing again
changes nothing; the audit tables verify. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import Result

from conftest import cli_runner
from liaison.audit.index_check import check_audit_index
from liaison.ledger.keys import keygen
from liaison.ledger.log import Ledger
from liaison.storage.database import open_engine
from liaison.storage.tables import audit_imports, audit_rows

ORIGIN = "test.example/audit-cli"
FIXTURES = Path(__file__).parent / "fixtures" / "audit"
PORTAL = str(FIXTURES / "portal-utc.csv")
NETWORK = str(FIXTURES / "network-audit.csv")
CA = ("--jurisdiction-pack", "ca", "--agency", "Example PD", "--timezone", "America/Los_Angeles")


@pytest.fixture
def cli(db_url: str, tmp_path: Path) -> Callable[..., Result]:
    keygen(tmp_path / "keys", ORIGIN)
    return cli_runner(db_url, tmp_path, ORIGIN)


def _summaries(result: Result) -> list[dict[str, object]]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def test_each_file_is_imported_judged_and_verified(cli: Callable[..., Result], db_url: str) -> None:
    done = cli("audit", "import", PORTAL, NETWORK, *CA, "--json")
    assert done.exit_code == 0, done.output
    portal, network = _summaries(done)
    assert (portal["rows"], portal["bad_rows"]) == (5, 2)
    assert "portal-utc.csv:5: searchDate" in done.stderr  # a bad row named with its line
    assert network["findings"] >= 2  # HSI's search forbidden; an unplaced agency unauthorised
    engine = open_engine(db_url)
    try:
        with engine.connect() as conn:
            hsi = (
                conn.execute(
                    select(audit_rows).where(
                        audit_rows.c.import_id == network["import"], audit_rows.c.row == 2
                    )
                )
                .mappings()
                .one()
            )
        assert hsi["org_type"] == "federal_immigration"
        assert (hsi["decision"], hsi["basis"]) == ("deny", "forbid")
        assert "CA-GOV-7284.6 a1" in json.loads(hsi["citations"])
        assert check_audit_index(Ledger(engine, ORIGIN)) == []
    finally:
        engine.dispose()
    again = cli("audit", "import", PORTAL, *CA)
    assert again.exit_code == 0
    assert "already imported: nothing changed" in again.stdout


def test_a_file_that_cannot_be_read_changes_nothing_and_the_others_go_in(
    cli: Callable[..., Result], db_url: str, tmp_path: Path
) -> None:
    unreadable = tmp_path / "garbage.csv"
    unreadable.write_bytes(b"\x00\x01 not a log\n")
    done = cli("audit", "import", str(unreadable), PORTAL, *CA, "--json")
    assert done.exit_code == 1
    assert f"{unreadable}" in done.stderr
    assert "nothing of it was recorded" in done.stderr
    assert [s["file"] for s in _summaries(done)] == [PORTAL]
    engine = open_engine(db_url)
    try:
        with engine.connect() as conn:
            names = conn.execute(select(audit_imports.c.file_name)).scalars().all()
        assert names == [PORTAL]
    finally:
        engine.dispose()


def test_without_a_pack_rows_are_not_judged(cli: Callable[..., Result]) -> None:
    done = cli("audit", "import", PORTAL, "--timezone", "America/Los_Angeles", "--json")
    assert done.exit_code == 0, done.output
    (summary,) = _summaries(done)
    assert summary["findings"] == summary["permitted"] == 0
    assert summary["not_judged"] + summary["review"] == summary["rows"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--format", "flock"), "--format: 'flock' is not one of"),
        (("--jurisdiction-pack", "oregon"), "no shipped pack 'oregon'"),
        (("--jurisdiction-pack", "../packs/dc"), "no shipped pack"),
        (("--timezone", "Mars/Olympus"), "--timezone: 'Mars/Olympus'"),
    ],
)
def test_bad_options_exit_2_naming_them(
    cli: Callable[..., Result], args: tuple[str, ...], message: str
) -> None:
    done = cli("audit", "import", PORTAL, *args)
    assert done.exit_code == 2
    assert message in done.stderr


def test_the_queue_and_a_review_from_the_command_line(cli: Callable[..., Result]) -> None:
    (summary,) = _summaries(cli("audit", "import", PORTAL, *CA, "--json"))
    ident = str(summary["import"])
    queue = cli("audit", "queue", ident, "--json")
    assert queue.exit_code == 0
    waiting = [json.loads(line) for line in queue.stdout.splitlines()]
    assert len(waiting) == summary["review"]
    review = (
        "audit", "review", ident, "1", "--immigration", "yes", "--purpose",
        "civil_immigration_enforcement", "--reviewer", "auditor-1", "--note", "per the memo",
    )  # fmt: skip
    decided = cli(*review)  # row 1 was classified (not in the queue): --override needed
    assert decided.exit_code == 2
    assert "--override" in decided.stderr
    done = cli(*review, "--override")
    assert done.exit_code == 0, done.output
    assert f"row 1 of {ident}: deny (forbid)" in done.stdout
    refused = cli(
        "audit", "review", ident, "1", "--immigration", "maybe", "--reviewer", "a", "--note", "n"
    )
    assert refused.exit_code == 2
    missing = cli(
        "audit", "review", ident, "99", "--immigration", "no", "--reviewer", "a", "--note", "n"
    )
    assert missing.exit_code == 1
    assert "no row 99" in missing.stderr


def test_two_runs_of_one_import_at_once_say_so_and_lose_nothing(
    cli: Callable[..., Result], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second of two simultaneous runs finds the first's rows only when it writes its
    own (its check for a completed import and for committed rows came before them)."""
    from liaison.audit import importing

    first = cli("audit", "import", PORTAL, *CA, "--json")
    assert first.exit_code == 0, first.output
    monkeypatch.setattr(importing, "completed", lambda ledger, ident: None)
    monkeypatch.setattr(importing, "committed_rows", lambda ledger, ident: 0)
    second = cli("audit", "import", PORTAL, *CA, "--json")
    assert second.exit_code == 1
    assert "another import of this file" in second.stderr
    assert "portal-utc.csv" in second.stderr
    assert "INSERT" not in second.stderr  # no SQL for the journalist to read
    engine = open_engine(db_url)
    try:
        with engine.connect() as conn:
            assert len(conn.execute(select(audit_rows)).all()) == _summaries(first)[0]["rows"]
        assert check_audit_index(Ledger(engine, ORIGIN)) == []
    finally:
        engine.dispose()
