"""The reports as pages (issue 11, item 1; docs/pages.md, section Reports): each report renders
in the site's layout with the checkpoint it counts up to; its numbers are the API's for the
same options; its counts link to the records behind them; its downloads are the API's
renderings with their media types; auditors only; bad options are a 422 page naming the
field; a report is computed once per checkpoint and options."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from markupsafe import escape

from liaison.gateway.roles import KeyRole
from liaison.reports import report_run
from liaison.reports.catalog import CATALOG
from liaison.web.cache import CACHE
from liaison.web.links import page_of_query
from site_fixture import Site, demo_site

HTML = {"Accept": "text/html,application/xhtml+xml"}
# Dates on the page are midnight in the pack's zone (Eastern); the API takes the instants.
PAGE_PERIOD = {"from": "2025-08-01", "to": "2025-11-01"}
API_PERIOD = {"from": "2025-08-01T00:00:00-04:00", "to": "2025-11-01T00:00:00-04:00"}
GENERATED = re.compile(r"generated [^<]+")
OPTIONS: dict[str, dict[str, str]] = {"before-after": {"days": "30"}}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with demo_site(tmp_path_factory.mktemp("pages-reports")) as built:
        yield built


def auditor(site: Site) -> dict[str, str]:
    return {**HTML, **site.bearer(KeyRole.AUDITOR)}


def without_time(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "generated_at"}


def test_the_list_names_every_report_with_a_link(site: Site) -> None:
    page = site.client.get("/reports", headers=auditor(site))
    assert page.status_code == 200
    for e in CATALOG.values():
        assert f'<a href="/reports/{e.name}">{escape(e.title)}</a>' in page.text
    listed = site.client.get("/reports?format=json", headers=auditor(site)).json()
    assert [r["name"] for r in listed["reports"]] == list(CATALOG)
    assert all(r["answers"] for r in listed["reports"])


@pytest.mark.parametrize("name", list(CATALOG))
def test_each_report_renders_and_its_numbers_are_the_apis(site: Site, name: str) -> None:
    own = OPTIONS.get(name, {})
    page = site.client.get(f"/reports/{name}", params={**PAGE_PERIOD, **own}, headers=auditor(site))
    assert page.status_code == 200, page.text
    assert page.text.count("<h1>") == 1
    data = site.client.get(
        f"/reports/{name}", params={**PAGE_PERIOD, **own, "format": "json"}, headers=auditor(site)
    ).json()
    api = site.client.get(
        f"/v1/reports/{name}", params={**API_PERIOD, **own}, headers=site.bearer(KeyRole.AUDITOR)
    ).json()
    assert without_time(data) == without_time(api)
    size = api["checkpoint"]["size"]
    assert f'id="report-checkpoint" data-size="{size}"' in page.text
    assert api["checkpoint"]["root"] in page.text
    for table in CATALOG[name].model.model_validate(api).tables():
        assert f'<table id="{table.id}" class="report-table">' in page.text


def test_the_councils_counts_link_to_the_records_behind_them(site: Site) -> None:
    page = site.client.get("/reports/council", headers=auditor(site)).text
    api = site.client.get("/v1/reports/council", headers=site.bearer(KeyRole.AUDITOR)).json()
    linked = [a for a in api["answers"] if a.get("query")]
    assert linked, "the demo has answers with records"
    for answer in linked:
        href = html.escape(page_of_query(answer["query"]))
        assert f'<td class="num"><a href="{href}">{answer["count"]:,}</a></td>' in page
        assert href.startswith(("/decisions?", "/events?", "/encounters?"))


def test_long_id_lists_show_three_and_the_rest_on_demand(site: Site) -> None:
    page = site.client.get("/reports/council", headers=auditor(site)).text
    api = site.client.get("/v1/reports/council", headers=site.bearer(KeyRole.AUDITOR)).json()
    long = [a["ids"] for a in api["answers"] if len(a["ids"]) > 3]
    assert long, "the demo has answers with more than three records"
    for ids in long:
        summary = f"{'; '.join(ids[:3])} and {len(ids) - 3:,} more"
        assert f"<details><summary>{html.escape(summary)}</summary>" in page
        assert f"</summary>{html.escape('; '.join(ids))}</details>" in page


@pytest.mark.parametrize("fmt", ["html", "csv", "pdf", "json"])
def test_downloads_are_the_apis_renderings(site: Site, fmt: str) -> None:
    got = site.client.get(f"/reports/council?format={fmt}", headers=auditor(site))
    assert got.status_code == 200
    assert got.headers["content-type"] == report_run.MEDIA_TYPES[fmt]
    api = site.client.get(f"/v1/reports/council?format={fmt}", headers=site.bearer(KeyRole.AUDITOR))
    if fmt == "pdf":
        assert got.content.startswith(b"%PDF-")
        assert got.headers["content-disposition"] == 'attachment; filename="council.pdf"'
        assert api.content.startswith(b"%PDF-")
    elif fmt == "csv":
        assert got.text == api.text
    elif fmt == "html":  # the same document, but for when it was computed
        assert got.text.startswith("<!DOCTYPE html>")
        assert GENERATED.sub("", got.text) == GENERATED.sub("", api.text)
    else:
        assert without_time(got.json()) == without_time(api.json())


def test_the_page_links_each_download_with_its_options(site: Site) -> None:
    page = site.client.get("/reports/before-after?days=30&view=mpd", headers=auditor(site)).text
    for fmt in ("html", "csv", "pdf", "json"):
        href = f"/reports/before-after?days=30&amp;view=mpd&amp;format={fmt}"
        assert f'<a id="download-{fmt}" href="{href}">' in page


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/reports/council?from=2025-13-01", "from"),
        ("/reports/council?from=yesterday", "from"),
        ("/reports/council?from=2025-09-01&to=2025-08-01", "to"),
        ("/reports/council?view=nobody", "view"),
        ("/reports/council?days=3", "days"),
        ("/reports/before-after?days=0", "days"),
        ("/reports/council?checkpoint=x", "checkpoint"),
        ("/reports/council?checkpoint=3", "checkpoint"),
    ],
)
def test_bad_options_are_a_page_naming_the_field(site: Site, path: str, field: str) -> None:
    page = site.client.get(path, headers=auditor(site))
    assert page.status_code == 422
    assert f'role="alert">{field}: ' in page.text


def test_an_unknown_report_is_404_naming_the_reports(site: Site) -> None:
    page = site.client.get("/reports/nothing", headers=auditor(site))
    assert page.status_code == 404
    assert "council" in page.text


@pytest.mark.parametrize(
    "role", [KeyRole.OFFICER, KeyRole.SUPERVISOR, KeyRole.ADMIN, KeyRole.PUBLIC]
)
@pytest.mark.parametrize("path", ["/reports", "/reports/council", "/reports/council?format=pdf"])
def test_auditors_only(site: Site, role: KeyRole, path: str) -> None:
    assert site.client.get(path, headers={**HTML, **site.bearer(role)}).status_code == 403


def test_anonymous_readers_are_sent_to_sign_in(site: Site) -> None:
    got = site.client.get("/reports/council?view=mpd", headers=HTML, follow_redirects=False)
    assert got.status_code == 303
    assert got.headers["location"] == "/signin?next=%2Freports%2Fcouncil%3Fview%3Dmpd"


def test_a_report_is_computed_once_per_checkpoint_and_options(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    CACHE.clear()
    runs: list[str] = []
    real = report_run.run

    def counted(name: str, *args: Any, **kw: Any) -> Any:
        runs.append(name)
        return real(name, *args, **kw)

    monkeypatch.setattr(report_run, "run", counted)
    for query in ("", "", "?format=csv", "?view=mpd", "?view=mpd", "?from=2025-08-01"):
        assert site.client.get(f"/reports/review{query}", headers=auditor(site)).status_code == 200
    assert runs == ["review"] * 3
