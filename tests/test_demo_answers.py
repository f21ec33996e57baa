"""Issue 10, "done when": on the demo, each question is answered by one command, and the
numbers agree with an independent count over `liaison ledger export`.

A user's path, on the command line only: migrate, make a key, load the demo, sign a
checkpoint, export the ledger, then ask. The expected numbers are counted here with plain
Python over the exported bundle (JSON lines of canonical entries), never through the
index, the query code or the report code.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner, Result

from liaison.cli import app as cli_app

EASTERN = ZoneInfo("America/New_York")
ORIGIN = "test.example/demo-answers"
IMMIGRATION = "federal_immigration"
# The event kinds that report an action done (docs/api.md, "Events and flags").
DONE = {"action_carried_out", "notification_sent", "handover", "transport", "arrest"}


@dataclass
class Demo:
    folder: Path
    decisions: list[dict[str, Any]]  # public records of the decision entries, in order
    events: list[dict[str, Any]]  # public records of the event entries, in order
    size: int  # the tree size the bundle holds
    audited: list[dict[str, Any]] = field(default_factory=list)  # audit_row records

    def cli(self, *args: str) -> Result:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("LIAISON_DATABASE_URL", f"sqlite:///{self.folder / 'liaison.db'}")
            env.setenv("LIAISON_KEY_DIR", str(self.folder / "keys"))
            env.setenv("LIAISON_LOG_ORIGIN", ORIGIN)
            return CliRunner().invoke(cli_app, list(args), prog_name="liaison")

    def json(self, *args: str) -> Any:
        got = self.cli(*args)
        assert got.exit_code == 0, got.output
        return json.loads(got.stdout)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    folder = tmp_path_factory.mktemp("demo-answers")
    made = Demo(folder, [], [], 0)
    for args in (
        ("db", "upgrade"),
        ("ledger", "keygen"),
        ("demo", "--per-day", "2", "--key-file", str(folder / "auditor.key")),
        ("ledger", "checkpoint"),
        ("ledger", "export", str(folder / "bundle.jsonl")),
    ):
        got = made.cli(*args)
        assert got.exit_code == 0, (args, got.output)
    lines = (folder / "bundle.jsonl").read_text().splitlines()
    made.size = json.loads(lines[0])["size"]
    for line in lines[1:]:
        item = json.loads(line)
        if "entry" not in item:
            continue
        entry = json.loads(item["entry"])
        if entry["kind"] == "decision":
            made.decisions.append(entry["record"])
        elif entry["kind"] == "event":
            made.events.append(entry["record"])
        elif entry["kind"] == "audit_row":
            made.audited.append(entry["record"])
    return made


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def month(text: str) -> str:
    return instant(text).astimezone(EASTERN).strftime("%Y-%m")


def shares_not_in_custody(d: dict[str, Any]) -> bool:
    r = d["request"]
    return (
        r["action"] == "share_information"
        and r.get("recipient", {}).get("type") == IMMIGRATION
        and r["subject"]["custody"] in ("free", "stopped")
    )


def done_citing(demo: Demo, chosen: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events reporting an action done that cite one of ``chosen`` (by id and actor)."""
    keys = {(d["id"], d["request"]["actor"]["id"]) for d in chosen}
    return [
        e
        for e in demo.events
        if e["kind"] in DONE and (e.get("decision_id"), e["actor"]["id"]) in keys
    ]


def answers(demo: Demo) -> dict[str, Any]:
    report = demo.json("report", "council", "--format", "json")
    assert report["checkpoint"]["size"] == demo.size  # the tree the bundle holds
    return {a["id"]: a for a in report["answers"]}


def test_sharing_about_people_not_in_custody(demo: Demo) -> None:
    asked = [d for d in demo.decisions if shares_not_in_custody(d)]
    permitted = [d for d in asked if d["decision"]["decision"] == "permit"]
    refused = [d for d in asked if d["decision"]["decision"] == "deny"]
    assert permitted  # the demo has both: after EO-25-005
    assert refused  # and before it
    got = answers(demo)["share_not_in_custody"]
    assert got["answer"] == "yes"
    assert got["count"] == len(permitted)
    assert got["denied"]["count"] == len(refused)
    assert got["carried_out"]["count"] == len(done_citing(demo, permitted))
    assert got["carried_out_despite_denial"]["count"] == len(done_citing(demo, refused))
    first = min(permitted, key=lambda d: instant(d["decision"]["at"]))
    last = max(permitted, key=lambda d: instant(d["decision"]["at"]))
    assert instant(got["first"]) == instant(first["decision"]["at"])
    assert instant(got["last"]) == instant(last["decision"]["at"])
    assert got["first"].endswith("-04:00")  # August in D.C., as a person reads it
    cited = Counter(
        (c["directive"], c["section"]) for d in permitted for c in d["decision"]["citations"]
    )
    assert {(c["directive"], c["section"]): c["count"] for c in got["by_citation"]} == cited
    initiative = Counter(d["request"]["initiative"] for d in permitted)
    assert got["by_initiative"] == dict(initiative)


