"""The charts (issue 11, item 1; docs/pages.md, "Charts: `/charts`"): the series counts
what the
records hold (checked against the API's own list of decisions), in Eastern days; the
directive changes appear; the SVG is XML with a title, a description and links that answer;
the role rules; bad parameters named; the warm-up after a checkpoint."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from liaison.gateway.auth import Principal
from liaison.gateway.roles import KeyRole
from liaison.reports.series_hours import HOURS, count
from liaison.web import warmup
from liaison.web.cache import CACHE
from liaison.web.charts import WARM_READER
from liaison.web.charts_values import Ask, reader_scope
from scratch_db import scratch_database
from site_fixture import Site, demo_site

HTML = {"Accept": "text/html,application/xhtml+xml"}
SVG = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}href"
PERIOD = {"from": "2025-08-01", "to": "2025-09-30", "step": "day"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with demo_site(tmp_path_factory.mktemp("pages-charts")) as built:
        yield built


@pytest.fixture(scope="module")
def pg_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The demo on PostgreSQL (hours are cut by ``to_char`` there, by ``substr`` on SQLite)."""
    server = os.environ.get("LIAISON_TEST_PG_URL")
    if not server:
        pytest.skip("PostgreSQL not available (run through `make test`)")
    folder = tmp_path_factory.mktemp("pages-charts-pg")
    with scratch_database(server) as url, demo_site(folder, url) as built:
        yield built


def chart_json(
    site: Site, role: KeyRole | dict[str, str] = KeyRole.AUDITOR, **params: str
) -> dict[str, Any]:
    """The chart's data as ``role`` (or the key of those headers) reads it."""
    headers = site.bearer(role) if isinstance(role, KeyRole) else role
    got = site.client.get("/charts", params={**params, "format": "json"}, headers=headers)
    assert got.status_code == 200, got.text
    found: dict[str, Any] = got.json()
    return found


def listed(site: Site, role: KeyRole | dict[str, str], **params: str) -> list[dict[str, Any]]:
    """Every decision the API lists to ``role`` (or the key of ``headers``; all pages)."""
    headers = site.bearer(role) if isinstance(role, KeyRole) else role
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, "limit": "1000", **({"cursor": cursor} if cursor else {})}
        got = site.client.get("/v1/decisions", params=query, headers=headers)
        assert got.status_code == 200, got.text
        items += got.json()["items"]
        cursor = got.json()["next_cursor"]
        if cursor is None:
            return items


def by_day(items: list[dict[str, Any]]) -> Counter[tuple[str, str, str]]:
    """(Eastern day, action, outcome) of each decision: the day as the API renders ``at``
    (in the pack's zone, with its offset)."""
    return Counter((i["at"][:10], i["action"], i["decision"]) for i in items)


def key_of_a_demo_actor(site: Site, role: KeyRole, window: dict[str, str]) -> dict[str, str]:
    """A key of ``role`` for an officer of the demo (a supervisor: of that officer's unit)."""
    if role is KeyRole.AUDITOR:
        return site.bearer(role)
    some = listed(site, KeyRole.AUDITOR, **window)[0]
    actor = some["actor_id"] if role is KeyRole.OFFICER else f"sup-of-{some['unit']}"
    key, _ = site.services.keys.create(role, actor, some["unit"])
    return {"Authorization": f"Bearer {key}"}


@pytest.mark.parametrize("role", [KeyRole.AUDITOR, KeyRole.OFFICER, KeyRole.SUPERVISOR])
def test_the_series_counts_what_the_api_lists_to_the_same_reader(site: Site, role: KeyRole) -> None:
    window = {"from": "2025-08-01T00:00:00-04:00", "to": "2025-10-01T00:00:00-04:00"}
    reader = key_of_a_demo_actor(site, role, window)
    found = chart_json(site, reader, **PERIOD)
    expected = by_day(listed(site, reader, **window))
    got = Counter(
        {(r["first_day"], r["action"], r["decision"]): r["count"] for r in found["series"]}
    )
    assert got == expected
    assert sum(expected.values()) > 0
    per_bucket = {(r["first_day"], o): r[o] for r in found["buckets"] for o in ("permit", "deny")}
    for (day, _, outcome), n in expected.items():
        assert per_bucket[(day, outcome)] >= n
    assert sum(per_bucket.values()) == sum(expected.values())


