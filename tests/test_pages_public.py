"""``/public``, the public transparency page (issue 11, item 2): no key needed, the same for
everyone; aggregates naming their checkpoint; no count from 1 to 10 visible anywhere (page,
JSON, CSV); totals consistent; and the attacker of ``table_attacker`` recovers no hidden
cell of the demo's published tables from their margins."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest

from conftest import BACKENDS, database_url
from liaison.gateway.roles import KeyRole
from liaison.reports import public_tables, report_run
from liaison.reports.council_sheet import NESTED
from liaison.reports.public_tables import spreadsheet_safe
from liaison.web.cache import CACHE
from site_fixture import Site, demo_site
from table_attacker import recovered

HTML = {"Accept": "text/html"}
HIDDEN = ("<11", "withheld")


@pytest.fixture(scope="module", params=BACKENDS)
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("pages-public")
    for url in database_url(request.param, folder):
        with demo_site(folder, url) as built:
            yield built


class Cells(HTMLParser):
    """The text of every cell of every ``table.public-table``, and the suppressed ones."""

    def __init__(self) -> None:
        super().__init__()
        self.tables = 0
        self.captions = 0
        self.inside = False
        self.cell: list[str] | None = None
        self.cells: list[str] = []
        self.suppressed: list[str] = []
        self.classes = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        got = dict(attrs)
        if tag == "table" and "public-table" in (got.get("class") or "").split():
            self.tables += 1
            self.inside = True
        elif tag == "caption" and self.inside:
            self.captions += 1
        elif tag == "td" and self.inside:
            self.cell, self.classes = [], got.get("class") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.inside = False
        elif tag == "td" and self.cell is not None:
            text = "".join(self.cell).strip()
            self.cells.append(text)
            if "suppressed" in self.classes.split():
                self.suppressed.append(text)
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def visible_count(text: str) -> int | None:
    """A cell's text as a count (``1,234``), or None (not a count)."""
    return int(text.replace(",", "")) if re.fullmatch(r"[\d,]+", text) else None


