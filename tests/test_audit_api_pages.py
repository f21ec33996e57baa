"""The audits served (issue 13, item 4): ``GET /v1/audit/...`` and the ``/audit`` pages over
the fixture's rows (tests/audit_report_fixture.py), on each backend: what auditors read, that
nobody else reads a row or a reason (counts only, small cells suppressed), paging, the
filters as query parameters, times in the agency's zone with offset, the empty state."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import audit_report_fixture as fx
from conftest import BACKENDS, database_url, running_services
from liaison.api.app import create_app
from liaison.gateway.roles import KeyRole
from page_parse import by_id, parse, table_rows

HTML = {"Accept": "text/html"}
SELF = {
    "auditor": ("auditor-1", None),
    "officer": ("officer-1", "1D"),
    "admin": ("admin-1", None),
    "public": ("public-1", None),
}
# What no reader but an auditor may see: reasons, user ids, source ids, file names.
PRIVATE = ("stolen vehicle", "HSI assist", "user-1", "imp-oakland-0001", "oakland-network-audit")


OAKLAND = [r for r in fx.complete_rows() if r.import_id == "imp-oakland"]


@dataclass
class Served:
    client: TestClient
    headers: dict[str, dict[str, str]]


def _served(url: str, folder: Path, load: bool) -> Iterator[Served]:
    with running_services(url, folder) as services:
        if load:
            fx.load(services.gateway.db)
        made = {r: services.keys.create(KeyRole(r), *SELF[r])[0] for r in SELF}
        headers = {r: {"Authorization": f"Bearer {k}"} for r, k in made.items()}
        with TestClient(create_app(services=services)) as client:
            yield Served(client, headers)


@pytest.fixture(scope="module", params=BACKENDS)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("audit-served")
    for url in database_url(request.param, folder):
        yield from _served(url, folder, load=True)


@pytest.fixture(scope="module")
def empty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("audit-empty")
    for url in database_url("sqlite", folder):
        yield from _served(url, folder, load=False)


def get(s: Served, path: str, role: str | None = "auditor", **params: Any) -> Any:
    headers = s.headers[role] if role else {}
    return s.client.get(path, params=params, headers=headers)


def test_imports_are_the_complete_ones_with_their_provenance(served: Served) -> None:
    found = get(served, "/v1/audit/imports").json()["imports"]
    complete = [i for i in fx.IMPORTS if i.ledger_index is not None]
    assert sorted(f["id"] for f in found) == sorted(i.id for i in complete)
    one = get(served, "/v1/audit/imports/imp-eugene").json()
    assert one["import"]["file_sha256"] == fx.BY_ID["imp-eugene"].sha256
    assert one["import"]["bad_rows_listed"] == [
        f"{p['file']}:{p['line']}: {p['message']}" for p in fx.BY_ID["imp-eugene"].bad_rows
    ]
    eugene = [r for r in fx.complete_rows() if r.import_id == "imp-eugene"]
    decided = {g["decision"]: g["rows"] for g in one["counts"]["decision"]}
    assert decided == Counter(r.decision for r in eugene)
    assert get(served, "/v1/audit/imports/imp-pending").status_code == 404
    assert get(served, "/v1/audit/imports/nope").json()["error"]["code"] == "not_found"


def test_rows_are_paged_once_each(served: Served) -> None:
    seen: list[tuple[str, int]] = []
    cursor = None
    while True:
        params = {"limit": 7, **({"cursor": cursor} if cursor else {})}
        body = get(served, "/v1/audit/rows", **params).json()
        assert body["total"] == len(fx.complete_rows())
        seen += [(i["import"], i["row"]) for i in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted((r.import_id, r.row) for r in fx.complete_rows())
    assert len(set(seen)) == len(seen)
    untimed = {(r.import_id, r.row) for r in fx.complete_rows() if r.at is None}
    assert set(seen[-len(untimed) :]) == untimed  # a row without a time last


def test_rows_filters_and_csv(served: Served) -> None:
    params = {"import": "imp-oakland", "finding": "yes", "format": "csv", "limit": 1000}
    answer = get(served, "/v1/audit/rows", **params)
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    expected = [
        r for r in fx.complete_rows() if r.import_id == "imp-oakland" and r.decision == "deny"
    ]
    assert answer.headers["Liaison-Total"] == str(len(expected))
    assert sorted(int(r["row"]) for r in rows) == sorted(r.row for r in expected)
    for row in rows:
        shown = datetime.fromisoformat(row["at"])
        assert shown.utcoffset() is not None
        assert shown.utcoffset().total_seconds() in (-7 * 3600, -8 * 3600)  # Pacific
    bad = get(served, "/v1/audit/rows", finding="maybe")
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "finding"


@pytest.mark.parametrize("role", ["officer", "admin", "public"])
def test_nobody_but_auditors_reads_rows(served: Served, role: str) -> None:
    for path in ("/v1/audit/rows", "/v1/audit/imports", "/v1/audit/imports/imp-eugene"):
        assert get(served, path, role).status_code == 403
    summary = get(served, "/v1/audit/summary", role)
    assert summary.status_code == 200
    assert summary.json()["public"] is True
    text = summary.text
    assert not any(p in text for p in PRIVATE)
    for table in summary.json()["tables"]:
        cells = [c for row in table["cells"] for c in row] + table["row_totals"]
        assert not [c for c in cells if isinstance(c, int) and 1 <= c <= 10]
    assert get(served, "/v1/audit/summary", None).status_code == 401


def test_an_auditors_summary_is_exact(served: Served) -> None:
    body = get(served, "/v1/audit/summary").json()
    assert body["public"] is False
    assert body["total"]["rows"] == len(fx.complete_rows())
    classes = {g["key"]: g["rows"] for g in body["by_purpose_class"]}
    assert classes == Counter(fx.purpose_class(r) for r in fx.complete_rows())
    assert "findings" not in body


# -- pages -------------------------------------------------------------------------------


def test_the_public_page_shows_suppressed_counts_only(served: Served) -> None:
    page = served.client.get("/audit", headers=HTML)
    assert page.status_code == 200
    assert not any(p in page.text for p in PRIVATE)
    root = parse(page.text)
    table = by_id(root, "public-agency-purpose")
    labels = [th.text for body in table.find_all("tbody") for th in body.find_all("th")]
    assert set(labels) == {r.agency for r in fx.complete_rows()}
    agency = table_rows(root, "public-agency-purpose")
    numbers = [c.text for r in agency for c in r if re.fullmatch(r"\d+", c.text)]
    assert numbers
    assert all(int(n) == 0 or int(n) > 10 for n in numbers)
    officer = get(served, "/audit", "officer", format="json").json()
    assert officer["public"] is True


def test_an_auditor_reads_the_report_page(served: Served) -> None:
    page = served.client.get("/audit", headers={**HTML, **served.headers["auditor"]})
    root = parse(page.text)
    denied = [r for r in fx.complete_rows() if r.decision == "deny"]
    assert len(table_rows(root, "findings")) == len(denied)
    assert len(table_rows(root, "review-queue")) == sum(
        r.decision == "review" for r in fx.complete_rows()
    )
    assert "/audit/imports/imp-eugene" in root.links()
    nav = [a.attrs.get("href") for a in root.find_all("a")]
    assert "/audit" in nav


def test_the_page_selects_rows_by_query_parameters(served: Served) -> None:
    params = {"import": "imp-oakland", "agency": "Oakland Police Department", "finding": "yes"}
    page = get(served, "/audit", **params, format="json").json()
    expected = [
        r for r in fx.complete_rows() if r.import_id == "imp-oakland" and r.decision == "deny"
    ]
    assert page["total"]["rows"] == len(expected) == len(page["findings"])
    headers = {**HTML, **served.headers["auditor"]}
    html = served.client.get("/audit", params=params, headers=headers).text
    rows = table_rows(parse(html), "rows")
    assert {int(r[1].text) for r in rows} == {r.row for r in expected}
    csv_rows = list(csv.DictReader(io.StringIO(get(served, "/audit", **params, format="csv").text)))
    assert len(csv_rows) == len(expected)


def test_an_import_page_shows_its_provenance(served: Served) -> None:
    headers = {**HTML, **served.headers["auditor"]}
    page = served.client.get("/audit/imports/imp-eugene", headers=headers)
    root = parse(page.text)
    assert fx.BY_ID["imp-eugene"].sha256 in by_id(root, "provenance").text
    assert "searchDate: not a time" in by_id(root, "problems").text
    anonymous = served.client.get("/audit/imports/imp-eugene", headers=HTML, follow_redirects=False)
    assert anonymous.status_code == 303
    assert get(served, "/audit/imports/imp-eugene", "officer").status_code == 403


def test_the_empty_state_says_what_to_do(empty: Served) -> None:
    headers = {**HTML, **empty.headers["auditor"]}
    page = empty.client.get("/audit", headers=headers)
    assert page.status_code == 200
    assert "liaison audit import" in by_id(parse(page.text), "empty").text
    public = empty.client.get("/audit", headers=HTML)
    assert public.status_code == 200
    assert "Nothing has been imported yet" in public.text
    assert get(empty, "/v1/audit/rows").json() == {"items": [], "total": 0, "next_cursor": None}