@pytest.mark.parametrize("role", [KeyRole.AUDITOR, KeyRole.OFFICER, KeyRole.SUPERVISOR])
def test_on_postgresql_the_series_counts_what_the_api_lists(pg_site: Site, role: KeyRole) -> None:
    test_the_series_counts_what_the_api_lists_to_the_same_reader(pg_site, role)


def test_weeks_and_months_add_up_to_the_days(site: Site) -> None:
    days = chart_json(site, **PERIOD)
    weeks = chart_json(site, **{**PERIOD, "step": "week"})
    months = chart_json(site, **{**PERIOD, "step": "month"})
    total = sum(r["count"] for r in days["series"])
    assert sum(r["count"] for r in weeks["series"]) == total
    assert [r["first_day"] for r in months["buckets"]] == ["2025-08-01", "2025-09-01"]
    assert weeks["buckets"][1]["first_day"] == "2025-08-04"  # a Monday
    assert sum(r["permit"] + r["deny"] for r in months["buckets"]) == total


def test_the_step_follows_the_range_when_not_asked(site: Site) -> None:
    assert chart_json(site, **{"from": "2025-08-01", "to": "2025-09-30"})["step"] == "day"
    assert chart_json(site, **{"from": "2025-01-01", "to": "2025-12-31"})["step"] == "week"
    assert chart_json(site, **{"from": "2023-01-01", "to": "2025-12-31"})["step"] == "month"


def test_the_default_period_is_the_90_days_ending_on_the_newest_decision(site: Site) -> None:
    found = chart_json(site)
    newest = max(i["at"][:10] for i in listed(site, KeyRole.AUDITOR))
    assert found["period"]["to"] == newest
    assert len(found["buckets"]) == 90


def decide_inquiry(site: Site, request_id: str, at: str) -> str:
    """Record one NCIC inquiry by officer-1 at ``at`` through the API; its decision."""
    request = {
        "id": request_id,
        "at": at,
        "view": "mpd",
        "actor": {"id": "officer-1", "agency": "MPD", "role": "officer", "unit": "1D"},
        "action": "database_inquiry",
        "purposes": ["criminal_investigation"],
        "subject": {"id": "person-1", "custody": "stopped"},
        "database": "NCIC",
        "initiative": "proactive",
        "legal_process": "none",
    }
    got = site.client.post("/v1/decisions", json=request, headers=site.bearer(KeyRole.OFFICER))
    assert got.status_code in (200, 201), got.text
    return str(got.json()["decision"]["decision"])


def test_a_decision_at_0230z_counts_on_the_eastern_day_before(site: Site) -> None:
    decision = decide_inquiry(site, "late-evening-1", "2025-10-15T02:30:00Z")
    site.services.gateway.ledger.checkpoint()
    found = chart_json(site, **{"from": "2025-10-14", "to": "2025-10-15"})
    counts = {r["first_day"]: r["permit"] + r["deny"] for r in found["buckets"]}
    assert counts == {"2025-10-14": 1, "2025-10-15": 0}
    bucket = found["buckets"][0]
    assert bucket["first_day"] == "2025-10-14"
    link = parse_qs(urlsplit(bucket[f"{decision}_href"]).query)
    assert link["from"] == ["2025-10-14T00:00:00-04:00"]
    assert link["to"] == ["2025-10-15T00:00:00-04:00"]


