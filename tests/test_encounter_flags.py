"""What the records must catch (issue 10, item 4), on a small history of its own on each
backend: an operation with federal immigration partners that went ahead after its
``joint_operation`` was denied, or with none decided (or decided only after), is flagged
on the encounter, in ``GET /v1/encounters/{id}``; one permitted first is not; a refused
inquiry carried out anyway is recorded and flagged; and a flag cleared from the database
is named by ``liaison ledger verify`` and never served.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update
from typer.testing import CliRunner

from conftest import BACKENDS, database_url, running_services
from liaison.api.app import create_app
from liaison.api.deps import Services
from liaison.cli import app as cli_app
from liaison.gateway.encounter_flags import (
    JOINT_DENIED,
    JOINT_NOT_DECIDED,
    JointDecision,
    operation_flag,
)
from liaison.gateway.encounters import encounter_row
from liaison.gateway.events import Event
from liaison.gateway.index_check import check_index
from liaison.gateway.roles import KeyRole
from liaison.storage.migrate import current_revision, upgrade
from liaison.storage.tables import decisions, encounters

ORIGIN = "test.example/encounter-flags"
AUG13 = "2025-08-13T19:00:00-04:00"  # before EO-25-005: a joint operation with ICE is denied
AUG15 = "2025-08-15T12:00:00-04:00"  # in the doj view, the AG's order permits one
MPD = {"agency": "MPD", "type": "state_local"}
ICE = {"agency": "ICE-ERO", "type": "federal_immigration"}
USPP = {"agency": "USPP", "type": "federal_other"}


def actor() -> dict[str, Any]:
    return {"id": "officer-1", "agency": "MPD", "role": "officer", "unit": "1D"}


def later(at: str, minutes: int) -> str:
    return at.replace("T19:00", f"T19:{minutes:02d}").replace("T12:00", f"T12:{minutes:02d}")


# -- the rule, without a database ---------------------------------------------------------------


def event(kind: str, at: str = AUG13, **fields: Any) -> Event:
    ref = {"kind": "checkpoint", "id": "cp"}
    return Event.model_validate(
        {"at": at, "kind": kind, "actor": actor(), "encounter": ref, **fields}
    )


WITH_ICE = {"agencies": [MPD, ICE]}
BEFORE = datetime(2025, 8, 13, 22, tzinfo=UTC)  # 18:00 in D.C.: before AUG13
AFTER = datetime(2025, 8, 14, tzinfo=UTC)


@pytest.mark.parametrize(
    ("joint", "flag"),
    [
        ([], JOINT_NOT_DECIDED),
        ([JointDecision(BEFORE, "deny")], JOINT_DENIED),
        ([JointDecision(BEFORE, "permit")], None),
        ([JointDecision(AFTER, "permit")], JOINT_NOT_DECIDED),  # decided after it went ahead
        ([JointDecision(BEFORE, "permit"), JointDecision(BEFORE, "deny")], JOINT_DENIED),
        ([JointDecision(BEFORE, "deny"), JointDecision(BEFORE, "permit")], None),
    ],
)
def test_an_operation_that_went_ahead_is_flagged_by_its_latest_joint_decision(
    joint: list[JointDecision], flag: str | None
) -> None:
    done = event("handover", action="share_information")
    assert operation_flag(done, WITH_ICE, joint) == flag


def test_only_going_ahead_with_federal_immigration_partners_is_flagged() -> None:
    done = event("handover", action="share_information")
    assert operation_flag(done, {"agencies": [MPD, USPP]}, []) is None
    assert operation_flag(done, {}, []) is None
    assert operation_flag(event("encounter_started"), WITH_ICE, []) is None
    quiet = {"kind": "checkpoint", "id": "cp", "outcome": {"vehicles_stopped": 0}}
    assert operation_flag(event("encounter_ended", encounter=quiet), WITH_ICE, []) is None
    busy = {**quiet, "outcome": {"vehicles_stopped": 4}}
    assert operation_flag(event("encounter_ended", encounter=busy), WITH_ICE, []) == (
        JOINT_NOT_DECIDED
    )


def test_a_flag_once_on_the_encounter_row_stays() -> None:
    cp = {"kind": "checkpoint", "id": "cp", **WITH_ICE}
    opened = encounter_row(event("encounter_started", encounter=cp), None)
    assert "flagged" not in json.loads(opened["document"])
    went = encounter_row(event("handover", action="share_information"), opened)
    assert json.loads(went["document"])["flagged"] == [JOINT_NOT_DECIDED]
    denied = [JointDecision(BEFORE, "deny")]
    again = encounter_row(event("handover", action="share_information"), went, denied)
    assert json.loads(again["document"])["flagged"] == [JOINT_NOT_DECIDED, JOINT_DENIED]
    permitted = [JointDecision(BEFORE, "permit")]
    kept = encounter_row(event("handover", action="share_information"), again, permitted)
    assert json.loads(kept["document"])["flagged"] == [JOINT_NOT_DECIDED, JOINT_DENIED]


# -- through the API, on each backend -------------------------------------------------------------


@pytest.fixture(params=BACKENDS)
def deployment(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, Path, pytest.MonkeyPatch]]:
    for url in database_url(request.param, tmp_path):
        yield url, tmp_path, monkeypatch


class History:
    """Encounters of 1D recorded through the API by its supervisor."""

    def __init__(self, services: Services) -> None:
        key, _ = services.keys.create(KeyRole.SUPERVISOR, "sergeant-1", "1D")
        self.web = TestClient(create_app(services=services))
        self.who = {"Authorization": f"Bearer {key}"}

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.web.post(path, json=body, headers=self.who)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def operation(self, ident: str, at: str, joint: str | None, *, view: str = "mpd") -> None:
        """A checkpoint with ICE; its joint operation asked ``joint`` ("before", "after" the
        handover, or None), then a driver's details handed to ICE under a permitted share."""
        cp = {"kind": "checkpoint", "id": ident, "district": "1D", "agencies": [MPD, ICE]}
        ref = {"kind": "checkpoint", "id": ident}
        self.post(
            "/v1/events", {"at": at, "kind": "encounter_started", "actor": actor(), "encounter": cp}
        )
        operation = {
            "id": f"{ident}-joint",
            "actor": actor(),
            "action": "joint_operation",
            "purposes": ["traffic_enforcement"],
            "operation": {"kind": "checkpoint", "partners": [ICE]},
            "encounter": ref,
            "view": view,
        }
        if joint == "before":
            self.post("/v1/decisions", {**operation, "at": later(at, 1)})
        handover = {
            "at": later(at, 10),
            "kind": "handover",
            "action": "custody_transfer",
            "actor": actor(),
            "encounter": ref,
        }
        self.post("/v1/events", handover)
        if joint == "after":
            self.post("/v1/decisions", {**operation, "at": later(at, 20)})

    def flagged(self, ident: str) -> Any:
        response = self.web.get(f"/v1/encounters/{ident}", headers=self.who)
        assert response.status_code == 200, response.text
        return response.json()["flagged"]


