"""``/directives`` and ``/directives/{id}`` (issue 11, item 1; docs/pages.md, "Directives:
`/directives`, `/directives/{id}`"): the pack's real directives over time under each view,
with issuer and authority; a directive's sections, policies, chain of authority and when it
was in force, agreeing with the engine and ``liaison directives in-force``; an unknown one
is a 404 naming it. Everyone may read them."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from conftest import cli_runner
from liaison.gateway.roles import KeyRole
from liaison.policy import Engine as PolicyEngine
from liaison.policy.in_force import boundaries
from liaison.reports import directive_changes, directive_timeline
from site_fixture import ORIGIN, Site, demo_site

HTML = {"Accept": "text/html"}
ROLES = [None, *KeyRole]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with demo_site(tmp_path_factory.mktemp("pages-directives")) as built:
        yield built


def _get(site: Site, path: str, role: KeyRole | None = None, **headers: str) -> Any:
    auth = {} if role is None else site.bearer(role)
    return site.client.get(path, headers={**headers, **auth})


@pytest.mark.parametrize("role", ROLES)
def test_everyone_reads_the_directives(site: Site, role: KeyRole | None) -> None:
    for path in ("/directives", "/directives/EO-25-005"):
        got = _get(site, path, role, **HTML)
        assert got.status_code == 200, (path, role)
        assert got.text.count("<h1") == 1


@pytest.mark.parametrize("view", ["mpd", "doj"])
def test_the_timeline_and_the_charts_marks_name_the_same_changes(
    policy: PolicyEngine, view: str
) -> None:
    """The two derivations of a directive's changes (the timeline's, from its in-force
    intervals; the charts', ``directive_changes``) agree for every directive the view
    recognises; the timeline alone lists the others (issued, never in force)."""
    pack = policy.pack
    rows = next(v for v in directive_timeline.timeline(policy)["views"] if v["view"] == view)
    recognised = pack.views[view].recognised
    timeline = {
        (r["at"], r["directive"], r["event"].replace("partly superseded", "superseded in part"))
        for r in rows["events"]
        if r["directive"] in recognised
    }
    ever = (datetime(1900, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC))
    marks = {
        (c.to_dict(pack)["at"], c.directive, c.change.replace("_", " "))
        for c in directive_changes.changes(pack, view, *ever)
    }
    assert timeline == marks
    assert len(marks) > 10


def test_the_timeline_has_a_table_per_view_ordered_by_date(site: Site) -> None:
    data = _get(site, "/directives?format=json").json()
    assert [v["view"] for v in data["views"]] == ["mpd", "doj"]
    for view in data["views"]:
        instants = [datetime.fromisoformat(e["at"]) for e in view["events"]]
        assert instants == sorted(instants)
        assert {e["directive"] for e in view["events"]} >= {"EO-25-005", "MO-2025-090"}
    page = _get(site, "/directives", **HTML).text
    for name in ("mpd", "doj"):
        assert f'<table class="timeline" id="timeline-{name}">' in page
    assert 'href="/directives/EO-25-005"' in page
    assert "Chief of Police, Metropolitan Police Department" in page
    assert "<script" not in page  # readable without JavaScript


def _events(data: dict[str, Any], view: str, directive: str) -> list[tuple[str, str]]:
    rows = next(v["events"] for v in data["views"] if v["view"] == view)
    return [(e["at"], e["event"]) for e in rows if e["directive"] == directive]


def test_the_timeline_says_what_happened_under_each_view(site: Site) -> None:
    data = _get(site, "/directives?format=json").json()
    assert _events(data, "mpd", "EO-25-005") == [
        ("2025-08-14T00:00:00-04:00", "issued"),
        ("2025-08-14T00:00:00-04:00", "effective"),
    ]
    assert ("2025-08-14T21:00:00-04:00", "rescinded") in _events(data, "doj", "EO-25-005")
    assert ("2025-08-14T21:00:00-04:00", "not recognised") in _events(
        data, "mpd", "AG-ORDER-2025-08-14"
    )
    assert ("2025-09-10T00:00:00-04:00", "lapsed") in _events(
        data, "doj", "AG-DIRECTIVE-2025-08-15"
    )
    assert ("2025-09-10T00:00:00-04:00", "expired") in _events(data, "mpd", "EO-14333")
    assert ("2025-08-14T00:00:00-04:00", "superseded") in _events(data, "mpd", "MPD-PRIOR-POLICY")
    assert set(data["contested"]) == {"EO-25-005", "AG-ORDER-2025-08-14", "AG-DIRECTIVE-2025-08-15"}
    assert data["contested"]["AG-ORDER-2025-08-14"]["mpd"] == []


def test_the_timeline_as_csv(site: Site) -> None:
    got = _get(site, "/directives?format=csv")
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(got.text)))
    assert {r["view"] for r in rows} == {"mpd", "doj"}
    eo = [r for r in rows if r["directive"] == "EO-25-005" and r["view"] == "doj"]
    assert [r["event"] for r in eo] == ["issued", "effective", "rescinded"]
    assert eo[0]["href"] == "/directives/EO-25-005"


def test_a_directive_page_shows_its_sections_policies_and_authority(site: Site) -> None:
    page = _get(site, "/directives/EO-25-005", **HTML).text
    assert "<h1>EO-25-005: Immigration Enforcement</h1>" in page
    for label in ("E1", "E2", "E3", "E7"):
        assert f'id="section-{label}"' in page
    assert "Quoted" in page
    assert "Paraphrased" in page
    assert "sharing information about persons not in MPD custody" in page
    assert "permit (principal, action == Liaison::Action::&#34;share_information&#34;" in page
    assert "Pamela A. Smith" in page
    data = _get(site, "/directives/EO-25-005?format=json").json()
    assert data["issuer"] == "Chief of Police, Metropolitan Police Department"
    assert data["authority_roots"]
    assert "file" not in data


def test_the_authority_chain_goes_up_to_the_law_outside_the_pack(site: Site) -> None:
    data = _get(site, "/directives/AG-DIRECTIVE-2025-08-15?format=json").json()
    links = data["authority_links"]
    assert links[0]["depth"] == 1
    assert links[0]["directive"] == "EO-14333"
    assert any(link["external"] and "Home Rule Act" in link["external"] for link in links)
    page = _get(site, "/directives/AG-DIRECTIVE-2025-08-15", **HTML).text
    assert 'href="/directives/EO-14333"' in page
    assert "(law outside the pack)" in page


def _inside(spans: list[dict[str, str | None]], moment: datetime) -> bool:
    for span in spans:
        start = datetime.fromisoformat(span["from"] or "0001-01-01T00:00:00+00:00")
        end = span["until"]
        if start <= moment and (end is None or moment < datetime.fromisoformat(end)):
            return True
    return False


def test_in_force_intervals_agree_with_the_engine(site: Site) -> None:
    policy = site.services.gateway.current_policy()
    pack = policy.pack
    bounds = boundaries(pack)
    moments = [b + d for b in bounds for d in (timedelta(0), timedelta(hours=-1))]
    for ident in pack.directives:
        data = _get(site, f"/directives/{ident}?format=json").json()
        for view in pack.views:
            spans = data["in_force"][view]["intervals"]
            for moment in moments:
                status = next(s for s in policy.statuses(moment, view) if s.directive.id == ident)
                assert _inside(spans, moment) == status.in_force, (ident, view, moment)


@pytest.mark.parametrize(
    ("at", "view"),
    [
        ("2025-08-14T12:00:00-04:00", "mpd"),
        ("2025-08-14T22:00:00-04:00", "doj"),
        ("2025-08-20T12:00:00-04:00", "doj"),
        ("2025-09-15T12:00:00-04:00", "mpd"),
        ("2025-09-15T12:00:00-04:00", "doj"),
    ],
)
def test_in_force_intervals_agree_with_the_cli(site: Site, at: str, view: str) -> None:
    cli = cli_runner(site.url, site.folder, ORIGIN)
    got = cli("directives", "in-force", "--at", at, "--view", view, "--json")
    assert got.exit_code == 0, got.output
    in_force = set(json.loads(got.output)["in_force"])
    assert "DC-CODE-24-211.07" in in_force
    moment = datetime.fromisoformat(at)
    pages = {
        ident: _get(site, f"/directives/{ident}?format=json").json()["in_force"][view]
        for ident in site.services.gateway.current_policy().pack.directives
    }
    assert {i for i, s in pages.items() if _inside(s["intervals"], moment)} == in_force


def test_in_force_times_are_eastern_with_their_offset(site: Site) -> None:
    page = _get(site, "/directives/EO-25-005", **HTML).text
    table = page[page.index('<table id="in-force">') : page.index("</table>")]
    assert '<time datetime="2025-08-15T01:00:00Z">2025-08-14 21:00 -04:00</time>' in table
    assert "onwards" in table  # in force under mpd to this day


def test_an_unknown_directive_is_a_404_naming_it(site: Site) -> None:
    page = _get(site, "/directives/EO-99-999", **HTML)
    assert page.status_code == 404
    assert "EO-99-999" in page.text
    assert "EO-25-005" in page.text
    api = _get(site, "/directives/EO-99-999?format=json")
    assert api.status_code == 404
    assert "EO-99-999" in api.json()["error"]["message"]


def test_a_format_the_page_has_not_is_refused_naming_it(site: Site) -> None:
    got = _get(site, "/directives?format=pdf")
    assert got.status_code == 422
    assert got.json()["error"]["field"] == "format"


def test_the_timeline_is_drawn_on_the_server_for_each_view(site: Site) -> None:
    page = _get(site, "/directives", **HTML).text
    drawn = dict(re.findall(r'aria-labelledby="timeline-svg-(\w+)-title">(.*?)</svg>', page))
    assert set(drawn) == {"mpd", "doj"}
    doj_eo = "<title>EO-25-005: in force from 2025-08-14 00:00 -04:00 until 2025-08-14 21:00"
    assert doj_eo in drawn["doj"]
    assert "<title>EO-25-005: in force from 2025-08-14 00:00 -04:00 onwards" in drawn["mpd"]
    assert "AG-ORDER-2025-08-14" in drawn["doj"]
    assert "AG-ORDER-2025-08-14" not in drawn["mpd"]  # never in force under mpd
