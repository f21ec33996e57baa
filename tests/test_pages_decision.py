"""A decision's page and its proof file (issue 11, item 1; docs/pages.md, "A decision and
its proof: `/decisions/{id}`"): the explanation as the API gives it, no personal data, the
ledger entry, a proof that the Python ledger code verifies and that fails once anything in
it is altered, the API's role rules, unknown and ambiguous ids; ``liaison ledger
check-proof`` offline."""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from conftest import cli_runner
from liaison.gateway.auth import Principal
from liaison.gateway.roles import KeyRole
from liaison.ledger import merkle
from liaison.ledger.checkpoint import open_checkpoint
from liaison.ledger.keys import load_verifier
from liaison.ledger.log import Ledger
from liaison.ledger.note_keys import Verifier, generate_signer, parse_verifier
from liaison.ledger.proof_file import check_proof
from liaison.reports.decision_proof import covering_checkpoint
from liaison.storage.tables import decisions
from site_fixture import ORIGIN, Site, demo_site

HTML = {"Accept": "text/html,application/xhtml+xml"}
NOON = "2025-08-15T12:00:00-04:00"
TWICE = "req-twice"  # an id officer-1 and supervisor-1 (both of 1D) both use


def _request(actor: str, role: str, ident: str) -> dict[str, Any]:
    return {
        "id": ident,
        "at": NOON,
        "actor": {"id": actor, "agency": "MPD", "role": role, "unit": "1D"},
        "action": "database_inquiry",
        "database": "WALES",
        "purposes": ["warrant_check"],
        "subject": {"id": "person-secret-77", "custody": "stopped"},
        "case_number": "CCN-SECRET-1234",
    }


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with demo_site(tmp_path_factory.mktemp("pages-decision")) as built:
        for role, actor in ((KeyRole.OFFICER, "officer-1"), (KeyRole.SUPERVISOR, "supervisor-1")):
            made = built.client.post(
                "/v1/decisions", json=_request(actor, role.value, TWICE), headers=built.bearer(role)
            )
            assert made.status_code == 200, made.text
        yield built


def _rows(site: Site) -> list[dict[str, Any]]:
    with site.services.gateway.db.connect() as conn:
        found = conn.execute(select(decisions).order_by(decisions.c.ledger_index)).all()
    return [dict(r._mapping) for r in found]


def _key(site: Site) -> Verifier:
    verifier = load_verifier(site.folder / "keys")
    assert verifier is not None
    return verifier


@pytest.fixture(scope="module")
def contested(site: Site) -> dict[str, Any]:
    """A demo decision that the other view decides otherwise (its explanation warns)."""
    auditor = Principal("key-1", KeyRole.AUDITOR, "auditor-1", None)
    for row in _rows(site):
        explained = site.services.gateway.explanation(row["id"], auditor, row["actor_id"])
        if explained["warning"] and explained["sections"]:
            return row
    raise AssertionError("the demo has no contested decision")


def test_the_page_explains_the_decision_as_the_api_does(
    site: Site, contested: dict[str, Any]
) -> None:
    auditor = site.bearer(KeyRole.AUDITOR)
    ident = contested["id"]
    api = site.client.get(f"/v1/decisions/{ident}/explanation", headers=auditor).json()
    data = site.client.get(f"/decisions/{ident}?format=json", headers=auditor).json()
    assert data["explanation"] == api
    page = site.client.get(f"/decisions/{ident}", headers={**auditor, **HTML})
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert text.count("<h1>") == 1
    assert api["warning"] in text
    assert "Contested reading" in text
    for section in api["sections"]:
        assert section["text"] in text
        assert section["issuer"] in text
        for path in section["authority_paths"]:
            assert path in text
    assert api["asked"] in text
    other = api["other_views"][0]
    assert re.search(rf'<th scope="row">{other["view"]}</th><td class="{other["decision"]}">', text)


def test_the_views_as_csv(site: Site, contested: dict[str, Any]) -> None:
    auditor = site.bearer(KeyRole.AUDITOR)
    ident = contested["id"]
    api = site.client.get(f"/v1/decisions/{ident}/explanation", headers=auditor).json()
    got = site.client.get(f"/decisions/{ident}?format=csv", headers=auditor)
    assert got.headers["content-type"].startswith("text/csv")
    lines = got.text.splitlines()
    assert lines[0] == "view,decision,basis,cites,decided"
    assert lines[1].startswith(f"{api['view']},{api['decision']},{api['basis']},")
    assert lines[1].endswith(",True")
    other = api["other_views"][0]
    assert lines[2].startswith(f"{other['view']},{other['decision']},")
    assert other["decision"] != api["decision"]  # contested: the rows disagree


