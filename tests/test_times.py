"""One time rule for every rendering (issue 10, item 5; docs/api.md "Times"): UTC in
storage, the pack's zone (America/New_York for D.C.) with its offset wherever a person
reads an instant. The expected texts are written out here, not rendered by the code."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from conftest import running_services
from liaison.gateway.auth import Principal
from liaison.gateway.events import Event
from liaison.gateway.roles import KeyRole
from liaison.gateway.service import Gateway
from liaison.model.request import parse_request
from liaison.model.timestamps import parse_instant
from liaison.storage.tables import decisions, encounters

ORIGIN = "liaison.test/times"
OFFICER = Principal("k-officer", KeyRole.OFFICER, "officer-1", "1D")
AUDITOR = Principal("k-auditor", KeyRole.AUDITOR, "auditor-1", None)
ACTOR = {"id": "officer-1", "agency": "MPD", "role": "officer", "unit": "1D"}


def _stop(gateway: Gateway, ident: str, start: str, decided: str, end: str) -> None:
    """A traffic stop opened, an inquiry decided and the stop ended, every instant in UTC."""
    ref = {"kind": "traffic_stop", "id": ident}
    for kind, at in (("encounter_started", start), ("encounter_ended", end)):
        if kind == "encounter_ended":
            request = {
                "id": f"{ident}-q",
                "at": decided,
                "actor": ACTOR,
                "action": "database_inquiry",
                "database": "WALES",
                "purposes": ["warrant_check"],
                "subject": {"id": "person-1", "custody": "stopped"},
                "encounter": ref,
            }
            gateway.decide_and_record(parse_request(request), OFFICER)
        event = {"id": f"{ident}-{kind}", "at": at, "kind": kind, "actor": ACTOR, "encounter": ref}
        gateway.record(Event.model_validate(event), OFFICER)


def test_an_encounter_recorded_in_utc_is_served_in_eastern(
    gateway: Gateway, engine: Engine
) -> None:
    """Recorded with ``Z`` times; served -04:00 in August (EDT), -05:00 in December (EST),
    the encounter's own instants and each record's under it alike; stored in UTC."""
    _stop(gateway, "aug", "2025-08-13T23:00:00Z", "2025-08-13T23:30:00Z", "2025-08-14T02:00:00Z")
    _stop(gateway, "dec", "2025-12-13T23:00:00Z", "2025-12-13T23:30:00Z", "2025-12-14T02:00:00Z")
    for who in (OFFICER, AUDITOR):
        aug, dec = gateway.encounter("aug", who), gateway.encounter("dec", who)
        assert (aug["started_at"], aug["ended_at"]) == (
            "2025-08-13T19:00:00-04:00",
            "2025-08-13T22:00:00-04:00",
        )
        assert [d["at"] for d in aug["decisions"]] == ["2025-08-13T19:30:00-04:00"]
        assert [e["at"] for e in aug["events"]] == [
            "2025-08-13T19:00:00-04:00",
            "2025-08-13T22:00:00-04:00",
        ]
        assert (dec["started_at"], dec["ended_at"]) == (
            "2025-12-13T18:00:00-05:00",
            "2025-12-13T21:00:00-05:00",
        )
        assert [d["at"] for d in dec["decisions"]] == ["2025-12-13T18:30:00-05:00"]
        assert [e["at"] for e in dec["events"]] == [
            "2025-12-13T18:00:00-05:00",
            "2025-12-13T21:00:00-05:00",
        ]
        # The decision's own rendering says the same as the encounter's listing of it.
        assert gateway.decision("aug-q", who)["decision"]["at"] == aug["decisions"][0]["at"]
    with engine.connect() as conn:
        stored = conn.execute(select(encounters.c.started_at).where(encounters.c.id == "dec"))
        started = stored.scalar_one()
    assert started.utcoffset().total_seconds() == 0  # storage is UTC
    assert started == datetime(2025, 12, 13, 23, tzinfo=UTC)


def test_the_same_instant_given_as_z_and_as_an_offset_is_one_instant(
    gateway: Gateway, engine: Engine
) -> None:
    """``2025-12-15T17:00:00Z`` and ``2025-12-15T12:00:00-05:00`` compare equal, are stored
    alike, and are served alike: the recorded request's ``at`` too, in the pack's zone."""
    assert parse_instant("2025-12-15T17:00:00Z") == parse_instant("2025-12-15T12:00:00-05:00")
    for ident, at in (("z", "2025-12-15T17:00:00Z"), ("offset", "2025-12-15T12:00:00-05:00")):
        request = {
            "id": ident,
            "at": at,
            "actor": ACTOR,
            "action": "database_inquiry",
            "database": "WALES",
            "purposes": ["warrant_check"],
            "subject": {"id": "person-1", "custody": "free"},
        }
        gateway.decide_and_record(parse_request(request), OFFICER)
    served = [gateway.decision(ident, OFFICER) for ident in ("z", "offset")]
    for read in served:
        assert read["request"]["at"] == "2025-12-15T12:00:00-05:00"
        assert read["decision"]["at"] == "2025-12-15T12:00:00-05:00"
    with engine.connect() as conn:
        stored = conn.execute(select(decisions.c.at).order_by(decisions.c.id)).scalars().all()
    assert stored == [datetime(2025, 12, 15, 17, tzinfo=UTC)] * 2


def test_pack_changes_are_shown_in_the_packs_zone(tmp_path: Path) -> None:
    """``changed_at`` (GET /v1/packs/changes, ``liaison packs history``) is the pack's zone's
    text of the instant the ledger entry recorded in UTC."""
    url = f"sqlite:///{tmp_path / 'liaison.db'}"
    with running_services(url, tmp_path) as services:
        [change] = services.gateway.packs.history()
        entry = services.gateway.ledger.entry(change["ledger_index"]).document()
    recorded = entry["recorded_at"]
    assert recorded.endswith("Z")  # the ledger keeps UTC (machine data, signed)
    shown = datetime.fromisoformat(change["changed_at"])
    instant = datetime.fromisoformat(recorded.replace("Z", "+00:00"))
    assert shown == instant
    assert shown.utcoffset() == instant.astimezone(ZoneInfo("America/New_York")).utcoffset()
    assert change["changed_at"][-6:] in ("-04:00", "-05:00")
