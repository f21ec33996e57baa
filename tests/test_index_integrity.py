"""Nothing changes behind the ledger's back (issue 8, items 1 and 2), on each backend.

The pack in force is the one the ledger recorded: an EO-25-005 § E3 ``forbid`` made
``permit`` in ``pack_changes.files`` makes a restarted service refuse to decide (503
``integrity``), ``/healthz`` unhealthy, and ``liaison ledger verify`` name the row. Index
rows (decisions, events, encounters) edited, deleted or added are named by ``ledger
verify`` (table, id, column), and the API never serves the edited value.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, insert, select, text, update
from typer.testing import CliRunner, Result

from conftest import BACKENDS, database_url, running_services
from liaison.api.app import create_app
from liaison.api.deps import Services
from liaison.cli import app as cli_app
from liaison.gateway.auth import Principal
from liaison.gateway.roles import KeyRole
from liaison.gateway.service import Gateway
from liaison.ledger.log import Ledger
from liaison.ledger.store import TreeStore
from liaison.storage.tables import (
    decision_citations,
    decision_data_classes,
    decision_purposes,
    decisions,
    encounters,
    events,
    ledger_entries,
    pack_changes,
)

NOON = "2025-08-15T12:00:00-04:00"
ORIGIN = "test.example/integrity"
E3_FORBID = (
    'forbid (principal, action == Liaison::Action::"database_inquiry", resource)\n'
    'when { context.purposes == ["immigration_status"] };'
)
E3_PERMIT = E3_FORBID.replace("forbid", "permit", 1)
EO = "directives/EO-25-005.toml"
ADMIN = Principal("k-admin", KeyRole.ADMIN, "admin-1", None)


def actor() -> dict[str, Any]:
    return {"id": "officer-1", "agency": "MPD", "role": "officer", "unit": "1D"}


def inquiry(ident: str, **fields: Any) -> dict[str, Any]:
    body = {
        "id": ident,
        "at": NOON,
        "actor": actor(),
        "action": "database_inquiry",
        "database": "WALES",
        "purposes": ["warrant_check"],
        "subject": {"id": "person-77", "custody": "stopped"},
    }
    return {**body, **fields}


STATUS_ONLY = {"database": "NCIC", "purposes": ["immigration_status"]}
CHECKPOINT = {
    "kind": "checkpoint",
    "id": "enc-1",
    "district": "1D",
    "declared_purpose": "traffic safety compliance checkpoint",
}


@dataclass
class Deployment:
    url: str
    folder: Path
    monkeypatch: pytest.MonkeyPatch

    def start(self, **kw: Any) -> Any:
        return running_services(self.url, self.folder, log_origin=ORIGIN, **kw)

    def cli(self, *args: str) -> Result:
        self.monkeypatch.setenv("LIAISON_DATABASE_URL", self.url)
        self.monkeypatch.setenv("LIAISON_KEY_DIR", str(self.folder / "keys"))
        self.monkeypatch.setenv("LIAISON_LOG_ORIGIN", ORIGIN)
        return CliRunner().invoke(cli_app, list(args), prog_name="liaison")

    def verify(self) -> tuple[int, str]:
        result = self.cli("ledger", "verify")
        return result.exit_code, result.stdout


@pytest.fixture(params=BACKENDS)
def deployment(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Deployment]:
    for url in database_url(request.param, tmp_path):
        yield Deployment(url, tmp_path, monkeypatch)


def client(services: Services) -> tuple[TestClient, dict[str, str]]:
    key, _ = services.keys.create(KeyRole.SUPERVISOR, "sergeant-1", "1D")
    return TestClient(create_app(services=services)), {"Authorization": f"Bearer {key}"}


def db(services: Services) -> Engine:
    return services.gateway.db


def integrity(response: Any) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "integrity"


# -- item 1: the pack in force is the one the ledger recorded --------------------------------


def permit_status_only_inquiries(engine: Engine, seq: int = 1) -> None:
    """The red team's edit: one § E3 forbid made permit in pack_changes.files."""
    with engine.begin() as conn:
        stored = conn.execute(select(pack_changes.c.files).where(pack_changes.c.seq == seq)).one()
        files = json.loads(stored.files)
        assert E3_FORBID in files[EO]
        files[EO] = files[EO].replace(E3_FORBID, E3_PERMIT)
        conn.execute(
            update(pack_changes)
            .where(pack_changes.c.seq == seq)
            .values(files=json.dumps(files, sort_keys=True))
        )