def counts_in(value: Any) -> Iterator[Any]:
    """Every number or hidden mark in the JSON's tables and answers."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key not in ("checkpoint", "period", "suppressed"):
                yield from counts_in(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from counts_in(inner)
    elif (isinstance(value, int) and not isinstance(value, bool)) or value in HIDDEN:
        yield value


def test_the_page_needs_no_key_and_hides_every_small_count(site: Site) -> None:
    page = site.client.get("/public", headers=HTML)
    assert page.status_code == 200, page.text
    cells = Cells()
    cells.feed(page.text)
    assert cells.tables == 6
    assert cells.captions == 6
    assert set(cells.suppressed) == set(HIDDEN)  # the demo has both kinds
    for text in cells.cells:
        count = visible_count(text)
        assert count is None or not 1 <= count <= 10, text
        if count is None:
            assert text in HIDDEN or text in ("yes", "no"), text
    assert 'aria-describedby="legend-small"' in page.text
    assert "A count from 1 to 10, not shown" in page.text


def test_each_table_names_its_checkpoint_and_period(site: Site) -> None:
    latest = site.services.gateway.ledger.latest_checkpoint()
    assert latest is not None
    data = site.client.get("/public?format=json").json()
    assert data["checkpoint"]["size"] == latest.size
    assert data["period"] == {"from": None, "to": None}
    page = site.client.get("/public", headers=HTML).text
    assert data["checkpoint"]["root"] in page
    assert page.count(f"(checkpoint of {latest.size:,} records)") == 6


def test_json_and_csv_show_no_small_count(site: Site) -> None:
    data = site.client.get("/public?format=json").json()
    for value in counts_in(data):
        assert value in HIDDEN or not 1 <= value <= 10, value
    for table in [*(t["id"] for t in data["tables"]), "council"]:
        for got in (
            site.client.get(f"/public/{table}.csv"),
            site.client.get(f"/public?format=csv&table={table}"),
        ):
            assert got.status_code == 200, got.text
            assert got.headers["content-type"].startswith("text/csv")
            rows = list(csv.reader(io.StringIO(got.text)))
            for row in rows[1:]:
                for text in row:
                    count = visible_count(text)
                    assert count is None or not 1 <= count <= 10, (table, row)


def _grid(table: dict[str, Any]) -> list[list[Any]]:
    rows = [
        [*cells, total] for cells, total in zip(table["cells"], table["row_totals"], strict=True)
    ]
    return [*rows, [*table["column_totals"], table["total"]]]


def test_shown_totals_add_up(site: Site) -> None:
    for table in site.client.get("/public?format=json").json()["tables"]:
        grid = _grid(table)
        for line in [*grid, *map(list, zip(*grid, strict=True))]:
            if all(isinstance(v, int) for v in line):
                assert sum(line[:-1]) == line[-1], (table["id"], line)


def test_no_hidden_cell_of_the_demo_can_be_recovered(site: Site) -> None:
    gateway = site.services.gateway
    where = report_run.scope(gateway.ledger, gateway.policy, {}, None)
    real = public_tables.build(where, gateway.index)
    served = {t["id"]: t for t in site.client.get("/public?format=json").json()["tables"]}
    hidden = 0
    for table in real.tables:
        counts = table.published.table
        truth = [[counts.value((i, j)) for j in range(len(counts.columns) + 1)]
                 for i in range(len(counts.rows) + 1)]  # fmt: skip
        published = _grid(served[table.id])
        hidden += sum(v in HIDDEN for row in published for v in row)
        assert recovered(published, truth) == [], table.id
    assert hidden > 0


def test_the_councils_counts_are_published_as_the_start_page_publishes_them(site: Site) -> None:
    public = site.client.get("/public?format=json").json()
    council = {a["id"]: a["count"] for a in public["council"]}
    home = site.client.get("/?format=json").json()["sheet"]["answers"]
    assert council == {a["id"]: a["count"] for a in home}  # one period with the demo
    for part, whole in NESTED:
        if isinstance(council[part], int) and isinstance(council[whole], int):
            assert not 1 <= council[whole] - council[part] <= 10, (part, whole)


def test_a_key_changes_nothing(site: Site) -> None:
    anonymous = site.client.get("/public?format=json").json()
    for role in KeyRole:
        assert site.client.get("/public?format=json", headers=site.bearer(role)).json() == (
            anonymous
        )
    main = re.compile(r"<main.*</main>", re.S)
    plain = main.findall(site.client.get("/public", headers=HTML).text)
    keyed = main.findall(
        site.client.get("/public", headers={**HTML, **site.bearer(KeyRole.AUDITOR)}).text
    )
    assert plain == keyed


def test_the_figures_are_kept_per_checkpoint_and_period(site: Site) -> None:
    CACHE.clear()
    site.client.get("/public?format=json")
    size = site.services.gateway.ledger.latest_checkpoint().size  # type: ignore[union-attr]
    assert [k for k in CACHE._values if k[0] == "public" and k[1] == size]
    period = "?from=2025-09-01T00:00:00-04:00&format=json"
    later = site.client.get("/public" + period).json()
    assert later["period"]["from"] == "2025-09-01T00:00:00-04:00"
    assert len([k for k in CACHE._values if k[0] == "public"]) == 2


def test_a_reader_served_from_the_cache_reads_no_list_of_checkpoints(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = site.client.get("/public?format=json")
    assert first.status_code == 200

    def listed() -> None:
        raise AssertionError("the kept checkpoints were listed for a cached page")

    monkeypatch.setattr(site.services.gateway.ledger, "checkpoints", listed)
    again = site.client.get("/public?format=json")
    assert again.status_code == 200
    assert again.json() == first.json()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("/public?format=csv", "table"),
        ("/public?format=csv&table=people", "table"),
        ("/public/people.csv", "table"),
        ("/public?from=yesterday", "from"),
        ("/public?from=2025-09-01T00:00:01-04:00", "from"),
        ("/public?to=2025-09-15T00:00:00-04:00", "to"),
        ("/public?format=xml", "format"),
    ],
)
def test_bad_input_is_refused_naming_the_field(site: Site, query: str, field: str) -> None:
    got = site.client.get(query)
    assert got.status_code == 422, got.text
    assert got.json()["error"]["field"] == field
    assert got.json()["error"]["message"].startswith(f"{field}:"), got.json()


def test_csv_cells_are_safe_in_a_spreadsheet() -> None:
    rows = spreadsheet_safe([["=1+1", "+x", "-2", "@a", "ok", 5, "2025-08"]])
    assert rows == [["'=1+1", "'+x", "'-2", "'@a", "ok", 5, "2025-08"]]
