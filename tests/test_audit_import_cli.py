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
        (("--jurisdiction-pack", "dc", "--view", "council"), "--view: unknown view 'council'"),
        (("--view", "doj"), "--view: a view is a reading of a pack"),
    ],
)
def test_bad_options_exit_2_naming_them(
    cli: Callable[..., Result], args: tuple[str, ...], message: str
) -> None:
    done = cli("audit", "import", PORTAL, *args)
    assert done.exit_code == 2
    assert message in done.stderr


# An MPD portal log across the Attorney General's orders of 14 and 15 August 2025 (dc-pack.md).
DC_PORTAL = """id,userId,searchDate,networkCount,reason
a1,u1,2025-08-13T15:00:00Z,3,ICE
a2,u1,2025-08-20T15:00:00-04:00,3,immigration status check
a3,u1,2025-08-20T19:00:00Z,3,stolen vehicle
"""
DC = ("--format", "flock-portal", "--jurisdiction-pack", "dc", "--agency", "MPD", "--json")


def _decisions(db_url: str, ident: object) -> dict[int, tuple[str, list[str]]]:
    engine = open_engine(db_url)
    try:
        with engine.connect() as conn:
            found = conn.execute(select(audit_rows).where(audit_rows.c.import_id == ident))
            return {r.row: (r.decision, json.loads(r.citations)) for r in found}
    finally:
        engine.dispose()


def test_a_contested_log_is_judged_under_the_view_named(
    cli: Callable[..., Result], db_url: str, tmp_path: Path
) -> None:
    """The same D.C. log read by the department (mpd, the default) and by the Attorney
    General (doj): an inquiry solely about immigration status after her orders is a finding
    under the first (EO-25-005 E3) and permitted under the second; each reading is its own
    import, naming the default view is the same import as naming none, and a review judges
    its row again under its import's view."""
    log = tmp_path / "mpd-portal.csv"
    log.write_text(DC_PORTAL, encoding="utf-8")
    (mpd,) = _summaries(cli("audit", "import", str(log), *DC))
    (doj,) = _summaries(cli("audit", "import", str(log), *DC, "--view", "doj"))
    (named,) = _summaries(cli("audit", "import", str(log), *DC, "--view", "mpd"))
    assert (mpd["view"], doj["view"]) == (None, "doj")
    assert doj["import"] != mpd["import"]
    assert (named["import"], named["already_imported"]) == (mpd["import"], True)
    by_mpd, by_doj = _decisions(db_url, mpd["import"]), _decisions(db_url, doj["import"])
    assert by_mpd[2] == ("deny", ["EO-25-005 E3"])
    assert by_doj[2] == ("permit", ["AG-DIRECTIVE-2025-08-15 cooperate"])
    assert by_mpd[1] == by_doj[1]  # before the orders the readings agree
    assert by_mpd[3] == by_doj[3]  # and on a search that is not about immigration
    assert (mpd["findings"], doj["findings"]) == (2, 1)
    said = cli("audit", "import", str(log), *DC[:-1], "--view", "doj")
    assert f"as {doj['import']} under the doj view" in said.stdout
    review = (
        "audit", "review", str(doj["import"]), "2", "--immigration", "yes", "--purpose",
        "immigration_status", "--reviewer", "auditor-1", "--note", "as logged",
        "--override",
    )  # fmt: skip
    reviewed = cli(*review)
    assert reviewed.exit_code == 0, reviewed.output
    assert "permit" in reviewed.stdout  # judged again under doj, as its import was
    assert "AG-DIRECTIVE-2025-08-15 cooperate" in reviewed.stdout


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