def test_an_edited_pack_row_is_refused_after_a_restart(deployment: Deployment) -> None:
    with deployment.start() as services:
        web, who = client(services)
        denied = web.post("/v1/decisions", json=inquiry("d-1", **STATUS_ONLY), headers=who)
        assert denied.json()["decision"]["decision"] == "deny"
        assert any(c["section"] == "E3" for c in denied.json()["decision"]["citations"])
        permit_status_only_inquiries(db(services))
    with deployment.start(signing_key=False) as services:
        web, who = client(services)
        integrity(web.post("/v1/decisions", json=inquiry("d-2", **STATUS_ONLY), headers=who))
        batch = web.post("/v1/decisions", json=[inquiry("d-3")], headers=who).json()
        assert batch["results"][0]["error"]["code"] == "integrity"
        health = web.get("/healthz")
        assert health.status_code == 503
        assert health.json()["status"] == "unhealthy"
        assert "pack_changes 1" in health.json()["reason"]
        assert "files" in health.json()["reason"]
    code, out = deployment.verify()
    assert code == 1
    assert "pack_changes 1: files differ(s)" in out
    exported = deployment.cli("packs", "export", str(deployment.folder / "out"))
    assert exported.exit_code == 1  # `liaison decide --pack` never gets the edited pack
    assert "disagrees with the ledger" in exported.stderr


def test_an_edit_seen_at_reload_is_refused(deployment: Deployment) -> None:
    """Another process changes the pack; the row of that change is edited before this
    process reloads: it refuses to decide from then on."""
    with deployment.start() as services:
        web, who = client(services)
        assert web.post("/v1/decisions", json=inquiry("d-1"), headers=who).status_code == 200
        gateway = services.gateway
        other = Gateway(None, Ledger(gateway.db, ORIGIN), gateway.db)
        try:
            base = other.packs.latest()
            assert base is not None
            note = "\n# a comment\n"
            other.change_pack(
                ADMIN, reason="a comment", base=base.digest, changes={EO: base.files[EO] + note}
            )
        finally:
            other.close()
        permit_status_only_inquiries(gateway.db, seq=2)
        integrity(web.post("/v1/decisions", json=inquiry("d-2", **STATUS_ONLY), headers=who))
        assert web.get("/healthz").status_code == 503
        integrity(web.post("/v1/decisions", json=inquiry("d-3"), headers=who))
    code, out = deployment.verify()
    assert code == 1
    assert "pack_changes 2" in out


def test_a_pack_change_entry_without_its_row_is_named(deployment: Deployment) -> None:
    with deployment.start() as services, db(services).begin() as conn:
        conn.execute(delete(pack_changes))
    code, out = deployment.verify()
    assert code == 1
    assert "pack_change 1 has no pack_changes row" in out


def test_a_pack_change_entry_relabelled_with_its_row_deleted_is_still_in_force(
    deployment: Deployment,
) -> None:
    """Red team (review of issue 8): the pack is replayed from the entries' bodies, not
    their ``kind`` column. Relabelling the newest ``pack_change`` entry (a column outside
    the leaf hash) and deleting its row must not roll the service back to a version
    that permits what the newest one forbids."""
    with deployment.start() as services:
        web, who = client(services)
        gateway = services.gateway
        base = gateway.packs.latest()
        assert base is not None
        lax = base.files[EO].replace(E3_FORBID, E3_PERMIT)
        gateway.change_pack(ADMIN, reason="lax", base=base.digest, changes={EO: lax})
        strict = gateway.packs.latest()
        assert strict is not None
        gateway.change_pack(
            ADMIN, reason="strict", base=strict.digest, changes={EO: base.files[EO]}
        )
        denied = web.post("/v1/decisions", json=inquiry("d-1", **STATUS_ONLY), headers=who)
        assert denied.json()["decision"]["decision"] == "deny"
        with db(services).begin() as conn:
            newest = conn.execute(select(pack_changes).where(pack_changes.c.seq == 3)).one()
            conn.execute(
                update(ledger_entries)
                .where(ledger_entries.c.idx == newest.ledger_index)
                .values(kind="note")
            )
            conn.execute(delete(pack_changes).where(pack_changes.c.seq == 3))
    with deployment.start(signing_key=False) as services:
        web, who = client(services)
        answer = web.post("/v1/decisions", json=inquiry("d-2", **STATUS_ONLY), headers=who)
        assert answer.status_code != 200 or answer.json()["decision"]["decision"] == "deny"
        integrity(answer)
        assert web.get("/healthz").status_code == 503
    code, out = deployment.verify()
    assert code == 1
    assert "pack_change 3 has no pack_changes row" in out


