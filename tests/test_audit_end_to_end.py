"""Issue 13 end to end, as an inspector general would use it: small exports written here
(a Flock portal export with immigration reasons and a network audit searched by U.S. Border
Patrol and an out-of-state police department, for the ``ca`` pack; a portal export for
``il``; one imported with no pack), ``liaison audit import``, then ``liaison audit report``
in every format, ``GET /v1/audit/...`` and the ``/audit`` pages: findings with their
citations and the row's own stated reason (from the ledger's personal part), the review
queue, a review recorded and the report updated, the rows not judged with why. A row edited
in the database is refused (503, exit 1), never served. On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import and_, select, update
from typer.testing import Result

from conftest import BACKENDS, cli_runner, database_url, running_services
from liaison.api.app import create_app
from liaison.gateway.roles import KeyRole
from liaison.ledger.merkle import leaf_hash
from liaison.storage.tables import audit_imports, audit_rows, ledger_entries, ledger_personal
from page_parse import by_id, parse, table_rows

ORIGIN = "test.example/audit-e2e"
PORTAL = """id,userId,searchDate,networkCount,reason
p1,u-1,2025-06-18T17:02:04Z,12,ICE ERO
p2,u-2,2025-06-18T18:00:00Z,12,stolen vehicle
p3,***,2025-07-01T06:30:00Z,12,immigration enforcement
p4,u-3,2025-07-02T10:00:00Z,12,test
p5,u-1,2025-07-03T10:00:00Z,12,ice
p6,u-2,not a time,12,burglary
"""
NETWORK = """Org Name,Name,Search Time,Reason,Case #,Total Networks Searched,Search Type,ID
Example PD,Officer One,"07/01/2025, 01:00:00 AM UTC",burglary,25-9,5,lookup,n-1
U.S. Border Patrol,***,"07/01/2025, 02:00:00 PM UTC",smuggling investigation,***,800,lookup,n-2
Houston TX PD,Officer Two,"07/02/2025, 11:59:59 PM UTC",stolen vehicle,25-11,5,search,n-3
"""
IL_PORTAL = """id,userId,searchDate,networkCount,reason
i1,c-1,2025-03-04T15:00:00Z,4,ICE ERO
i2,c-2,2025-03-05T15:00:00Z,4,robbery
"""
CA = ("--jurisdiction-pack", "ca", "--agency", "Example PD")


@dataclass
class World:
    cli: Any
    client: TestClient
    auditor: dict[str, str]
    public: dict[str, str]
    ids: dict[str, str]
    db: Any


def _write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def _import(cli: Any, *args: str) -> dict[str, Any]:
    done: Result = cli("audit", "import", *args, "--json", "--quiet")
    assert done.exit_code == 0, done.output
    return json.loads(done.stdout.splitlines()[-1])


@pytest.fixture(params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    for url in database_url(request.param, tmp_path):
        with running_services(url, tmp_path, log_origin=ORIGIN) as services:
            cli = cli_runner(url, tmp_path, ORIGIN)
            ids = {
                "portal": _import(cli, _write(tmp_path, "portal.csv", PORTAL), *CA)["import"],
                "network": _import(cli, _write(tmp_path, "network.csv", NETWORK), *CA)["import"],
                "il": _import(
                    cli,
                    _write(tmp_path, "il-portal.csv", IL_PORTAL),
                    "--jurisdiction-pack",
                    "il",
                    "--agency",
                    "Evanston PD",
                )["import"],
                "nopack": _import(
                    cli, _write(tmp_path, "nopack.csv", IL_PORTAL), "--agency", "Nowhere PD"
                )["import"],
            }
            key = services.keys.create(KeyRole.AUDITOR, "auditor-1", None)[0]
            public = services.keys.create(KeyRole.PUBLIC, "public-1", None)[0]
            with TestClient(create_app(services=services)) as client:
                yield World(
                    cli,
                    client,
                    {"Authorization": f"Bearer {key}"},
                    {"Authorization": f"Bearer {public}"},
                    ids,
                    services.gateway.db,
                )


def _report(w: World, *args: str) -> dict[str, Any]:
    done = w.cli("audit", "report", *args)
    assert done.exit_code == 0, done.output
    return dict(json.loads(done.stdout))


def _finding(doc: dict[str, Any], ident: str, row: int) -> dict[str, Any]:
    found = [f for f in doc["findings"] if (f["import"], f["row"]) == (ident, row)]
    assert len(found) == 1, doc["findings"]
    return found[0]


def test_findings_carry_citations_and_the_rows_own_reason(world: World) -> None:
    doc = _report(world)
    ids = world.ids
    ice = _finding(doc, ids["portal"], 1)
    assert any(c.startswith("CA-GOV-7284.6 a1") for c in ice["citations"])
    assert ice["stated_reason"] == "ICE ERO"  # the row's own, from its personal part
    assert ice["exported_fields"]["userId"] == "u-1"
    assert ice["judgement_note"] is None
    redacted = _finding(doc, ids["portal"], 3)
    assert "user" in redacted["redacted"]
    houston = _finding(doc, ids["network"], 3)
    assert (houston["organisation"], houston["org_type"]) == ("Houston TX PD", "state_local")
    assert houston["org_jurisdiction"] == "out_of_state"
    assert "CA-CIV-1798.90.55 b" in houston["citations"]
    assert houston["stated_reason"] == "stolen vehicle"
    patrol = _finding(doc, ids["network"], 2)
    assert patrol["org_type"] == "federal_immigration"
    il = _finding(doc, ids["il"], 1)
    assert all(c.startswith("IL-") for c in il["citations"])
    assert il["citations"]
    # Times in the pack's zone when the file's times had offsets (no --timezone).
    assert ice["at"] == "2025-06-18T10:02:04-07:00"
    portal = next(i for i in doc["imports"] if i["id"] == ids["portal"])
    assert (portal["timezone"], portal["zone"]) == (None, "America/Los_Angeles")
    assert portal["bad_rows"] == 1
    # p3 is 2025-07-01T06:30Z: June 30 in Los Angeles, so June's, not July's.
    months = {m["key"]: m["rows"] for m in _report(world, "--import", ids["portal"])["by_month"]}
    assert months == {"2025-06": 3, "2025-07": 2}
    assert portal["bad_rows_listed"][0].startswith(f"{Path(portal['file_name'])}:7: searchDate")


def test_not_judged_rows_say_why_and_the_queue_waits(world: World) -> None:
    doc = _report(world)
    why = {n["why"]: n["rows"] for n in doc["not_judged"]}
    assert why == {"no_purpose": 1, "no_pack": 2}
    listed = [(n["import"], n["row"], n["judgement_note"]) for n in doc["not_judged_rows"]]
    assert listed == [(world.ids["portal"], 4, "no purpose could be formed from the row")]
    assert doc["not_judged_rows"][0]["stated_reason"] == "test"
    assert [(q["import"], q["row"]) for q in doc["review_queue"]] == [(world.ids["portal"], 5)]
    assert doc["review_queue"][0]["stated_reason"] == "ice"


def test_a_review_updates_the_report(world: World) -> None:
    ident = world.ids["portal"]
    before = _report(world)["total"]
    done = world.cli(
        "audit", "review", ident, "5", "--immigration", "yes",
        "--purpose", "civil_immigration_enforcement", "--reviewer", "A. Auditor",
        "--note", "ICE named in the case file",
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    after = _report(world)
    assert after["total"]["review_queue"] == before["review_queue"] - 1
    assert after["total"]["findings"] == before["findings"] + 1
    reviewed = _finding(after, ident, 5)
    assert reviewed["reviewed"] is True
    # The reviewed row is still served: its review is replayed over its entry.
    rows = world.client.get(
        "/v1/audit/rows", params={"import": ident, "finding": "yes"}, headers=world.auditor
    )
    assert rows.status_code == 200
    assert 5 in [r["row"] for r in rows.json()["items"]]


def test_csv_html_api_and_pages(world: World, tmp_path: Path) -> None:
    text = world.cli("audit", "report", "--format", "csv").stdout
    table = list(csv.DictReader(io.StringIO(text)))
    findings = [r for r in table if r["table"] == "findings"]
    assert {r["stated_reason"] for r in findings} >= {"ICE ERO", "stolen vehicle"}
    page = parse(world.cli("audit", "report", "--format", "html").stdout)
    assert len(table_rows(page, "findings")) == len(findings)
    assert [c[0].text for c in table_rows(page, "not-judged-rows")] == [world.ids["portal"]]
    one = world.client.get(f"/v1/audit/imports/{world.ids['network']}", headers=world.auditor)
    assert one.status_code == 200
    assert {f["row"] for f in one.json()["findings"]} == {2, 3}
    html = world.client.get("/audit", headers={**world.auditor, "Accept": "text/html"})
    assert html.status_code == 200
    assert "Houston TX PD" in html.text
    assert "CA-CIV-1798.90.55 b" in html.text
    imp = world.client.get(
        f"/audit/imports/{world.ids['portal']}", headers={**world.auditor, "Accept": "text/html"}
    )
    assert "searchDate" in by_id(parse(imp.text), "problems").text
    public = world.client.get("/audit", headers={**world.public, "Accept": "text/html"})
    assert public.status_code == 200
    assert "ICE ERO" not in public.text
    assert "Houston TX PD" not in public.text


def test_an_edited_row_is_refused_never_served(world: World) -> None:
    with world.db.begin() as conn:
        conn.execute(
            update(audit_rows)
            .where(audit_rows.c.import_id == world.ids["network"], audit_rows.c.row == 3)
            .values(organisation="Example PD", org_type=None, org_jurisdiction=None)
        )
    rows = world.client.get(
        "/v1/audit/rows", params={"import": world.ids["network"]}, headers=world.auditor
    )
    assert rows.status_code == 503
    assert rows.json()["error"]["code"] == "integrity"
    done = world.cli("audit", "report", "--import", world.ids["network"])
    assert done.exit_code == 1
    assert "differs from its ledger entry" in done.output


def test_an_edited_import_is_refused_never_served(world: World) -> None:
    """An import's options and bad rows are read from ``audit_imports.document``: an edit
    there (a bad row hidden) is refused on the API, the page and the report."""
    i = audit_imports.c
    chosen = i.id == world.ids["portal"]
    with world.db.begin() as conn:
        document = json.loads(conn.execute(select(i.document).where(chosen)).scalar_one())
        assert document["bad_rows_listed"]
        conn.execute(
            update(audit_imports)
            .where(chosen)
            .values(document=json.dumps({**document, "bad_rows_listed": []}))
        )
    listed = world.client.get("/v1/audit/imports", headers=world.auditor)
    assert listed.status_code == 503
    assert "document.bad_rows_listed" in listed.json()["error"]["message"]
    one = world.client.get(f"/v1/audit/imports/{world.ids['portal']}", headers=world.auditor)
    assert one.status_code == 503
    page = world.client.get(
        f"/audit/imports/{world.ids['portal']}", headers={**world.auditor, "Accept": "text/html"}
    )
    assert page.status_code == 503
    done = world.cli("audit", "report")
    assert done.exit_code == 1
    assert "audit_imports" in done.output


def test_an_erased_row_says_so(world: World) -> None:
    listed = world.client.get(
        "/v1/audit/rows", params={"import": world.ids["portal"]}, headers=world.auditor
    ).json()["items"]
    first = next(r for r in listed if r["row"] == 1)
    with world.db.begin() as conn:
        conn.execute(ledger_personal.delete().where(ledger_personal.c.idx == first["ledger_index"]))
    again = _finding(_report(world), world.ids["portal"], 1)
    assert again["erased"] is True
    assert again["exported_fields"] is None
    assert again["stated_reason"] is None
    assert again["citations"] == first["citations"]  # the audit's record stays


def test_a_forged_entry_is_refused_once_signed(world: World) -> None:
    """A forger who rewrites a row, its entry and the entry's leaf hash together (all in the
    database) is caught by the signed tree: the entry is not in the tree the key signed."""
    signed = world.cli("ledger", "checkpoint")
    assert signed.exit_code == 0, signed.output
    e, r = ledger_entries.c, audit_rows.c
    chosen = and_(r.import_id == world.ids["network"], r.row == 3)
    with world.db.begin() as conn:
        index = conn.execute(select(r.ledger_index).where(chosen)).scalar_one()
        body = bytes(conn.execute(select(e.body).where(e.idx == index)).scalar_one())
        forged = body.replace(b"Houston TX PD", b"Example PD")
        assert forged != body
        conn.execute(
            update(ledger_entries)
            .where(e.idx == index)
            .values(body=forged, leaf_hash=leaf_hash(forged))
        )
        conn.execute(update(audit_rows).where(chosen).values(organisation="Example PD"))
    rows = world.client.get(
        "/v1/audit/rows", params={"import": world.ids["network"]}, headers=world.auditor
    )
    assert rows.status_code == 503
    assert "not in the tree" in rows.json()["error"]["message"]
    assert f"{world.ids['network']} row 3" in rows.json()["error"]["message"]
    done = world.cli("audit", "report", "--import", world.ids["network"])
    assert done.exit_code == 1
    assert "not in the tree" in done.output
    page = world.client.get(
        f"/audit/imports/{world.ids['network']}", headers={**world.auditor, "Accept": "text/html"}
    )
    assert page.status_code == 503


def test_entries_are_read_in_chunks(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from liaison.reports import audit_verified

    whole = _report(world)
    monkeypatch.setattr(audit_verified, "CHUNK", 2)
    chunked = _report(world)
    assert len(chunked["findings"]) > 2
    assert chunked["findings"] == whole["findings"]