def test_the_page_shows_the_ledger_entry_and_no_personal_data(
    site: Site, contested: dict[str, Any]
) -> None:
    auditor = site.bearer(KeyRole.AUDITOR)
    entry = site.services.gateway.ledger.entry(contested["ledger_index"])
    assert entry.personal  # the subject's id, kept apart from the entry
    page = site.client.get(f"/decisions/{contested['id']}", headers={**auditor, **HTML}).text
    data = site.client.get(f"/decisions/{contested['id']}?format=json", headers=auditor).text
    shown = re.search(r'<pre id="entry-body">(.*?)</pre>', page, re.S)
    assert shown is not None
    assert html.unescape(shown.group(1)) == entry.body.decode()
    assert base64.b64encode(entry.leaf_hash).decode() in page
    for value in entry.personal.values():
        assert str(value) not in page
        assert str(value) not in data
    # a decision of this test, with a case number: neither it nor the subject's id is shown
    officer = site.bearer(KeyRole.OFFICER)
    mine = site.client.get(f"/decisions/{TWICE}", headers={**officer, **HTML}).text
    assert "person-secret-77" not in mine
    assert "CCN-SECRET-1234" not in mine
    proof = site.client.get(f"/decisions/{TWICE}/proof.json", headers=officer).text
    assert "person-secret-77" not in base64.b64decode(json.loads(proof)["body"]).decode()


def test_the_page_reads_without_javascript_and_loads_only_its_own_script(
    site: Site, contested: dict[str, Any]
) -> None:
    page = site.client.get(
        f"/decisions/{contested['id']}", headers={**site.bearer(KeyRole.AUDITOR), **HTML}
    )
    assert "default-src 'self'" in page.headers["content-security-policy"]
    scripts = re.findall(r"<script([^>]*)>", page.text)
    assert sorted(scripts) == sorted(
        [' src="/static/verify.js" defer', ' type="application/json" id="proof-data"']
    )
    assert '<section id="proof"' in page.text
    status = re.search(r'<p id="proof-status" data-status="(\w+)"[^>]*>(.*?)</p>', page.text, re.S)
    assert status is not None
    assert status.group(1) == "unavailable"
    assert "checked in your browser when JavaScript runs" in status.group(2)
    assert re.search(r'<a id="download-proof" href="/decisions/[^"]+/proof.json\?actor=', page.text)
    assert '<label for="verifier-key">' in page.text
    served = site.client.get("/static/verify.js")
    assert served.status_code == 200
    assert "crypto.subtle" in served.text


def _proof(site: Site, ident: str, actor: str) -> dict[str, Any]:
    got = site.client.get(
        f"/decisions/{ident}/proof.json?actor={actor}", headers=site.bearer(KeyRole.AUDITOR)
    )
    assert got.status_code == 200, got.text
    assert got.headers["content-disposition"].startswith("attachment;")
    proof: dict[str, Any] = got.json()
    return proof


def test_the_proof_file_verifies_with_the_ledger_code(
    site: Site, contested: dict[str, Any]
) -> None:
    proof = _proof(site, contested["id"], contested["actor_id"])
    key = _key(site)
    assert proof["verifier_key"] == key.vkey
    checkpoint = open_checkpoint(proof["checkpoint"], key, ORIGIN)
    assert (checkpoint.size, base64.b64encode(checkpoint.root).decode()) == (
        proof["size"],
        proof["root"],
    )
    body = base64.b64decode(proof["body"])
    assert proof["index"] == contested["ledger_index"]
    assert merkle.verify_inclusion(
        merkle.leaf_hash(body),
        proof["index"],
        checkpoint.size,
        [base64.b64decode(h) for h in proof["proof"]],
        checkpoint.root,
    )
    steps = check_proof(proof, key)
    assert [s.name for s in steps] == ["signature", "checkpoint", "leaf", "inclusion"]
    assert all(s.ok for s in steps), steps


def _flip(text: str) -> str:
    """A base64 text with its first byte changed."""
    raw = bytearray(base64.b64decode(text))
    raw[0] ^= 1
    return base64.b64encode(bytes(raw)).decode()