def test_a_rewritten_pack_change_entry_is_not_decided_under(deployment: Deployment) -> None:
    """Red team (review of issue 8): the forger rewrites the first pack_change entry (§ E3
    forbid made permit, its digest recomputed) and its row, rebuilds leaf hashes, tiles
    and head, and deletes the kept checkpoints. The signer refuses to sign that tree;
    the service, which holds the key and its memory, must not decide under it either."""
    from liaison.ledger.canonical import canonical_json
    from liaison.policy.pack_files import pack_digest
    from test_ledger_tamper import rebuild_derived

    with deployment.start() as services:
        web, who = client(services)
        denied = web.post("/v1/decisions", json=inquiry("d-1", **STATUS_ONLY), headers=who)
        assert denied.json()["decision"]["decision"] == "deny"
        assert web.get("/v1/ledger/checkpoint", headers=who).status_code == 200
        engine = db(services)
        with engine.begin() as conn:
            row = conn.execute(select(pack_changes).where(pack_changes.c.seq == 1)).one()
            stored = conn.execute(
                select(ledger_entries.c.body).where(ledger_entries.c.idx == row.ledger_index)
            ).scalar_one()
            body = json.loads(bytes(stored))
            for change in body["record"]["files"]:
                if change["path"] == EO:
                    change["text"] = change["text"].replace(E3_FORBID, E3_PERMIT)
            files = json.loads(row.files)
            files[EO] = files[EO].replace(E3_FORBID, E3_PERMIT)
            body["record"]["digest"] = pack_digest(files)
            conn.execute(
                update(ledger_entries)
                .where(ledger_entries.c.idx == row.ledger_index)
                .values(body=canonical_json(body))
            )
            conn.execute(
                update(pack_changes)
                .where(pack_changes.c.seq == 1)
                .values(files=json.dumps(files, sort_keys=True), digest=pack_digest(files))
            )
            conn.execute(text("DELETE FROM ledger_checkpoints"))
        rebuild_derived(engine)
    with deployment.start(signing_key=False) as services:
        web, who = client(services)
        assert web.get("/v1/ledger/checkpoint", headers=who).status_code == 409
        integrity(web.post("/v1/decisions", json=inquiry("d-2", **STATUS_ONLY), headers=who))
        assert web.get("/healthz").status_code == 503
    code, _ = deployment.verify()
    assert code == 1


def test_a_rewritten_signed_decision_is_not_served(deployment: Deployment) -> None:
    """Red team (review of issue 8): a deny, signed into a checkpoint, rewritten into a
    permit in its entry and its row, with leaf hashes, tiles and head rebuilt and the
    checkpoints deleted. The service holding the key must not serve the permit."""
    with deployment.start() as services:
        web, who = client(services)
        denied = web.post("/v1/decisions", json=inquiry("d-1", **STATUS_ONLY), headers=who)
        assert denied.json()["decision"]["decision"] == "deny"
        assert web.get("/v1/ledger/checkpoint", headers=who).status_code == 200
        forge_signed_permit(db(services), denied.json()["ledger_index"], "d-1")
        integrity(web.get("/v1/decisions/d-1", headers=who))
    with deployment.start(signing_key=False) as services:
        web, who = client(services)
        integrity(web.get("/v1/decisions/d-1", headers=who))


def test_a_rewritten_signed_decision_is_not_served_in_a_page(deployment: Deployment) -> None:
    """The same forgery among other signed decisions, read as a page: the entries proven
    at once (``IndexReader._all_signed``) fail, each is proven alone, and the page is
    refused, never served with the forged permit."""
    with deployment.start() as services:
        web, who = client(services)
        denied = web.post("/v1/decisions", json=inquiry("d-1", **STATUS_ONLY), headers=who)
        assert denied.json()["decision"]["decision"] == "deny"
        for ident in ("d-2", "d-3"):
            assert web.post("/v1/decisions", json=inquiry(ident), headers=who).status_code == 200
        assert web.get("/v1/ledger/checkpoint", headers=who).status_code == 200
        page = web.get("/v1/decisions", headers=who)
        assert page.status_code == 200, page.text
        assert len(page.json()["items"]) == 3
        forge_signed_permit(db(services), denied.json()["ledger_index"], "d-1")
        integrity(web.get("/v1/decisions", headers=who))


