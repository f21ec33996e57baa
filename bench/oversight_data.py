"""A year of a large department's records in a real ledger, generated in bulk and cached on
disk (issue 10, item 6): the dataset of ``bench/oversight_bench.py`` and of any bench or
test that needs one.

The episodes of ``bench/oversight_mix.py`` are decided by the D.C. pack's engine
(``Engine.decide_many``: real decisions, never invented outcomes) under the pack version the
deployment records first (``Gateway.record_pack``, entry 0), sealed as the gateway seals
them (``records.decision_record`` / ``event_record``, with the event flags of
``recording.flag_of`` worked out from the decisions of the same episode), and appended with
``Ledger.append_many`` in large batches: a valid RFC 6962 tree with its tiles, signed at the
end. The index rows come from ``gateway.index_rows`` (the functions ``ledger verify`` holds
them to), so new columns arrive with them; encounter rows and each record's
``encounter_unit`` are replayed as ``ledger verify`` replays them (``encounters.resolve``,
``index_rows.encounter_step``, ``index_rows.joint_decision``). Rows go in with
``storage.bulk.insert_rows``; on SQLite the index tables' secondary indexes are dropped for
the load and made again from their own DDL after it (``ANALYZE`` is not run: a deployment
does not run it either).

Cached under ``bench/.data/`` (gitignored), named by the record count, the seed and a
digest of what makes the data (``VERSION`` of this file, the mix, ``index_rows``,
``records``): any change to those makes it again; a newer migration upgrades it in place,
as ``liaison db upgrade`` would a deployment.
``python bench/oversight_data.py --records 20000`` makes (or finds) one and prints where,
with the environment for ``liaison ledger verify``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.engine import make_url

from liaison.gateway.encounter_flags import JointDecision
from liaison.gateway.events import ACTION_KINDS, Event
from liaison.gateway.index_check import replay_encounter
from liaison.gateway.index_rows import (
    DECISION_COLUMNS,
    ENCOUNTER_COLUMNS,
    EVENT_COLUMNS,
    SIDES,
    decision_row,
    event_row,
)
from liaison.gateway.records import decision_record, event_record
from liaison.gateway.service import Gateway
from liaison.ledger.entries import NewEntry
from liaison.ledger.keys import keygen, load_signer
from liaison.ledger.log import Ledger
from liaison.ledger.sequencer import Appended
from liaison.ledger.signer_memory import SignerMemory
from liaison.model.request import request_from_json
from liaison.policy import Engine as PolicyEngine
from liaison.policy import load_pack, shipped_pack_path
from liaison.policy.pack_files import read_pack_files
from liaison.settings import Settings
from liaison.storage.bulk import insert_rows
from liaison.storage.database import open_engine
from liaison.storage.migrate import upgrade
from liaison.storage.tables import decisions, encounters, events, metadata

sys.path.insert(0, str(Path(__file__).parent))
from oversight_mix import Episode, year

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DATA = BENCH / ".data"
SEED = 2025
BATCH = 20_000  # entries per append (whole episodes)
INDEX_TABLES = ("decisions", "events", "encounters", *SIDES)
# Bump when this module changes what it writes (its other edits keep the cached data).
VERSION = 1
_MAKERS = [
    BENCH / "oversight_mix.py",
    ROOT / "src/liaison/gateway/index_rows.py",
    ROOT / "src/liaison/gateway/index_check.py",
    ROOT / "src/liaison/gateway/records.py",
]


def digest() -> str:
    """What makes the data: ``VERSION`` and these sources. A migration is not: a cached
    database is upgraded as a deployment's is (``dataset``)."""
    h = hashlib.sha256(str(VERSION).encode())
    for path in _MAKERS:
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


@dataclass(frozen=True)
class Dataset:
    """A generated database, its signing key folder and what was made."""

    url: str
    key_dir: Path
    meta: dict[str, Any]

    def env(self) -> dict[str, str]:
        """The environment a ``liaison`` command reads this deployment with."""
        return {"LIAISON_DATABASE_URL": self.url, "LIAISON_KEY_DIR": str(self.key_dir)}

    def ledger(self) -> Ledger:
        settings = Settings(database_url=self.url, key_dir=self.key_dir)
        signer = load_signer(self.key_dir)
        engine = open_engine(self.url)
        return Ledger(engine, settings.log_origin, signer, SignerMemory(self.key_dir))