@contextmanager
def serving(
    deployment: tuple[str, Path, pytest.MonkeyPatch],
) -> Iterator[tuple[Services, History]]:
    """The services on the deployment's database, and a supervisor of 1D using them."""
    url, folder, _ = deployment
    with running_services(url, folder, log_origin=ORIGIN) as services:
        yield services, History(services)


def record(history: History) -> None:
    history.operation("cp-denied", AUG13, "before")
    history.operation("cp-undecided", AUG13, None)
    history.operation("cp-late", AUG15, "after", view="doj")
    history.operation("cp-permitted", AUG15, "before", view="doj")


def test_each_operation_is_flagged_on_its_encounter(
    deployment: tuple[str, Path, pytest.MonkeyPatch],
) -> None:
    with serving(deployment) as (_, history):
        record(history)
        decided = history.web.get("/v1/decisions/cp-permitted-joint", headers=history.who)
        assert decided.json()["decision"]["decision"] == "permit"
        denied = history.web.get("/v1/decisions/cp-denied-joint", headers=history.who)
        assert denied.json()["decision"]["decision"] == "deny"
        assert history.flagged("cp-denied") == [JOINT_DENIED]
        assert history.flagged("cp-undecided") == [JOINT_NOT_DECIDED]
        assert history.flagged("cp-late") == [JOINT_NOT_DECIDED]  # permitted only after
        assert history.flagged("cp-permitted") == []


def test_a_refused_inquiry_carried_out_is_recorded_and_flagged(
    deployment: tuple[str, Path, pytest.MonkeyPatch],
) -> None:
    with serving(deployment) as (_, history):
        inquiry = {
            "id": "status-1",
            "at": AUG15,
            "actor": actor(),
            "action": "database_inquiry",
            "database": "NCIC",
            "purposes": ["immigration_status"],
            "subject": {"id": "person-1", "custody": "stopped"},
        }
        assert history.post("/v1/decisions", inquiry)["decision"]["decision"] == "deny"
        done = {
            "at": later(AUG15, 5),
            "kind": "action_carried_out",
            "action": "database_inquiry",
            "decision_id": "status-1",
            "actor": actor(),
        }
        assert history.post("/v1/events", done)["flagged"] == "decision_denied"


def clear_flag(services: Services, ident: str) -> None:
    """The encounter row as written before its flags existed (or with one cleared)."""
    with services.gateway.db.begin() as conn:
        where = (encounters.c.id == ident, encounters.c.unit == "1D")
        stored = json.loads(conn.execute(select(encounters.c.document).where(*where)).one()[0])
        del stored["flagged"]
        conn.execute(update(encounters).where(*where).values(document=json.dumps(stored)))