def forge_signed_permit(engine: Engine, index: int, ident: str) -> None:
    """Rewrite the deny at ``index`` into a permit, in its entry and its row, with leaf
    hashes, tiles and head rebuilt and the checkpoints deleted."""
    from liaison.gateway.index_rows import decision_row
    from test_ledger_tamper import rebuild_derived

    with engine.begin() as conn:
        stored = conn.execute(
            select(ledger_entries.c.body).where(ledger_entries.c.idx == index)
        ).scalar_one()
        forged = bytes(stored).replace(b'"decision":"deny"', b'"decision":"permit"')
        conn.execute(
            update(ledger_entries).where(ledger_entries.c.idx == index).values(body=forged)
        )
        row = decision_row(index, json.loads(forged))
        row["document"] = json.dumps(row["document"], ensure_ascii=False)
        conn.execute(update(decisions).where(decisions.c.id == ident).values(**row))
        conn.execute(text("DELETE FROM ledger_checkpoints"))
    rebuild_derived(engine)


# -- item 2: the index is checked against the ledger -----------------------------------------


def record_history(web: TestClient, who: dict[str, str]) -> None:
    def ok(path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = web.post(path, json=body, headers=who)
        assert response.status_code == 200, response.text
        return dict(response.json())

    started = {"kind": "encounter_started", "at": NOON, "actor": actor(), "encounter": CHECKPOINT}
    ok("/v1/events", {"id": "evt-start", **started})
    ref = {"kind": "checkpoint", "id": "enc-1"}
    assert ok("/v1/decisions", inquiry("dec-deny", encounter=ref, **STATUS_ONLY))
    assert ok("/v1/decisions", inquiry("dec-permit", encounter=ref))
    done = {
        "at": "2025-08-15T12:05:00-04:00",
        "kind": "action_carried_out",
        "action": "database_inquiry",
        "actor": actor(),
        "encounter": ref,
    }
    assert ok("/v1/events", {"id": "evt-flagged", "decision_id": "dec-deny", **done})["flagged"]
    ended = {**started, "kind": "encounter_ended", "at": "2025-08-15T13:00:00-04:00"}
    ok("/v1/events", {"id": "evt-end", **ended, "encounter": {**ref, "outcome": {"arrests": 1}}})


def edit_decision(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(decisions).where(decisions.c.id == "dec-deny").values(decision="permit")
        )


def clear_flag(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(update(events).where(events.c.id == "evt-flagged").values(flagged=None))


def delete_event(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(delete(events).where(events.c.id == "evt-end"))


def fake_decision(engine: Engine) -> None:
    with engine.begin() as conn:
        row = conn.execute(select(decisions).where(decisions.c.id == "dec-permit")).one()
        start = conn.execute(select(events.c.ledger_index).where(events.c.id == "evt-start"))
        values = {**row._asdict(), "id": "dec-fake", "ledger_index": start.scalar_one()}
        conn.execute(insert(decisions), [values])


def edit_purpose(engine: Engine) -> None:
    with engine.begin() as conn:
        row = conn.execute(select(encounters).where(encounters.c.id == "enc-1")).one()
        document = {**json.loads(row.document), "declared_purpose": "immigration sweep"}
        conn.execute(
            update(encounters)
            .where(encounters.c.id == "enc-1")
            .values(document=json.dumps(document))
        )


def edit_database(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(update(decisions).where(decisions.c.id == "dec-deny").values(database="WALES"))


EDITS = {
    "decision": (edit_decision, "decisions 'dec-deny'", "decision"),
    "database": (edit_database, "decisions 'dec-deny'", "database"),
    "flagged": (clear_flag, "events 'evt-flagged'", "flagged"),
    "deleted": (delete_event, "events 'evt-end'", "has no events row"),
    "fake": (fake_decision, "decisions 'dec-fake'", "ledger_index"),
    "purpose": (edit_purpose, "encounters 'enc-1'", "document.declared_purpose"),
}


def test_edited_purposes_and_citations_rows_are_named(deployment: Deployment) -> None:
    """The side tables a query filters on (issue 10): a purpose row rewritten (the denied
    status check filed as a warrant check), a citation added, a stray row: each named."""
    with deployment.start() as services:
        web, who = client(services)
        record_history(web, who)
        with db(services).begin() as conn:
            index = conn.execute(
                select(decisions.c.ledger_index).where(decisions.c.id == "dec-deny")
            ).scalar_one()
            permit = conn.execute(
                select(decisions.c.ledger_index).where(decisions.c.id == "dec-permit")
            ).scalar_one()
            assert conn.execute(
                select(decision_purposes.c.purpose).where(decision_purposes.c.ledger_index == index)
            ).scalars().all() == ["immigration_status"]
            conn.execute(
                update(decision_purposes)
                .where(decision_purposes.c.ledger_index == index)
                .values(purpose="warrant_check")
            )
            conn.execute(
                insert(decision_citations),
                [{"ledger_index": permit, "directive": "EO-25-005", "section": "E9"}],
            )
            conn.execute(insert(decision_purposes), [{"ledger_index": 10**9, "purpose": "x"}])
            conn.execute(
                insert(decision_data_classes), [{"ledger_index": index, "data_class": "medical"}]
            )
            conn.execute(update(decisions).where(decisions.c.id == "dec-permit").values(
                federal_charge=True, initiative="proactive"))  # fmt: skip
    code, out = deployment.verify()
    assert code == 1, out
    assert "decision_purposes of decisions 'dec-deny'" in out, out
    assert "decision_citations of decisions 'dec-permit'" in out, out
    assert f"decision_purposes at ledger_index {10**9}" in out, out
    assert "decision_data_classes of decisions 'dec-deny'" in out, out
    assert "column(s) initiative, federal_charge differ" in out, out


def test_an_untouched_index_verifies(deployment: Deployment) -> None:
    with deployment.start() as services:
        web, who = client(services)
        record_history(web, who)
        services.gateway.ledger.checkpoint()
    code, out = deployment.verify()
    assert code == 0, out


def test_an_encounter_read_proves_its_records_from_one_tile_read_each(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every record under an encounter is proven to be in the signed tree, its decisions'
    proofs from one read of the tiles and its events' from another: not one per row."""
    with deployment.start() as services:
        web, who = client(services)
        record_history(web, who)  # 2 decisions and 3 events under enc-1
        services.gateway.ledger.checkpoint()
        reads: list[int] = []
        real = TreeStore.read_tiles

        def counted(self: TreeStore, cur: Any, keys: Any) -> Any:
            reads.append(len(keys))
            return real(self, cur, keys)

        monkeypatch.setattr(TreeStore, "read_tiles", counted)
        response = web.get("/v1/encounters/enc-1", headers=who)
        assert response.status_code == 200, response.text
        assert len(response.json()["decisions"]) == 2
        assert len(response.json()["events"]) == 3
        assert len(reads) == 2


@pytest.mark.parametrize("edit", list(EDITS))
def test_an_edited_index_row_is_named_and_never_served(deployment: Deployment, edit: str) -> None:
    change, where, what = EDITS[edit]
    with deployment.start() as services:
        web, who = client(services)
        record_history(web, who)
        change(db(services))
        encounter = web.get("/v1/encounters/enc-1", headers=who)
        if edit in ("decision", "fake"):
            ident = "dec-deny" if edit == "decision" else "dec-fake"
            integrity(web.get(f"/v1/decisions/{ident}", headers=who))
            cited = {
                "at": "2025-08-15T12:30:00-04:00",
                "kind": "action_carried_out",
                "action": "database_inquiry",
                "decision_id": ident,
                "actor": actor(),
            }
            integrity(web.post("/v1/events", json=cited, headers=who))  # not flagged from a row
        if edit == "decision":
            replay = inquiry(
                "dec-deny", encounter={"kind": "checkpoint", "id": "enc-1"}, **STATUS_ONLY
            )
            integrity(web.post("/v1/decisions", json=replay, headers=who))
        integrity(encounter)  # every row under it, and its own, checked against the ledger
    code, out = deployment.verify()
    assert code == 1, out
    line = next((ln for ln in out.splitlines() if where in ln), "")
    assert what in line, out