def dataset(records: int, *, seed: int = SEED, folder: Path = DATA) -> Dataset:
    """The SQLite dataset of about ``records`` decisions and events: the cached one if its
    digest is current, else made now (older ones of the same size are removed)."""
    name = f"oversight-{records}-s{seed}-{digest()}"
    meta_path = folder / f"{name}.json"
    url, keys = f"sqlite:///{folder / name}.db", folder / f"{name}.keys"
    if meta_path.exists():
        engine = open_engine(url)
        upgrade(engine)  # later migrations (indexes, say) as ``liaison db upgrade`` runs them
        engine.dispose()
        return Dataset(url, keys, json.loads(meta_path.read_text()))
    for old in folder.glob(f"oversight-{records}-s{seed}-*"):
        shutil.rmtree(old, ignore_errors=True) if old.is_dir() else old.unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    meta = generate(url, keys, records, seed)
    meta["disk_bytes"] = sum(p.stat().st_size for p in folder.glob(f"{name}.db*"))
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    return Dataset(url, keys, meta)


def generate(url: str, key_dir: Path, records: int, seed: int = SEED) -> dict[str, Any]:
    """Make the deployment at ``url`` (empty or new) with its key in ``key_dir``: the D.C.
    pack recorded, about ``records`` decisions and events, a signed checkpoint."""
    started = time.perf_counter()
    engine = open_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _fast_sqlite)
    upgrade(engine)
    settings = Settings(database_url=url, key_dir=key_dir)
    keygen(key_dir, settings.log_origin)
    ledger = Ledger(engine, settings.log_origin, load_signer(key_dir), SignerMemory(key_dir))
    folder = shipped_pack_path("dc")
    gateway = Gateway(PolicyEngine(load_pack(folder)), ledger, engine)
    gateway.record_pack(read_pack_files(folder), actor="liaison", reason="bench: the D.C. pack")
    policy = gateway.policy
    gateway.close()
    dropped = _drop_indexes(engine)
    writer = Writer(ledger, policy)
    for batch in batches(year(seed, records), BATCH):
        writer.write(batch)
    loaded = time.perf_counter() - started
    _make_indexes(engine, dropped)
    checkpoint = ledger.checkpoint()
    engine.dispose()
    return {
        "records": records,
        "seed": seed,
        "digest": digest(),
        "backend": engine.dialect.name,
        "counts": writer.counts,
        "ledger_size": checkpoint.size,
        "generated_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "load_seconds": round(loaded, 1),
        "generation_seconds": round(time.perf_counter() - started, 1),
    }


def batches(episodes: Iterable[Episode], size: int) -> Iterator[list[Episode]]:
    """Whole episodes, about ``size`` steps to a batch."""
    batch: list[Episode] = []
    steps = 0
    for episode in episodes:
        batch.append(episode)
        steps += len(episode)
        if steps >= size:
            yield batch
            batch, steps = [], 0
    if batch:
        yield batch