def test_the_directive_changes_of_the_period_appear(site: Site) -> None:
    mpd = chart_json(site, **PERIOD)["directive_changes"]
    assert mpd["view"] == "mpd"
    seen = {(c["directive"], c["change"]) for c in mpd["changes"]}
    assert {("EO-25-005", "effective"), ("EO-14333", "expired")} <= seen
    assert ("MPD-PRIOR-POLICY", "superseded") in seen
    doj = chart_json(site, **{**PERIOD, "view": "doj"})["directive_changes"]
    assert ("EO-25-005", "rescinded") in {(c["directive"], c["change"]) for c in doj["changes"]}
    assert next(c for c in mpd["changes"] if c["directive"] == "EO-25-005")["at"].startswith(
        "2025-08-14T00:00:00-04:00"
    )
    page = site.client.get(
        "/charts", params=PERIOD, headers={**HTML, **site.bearer(KeyRole.AUDITOR)}
    )
    assert 'id="directive-changes"' in page.text
    assert "EO-25-005 effective" in page.text  # the line's label in the chart


def svg_of(site: Site, **params: str) -> ET.Element:
    got = site.client.get(
        "/charts/actions.svg", params=params, headers=site.bearer(KeyRole.AUDITOR)
    )
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("image/svg+xml")
    return ET.fromstring(got.content)


def test_the_svg_is_xml_with_a_title_a_description_and_links(site: Site) -> None:
    root = svg_of(site, **PERIOD)
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None
    assert "per day, 2025-08-01 to 2025-09-30" in (title.text or "")
    assert desc is not None
    assert "directive changes" in (desc.text or "")
    links = [a.get(XLINK) or "" for a in root.iter(f"{SVG}a")]
    assert len(links) == 2 * 61  # a permit and a deny bar per day
    assert all(a.startswith("/decisions?") for a in links)
    assert not any(e.get("style") for e in root.iter())  # the pages' CSP refuses styles
    assert root.find(f"{SVG}style") is None
    texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "Eastern dates" in texts
    assert "2025-08-" in texts  # text stays text


def test_the_bars_link_to_the_decisions_behind_them(site: Site) -> None:
    found = chart_json(site, **PERIOD)
    busiest = max(found["buckets"], key=lambda r: r["permit"])
    query = parse_qs(urlsplit(busiest["permit_href"]).query)
    assert query["decision"] == ["permit"]
    api = {k: v[0] for k, v in query.items()}
    assert len(listed(site, KeyRole.AUDITOR, **api)) == busiest["permit"]
    page = site.client.get(busiest["permit_href"], headers={**HTML, **site.bearer(KeyRole.AUDITOR)})
    assert page.status_code in (200, 404)  # 200 once the decisions list is merged


def test_the_svg_is_deterministic(site: Site) -> None:
    CACHE.clear()
    first = ET.tostring(svg_of(site, **PERIOD))
    CACHE.clear()
    assert ET.tostring(svg_of(site, **PERIOD)) == first


def test_the_page_inlines_the_chart_beside_the_numbers(site: Site) -> None:
    page = site.client.get(
        "/charts", params=PERIOD, headers={**HTML, **site.bearer(KeyRole.AUDITOR)}
    )
    assert page.status_code == 200
    text = page.text
    assert text.count("<h1>") == 1
    assert 'role="graphics-document"' in text
    assert 'aria-labelledby="chart-title"' in text
    assert '<table id="series">' in text
    assert "<caption>" in text
    assert '<th scope="row">2025-08-14</th>' in text
    assert 'href="/decisions?from=2025-08-14T00%3A00%3A00-04%3A00' in text
    for name in ("from", "to", "view", "action", "step"):
        assert f'<label for="{name}">' in text
    csv = site.client.get(
        "/charts", params={**PERIOD, "format": "csv"}, headers=site.bearer(KeyRole.AUDITOR)
    )
    assert csv.text.startswith("first_day,last_day,from,to,action,decision,count\r\n")


def test_only_readers_of_records_see_the_charts(site: Site) -> None:
    for path in ("/charts", "/charts/actions.svg"):
        anonymous = site.client.get(path, headers=HTML, follow_redirects=False)
        assert anonymous.status_code == 303
        assert anonymous.headers["location"].startswith("/signin?next=")
        for role in (KeyRole.ADMIN, KeyRole.PUBLIC):
            assert site.client.get(path, headers=site.bearer(role)).status_code == 403
        for role in (KeyRole.OFFICER, KeyRole.SUPERVISOR, KeyRole.AUDITOR):
            assert site.client.get(path, headers=site.bearer(role)).status_code == 200