def test_the_same_answer_by_query_per_month(demo: Demo) -> None:
    want = Counter(
        (month(d["decision"]["at"]), d["decision"]["decision"])
        for d in demo.decisions
        if shares_not_in_custody(d)
    )
    got = demo.json(
        "query", "decisions",
        "--where", "action=share_information",
        "--where", f"recipient_type={IMMIGRATION}",
        "--where", "custody=free,stopped",
        "--group-by", "month,decision",
    )  # fmt: skip
    assert {(g["month"], g["decision"]): g["count"] for g in got["groups"]} == want
    assert set(want) >= {("2025-08", "deny"), ("2025-08", "permit"), ("2025-09", "permit")}


def test_transports_of_federal_agents_and_detained_subjects(demo: Demo) -> None:
    got = answers(demo)
    for passengers, ident in (
        ("federal_employees", "transport_federal_agents"),
        ("detained_subject", "transport_detained_subjects"),
    ):
        asked = [
            d
            for d in demo.decisions
            if d["request"]["action"] == "transport"
            and d["request"].get("recipient", {}).get("type") == IMMIGRATION
            and d["request"].get("transport", {}).get("passengers") == passengers
        ]
        permitted = [d for d in asked if d["decision"]["decision"] == "permit"]
        assert got[ident]["count"] == len(permitted) > 0
        assert got[ident]["denied"]["count"] == len(asked) - len(permitted)
    agents = got["transport_federal_agents"]["by_citation"]
    assert {(c["directive"], c["section"]) for c in agents} == {("EO-25-005", "E2")}


def test_status_checks_refused_and_carried_out_anyway(demo: Demo) -> None:
    solely = [
        d
        for d in demo.decisions
        if d["request"]["action"] == "database_inquiry"
        and set(d["request"]["purposes"]) == {"immigration_status"}
    ]
    refused = [d for d in solely if d["decision"]["decision"] == "deny"]
    anyway = done_citing(demo, refused)
    got = answers(demo)
    assert got["status_only_inquiries_refused"]["count"] == len(refused) > 0
    assert got["status_only_inquiries_carried_out_anyway"]["count"] == len(anyway) > 0
    assert got["status_only_inquiries_carried_out_anyway"]["carried_out_flagged"] == sum(
        1 for e in anyway if e.get("flagged") == "decision_denied"
    )


def test_no_handovers_to_ice_in_the_demo(demo: Demo) -> None:
    handed = [
        d
        for d in demo.decisions
        if d["request"]["action"] == "custody_transfer"
        and d["request"].get("recipient", {}).get("type") == IMMIGRATION
    ]
    got = answers(demo)
    for ident in ("handover_with_judicial_warrant", "handover_without_judicial_warrant"):
        assert got[ident]["count"] == sum(
            1 for d in handed if d["decision"]["decision"] == "permit"
        )
    assert got["handover_without_judicial_warrant"]["answer"] == ("yes" if handed else "no")


def test_the_demo_search_log_is_audited(demo: Demo) -> None:
    """`liaison demo` imports the demo's ALPR search log under the D.C. pack: its findings
    (the searches whose reasons are immigration ones) are in the report, each citing what
    forbade it, and the report's counts are the bundle's."""
    denied = [r for r in demo.audited if r["decision"] == "deny"]
    assert len(demo.audited) > 500
    assert denied
    assert all(r["immigration"] for r in denied)
    after_eo = [r for r in denied if instant(r["at"]) >= datetime(2025, 8, 14, tzinfo=EASTERN)]
    assert after_eo
    assert all(any(c.startswith("EO-25-005") for c in r["citations"]) for r in after_eo)
    report = demo.json("audit", "report", "--format", "json")
    assert report["total"]["rows"] == len(demo.audited)
    assert report["total"]["findings"] == len(denied)
    assert sorted(f["row"] for f in report["findings"]) == sorted(r["row"] for r in denied)
    again = demo.cli("demo", "--per-day", "2", "--key-file", str(demo.folder / "auditor.key"))
    assert again.exit_code == 0, again.output
    assert "already imported: nothing changed" in again.output