def _altered_body(proof: dict[str, Any]) -> dict[str, Any]:
    body = base64.b64decode(proof["body"]).replace(b'"decision":"', b'"decision":"x', 1)
    return {**proof, "body": base64.b64encode(body).decode()}


ALTERATIONS = {
    "body": _altered_body,
    "a proof hash": lambda p: {**p, "proof": [_flip(p["proof"][0]), *p["proof"][1:]]},
    "the index": lambda p: {**p, "index": p["index"] + 1},
    "the note's root": lambda p: {
        **p,
        "checkpoint": p["checkpoint"].replace(p["root"], _flip(p["root"]), 1),
    },
    "the note's signature": lambda p: {
        **p,
        "checkpoint": p["checkpoint"][:-10]
        + ("A" if p["checkpoint"][-10] != "A" else "B")
        + p["checkpoint"][-9:],
    },
    "the root and size": lambda p: {**p, "root": _flip(p["root"]), "size": p["size"] - 1},
    "the leaf hash": lambda p: {**p, "leaf_hash": _flip(p["leaf_hash"])},
}


@pytest.mark.parametrize("what", sorted(ALTERATIONS))
def test_an_altered_proof_file_fails(site: Site, contested: dict[str, Any], what: str) -> None:
    proof = ALTERATIONS[what](_proof(site, contested["id"], contested["actor_id"]))
    assert not all(s.ok for s in check_proof(proof, _key(site)))


def test_another_key_fails_the_signature_step(site: Site, contested: dict[str, Any]) -> None:
    proof = _proof(site, contested["id"], contested["actor_id"])
    _, other = generate_signer(ORIGIN)
    steps = check_proof(proof, parse_verifier(other))
    assert steps[0].name == "signature"
    assert not steps[0].ok


def test_check_proof_on_the_command_line(
    site: Site, contested: dict[str, Any], tmp_path: Path
) -> None:
    cli = cli_runner(site.url, site.folder, ORIGIN)
    proof = _proof(site, contested["id"], contested["actor_id"])
    key = tmp_path / "saved.vkey"
    key.write_text(_key(site).vkey + "\n")
    good, bad, junk = tmp_path / "good.json", tmp_path / "bad.json", tmp_path / "junk.json"
    good.write_text(json.dumps(proof))
    bad.write_text(json.dumps(_altered_body(proof)))
    junk.write_text(json.dumps({**proof, "proof": "nope"}))
    ok = cli("ledger", "check-proof", str(good), "--key", str(key))
    assert ok.exit_code == 0, ok.output
    assert "VERIFIED" in ok.output
    assert "NOT VERIFIED" not in ok.output
    failed = cli("ledger", "check-proof", str(bad), "--key", str(key), "--json")
    assert failed.exit_code == 1
    report = json.loads(failed.output)
    assert report["ok"] is False
    assert [s["step"] for s in report["steps"] if not s["ok"]] == ["leaf", "inclusion"]
    refused = cli("ledger", "check-proof", str(junk), "--key", str(key))
    assert refused.exit_code == 2
    assert "proof:" in refused.output
    _, other = generate_signer(ORIGIN)
    key.write_text(other)
    wrong = cli("ledger", "check-proof", str(good), "--key", str(key))
    assert wrong.exit_code == 1
    assert "FAIL signature" in wrong.output


def test_a_decision_newer_than_the_checkpoint_gets_one_signed(site: Site) -> None:
    officer = site.bearer(KeyRole.OFFICER)
    made = site.client.post(
        "/v1/decisions", json=_request("officer-1", "officer", "req-fresh"), headers=officer
    )
    assert made.status_code == 200, made.text
    index = made.json()["ledger_index"]
    unsigned = Ledger(site.services.gateway.db, ORIGIN, None)
    checkpoint, why = covering_checkpoint(unsigned, index)
    assert checkpoint is None
    assert f"entry {index}" in why
    proof = site.client.get("/decisions/req-fresh/proof.json", headers=officer).json()
    assert proof["size"] > index
    assert all(s.ok for s in check_proof(proof, _key(site)))


# -- who may read it: the API's rules ---------------------------------------------------------


def _row_of(site: Site, unit: str, not_actor: str) -> dict[str, Any]:
    return next(r for r in _rows(site) if r["unit"] == unit and r["actor_id"] != not_actor)


