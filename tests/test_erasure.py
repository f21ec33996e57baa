"""Erasure of a person (issue 8, item 9), on each backend.

``liaison ledger erase --subject ID`` erases every entry's personal data about one person
in one audited step; an event's ``note`` and subject and an encounter's ``place`` and
``location`` are personal (kept apart from the leaf and from every index table), readable
while kept, gone everywhere once erased.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner, Result

import liaison.ledger.erasure as erasure_module
import liaison.ledger.log as ledger_log
from conftest import running_services
from liaison.api.app import create_app
from liaison.cli import app
from liaison.errors import NothingToErase
from liaison.gateway.auth import Principal
from liaison.gateway.events import Event
from liaison.gateway.roles import KeyRole
from liaison.gateway.service import Gateway
from liaison.ledger.check import check_ledger
from liaison.ledger.erasure import erase_subject
from liaison.ledger.note_keys import parse_verifier
from liaison.model.request import parse_request
from liaison.storage.tables import ledger_entries, ledger_personal, metadata

ORIGIN = "test.example/erasure"
OFFICER = Principal("k-officer", KeyRole.OFFICER, "officer-1", "1D")
AUDITOR = Principal("k-auditor", KeyRole.AUDITOR, "auditor-1", None)
ACTOR = {"id": "officer-1", "agency": "MPD", "role": "officer", "unit": "1D"}
PLACE = "1234 Quincy St NW, front porch"
NOTE = "Ms. Quiñones said her son was at work"
LOC = {"lat": 38.9375, "lon": -77.0321}


def decide(gw: Gateway, ident: str, subject: str) -> int:
    body = {
        "id": ident,
        "at": "2025-08-15T12:00:00-04:00",
        "actor": ACTOR,
        "action": "database_inquiry",
        "database": "WALES",
        "purposes": ["warrant_check"],
        "subject": {"id": subject, "custody": "stopped"},
        "case_number": f"CCN-{subject}",
    }
    return gw.decide_and_record(parse_request(body), OFFICER).ledger_index


def record(gw: Gateway, **fields: Any) -> int:
    body: dict[str, Any] = {"at": "2025-08-15T12:30:00-04:00", "actor": ACTOR, **fields}
    return gw.record(Event.model_validate(body), OFFICER).ledger_index


def every_text(engine: Engine) -> str:
    """Every value of every table, as text (binary columns decoded byte for byte)."""
    out = []
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(select(table)).all():
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        value = bytes(value).decode("utf-8", "replace")
                    out.append(str(value))
    return "\n".join(out)


def verifies(gw: Gateway, keypair: tuple[str, str]) -> None:
    gw.ledger.checkpoint()
    report = check_ledger(gw.ledger, parse_verifier(keypair[1]))
    assert report.ok, report.problems


def personal_rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(ledger_personal)).scalar_one())


def history(gw: Gateway) -> dict[str, list[int]]:
    """Two decisions and an event about person-77, one decision about person-88, an
    encounter started at a place, and an event with a note that names nobody."""
    about = [decide(gw, "d-1", "person-77"), decide(gw, "d-2", "person-88")]
    about.append(record(gw, kind="arrest", decision_id="d-1", subject_id="person-77", note=NOTE))
    about.append(decide(gw, "d-3", "person-77"))
    stop = {"kind": "traffic_stop", "id": "stop-1", "place": PLACE, "district": "4D"}
    opened = record(gw, kind="encounter_started", encounter={**stop, "location": LOC})
    noted = record(gw, kind="action_carried_out", decision_id="d-2", note="nothing personal")
    return {"person-77": [about[0], about[2], about[3]], "others": [about[1], opened, noted]}


def test_erase_subject_erases_every_entry_about_them_in_one_entry(
    gateway: Gateway, engine: Engine, keypair: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(erasure_module, "BATCH", 2)  # the scan goes batch by batch
    made = history(gateway)
    verifies(gateway, keypair)
    assert "person-77" in every_text(engine)  # kept, until erased
    size_before = gateway.ledger.head()[0]

    erased, done = erase_subject(gateway.ledger, "person-77", "court order", "admin-1", "DC-2025")

    assert erased == made["person-77"]
    assert done.index == size_before
    assert done.size == size_before + 1
    for index in made["person-77"]:
        gone = gateway.ledger.entry(index)
        assert (gone.personal, gone.erased) == (None, True)
        assert gateway.ledger.inclusion_proof(index).verifies()
    for index in made["others"]:  # nothing else is touched
        assert gateway.ledger.entry(index).personal is not None
    assert gateway.ledger.entry(made["others"][0]).personal == {
        "subject_id": "person-88",
        "case_number": "CCN-person-88",
    }
    entry = gateway.ledger.entry(done.index)
    assert entry.kind == "erasure"
    assert entry.document()["record"] == {
        "erased_indexes": made["person-77"],
        "count": 3,
        "scope": "subject",
        "reason": "court order",
        "authority": "DC-2025",
    }
    text = every_text(engine)
    assert "person-77" not in text  # in no table: not the ledger, not an index
    assert NOTE not in text
    assert "person-88" in text
    verifies(gateway, keypair)  # erased, not missing
    with pytest.raises(NothingToErase):  # once erased, nothing is left to erase
        erase_subject(gateway.ledger, "person-77", "again", "admin-1", "DC-2025")


def test_event_note_and_place_are_personal(gateway: Gateway, engine: Engine) -> None:
    stop = {"kind": "arrest", "id": "arrest-1", "place": PLACE, "location": LOC}
    stop |= {"declared_purpose": "warrant service", "district": "4D"}
    index = record(gateway, kind="encounter_started", encounter=stop, note=NOTE)
    ended = record(gateway, kind="encounter_ended", encounter={"kind": "arrest", "id": "arrest-1"})

    stored = gateway.ledger.entry(index)
    public = stored.document()["record"]
    assert "note" not in public
    assert "place" not in public["encounter"]
    assert "location" not in public["encounter"]
    assert public["encounter"]["declared_purpose"] == "warrant service"  # public
    assert stored.personal == {"note": NOTE, "encounter": {"place": PLACE, "location": LOC}}
    assert gateway.ledger.entry(ended).personal is None
    text = every_text(engine)
    assert text.count(PLACE) == 1
    assert text.count(NOTE) == 1
    seen = gateway.encounter("arrest-1", OFFICER)
    assert (seen["place"], seen["location"], seen["district"]) == (PLACE, LOC, "4D")

    gateway.ledger.erase(index, "retention expiry", "admin-1", "schedule 7.2")

    seen = gateway.encounter("arrest-1", AUDITOR)
    assert "place" not in seen
    assert "location" not in seen
    assert seen["declared_purpose"] == "warrant service"
    text = every_text(engine)
    assert PLACE not in text
    assert NOTE not in text
    assert "38.9375" not in text


def test_later_place_wins_while_kept(gateway: Gateway) -> None:
    first = {"kind": "traffic_stop", "id": "stop-2", "place": "U St NW"}
    record(gateway, kind="encounter_started", encounter=first)
    later = record(gateway, kind="encounter_ended", encounter={**first, "place": "V St NW"})
    assert gateway.encounter("stop-2", OFFICER)["place"] == "V St NW"
    gateway.ledger.erase(later, "retention expiry", "admin-1", "schedule 7.2")
    assert gateway.encounter("stop-2", OFFICER)["place"] == "U St NW"


def test_entries_appended_during_the_scan_are_erased_too(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = decide(gateway, "d-1", "person-77")
    decide(gateway, "d-2", "person-88")
    last = decide(gateway, "d-3", "person-77")
    # The scan before the lock sees the first entry only: the rest is found under the lock.
    monkeypatch.setattr(gateway.ledger, "head", lambda: (1, b""))
    erased, _ = erase_subject(gateway.ledger, "person-77", "court order", "a", "b")
    assert erased == [first, last]


def test_erasure_of_nothing_is_refused_and_writes_nothing(gateway: Gateway, engine: Engine) -> None:
    decide(gateway, "d-1", "person-77")
    before = (gateway.ledger.head(), personal_rows(engine))
    with pytest.raises(NothingToErase, match="no entry holds personal data about that subject"):
        erase_subject(gateway.ledger, "person-7", "court order", "admin-1", "DC-2025")
    assert (gateway.ledger.head(), personal_rows(engine)) == before


def test_a_failure_midway_leaves_nothing_half_written(
    gateway: Gateway, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    decide(gateway, "d-1", "person-77")
    decide(gateway, "d-2", "person-77")
    before = (gateway.ledger.head(), personal_rows(engine))

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(ledger_log, "append_sealed", broken)
    with pytest.raises(RuntimeError):
        erase_subject(gateway.ledger, "person-77", "court order", "admin-1", "DC-2025")
    monkeypatch.undo()
    assert (gateway.ledger.head(), personal_rows(engine)) == before  # every row still there
    with engine.connect() as conn:
        kinds = conn.execute(select(ledger_entries.c.kind)).scalars().all()
    assert "erasure" not in kinds
    assert gateway.ledger.entry(0).personal == {
        "subject_id": "person-77",
        "case_number": "CCN-person-77",
    }


# -- the command ------------------------------------------------------------------------


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), prog_name="liaison")


@pytest.fixture
def env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("LIAISON_DATABASE_URL", db_url)
    monkeypatch.setenv("LIAISON_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("LIAISON_LOG_ORIGIN", ORIGIN)
    return db_url


def test_erase_subject_command(env: str, gateway: Gateway, engine: Engine) -> None:
    decide(gateway, "d-1", "person-77")
    decide(gateway, "d-2", "person-88")
    decide(gateway, "d-3", "person-77")
    why = ("--reason", "court order", "--authority", "DC-2025", "--actor", "admin-1")
    done = cli("ledger", "erase", "--subject", "person-77", *why)
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout) == {"erased": [0, 2], "count": 2, "erasure_entry": 3, "size": 4}
    assert "person-77" not in every_text(engine)

    before = (gateway.ledger.head(), personal_rows(engine))
    again = cli("ledger", "erase", "--subject", "person-77", *why)
    assert again.exit_code == 1
    assert again.stderr == "error: no entry holds personal data about that subject\n"
    for args, code in ((["--subject", "", *why], 2), (["1", "--subject", "x", *why], 2)):
        refused = cli("ledger", "erase", *args)
        assert refused.exit_code == code, refused.stderr
    assert cli("ledger", "erase", *why).exit_code == 2  # neither INDEX nor --subject
    assert (gateway.ledger.head(), personal_rows(engine)) == before

    one = cli("ledger", "erase", "1", *why)  # by index, as before
    assert json.loads(one.stdout) == {"erased": 1, "erasure_entry": 4, "size": 5}
    assert "--subject" in cli("ledger", "erase", "--help").stdout
    assert cli("ledger", "keygen").exit_code == 0
    assert cli("ledger", "checkpoint").exit_code == 0
    report = json.loads(cli("ledger", "verify", "--json").stdout)
    assert (report["ok"], report["erased_entries"]) == (True, 3)  # erased, not missing


def test_verify_finds_personal_data_restored_after_its_erasure(
    gateway: Gateway, engine: Engine, keypair: tuple[str, str]
) -> None:
    decide(gateway, "d-1", "person-77")
    decide(gateway, "d-2", "person-77")
    with engine.connect() as conn:
        kept = conn.execute(select(ledger_personal).where(ledger_personal.c.idx == 1)).one()
    erase_subject(gateway.ledger, "person-77", "court order", "admin-1", "DC-2025")
    with engine.begin() as conn:  # a backup put back: the person is in the database again
        conn.execute(ledger_personal.insert().values(idx=1, salt=kept.salt, data=kept.data))
    gateway.ledger.checkpoint()
    report = check_ledger(gateway.ledger, parse_verifier(keypair[1]))
    assert [str(p) for p in report.problems] == [
        "entry 1: personal data is kept after its recorded erasure"
    ]


# -- the API --------------------------------------------------------------------------------


def test_the_api_shows_note_and_place_while_kept_and_nothing_after(
    db_url: str, tmp_path: Path
) -> None:
    with (
        running_services(db_url, tmp_path) as services,
        TestClient(create_app(services=services)) as client,
    ):
        officer = {
            "Authorization": f"Bearer {services.keys.create(KeyRole.OFFICER, 'officer-1', '1D')[0]}"
        }
        auditor = {
            "Authorization": f"Bearer {services.keys.create(KeyRole.AUDITOR, 'auditor-1')[0]}"
        }
        stop = {"kind": "arrest", "id": "api-arrest", "place": PLACE, "location": LOC}
        body = {"at": "2025-08-15T12:30:00-04:00", "kind": "encounter_started", "actor": ACTOR}
        body |= {"encounter": stop, "note": NOTE, "subject_id": "person-77"}
        posted = client.post("/v1/events", json=body, headers=officer)
        assert posted.status_code == 200, posted.text
        index = posted.json()["ledger_index"]

        seen = client.get("/v1/encounters/api-arrest", headers=officer).json()
        assert (seen["place"], seen["location"]) == (PLACE, LOC)
        entry = client.get(f"/v1/ledger/entries/{index}", headers=auditor).json()
        assert entry["personal"] == {
            "subject_id": "person-77",
            "note": NOTE,
            "encounter": {"place": PLACE, "location": LOC},
        }
        assert NOTE not in json.dumps(entry["entry"], ensure_ascii=False)

        erased, _ = erase_subject(services.gateway.ledger, "person-77", "court order", "a", "b")
        assert erased == [index]

        seen = client.get("/v1/encounters/api-arrest", headers=officer).json()
        assert "place" not in seen
        assert "location" not in seen
        entry = client.get(f"/v1/ledger/entries/{index}", headers=auditor).json()
        assert (entry["personal"], entry["erased"]) == (None, True)
        assert "person-77" not in every_text(services.gateway.db)
