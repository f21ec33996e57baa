"""``liaison audit classify`` (issue 13, item 2): one JSON line per readable row, in input
order, with exactly the six keys; bad rows on stderr with file:line; an unreadable file or
a bad option exits 2 with nothing written; no database needed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from liaison.cli import app

KEYS = ["row", "source_id", "purposes", "recipient_type", "immigration", "rule"]
PORTAL = (
    "id,userId,searchDate,cameraCount,reason\n"
    "a1,u1,2025-06-18T00:02:04Z,10,ICE+ERO\n"
    "a2,u2,not-a-date,10,investigation\n"
    "a3,u3,2025-06-18T01:02:04Z,5,theft of ice\n"
    "a4,u4,2025-06-18T01:03:04Z,5,HSI\n"
    "a5,,2025-06-18T01:04:04Z,5,\n"
)


def run(*args: str) -> tuple[int, list[dict[str, object]], str]:
    result = CliRunner().invoke(app, ["audit", "classify", *args])
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    return result.exit_code, lines, result.stderr


@pytest.fixture
def portal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("LIAISON_DATABASE_URL", raising=False)
    path = tmp_path / "portal.csv"
    path.write_text(PORTAL, encoding="utf-8")
    return path


def test_one_line_per_readable_row_in_order_with_exactly_the_keys(portal: Path) -> None:
    code, lines, stderr = run(str(portal), "--format", "flock-portal")
    assert [line["row"] for line in lines] == [1, 3, 4, 5]
    assert all(list(line) == KEYS for line in lines)
    assert [line["source_id"] for line in lines] == ["a1", "a3", "a4", "a5"]
    assert [line["immigration"] for line in lines] == [True, False, None, False]
    assert lines[0]["purposes"] == ["civil_immigration_enforcement"]
    assert lines[0]["recipient_type"] == "federal_immigration"
    assert (lines[0]["rule"], lines[1]["rule"], lines[3]["rule"]) == (
        "imm.ice_ero",
        "crime.ice_theft",
        "reason.empty",
    )
    assert f"{portal}:3: searchDate:" in stderr
    assert code == 1


def test_a_clean_file_exits_0_and_the_format_is_detected(portal: Path) -> None:
    portal.write_text(PORTAL.replace("not-a-date", "2025-06-18T00:05:00Z"), encoding="utf-8")
    code, lines, stderr = run(str(portal))
    assert (code, len(lines), stderr) == (0, 5, "")


def test_another_rule_file_is_used(portal: Path, tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(
        'version = "2026.1.1"\n[[rule]]\nid = "only.theft"\nkind = "ordinary"\n'
        'phrases = ["theft"]\npurposes = ["criminal_investigation"]\n',
        encoding="utf-8",
    )
    _, lines, _ = run(str(portal), "--format", "flock-portal", "--rules", str(rules))
    assert [line["rule"] for line in lines] == [
        "reason.unrecognised",
        "only.theft",
        "reason.unrecognised",
        "reason.empty",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.csv"], "missing.csv"),
        (["{portal}", "--timezone", "Mars/Base"], "--timezone: 'Mars/Base'"),
        (["{portal}", "--format", "fax"], "unknown format 'fax'"),
        (["{portal}", "--rules", "absent.toml"], "absent.toml"),
    ],
)
def test_an_unusable_file_or_option_exits_2_and_writes_nothing(
    portal: Path, args: list[str], message: str
) -> None:
    code, lines, stderr = run(*[arg.format(portal=portal) for arg in args])
    assert (code, lines) == (2, [])
    assert message in stderr


NETWORK = (
    "Org Name,Name,Search Time,Reason,Case #,Total Networks Searched,Search Type,ID\n"
    'U.S. Border Patrol,***,"07/01/2025, 02:00:00 PM UTC",investigation,,800,lookup,n-1\n'
    'Houston TX PD,Officer,"07/01/2025, 03:00:00 PM UTC",ICE,,5,lookup,n-2\n'
    'Acme Widgets,***,"07/01/2025, 04:00:00 PM UTC",theft,,5,lookup,n-3\n'
    'FBI Sacramento,***,"07/01/2025, 05:00:00 PM UTC",***,,5,lookup,n-4\n'
)
IAQ = (
    "2025-03-04T14:22:05-08:00 IAQ.ORPPB0000.AX.0001.TXT PUR/C.ATN/DET SMITH.PHN/5035551212"
    ".NAM/DOE, JOHN.DOB/19800101.SEX/M.POB/MX.CUS/N.OFF/0399\n"
    "2025-03-04T15:22:05-08:00 IAQ.ORPPB0000.AX.0002.TXT PUR/C.ATN/DET SMITH.PHN/5035551212"
    ".NAM/DOE, JANE.DOB/19800101.SEX/F.POB/MX.CUS/Y.OFF/0301\n"
)


def test_an_outside_search_is_typed_by_the_searching_organisation(tmp_path: Path) -> None:
    path = tmp_path / "network.csv"
    path.write_text(NETWORK, encoding="utf-8")
    code, lines, _ = run(str(path), "--format", "flock-network", "--agency", "Santa Rosa CA PD")
    assert code == 0
    answers = [(line["recipient_type"], line["immigration"], line["rule"]) for line in lines]
    assert answers == [
        ("federal_immigration", None, "recipient.federal_immigration"),
        ("state_local", True, "imm.ice"),
        (None, False, "crime.named"),
        ("federal_other", False, "reason.redacted"),
    ]


def test_nlets_codes_decide_an_iaq(tmp_path: Path) -> None:
    path = tmp_path / "iaq.log"
    path.write_text(IAQ, encoding="utf-8")
    code, lines, _ = run(str(path), "--format", "nlets-iaq")
    assert code == 0
    assert [line["rule"] for line in lines] == [
        "code.nlets_status_only",
        "code.nlets_immigration_offense",
    ]
    assert lines[0]["purposes"] == ["immigration_status"]