@pytest.mark.parametrize("path", ["", "/proof.json"])
def test_an_officer_reads_only_their_own_decisions(site: Site, path: str) -> None:
    officer = {**site.bearer(KeyRole.OFFICER), **HTML}
    theirs = _row_of(site, "1D", "officer-1")
    other = site.client.get(f"/decisions/{theirs['id']}{path}", headers=officer)
    api = site.client.get(f"/v1/decisions/{theirs['id']}", headers=site.bearer(KeyRole.OFFICER))
    assert other.status_code == api.status_code == 404
    mine = site.client.get(f"/decisions/{TWICE}{path}", headers=officer)
    assert mine.status_code == 200  # officer-1's own: no ambiguity for them


@pytest.mark.parametrize("path", ["", "/proof.json"])
def test_a_supervisor_reads_their_units_decisions(site: Site, path: str) -> None:
    supervisor = {**site.bearer(KeyRole.SUPERVISOR), **HTML}
    ours = _row_of(site, "1D", "supervisor-1")
    theirs = _row_of(site, "3D", "supervisor-1")
    assert site.client.get(f"/decisions/{ours['id']}{path}", headers=supervisor).status_code == 200
    assert (
        site.client.get(f"/decisions/{theirs['id']}{path}", headers=supervisor).status_code == 404
    )


@pytest.mark.parametrize("path", ["", "/proof.json"])
def test_other_roles_and_the_public_may_not_read_it(
    site: Site, contested: dict[str, Any], path: str
) -> None:
    url = f"/decisions/{contested['id']}{path}"
    for role in (KeyRole.PUBLIC, KeyRole.ADMIN):
        refused = site.client.get(url, headers={**site.bearer(role), **HTML})
        assert refused.status_code == 403
    anonymous = site.client.get(url, headers=HTML, follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/signin?next=")


# -- ids ---------------------------------------------------------------------------------------


def test_an_unknown_id_is_a_404_page(site: Site) -> None:
    page = site.client.get(
        "/decisions/no-such-decision", headers={**site.bearer(KeyRole.AUDITOR), **HTML}
    )
    assert page.status_code == 404
    assert "<h1>404: not found</h1>" in page.text
    assert "no-such-decision" in html.unescape(page.text)
    data = site.client.get(
        "/decisions/no-such-decision/proof.json", headers=site.bearer(KeyRole.AUDITOR)
    )
    assert data.status_code == 404
    assert data.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("role", [KeyRole.SUPERVISOR, KeyRole.AUDITOR])
def test_an_ambiguous_id_is_a_409_page_of_links(site: Site, role: KeyRole) -> None:
    headers = {**site.bearer(role), **HTML}
    page = site.client.get(f"/decisions/{TWICE}", headers=headers)
    assert page.status_code == 409
    links = re.findall(r'<a href="(/decisions/req-twice\?actor=[^"]+)">', page.text)
    assert links == [
        "/decisions/req-twice?actor=officer-1",
        "/decisions/req-twice?actor=supervisor-1",
    ]
    for link in links:
        chosen = site.client.get(html.unescape(link), headers=headers)
        assert chosen.status_code == 200
        assert f"<dt>Actor</dt><dd>{link.rsplit('=', 1)[1]} (unit 1D)</dd>" in chosen.text
    data = site.client.get(f"/decisions/{TWICE}?format=json", headers=headers)
    assert data.status_code == 409
    assert data.json()["error"]["choices"] == ["officer-1", "supervisor-1"]


def test_the_chosen_actor_is_the_one_shown(site: Site) -> None:
    auditor = site.bearer(KeyRole.AUDITOR)
    for actor in ("officer-1", "supervisor-1"):
        data = site.client.get(f"/decisions/{TWICE}?actor={actor}&format=json", headers=auditor)
        assert data.json()["actor"] == actor
        assert data.json()["request"]["actor"]["id"] == actor


def test_a_bad_actor_parameter_names_the_field(site: Site) -> None:
    page = site.client.get(
        f"/decisions/{TWICE}?actor=" + "x" * 300, headers=site.bearer(KeyRole.AUDITOR)
    )
    assert page.status_code == 422
    assert page.json()["error"]["field"] == "actor"
    bad = site.client.get(
        f"/decisions/{TWICE}?actor=officer-1&format=pdf", headers=site.bearer(KeyRole.AUDITOR)
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "format"
