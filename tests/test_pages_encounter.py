"""An encounter's or an operation's page (issue 11, item 1; docs/pages.md, "Records:
`/decisions`, `/events`, `/encounters`"):
``/encounters/{id}?unit=`` shows what ``GET /v1/encounters/{id}`` answers, its flags with
their meaning, declared beside done; an id several units use is a page of the choices
(409); an unknown one a 404 page; the API's role rules."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from liaison.gateway.encounter_flags import ENCOUNTER_FLAGS
from liaison.gateway.roles import KeyRole
from liaison.web.formatting import local_text
from page_parse import Element, by_id, definitions, parse, words
from site_fixture import Site, demo_site

HTML = {"Accept": "text/html,application/xhtml+xml"}
SHARED = "shared-stop-7"  # an encounter id two units use
UNITS = ("2D", "4D")


def _start(site: Site, unit: str) -> None:
    """An officer of ``unit`` opens its encounter ``SHARED``."""
    actor = f"officer-{unit}-page"
    key, _ = site.services.keys.create(KeyRole.OFFICER, actor, unit)
    event = {
        "at": "2025-09-20T10:00:00-04:00",
        "kind": "encounter_started",
        "actor": {"id": actor, "agency": "MPD", "role": "officer", "unit": unit},
        "encounter": {"id": SHARED, "kind": "traffic_stop", "district": unit},
    }
    done = site.client.post("/v1/events", json=event, headers={"Authorization": f"Bearer {key}"})
    assert done.status_code == 200, done.text


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with demo_site(tmp_path_factory.mktemp("pages-encounter")) as built:
        built.keys[KeyRole.OFFICER], _ = built.services.keys.create(
            KeyRole.OFFICER, "officer-1392", "5D"
        )
        for unit in UNITS:
            _start(built, unit)
        yield built


def _get(site: Site, path: str, role: KeyRole | None = KeyRole.AUDITOR) -> Any:
    headers = {**HTML, **(site.bearer(role) if role is not None else {})}
    return site.client.get(path, headers=headers, follow_redirects=False)


def _flagged(site: Site) -> list[dict[str, Any]]:
    listed = site.client.get("/v1/encounters?flag=any", headers=site.bearer(KeyRole.AUDITOR))
    items: list[dict[str, Any]] = listed.json()["items"]
    return items


def _api(site: Site, encounter_id: str, unit: str) -> dict[str, Any]:
    path = f"/v1/encounters/{quote(encounter_id)}?unit={unit}"
    found: dict[str, Any] = site.client.get(path, headers=site.bearer(KeyRole.AUDITOR)).json()
    return found


def test_the_demos_two_flagged_operations_show_their_flags(site: Site) -> None:
    flagged = _flagged(site)
    assert {f for e in flagged for f in e["flagged"]} == set(ENCOUNTER_FLAGS)
    assert len(flagged) == 2
    for encounter in flagged:
        shown = _get(site, f"/encounters/{encounter['id']}?unit={encounter['unit']}")
        assert shown.status_code == 200
        page = parse(shown.text)
        flags = words(by_id(page, "flags").text)
        for flag in encounter["flagged"]:
            assert f"Flagged: {flag}: it {ENCOUNTER_FLAGS[flag]}." in flags
        assert "An operation" in words(by_id(page, "main").text)
        assert by_id(page, "joint")  # its joint_operation decisions, or that none was decided


def test_declared_beside_what_was_done(site: Site) -> None:
    checkpoint = next(e for e in _flagged(site) if e["kind"] == "checkpoint")
    api = _api(site, checkpoint["id"], checkpoint["unit"])
    page = parse(_get(site, f"/encounters/{api['id']}?unit={api['unit']}").text)
    declared = definitions(by_id(page, "declared"))
    assert declared["Purpose"] == api["declared_purpose"]
    assert declared["Agencies"] == ", ".join(
        f"{a['agency']} ({a['type'].replace('_', ' ')})" for a in api["agencies"]
    )
    assert declared["Unit"] == f"{api['unit']} (opened it)"
    assert declared["Taking part"] == ", ".join(api["participants"])
    assert declared["Started"] == local_text(api["started_at"])  # Eastern, with its offset
    assert declared["Ended"] == local_text(api["ended_at"])
    done = definitions(by_id(page, "done"))
    assert done["Vehicles stopped (reported at its end)"] == str(api["outcome"]["vehicles_stopped"])
    assert done["Decisions"] == " ".join(
        f"{action.replace('_', ' ')}: {n['permit']} permitted, {n['deny']} denied"
        for action, n in api["records_show"]["decisions_by_action"].items()
    )
    joint = by_id(page, "joint")
    denied = [d for d in api["decisions"] if d["action"] == "joint_operation"]
    assert joint.links() == [f"/decisions/{d['id']}?actor={d['actor']}" for d in denied]
    assert "Denied" in words(joint.text)


def _table_of(page: Element, section: str) -> list[list[Element]]:
    return [r.find_all("td") for r in by_id(page, section).find_all("tbody")[0].find_all("tr")]


def test_its_decisions_and_events_link_to_their_pages(site: Site) -> None:
    checkpoint = next(e for e in _flagged(site) if e["kind"] == "checkpoint")
    api = _api(site, checkpoint["id"], checkpoint["unit"])
    page = parse(_get(site, f"/encounters/{api['id']}?unit={api['unit']}").text)
    decisions = _table_of(page, "decisions")
    assert [r[1].links() for r in decisions] == [
        [f"/decisions/{d['id']}?actor={d['actor']}"] for d in api["decisions"]
    ]
    events = _table_of(page, "events")
    assert [words(r[1].text) for r in events] == [e["id"] for e in api["events"]]
    for row, event in zip(events, api["events"], strict=True):
        if event["decision_id"]:
            assert row[4].links() == [f"/decisions/{event['decision_id']}?actor={event['actor']}"]
        if event["flagged"]:
            assert f"Flagged: {event['flagged']}" in words(row[5].text)
    assert by_id(page, "decisions").links()[0] == f"/decisions?encounter={api['id']}"
    listed = _get(site, f"/decisions?encounter={api['id']}&format=json").json()
    assert listed["total"] == len(api["decisions"])


def test_its_data_is_the_apis_answer_and_its_records_a_csv(site: Site) -> None:
    patrol = next(e for e in _flagged(site) if e["kind"] != "checkpoint")
    api = _api(site, patrol["id"], patrol["unit"])
    path = f"/encounters/{api['id']}?unit={api['unit']}"
    assert _get(site, path + "&format=json").json() == api
    table = _get(site, path + "&format=csv")
    assert table.headers["content-type"].startswith("text/csv")
    lines = table.text.strip().splitlines()
    assert len(lines) == 1 + len(api["decisions"]) + len(api["events"])


def test_a_traffic_stop_is_not_an_operation(site: Site) -> None:
    listed = site.client.get(
        "/v1/encounters?kind=traffic_stop&limit=1", headers=site.bearer(KeyRole.AUDITOR)
    ).json()["items"][0]
    page = parse(_get(site, f"/encounters/{listed['id']}?unit={listed['unit']}").text)
    assert words(by_id(page, "flags").text).startswith("Flags Not flagged")
    assert "An operation" not in words(by_id(page, "main").text)
    assert "joint" not in {e.attrs.get("id") for e in page.find_all("section")}


def test_an_id_of_several_units_is_a_choice(site: Site) -> None:
    shown = _get(site, f"/encounters/{SHARED}")
    assert shown.status_code == 409
    page = parse(shown.text)
    links = by_id(page, "choices").links()
    assert links == [f"/encounters/{SHARED}?unit={unit}" for unit in UNITS]
    for href, unit in zip(links, UNITS, strict=True):
        chosen = _get(site, href)
        assert chosen.status_code == 200
        assert f"(unit {unit})" in words(parse(chosen.text).find_all("h1")[0].text)
    data = _get(site, f"/encounters/{SHARED}?format=json")
    assert data.status_code == 409
    assert data.json()["error"]["choices"] == list(UNITS)


def test_an_unknown_encounter_is_a_404_page(site: Site) -> None:
    shown = _get(site, "/encounters/no-such-stop")
    assert shown.status_code == 404
    assert "<h1>404: not found</h1>" in shown.text
    assert _get(site, f"/encounters/{SHARED}?unit=9D").status_code == 404
    assert _get(site, f"/encounters/{SHARED}?unit=").status_code == 422


def test_who_may_read_an_encounter(site: Site) -> None:
    checkpoint = next(e for e in _flagged(site) if e["kind"] == "checkpoint")
    path = f"/encounters/{checkpoint['id']}"
    anonymous = _get(site, path, role=None)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == f"/signin?next={quote(path, safe='')}"
    for role in (KeyRole.ADMIN, KeyRole.PUBLIC):
        assert _get(site, path, role=role).status_code == 403
    # An officer of 5D may not read 3D's checkpoint: nothing tells them it exists.
    assert _get(site, path, role=KeyRole.OFFICER).status_code == 404
    own = site.client.get("/v1/encounters?limit=1", headers=site.bearer(KeyRole.OFFICER)).json()[
        "items"
    ][0]
    assert _get(site, f"/encounters/{own['id']}", role=KeyRole.OFFICER).status_code == 200