def test_an_officer_counts_only_their_own_records(site: Site) -> None:
    window = {"from": "2025-08-01T00:00:00-04:00", "to": "2025-10-01T00:00:00-04:00"}
    everyone = chart_json(site, KeyRole.AUDITOR, **PERIOD)
    officer = chart_json(site, key_of_a_demo_actor(site, KeyRole.OFFICER, window), **PERIOD)
    mine = sum(r["count"] for r in officer["series"])
    assert 0 < mine < sum(r["count"] for r in everyone["series"])


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "yesterday"}, "from"),
        ({"to": "2025-13-01"}, "to"),
        ({"from": "2025-09-01", "to": "2025-08-01"}, "to"),
        ({"view": "nobody"}, "view"),
        ({"action": "teleport"}, "action"),
        ({"step": "hour"}, "step"),
        ({"from": "2015-01-01", "to": "2025-12-31", "step": "day"}, "step"),
        ({"colour": "red"}, "colour"),
        ({"format": "pdf"}, "format"),
    ],
)
def test_a_bad_parameter_is_refused_naming_it(
    site: Site, params: dict[str, str], field: str
) -> None:
    for path in ("/charts", "/charts/actions.svg"):
        got = site.client.get(path, params=params, headers=site.bearer(KeyRole.AUDITOR))
        if path.endswith(".svg") and field == "format":
            continue  # the SVG has one format
        assert got.status_code == 422, (path, got.text)
        assert got.json()["error"]["field"] == field


def test_after_a_checkpoint_the_cache_holds_the_default_chart(site: Site) -> None:
    CACHE.clear()
    stored = site.services.gateway.ledger.latest_checkpoint()
    assert stored is not None
    assert warmup.warm(site.services, stored) == []
    key = ("charts", stored.size, reader_scope(WARM_READER), Ask())
    assert key in CACHE
    assert ("charts.svg", stored.size, ("auditor",), Ask()) in CACHE
    another = Principal("k", KeyRole.AUDITOR, "someone-else", None)
    assert reader_scope(another) == reader_scope(WARM_READER)  # every auditor reads it


def test_a_failing_warmer_is_logged_and_the_others_still_run(site: Site) -> None:
    stored = site.services.gateway.ledger.latest_checkpoint()
    assert stored is not None
    ran: list[int] = []

    def broken(*_: Any) -> None:
        raise RuntimeError("no")

    warmup.WARMERS["a-broken-one"] = broken
    warmup.WARMERS["after-it"] = lambda _svc, cp: ran.append(cp.size)
    try:
        assert warmup.warm(site.services, stored) == ["a-broken-one"]
        assert ran == [stored.size]
    finally:
        del warmup.WARMERS["a-broken-one"], warmup.WARMERS["after-it"]


def test_the_kept_hour_counts_stop_at_their_checkpoint_and_grow_with_the_next(site: Site) -> None:
    """``series_hours.HOURS`` counts the entries of a checkpoint's tree only: a decision
    recorded after it is left out (even when the counts are first made after it was
    recorded), and added when the next checkpoint extends the kept counts."""
    gw = site.services.gateway
    size = gw.ledger.checkpoint().size
    decide_inquiry(site, "hours-after-the-checkpoint", "2025-08-20T16:00:00Z")
    HOURS.clear()
    kept = HOURS.counts(gw.db, size)
    assert kept.counts() == count(gw.db, 0, size)
    hour = datetime(2025, 8, 20, 16, tzinfo=UTC)
    before = sum(n for h, *_, n in kept.rows if h == hour)
    grown = HOURS.counts(gw.db, gw.ledger.checkpoint().size)
    assert sum(n for h, *_, n in grown.rows if h == hour) == before + 1
    assert sum(grown.counts().values()) == sum(kept.counts().values()) + 1
    assert grown.counts() == count(gw.db, 0, grown.size)