class Writer:
    """Decides, seals and appends batches of whole episodes with their index rows."""

    def __init__(self, ledger: Ledger, policy: PolicyEngine) -> None:
        self.ledger, self.policy, self.zone = ledger, policy, policy.pack.timezone
        self.counts = {"decisions": 0, "events": 0, "encounters": 0, "flagged_events": 0}
        self.counts.update({"denied": 0, "flagged_encounters": 0})
        # Replayed as ``ledger verify`` does: encounters by id, joint decisions by owner.
        self.encounters: dict[str, list[dict[str, Any]]] = {}
        self.joint: dict[tuple[str, str], list[JointDecision]] = {}

    def write(self, episodes: list[Episode]) -> None:
        steps = [step for episode in episodes for step in episode]
        requests = [request_from_json(body) for kind, body in steps if kind == "decide"]
        decided = iter(zip(requests, self.policy.decide_many(requests), strict=True))
        made: dict[tuple[str, str], tuple[str, str, datetime]] = {}
        entries: list[NewEntry] = []
        for kind, body in steps:
            if kind == "decide":
                request, decision = next(decided)
                if not hasattr(decision, "decision"):
                    raise SystemExit(f"generator: {request.id} was not decided: {decision}")
                decision = decision._replace(id=request.id)  # type: ignore[union-attr]
                record, personal = decision_record(request, decision, self.zone)
                key = (request.actor.id, str(request.id))
                made[key] = (decision.decision.value, request.action.value, decision.at)
                self.counts["denied"] += decision.decision.value != "permit"
                at, actor = decision.at, request.actor.id
            else:
                ev = Event.model_validate(body)
                record, personal = event_record(str(ev.id), ev, flag_of(ev, made))
                at, actor = ev.at, ev.actor.id
                self.counts["flagged_events"] += "flagged" in record
            recorded = at.astimezone() + timedelta(seconds=20)
            entry_kind = "decision" if kind == "decide" else "event"
            entries.append(NewEntry(entry_kind, record, actor, personal, recorded_at=recorded))
        self.ledger.append_many(entries, after=lambda conn, done: self._index(conn, entries, done))

    def _index(self, conn: Connection, entries: list[NewEntry], done: list[Appended]) -> None:
        """The rows of a batch, as the writer makes them (``index_writes``), in bulk."""
        rows: dict[str, list[dict[str, Any]]] = {"decisions": [], "events": []}
        sides: dict[str, list[tuple[Any, ...]]] = {table: [] for table in SIDES}
        for entry, at in zip(entries, done, strict=True):
            body = {"record": entry.record, "recorded_at": entry.recorded_at}
            if entry.kind == "decision":
                row = decision_row(at.index, body)
                for table, (_, make) in SIDES.items():
                    sides[table].extend((at.index, *v) for v in sorted(make(entry.record)))
                rows["decisions"].append(row)
            else:
                row = event_row(at.index, body)
                rows["events"].append(row)
            row["document"] = json.dumps(entry.record, ensure_ascii=False)
            row["encounter_unit"] = self._encounter_of(entry.kind, entry.record)
        for table, columns in ((decisions, DECISION_COLUMNS), (events, EVENT_COLUMNS)):
            names = (*columns, "encounter_unit")
            found = rows[table.name]
            insert_rows(conn, table, names, [tuple(r[c] for c in names) for r in found])
            self.counts[table.name] += len(found)
        for table, (names, _) in SIDES.items():
            insert_rows(conn, metadata.tables[table], ("ledger_index", *names), sides[table])
        self._flush_encounters(conn)

    def _encounter_of(self, kind: str, record: Mapping[str, Any]) -> str | None:
        """The unit owning the encounter a record is under, replayed in ledger order as
        ``ledger verify`` replays it (``index_check``); an event makes its row."""
        return replay_encounter(self.encounters, self.joint, kind, record)

    def _flush_encounters(self, conn: Connection) -> None:
        """Every episode is whole in its batch: its encounters are final, written once."""
        found = [row for rows in self.encounters.values() for row in rows]
        values = [tuple(r[c] for c in ENCOUNTER_COLUMNS) for r in found]
        insert_rows(conn, encounters, ENCOUNTER_COLUMNS, values)
        self.counts["encounters"] += len(found)
        self.counts["flagged_encounters"] += sum('"flagged"' in r["document"] for r in found)
        self.encounters.clear()
        self.joint.clear()


def flag_of(ev: Event, made: Mapping[tuple[str, str], tuple[str, str, datetime]]) -> str | None:
    """``recording.flag_of`` over the decisions of the event's episode (the actor's own):
    (outcome, action, instant) by (actor, id)."""
    if ev.kind not in ACTION_KINDS:
        return None
    if ev.decision_id is None:
        return "no_decision"
    found = made.get((ev.actor.id, ev.decision_id))
    if found is None:
        return "decision_not_found"
    outcome, action, at = found
    if outcome != "permit":
        return "decision_denied"
    reported = ev.reported_action()
    if reported is not None and reported.value != action:
        return "action_differs_from_decision"
    return "decision_after_action" if at > ev.at else None


# -- SQLite: a fast load -----------------------------------------------------------------


def _fast_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """For the load only (a bench database, made again if lost): no fsync per commit."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.execute("PRAGMA cache_size=-262144")  # 256 MiB
    cursor.close()


def _drop_indexes(engine: Engine) -> list[str]:
    """Drop the index tables' secondary indexes (SQLite); their DDL, to make them again."""
    if engine.dialect.name != "sqlite":
        return []
    marks = ", ".join("?" for _ in INDEX_TABLES)
    with engine.begin() as conn:
        found = conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({marks})",
            INDEX_TABLES,
        ).all()
        for name, _ in found:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
    return [str(sql) for _, sql in found]


def _make_indexes(engine: Engine, ddl: list[str]) -> None:
    with engine.begin() as conn:
        for statement in ddl:
            conn.exec_driver_sql(statement)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2_000_000)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    data = dataset(args.records, seed=args.seed)
    print(json.dumps(data.meta, indent=2))
    path = make_url(data.url).database
    print(" ".join(f"{k}={v}" for k, v in data.env().items()), f"# {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
