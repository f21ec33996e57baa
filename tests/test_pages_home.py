"""The start page ``/`` and ``/checkpoint`` (issue 11, item 1; docs/pages.md, "The start
page: `/`"): the Council's sheet equals the council report over the same period for an
auditor; everyone else reads it suppressed (no ids, no dates but the period's, no count recoverable
by subtraction); the checkpoint note verifies with the deployment's key, and a public read
never signs one."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from conftest import running_services
from liaison.api.app import create_app
from liaison.gateway.roles import KeyRole
from liaison.ledger.checkpoint import open_checkpoint
from liaison.ledger.keys import load_vkey
from liaison.ledger.note_keys import parse_verifier
from liaison.reports import council_sheet, report_run
from liaison.reports.council_sheet import NESTED, WITHHELD
from liaison.reports.report_council import CouncilReport
from liaison.reports.suppression import small_cell
from liaison.web.cache import CACHE
from site_fixture import ORIGIN, Site, demo_site

HTML = {"Accept": "text/html"}
NOT_AUDITORS = [None, KeyRole.PUBLIC, KeyRole.OFFICER, KeyRole.SUPERVISOR, KeyRole.ADMIN]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with demo_site(tmp_path_factory.mktemp("pages-home")) as built:
        yield built


def _as(site: Site, role: KeyRole | None) -> dict[str, str]:
    return {} if role is None else site.bearer(role)


def _json(site: Site, role: KeyRole | None, query: str = "") -> dict[str, Any]:
    got = site.client.get(f"/?format=json{query}", headers=_as(site, role))
    assert got.status_code == 200, got.text
    body: dict[str, Any] = got.json()
    return body


def _report(site: Site, period: dict[str, Any]) -> dict[str, Any]:
    size = site.services.gateway.ledger.latest_checkpoint().size  # type: ignore[union-attr]
    got = site.client.get(
        "/v1/reports/council",
        params={"from": period["from"], "to": period["to"], "checkpoint": size},
        headers=site.bearer(KeyRole.AUDITOR),
    )
    assert got.status_code == 200, got.text
    body: dict[str, Any] = got.json()
    return body


def test_the_auditors_sheet_is_the_council_report_of_its_period(site: Site) -> None:
    sheet = _json(site, KeyRole.AUDITOR)["sheet"]
    report = _report(site, sheet["period"])
    assert sheet["checkpoint"] == report["checkpoint"]
    assert len(sheet["answers"]) == len(report["answers"]) == 13
    for mine, theirs in zip(sheet["answers"], report["answers"], strict=True):
        for key in ("id", "answer", "count", "first", "last", "query", "ids"):
            assert mine[key] == theirs[key], (mine["id"], key)
        for part in ("denied", "carried_out", "carried_out_despite_denial"):
            assert (mine[part] or {}).get("count") == (theirs[part] or {}).get("count")
    assert any(a["count"] > 10 for a in sheet["answers"])  # the demo has something to say


def test_the_default_period_is_the_90_days_to_the_newest_record(site: Site) -> None:
    sheet = _json(site, KeyRole.AUDITOR)["sheet"]
    period = sheet["period"]
    assert (period["first_day"], period["last_day"], period["days"]) == (
        "2025-07-03",
        "2025-09-30",
        90,
    )
    lasts = [a["last"] for a in sheet["answers"] if a["last"]]
    assert max(lasts).startswith("2025-09-30")  # the newest record counted is on its last day
    page = site.client.get("/", headers={**HTML, **site.bearer(KeyRole.AUDITOR)}).text
    assert "the 90 days to\n  2025-09-30" in page or "the 90 days to 2025-09-30" in page


def test_the_public_reads_whole_months_that_have_ended(site: Site) -> None:
    period = _json(site, None)["sheet"]["period"]
    assert period == {"first_day": "2025-07-01", "last_day": "2025-09-30"}
    page = site.client.get("/", headers=HTML).text
    assert "the three whole months to\n  2025-09-30" in page


@pytest.mark.parametrize(
    ("newest", "today", "first", "end"),
    [
        ("2025-09-30T22:29:00+00:00", date(2026, 12, 1), "2025-07-01", "2025-10-01"),
        ("2025-09-30T22:29:00+00:00", date(2025, 9, 30), "2025-06-01", "2025-09-01"),
        ("2025-10-01T03:00:00+00:00", date(2025, 10, 2), "2025-07-01", "2025-10-01"),
        ("2026-02-10T12:00:00+00:00", date(2026, 3, 5), "2025-12-01", "2026-03-01"),
        (None, date(2026, 1, 15), "2025-10-01", "2026-01-01"),
    ],
)
def test_public_period_never_includes_the_month_in_progress(
    newest: str | None, today: date, first: str, end: str
) -> None:
    zone = ZoneInfo("America/New_York")
    moment = datetime.fromisoformat(newest) if newest else None
    period = council_sheet.public_period(moment, zone, today)
    assert period.start == datetime.combine(date.fromisoformat(first), time(), tzinfo=zone)
    assert period.end == datetime.combine(date.fromisoformat(end), time(), tzinfo=zone)


def test_an_auditor_chooses_the_period(site: Site) -> None:
    sheet = _json(site, KeyRole.AUDITOR, "&from=2025-09-01&to=2025-09-15")["sheet"]
    assert sheet["period"]["from"] == "2025-09-01T00:00:00-04:00"
    assert sheet["period"]["to"] == "2025-09-15T00:00:00-04:00"
    report = _report(site, sheet["period"])
    assert [a["count"] for a in sheet["answers"]] == [a["count"] for a in report["answers"]]
    whole = _json(site, KeyRole.AUDITOR)["sheet"]
    assert sheet["answers"][0]["count"] < whole["answers"][0]["count"]
    size = site.services.gateway.ledger.latest_checkpoint().size  # type: ignore[union-attr]
    assert any(
        isinstance(k, tuple) and k[:2] == ("council-sheet", size) and "2025-09-15" in k[4]
        for k in CACHE._values
    )


@pytest.mark.parametrize(
    ("query", "field", "status"),
    [
        ("&from=yesterday", "from", 422),
        ("&to=2025-09-01T00:00:00", "to", 422),
        ("&to=2025-09-01T00:00-04:00", "to", 422),  # RFC 3339 has seconds, as the API's
        ("&from=2025-09-01T00:00:00-04:60", "from", 422),
        ("&from=2025-09-02&to=2025-09-01", "to", 422),
    ],
)
def test_a_bad_period_is_refused_naming_the_field(
    site: Site, query: str, field: str, status: int
) -> None:
    got = site.client.get(f"/?format=json{query}", headers=site.bearer(KeyRole.AUDITOR))
    assert got.status_code == status
    assert got.json()["error"]["field"] == field


@pytest.mark.parametrize("role", NOT_AUDITORS)
def test_only_an_auditor_chooses_the_period(site: Site, role: KeyRole | None) -> None:
    got = site.client.get("/?format=json&from=2025-09-01", headers=_as(site, role))
    assert got.status_code == 403
    assert got.json()["error"]["field"] == "from"


@pytest.mark.parametrize("role", NOT_AUDITORS)
def test_everyone_else_reads_suppressed_counts(site: Site, role: KeyRole | None) -> None:
    exact = {a["id"]: a["count"] for a in _json(site, KeyRole.AUDITOR)["sheet"]["answers"]}
    public = _json(site, role)["sheet"]
    assert public["public"] is True
    shown = {a["id"]: a["count"] for a in public["answers"]}
    assert shown.keys() == exact.keys()
    for ident, count in shown.items():
        if count == WITHHELD:
            continue
        assert count == small_cell(exact[ident]), ident
        assert (count == "<11") == (1 <= exact[ident] <= 10), ident
    assert "<11" in shown.values()  # the demo has small cells


def test_a_withheld_count_is_one_that_would_give_away_a_small_difference(site: Site) -> None:
    exact = {a["id"]: a["count"] for a in _json(site, KeyRole.AUDITOR)["sheet"]["answers"]}
    shown = {a["id"]: a["count"] for a in _json(site, None)["sheet"]["answers"]}
    withheld = {i for i, c in shown.items() if c == WITHHELD}
    # share_not_in_custody 34, during traffic stops 33: shown both, they'd reveal a 1
    assert "share_during_traffic_stops" in withheld
    for ident in withheld:
        wholes = [w for p, w in NESTED if p == ident]
        assert any(1 <= exact[w] - exact[ident] <= 10 for w in wholes), ident


def test_no_suppressed_count_can_be_worked_out_by_subtraction(site: Site) -> None:
    """The attack: for every pair of questions where one's records are among the other's,
    subtract the shown counts; no difference from 1 to 10 may come out."""
    shown = {a["id"]: a["count"] for a in _json(site, None)["sheet"]["answers"]}
    for part, whole in NESTED:
        if isinstance(shown[part], int) and isinstance(shown[whole], int):
            assert not 1 <= shown[whole] - shown[part] <= 10, (part, whole)


def _with_counts(doc: CouncilReport, counts: dict[str, int]) -> CouncilReport:
    answers = [a.model_copy(update={"count": counts.get(a.id, a.count)}) for a in doc.answers]
    return doc.model_copy(update={"answers": answers})


@pytest.fixture(scope="module")
def council(site: Site) -> tuple[CouncilReport, council_sheet.Period]:
    gw = site.services.gateway
    size = gw.ledger.latest_checkpoint().size  # type: ignore[union-attr]
    zone = gw.policy.pack.timezone
    period = council_sheet.default_period(None, zone, date(2025, 9, 30))
    times = {"from": period.start.isoformat(), "to": period.end.isoformat()}
    return council_sheet.council(report_run.scope(gw.ledger, gw.policy, times, size)), period


@pytest.mark.parametrize(
    ("whole", "part", "shown"),
    [
        (40, 35, (40, WITHHELD)),
        (40, 29, (40, 29)),
        (40, 30, (40, WITHHELD)),
        (40, 40, (40, 40)),
        (8, 3, ("<11", "<11")),
        (15, 5, (15, "<11")),
        (12, 0, (12, 0)),
        (0, 0, (0, 0)),
    ],
)
def test_the_complementary_rule(
    council: tuple[CouncilReport, council_sheet.Period],
    whole: int,
    part: int,
    shown: tuple[Any, Any],
) -> None:
    doc, period = council
    counts = {"share_not_in_custody": whole, "share_during_traffic_stops": part}
    sheet = council_sheet.public_sheet(_with_counts(doc, counts), period)
    got = {a["id"]: a["count"] for a in sheet["answers"]}
    assert (got["share_not_in_custody"], got["share_during_traffic_stops"]) == shown


DATE = re.compile(r"\d{4}-\d{2}-\d{2}T|\d{1,2}:\d{2}")


@pytest.mark.parametrize("role", NOT_AUDITORS)
def test_the_public_sheet_names_no_record_and_no_date_finer_than_the_period(
    site: Site, role: KeyRole | None
) -> None:
    ids = {i for a in _json(site, KeyRole.AUDITOR)["sheet"]["answers"] for i in a["ids"]}
    assert ids
    body = _json(site, role)
    sheet = body["sheet"]
    assert set(sheet["period"]) == {"first_day", "last_day"}
    for answer in sheet["answers"]:
        assert set(answer) == {"id", "question", "answer", "count"}
    assert not DATE.search(str(sheet)), sheet
    page = site.client.get("/", headers={**HTML, **_as(site, role)}).text
    assert not any(i in page for i in ids)
    table = page[page.index('<table id="council">') : page.index("</table>")]
    assert not DATE.search(table.replace("<11", "")), table
    csv = site.client.get("/?format=csv", headers=_as(site, role)).text
    assert csv.splitlines()[0] == "id,question,answer,count"
    assert not any(i in csv for i in ids)


def test_public_counts_link_to_the_public_page_and_small_ones_are_marked(site: Site) -> None:
    page = site.client.get("/", headers=HTML).text
    table = page[page.index('<table id="council">') : page.index("</table>")]
    cells = re.findall(r'<td class="num( suppressed)?"><a href="([^"]+)">([^<]*)</a>', table)
    assert len(cells) == 13
    for suppressed, href, text in cells:
        assert href == "/public"
        assert bool(suppressed) == (text in ("&lt;11", WITHHELD)), text
    assert ">Yes</td>" in table
    assert ">No</td>" in table


def test_the_auditors_counts_link_to_the_records_behind_them(site: Site) -> None:
    sheet = _json(site, KeyRole.AUDITOR)["sheet"]
    first = sheet["answers"][0]
    assert first["href"].startswith("/decisions?action=share_information&")
    assert "decision=permit" in first["href"]
    assert "from=2025-07-03" in first["href"]
    assert first["denied"]["href"].startswith("/decisions?")
    assert "decision=deny" in first["denied"]["href"]
    page = site.client.get("/", headers={**HTML, **site.bearer(KeyRole.AUDITOR)}).text
    table = page[page.index('<table id="council">') : page.index("</table>")]
    hrefs = re.findall(r'<a href="([^"]+)">', table)
    assert len(hrefs) >= 13 * 2
    for href in hrefs:
        assert re.match(r"^/(decisions\?|reports/council\?)", href), href
    assert "/public" not in hrefs


def test_the_start_page_says_what_liaison_is_and_links_in(site: Site) -> None:
    got = site.client.get("/", headers=HTML)
    assert got.status_code == 200
    page = got.text
    assert page.count("<h1") == 1
    assert "who gave the orders" in page
    assert "what actually happened under them" in page
    for step in ("Decide:", "Record:", "Oversee:"):
        assert step in page
    for href in ("/public", "/directives", "/charts", "/decisions", "/reports", "/docs", "/signin"):
        assert f'href="{href}"' in page, href


def test_the_start_page_names_the_latest_checkpoint(site: Site) -> None:
    latest = site.services.gateway.ledger.latest_checkpoint()
    assert latest is not None
    body = _json(site, None)
    assert body["checkpoint"]["size"] == latest.size
    assert body["checkpoint"]["root"] == site.client.get("/checkpoint?format=json").json()["root"]
    page = site.client.get("/", headers=HTML).text
    assert f"<strong>{latest.size:,}</strong> records" in page
    assert body["checkpoint"]["root"] in page
    assert re.search(
        r"signed,\s*<time datetime=\"[^\"]+Z\">\d{4}-\d\d-\d\d \d\d:\d\d -0[45]:00</time>", page
    )
    assert 'href="/checkpoint"' in page


def test_the_checkpoint_note_verifies_with_the_deployments_key(site: Site) -> None:
    got = site.client.get("/checkpoint")
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("text/plain")
    vkey = load_vkey(site.folder / "keys")
    assert vkey is not None
    opened = open_checkpoint(got.text, parse_verifier(vkey), ORIGIN)
    latest = site.services.gateway.ledger.latest_checkpoint()
    assert latest is not None
    assert (opened.size, opened.root) == (latest.size, latest.root)
    body = site.client.get("/checkpoint?format=json").json()
    assert body == {  # no witness configured: the note is all there is
        "size": latest.size,
        "root": body["root"],
        "note": got.text,
        "cosigned_note": got.text,
        "cosignatures": [],
    }
    assert site.client.get("/checkpoint?format=pdf").json()["error"]["field"] == "format"


@pytest.mark.parametrize("role", [*NOT_AUDITORS, KeyRole.AUDITOR])
def test_everyone_reads_the_start_page_and_the_checkpoint(site: Site, role: KeyRole | None) -> None:
    for path in ("/", "/checkpoint"):
        assert site.client.get(path, headers={**HTML, **_as(site, role)}).status_code == 200


def test_without_a_checkpoint_nothing_is_counted_and_nothing_is_signed(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    url = f"sqlite:///{tmp_path / 'empty.db'}"
    with running_services(url, tmp_path, log_origin=ORIGIN) as svc:
        assert svc.gateway.ledger.signer is not None  # it could sign, and must not
        client = TestClient(create_app(services=svc))
        assert client.get("/checkpoint").status_code == 404
        page = client.get("/checkpoint", headers=HTML)
        assert page.status_code == 404
        assert "no signed checkpoint yet" in page.text
        home = client.get("/?format=json").json()
        assert home["checkpoint"] is None
        assert home["sheet"] is None
        assert "No signed checkpoint yet" in client.get("/", headers=HTML).text
        assert svc.gateway.ledger.checkpoints() == []


def test_the_sheet_on_postgresql_is_the_council_report(tmp_path: Path) -> None:
    from conftest import database_url

    urls = database_url("postgresql", tmp_path)
    url = next(urls)
    try:
        with demo_site(tmp_path, url) as pg:
            CACHE.clear()  # computed here, on PostgreSQL
            sheet = _json(pg, KeyRole.AUDITOR)["sheet"]
            assert sheet["period"]["last_day"] == "2025-09-30"
            report = _report(pg, sheet["period"])
            assert [a["count"] for a in sheet["answers"]] == [a["count"] for a in report["answers"]]
            public = _json(pg, None)["sheet"]
            assert {a["id"]: a["count"] for a in public["answers"]}["transport_federal_agents"] == (
                "<11"
            )
    finally:
        urls.close()
