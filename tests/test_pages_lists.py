"""The lists of records (issue 11, item 1; docs/pages.md, "Records: `/decisions`,
`/events`, `/encounters`"): each shows what ``GET /v1/decisions`` (``events``,
``encounters``) answers for the same filters and key, page by page, with every row as CSV;
the form keeps what was asked; a bad filter is named (422); the API's role rules."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

import pytest

from liaison.gateway.recording import EVENT_FLAGS
from liaison.gateway.roles import KeyRole
from liaison.reports import query
from liaison.reports.query_filter import date_as_instant
from liaison.web.links import page_of_query
from liaison.web.lists import LISTINGS
from page_parse import by_id, by_rel, form_values, parse, table_rows, words
from site_fixture import Site, demo_site

HTML = {"Accept": "text/html,application/xhtml+xml"}
EASTERN = ZoneInfo("America/New_York")
OFFICER = ("officer-1392", "5D")  # a demo officer with records of their own


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with demo_site(tmp_path_factory.mktemp("pages-lists")) as built:
        built.keys[KeyRole.OFFICER], _ = built.services.keys.create(KeyRole.OFFICER, *OFFICER)
        yield built


def _get(site: Site, path: str, role: KeyRole | None = KeyRole.AUDITOR) -> Any:
    headers = {**HTML, **(site.bearer(role) if role is not None else {})}
    return site.client.get(path, headers=headers, follow_redirects=False)


def _api(site: Site, kind: str, filters: dict[str, str], role: KeyRole) -> dict[str, Any]:
    path = f"/v1/{kind}?" + urlencode({**filters, "limit": "1000"})
    answer = site.client.get(path, headers=site.bearer(role))
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def _ids(kind: str, items: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """What tells the records apart: (id, actor) or (id, unit) for encounters."""
    return [(i["id"], i["unit"] if kind == "encounters" else i["actor_id"]) for i in items]


CASES = [
    ("decisions", {}),
    ("decisions", {"action": "share_information", "decision": "deny"}),
    ("decisions", {"from": "2025-08-13T00:00:00-04:00", "to": "2025-08-20T00:00:00-04:00"}),
    ("decisions", {"custody": "free,stopped", "recipient_type": "federal_immigration"}),
    ("events", {}),
    ("events", {"flag": "any"}),
    ("events", {"kind": "notification_sent", "unit": "3D,2D"}),
    ("encounters", {}),
    ("encounters", {"flag": "any"}),
    ("encounters", {"agency_type": "federal_immigration"}),
]


@pytest.mark.parametrize(("kind", "filters"), CASES)
def test_the_total_and_rows_are_the_apis(site: Site, kind: str, filters: dict[str, str]) -> None:
    api = _api(site, kind, filters, KeyRole.AUDITOR)
    assert api["total"] > 0
    shown = _get(site, f"/{kind}?" + urlencode({**filters, "limit": "1000"}))
    assert shown.status_code == 200, shown.text
    page = parse(shown.text)
    assert words(by_id(page, "total").text).startswith(f"{api['total']:,} ")
    rows = table_rows(page, "records")
    assert len(rows) == len(api["items"])
    assert [words(r[1].text) for r in rows] == [i["id"] for i in api["items"]]
    data = _get(site, f"/{kind}?" + urlencode({**filters, "limit": "1000", "format": "json"}))
    assert data.json()["total"] == api["total"]
    assert _ids(kind, data.json()["items"]) == _ids(kind, api["items"])


def test_a_date_means_midnight_eastern(site: Site) -> None:
    api = _api(
        site,
        "decisions",
        {"from": "2025-08-13T00:00:00-04:00", "to": "2025-08-14T00:00:00-04:00"},
        KeyRole.AUDITOR,
    )
    shown = _get(site, "/decisions?from=2025-08-13&to=2025-08-14&format=json").json()
    assert shown["total"] == api["total"] > 0
    assert date_as_instant("from", "2025-12-01", EASTERN) == "2025-12-01T00:00:00-05:00"
    assert date_as_instant("to", "2025-07-01", EASTERN) == "2025-07-01T00:00:00-04:00"
    instant = "2025-08-13T09:30:00Z"
    assert date_as_instant("from", instant, EASTERN) == instant  # an instant is as the API takes it


def test_pages_walk_every_record_once(site: Site) -> None:
    everything = _ids("events", _api(site, "events", {}, KeyRole.AUDITOR)["items"])
    seen: list[tuple[str, str]] = []
    path: str | None = "/events?limit=25"
    pages = 0
    while path is not None:
        page = parse(_get(site, path).text)
        seen += [(words(r[1].text), words(r[4].text)) for r in table_rows(page, "records")]
        if pages:
            assert by_rel(page, "first") == ["/events?limit=25"]
        following = by_rel(page, "next")
        path = following[0] if following else None
        pages += 1
    assert seen == everything
    assert pages == -(-len(everything) // 25)


def _csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize(
    ("kind", "filters"),
    [("decisions", {"view": "mpd"}), ("events", {}), ("encounters", {"kind": "traffic_stop"})],
)
def test_the_csv_download_is_every_row_in_the_apis_columns(
    site: Site, kind: str, filters: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    page = parse(_get(site, f"/{kind}?" + urlencode({**filters, "limit": "10"})).text)
    href = by_id(page, "download-csv").attrs["href"]
    assert parse_qs(urlsplit(href).query) == {
        **{k: [v] for k, v in filters.items()},
        "format": ["csv"],
    }
    monkeypatch.setattr(query, "MAX_LIMIT", 40)  # streamed in pages of 40
    download = _get(site, href)
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert f'filename="{kind}.csv"' in download.headers["content-disposition"]
    monkeypatch.undo()
    api = site.client.get(
        f"/v1/{kind}?" + urlencode({**filters, "format": "csv", "limit": "1000"}),
        headers=site.bearer(KeyRole.AUDITOR),
    )
    rows = _csv(download.text)
    assert rows[0] == list(LISTINGS[kind].csv_columns)
    assert rows == _csv(api.text)
    assert len(rows) - 1 == int(api.headers["Liaison-Total"]) > 40


def test_the_form_keeps_what_was_asked(site: Site) -> None:
    asked = {
        "from": "2025-08-13",
        "to": "2025-09-01T00:00:00-04:00",
        "action": "share_information",
        "custody": "free,stopped",
        "unit": "3D,2D",
        "legal_process": "none",
        "limit": "2",
    }
    page = parse(_get(site, "/decisions?" + urlencode(asked)).text)
    values = form_values(by_id(page, "main"))
    assert {k: values[k] for k in asked} == asked
    assert values["decision"] == ""
    custody = [o for o in by_id(page, "f-custody").find_all("option") if "selected" in o.attrs]
    assert words(custody[0].text) == "free or stopped"
    assert "open" in by_id(page, "main").find_all("details")[0].attrs  # legal_process is there
    following = by_rel(page, "next")
    assert following
    kept = parse_qs(urlsplit(following[0]).query)
    assert {k: v[0] for k, v in kept.items() if k != "cursor"} == asked


@pytest.mark.parametrize(
    ("query_string", "field"),
    [
        ("from=yesterday", "from"),
        ("from=2025-02-30", "from"),
        ("from=2025-08-13T09:00:00", "from"),
        ("from=2025-09-01&to=2025-08-01", "to"),
        ("action=fly", "action"),
        ("flag=sideways", "flag"),
        ("colour=red", "colour"),
        ("limit=0", "limit"),
        ("limit=5000", "limit"),
        ("cursor=garbage", "cursor"),
        ("action=arrest&action=hold", "action"),
    ],
)
def test_a_bad_filter_is_the_form_again_naming_it(
    site: Site, query_string: str, field: str
) -> None:
    kind = "events" if field == "flag" else "decisions"
    shown = _get(site, f"/{kind}?{query_string}")
    assert shown.status_code == 422
    assert shown.headers["content-type"].startswith("text/html")
    page = parse(shown.text)
    error = words(by_id(page, "filter-error").text)
    assert f"{field}:" in error
    assert "records" not in {e.attrs.get("id") for e in page.find_all("table")}
    control = [
        e for e in page.find_all("input") + page.find_all("select") if e.attrs.get("name") == field
    ]
    if control and field != "cursor":
        assert control[0].attrs.get("aria-invalid") == "true"
    assert len([f for f in page.find_all("form") if "filters" in f.attrs.get("class", "")]) == 1
    data = _get(site, f"/{kind}?{query_string}&format=json")
    assert data.status_code == 422
    assert data.json()["error"]["field"] == field


def test_the_bad_value_stays_in_the_form(site: Site) -> None:
    page = parse(_get(site, "/decisions?from=yesterday&action=arrest").text)
    assert form_values(page)["from"] == "yesterday"
    assert form_values(page)["action"] == "arrest"


@pytest.mark.parametrize("kind", ["decisions", "events", "encounters"])
def test_who_may_read_the_lists(site: Site, kind: str) -> None:
    anonymous = _get(site, f"/{kind}?unit=1D", role=None)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == f"/signin?next=%2F{kind}%3Funit%3D1D"
    for role in (KeyRole.ADMIN, KeyRole.PUBLIC):
        refused = _get(site, f"/{kind}", role=role)
        assert refused.status_code == 403
        assert "<h1>403" in refused.text
    assert site.client.get(f"/{kind}?format=json").status_code == 401


@pytest.mark.parametrize("kind", ["decisions", "events", "encounters"])
def test_an_officer_sees_their_own_and_a_supervisor_their_units(site: Site, kind: str) -> None:
    mine = _get(site, f"/{kind}?limit=1000&format=json", role=KeyRole.OFFICER).json()
    api = _api(site, kind, {}, KeyRole.OFFICER)
    assert mine["total"] == api["total"] > 0
    assert _ids(kind, mine["items"]) == _ids(kind, api["items"])
    everyone = _api(site, kind, {}, KeyRole.AUDITOR)
    assert mine["total"] < everyone["total"]
    if kind != "encounters":
        assert {i["actor_id"] for i in mine["items"]} == {OFFICER[0]}
    unit = _get(site, f"/{kind}?limit=1000&format=json", role=KeyRole.SUPERVISOR).json()
    assert unit["total"] == _api(site, kind, {}, KeyRole.SUPERVISOR)["total"]
    if kind != "encounters":
        assert {i["unit"] for i in unit["items"]} <= {"1D"}


def _answers(report: Any) -> Iterator[dict[str, Any]]:
    """Every counted set in a report answer (``kind``, ``count``, ``query``), nested too."""
    if isinstance(report, dict):
        if {"kind", "count", "query"} <= report.keys():
            yield report
        for value in report.values():
            yield from _answers(value)
    elif isinstance(report, list):
        for value in report:
            yield from _answers(value)


def test_the_council_reports_queries_open_as_pages_of_their_count(site: Site) -> None:
    report = site.client.get("/v1/reports/council", headers=site.bearer(KeyRole.AUDITOR))
    assert report.status_code == 200
    asked = [a for a in _answers(report.json()) if a["query"]]
    assert len(asked) >= 4
    for answer in asked:
        href = page_of_query(answer["query"])
        assert href.startswith(f"/{answer['kind']}?")
        page = parse(_get(site, href).text)
        assert words(by_id(page, "total").text).startswith(f"{answer['count']:,} "), href
        assert _get(site, href + "&format=json").json()["total"] == answer["count"]


def test_each_row_links_to_its_records(site: Site) -> None:
    decisions = table_rows(parse(_get(site, "/decisions?limit=5").text), "records")
    first = _api(site, "decisions", {}, KeyRole.AUDITOR)["items"][0]
    assert decisions[0][1].links() == [f"/decisions/{first['id']}?actor={first['actor_id']}"]
    assert decisions[0][7].links() == [f"/encounters/{first['encounter_id']}"]
    events = table_rows(parse(_get(site, "/events?flag=decision_denied&limit=5").text), "records")
    event = _api(site, "events", {"flag": "decision_denied"}, KeyRole.AUDITOR)["items"][0]
    assert events[0][6].links() == [f"/decisions/{event['decision_id']}?actor={event['actor_id']}"]
    assert events[0][8].links() == [f"/encounters/{event['encounter_id']}"]
    assert words(events[0][7].text) == f"Flagged: decision_denied {EVENT_FLAGS['decision_denied']}"
    encounters = table_rows(parse(_get(site, "/encounters?limit=5").text), "records")
    one = _api(site, "encounters", {}, KeyRole.AUDITOR)["items"][0]
    assert encounters[0][1].links() == [f"/encounters/{one['id']}?unit={one['unit']}"]


def test_instants_are_eastern_with_their_offset(site: Site) -> None:
    rows = table_rows(parse(_get(site, "/decisions?limit=3").text), "records")
    first = _api(site, "decisions", {}, KeyRole.AUDITOR)["items"][0]
    moment = datetime.fromisoformat(first["at"])
    time = rows[0][0].find_all("time")[0]
    assert time.attrs["datetime"] == moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert words(time.text) == moment.astimezone(EASTERN).strftime("%Y-%m-%d %H:%M -04:00")