def test_migration_0007_writes_the_flags_of_rows_written_before(
    deployment: tuple[str, Path, pytest.MonkeyPatch],
) -> None:
    with serving(deployment) as (services, history):
        record(history)
        for ident in ("cp-denied", "cp-undecided", "cp-late"):
            clear_flag(services, ident)
        assert len(check_index(services.gateway.ledger)) == 3
        engine = services.gateway.db
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0006'"))
        upgrade(engine, "0007")  # 0007 alone: the schema is already the newest's
        assert current_revision(engine) == "0007"
        assert check_index(services.gateway.ledger) == []
        assert history.flagged("cp-denied") == [JOINT_DENIED]


def test_a_cleared_encounter_flag_is_named_by_verify_and_never_served(
    deployment: tuple[str, Path, pytest.MonkeyPatch],
) -> None:
    url, folder, monkeypatch = deployment
    with serving(deployment) as (services, history):
        record(history)
        services.gateway.ledger.checkpoint()
        clear_flag(services, "cp-denied")
        cleared = history.web.get("/v1/encounters/cp-denied", headers=history.who)
        assert cleared.status_code == 503, cleared.text
        assert cleared.json()["error"]["code"] == "integrity"
    monkeypatch.setenv("LIAISON_DATABASE_URL", url)
    monkeypatch.setenv("LIAISON_KEY_DIR", str(folder / "keys"))
    monkeypatch.setenv("LIAISON_LOG_ORIGIN", ORIGIN)
    result = CliRunner().invoke(cli_app, ["ledger", "verify"], prog_name="liaison")
    assert result.exit_code == 1, result.stdout
    named = [line for line in result.stdout.splitlines() if "encounters 'cp-denied'" in line]
    assert named, result.stdout
    assert "document.flagged" in named[0], result.stdout
    assert not [ln for ln in result.stdout.splitlines() if "cp-undecided" in ln], result.stdout


def test_a_decision_row_edited_to_permit_cannot_clear_a_flag(
    deployment: tuple[str, Path, pytest.MonkeyPatch],
) -> None:
    """The writer flags an encounter by the ``joint_operation`` decisions' entries, never by
    their rows: a denied one edited to a permit is refused (fails closed), not obeyed."""
    url, folder, _ = deployment
    with running_services(url, folder, log_origin=ORIGIN) as services:
        history = History(services)
        cp = {"kind": "checkpoint", "id": "cp-edited", "district": "1D", "agencies": [MPD, ICE]}
        start = {"at": AUG13, "kind": "encounter_started", "actor": actor(), "encounter": cp}
        history.post("/v1/events", start)
        ref = {"kind": "checkpoint", "id": "cp-edited"}
        operation = {
            "id": "cp-edited-joint",
            "at": later(AUG13, 1),
            "actor": actor(),
            "action": "joint_operation",
            "purposes": ["traffic_enforcement"],
            "operation": {"kind": "checkpoint", "partners": [ICE]},
            "encounter": ref,
            "view": "mpd",
        }
        assert history.post("/v1/decisions", operation)["decision"]["decision"] == "deny"
        with services.gateway.db.begin() as conn:
            conn.execute(
                update(decisions)
                .where(decisions.c.id == "cp-edited-joint")
                .values(decision="permit")
            )
        handover = {
            "at": later(AUG13, 10),
            "kind": "handover",
            "action": "custody_transfer",
            "actor": actor(),
            "encounter": ref,
        }
        response = history.web.post("/v1/events", json=handover, headers=history.who)
        assert response.status_code == 503, response.text
        assert response.json()["error"]["code"] == "integrity"


def test_migrations_0008_and_0009_fill_the_rows_written_before(
    deployment: tuple[str, Path, pytest.MonkeyPatch],
) -> None:
    """The query and report columns and the side tables, filled by 0008 and 0009 from each
    row's document, agree with the ledger again (``ledger verify`` finds nothing)."""
    from alembic import command

    from liaison.storage.migrate import _config

    with serving(deployment) as (services, history):
        record(history)
        share = {
            "id": "share-1",
            "at": AUG15,
            "actor": actor(),
            "action": "share_information",
            "purposes": ["assist_federal_agency"],
            "initiative": "proactive",
            "subject": {"id": "person-1", "custody": "mpd_custody"},
            "recipient": {"agency": "ICE-ERO", "type": "federal_immigration"},
            "data_classes": ["home_address"],
        }
        history.post("/v1/decisions", share)
        engine = services.gateway.db
        tables = ("decision_purposes", "decision_citations", "decision_data_classes")
        with engine.connect() as conn:
            before = {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar() for t in tables}
        assert all(before.values()), before
        config = _config()
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0007")
        upgrade(engine)
        with engine.connect() as conn:
            after = {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar() for t in tables}
            initiative = conn.execute(
                select(decisions.c.initiative).where(decisions.c.id == "share-1")
            ).scalar()
        assert after == before
        assert initiative == "proactive"
        assert check_index(services.gateway.ledger) == []
