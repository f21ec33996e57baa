"""The bench's year of records (bench/oversight_data.py; issue 10, item 6) is what the real
path would have written: on both backends, a small one verifies clean (``ledger verify``'s
own checks: the tree, the signed checkpoint, every index row, side table and encounter
row), its decisions are the engine's own (each request decided again here, one by one),
and its event flags are what ``recording.flag_of`` gives for the decisions they cite."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import Engine, select

from liaison.gateway.index_check import check_index
from liaison.ledger.check import check_ledger
from liaison.ledger.keys import load_verifier
from liaison.ledger.log import Ledger
from liaison.model.request import parse_request
from liaison.policy import Engine as PolicyEngine
from liaison.settings import Settings
from liaison.storage.tables import decisions, encounters, events

BENCH = Path(__file__).resolve().parents[1] / "bench"
RECORDS = 2500


def _bench_module(name: str) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def generated(db_url: str, tmp_path: Path) -> dict[str, Any]:
    data = _bench_module("oversight_data")
    return data.generate(db_url, tmp_path / "keys", RECORDS, seed=7)  # type: ignore[no-any-return]


def _rows(engine: Engine, table: Any) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(table))]


def test_the_generated_year_verifies_clean(
    generated: dict[str, Any], db_url: str, engine: Engine, tmp_path: Path
) -> None:
    origin = Settings(database_url=db_url, key_dir=tmp_path / "keys").log_origin
    ledger = Ledger(engine, origin, None)
    report = check_ledger(ledger, load_verifier(tmp_path / "keys"))
    assert report.ok, report.problems[:5]
    assert report.checkpoints_verified == 1
    assert check_index(ledger) == []
    made = _rows(engine, decisions), _rows(engine, events), _rows(engine, encounters)
    assert [len(rows) for rows in made] == [
        generated["counts"][name] for name in ("decisions", "events", "encounters")
    ]
    assert report.size == len(made[0]) + len(made[1]) + 1  # and the pack, entry 0


def test_its_decisions_are_the_engines(
    generated: dict[str, Any], engine: Engine, policy: PolicyEngine
) -> None:
    mix = _bench_module("oversight_mix")
    asked = [body for episode in mix.year(7, RECORDS) for kind, body in episode if kind == "decide"]
    stored = {(r["actor_id"], r["id"]): r for r in _rows(engine, decisions)}
    assert len(stored) == len(asked)
    outcomes = Counter()
    for body in asked:
        decided = policy.decide(parse_request(body))
        row = stored[(body["actor"]["id"], body["id"])]
        assert (row["decision"], row["basis"]) == (decided.decision.value, decided.basis.value)
        assert row["policy_version"] == decided.policy_version
        outcomes[row["decision"]] += 1
    assert outcomes["permit"] > 0
    assert outcomes["deny"] > 0


def test_its_flags_are_those_of_the_decisions_cited(
    generated: dict[str, Any], engine: Engine
) -> None:
    by_id = {(r["actor_id"], r["id"]): r for r in _rows(engine, decisions)}
    reporting = {"action_carried_out", "notification_sent", "handover", "transport", "arrest"}
    flags = Counter()
    for event in _rows(engine, events):
        cited = by_id.get((event["actor_id"], event["decision_id"]))
        if event["kind"] not in reporting:
            expected = None
        elif event["decision_id"] is None:
            expected = "no_decision"
        else:
            assert cited is not None
            assert cited["at"] <= event["at"]
            expected = None if cited["decision"] == "permit" else "decision_denied"
        assert event["flagged"] == expected, event["id"]
        flags[expected] += 1
    assert flags["decision_denied"] > 0
    assert flags[None] > 0
    flagged = [json.loads(r["document"]).get("flagged") for r in _rows(engine, encounters)]
    assert generated["counts"]["flagged_encounters"] == sum(1 for f in flagged if f)
