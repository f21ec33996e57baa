"""A decision's inclusion proof checked in a real browser (issue 11, item 1: "checked in the
browser ... so the reader need not trust the server"): ``static/verify.js`` verifies the
signed checkpoint (Ed25519, WebCrypto) and the audit path (SHA-256) of the page's entry;
another verifier key, or a body altered in the page, fails; without WebCrypto the page says
the check is unavailable and points to ``liaison ledger check-proof``; without JavaScript
the page still reads. The witnesses' cosignature lines in the checkpoint, and a downloaded
file's consistency part (issue 12), do not disturb the check."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from browser_checks import PHONE, assert_accessible, assert_no_sideways_scroll
from browser_fixtures import Live
from liaison.api.witnessing import Witnessing
from liaison.gateway.roles import KeyRole
from liaison.ledger.cosignature import generate_cosigner, parse_cosigner
from liaison.ledger.note_keys import generate_signer
from liaison.ledger.signed_note import split_note
from liaison.ledger.signing import add_cosignatures
from liaison.ledger.witness_list import Witness
from liaison.storage.tables import decisions
from site_fixture import ORIGIN


@pytest.fixture
def auditor_page(page: Page, live: Live) -> Page:
    page.set_extra_http_headers(live.site.bearer(KeyRole.AUDITOR))
    return page


def _decision_url(live: Live) -> str:
    with live.site.services.gateway.db.connect() as conn:
        ident, actor = conn.execute(
            select(decisions.c.id, decisions.c.actor_id).order_by(decisions.c.ledger_index)
        ).first() or ("", "")
    return live.at(f"/decisions/{ident}?actor={actor}")


def _status(page: Page, expected: str) -> None:
    expect(page.locator("#proof-status")).to_have_attribute("data-status", expected, timeout=15_000)


def test_the_proof_is_verified_in_the_browser(auditor_page: Page, live: Live) -> None:
    problems: list[str] = []
    auditor_page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    auditor_page.goto(_decision_url(live))
    _status(auditor_page, "verified")
    expect(auditor_page.locator("#proof-status")).to_contain_text("Verified")
    steps = auditor_page.locator("#proof-steps li")
    assert steps.count() == 5
    assert all(text.startswith("Passed: ") for text in steps.all_inner_texts())
    assert problems == []


def test_another_verifier_key_fails(auditor_page: Page, live: Live) -> None:
    auditor_page.goto(_decision_url(live))
    _status(auditor_page, "verified")
    _, other = generate_signer(ORIGIN)  # the same name, another key
    auditor_page.get_by_label("Verifier key of the log").fill(other)
    auditor_page.get_by_role("button", name="Check again").click()
    _status(auditor_page, "failed")
    expect(auditor_page.locator("#proof-status")).to_contain_text("Failed")
    expect(auditor_page.locator("#proof-steps li").last).to_contain_text("no signature by")


def test_a_tampered_body_fails(auditor_page: Page, live: Live) -> None:
    auditor_page.goto(_decision_url(live))
    _status(auditor_page, "verified")
    auditor_page.evaluate(
        """() => {
          const node = document.getElementById("proof-data");
          const data = JSON.parse(node.textContent);
          const body = atob(data.body).replace('"decision":"', '"decision":"x');
          data.body = btoa(body);
          node.textContent = JSON.stringify(data);
        }"""
    )
    auditor_page.get_by_role("button", name="Check again").click()
    _status(auditor_page, "failed")
    texts = auditor_page.locator("#proof-steps li").all_inner_texts()
    assert texts[-1].startswith("Failed: The audit path does not lead")


def test_without_webcrypto_the_check_is_unavailable(auditor_page: Page, live: Live) -> None:
    auditor_page.add_init_script(
        "Object.defineProperty(Crypto.prototype, 'subtle', {get: () => undefined});"
    )
    auditor_page.goto(_decision_url(live))
    _status(auditor_page, "unavailable")
    expect(auditor_page.locator("#proof-status")).to_contain_text("liaison ledger check-proof")


def test_without_javascript_the_page_reads(browser: Browser, live: Live) -> None:
    context = browser.new_context(
        java_script_enabled=False, extra_http_headers=live.site.bearer(KeyRole.AUDITOR)
    )
    try:
        page = context.new_page()
        page.goto(_decision_url(live))
        status = page.locator("#proof-status")
        expect(status).to_have_attribute("data-status", "unavailable")
        expect(status).to_contain_text("checked in your browser when JavaScript runs")
        expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Decision "))
        expect(page.locator("#download-proof")).to_be_visible()
        expect(page.get_by_role("button", name="Check again")).to_be_hidden()
    finally:
        context.close()


def test_the_page_is_accessible_and_fits_a_phone(auditor_page: Page, live: Live) -> None:
    auditor_page.set_viewport_size({"width": PHONE.width, "height": PHONE.height})
    auditor_page.goto(_decision_url(live))
    _status(auditor_page, "verified")  # checked with the steps the page's script wrote
    assert_accessible(auditor_page)
    assert_no_sideways_scroll(auditor_page, PHONE)


def test_cosignatures_and_a_consistency_part_do_not_disturb_the_check(
    auditor_page: Page, live: Live
) -> None:
    """A witness configured and its cosignature kept: the page's checkpoint carries the line
    and is still verified; the downloaded proof.json with ``?since=`` (a consistency part),
    put in the page, is verified too. (Last: it signs a newer checkpoint.)"""
    site = live.site
    ledger = site.services.gateway.ledger
    older = ledger.latest_checkpoint()
    assert older is not None
    request = {
        "id": "req-browser-cosigned",
        "at": "2025-08-15T12:00:00-04:00",
        "actor": {"id": "officer-1", "agency": "MPD", "role": "officer", "unit": "1D"},
        "action": "database_inquiry",
        "database": "WALES",
        "purposes": ["warrant_check"],
        "subject": {"id": "person-77", "custody": "stopped"},
    }
    made = site.client.post("/v1/decisions", json=request, headers=site.bearer(KeyRole.OFFICER))
    assert made.status_code == 200, made.text
    cosigner = parse_cosigner(generate_cosigner("witness.alice.example")[0])
    witness = Witness("http://127.0.0.1:9", cosigner.witness_key)
    site.services.witnessing = Witnessing(ledger, [witness], lambda *_: None)
    try:
        latest = ledger.checkpoint()
        line = cosigner.cosign(split_note(latest.note)[0], 1_760_000_000)
        add_cosignatures(ledger.engine, latest.size, [line])
        auditor_page.goto(_decision_url(live))
        _status(auditor_page, "verified")
        data = json.loads(auditor_page.locator("#proof-data").text_content() or "{}")
        assert data["checkpoint"] == latest.note + line
        expect(auditor_page.locator("#cosigned-by")).to_contain_text("witness.alice.example (")
        steps = auditor_page.locator("#proof-steps li")
        expect(steps.nth(1)).to_contain_text("and 1 other signature line, not checked here")
        downloaded = site.client.get(
            auditor_page.locator("#download-proof").get_attribute("href") or "",
            params={"since": older.size},
            headers=site.bearer(KeyRole.AUDITOR),
        ).json()
        assert downloaded["consistency"][0]["old_size"] == older.size
        auditor_page.evaluate(
            "(text) => { document.getElementById('proof-data').textContent = text; }",
            json.dumps(downloaded),
        )
        auditor_page.get_by_role("button", name="Check again").click()
        _status(auditor_page, "verified")
        assert steps.count() == 5
        assert all(text.startswith("Passed: ") for text in steps.all_inner_texts())
        assert_accessible(auditor_page)  # with the form of the proof against a saved checkpoint
    finally:
        site.services.witnessing = None
