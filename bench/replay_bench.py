"""Benchmark of replay (issue 10, items 3 and 6): run by ``make bench``; results in
bench/results/replay.json.

Builds 100,000 decision records (the mix of ``workload.py``: August-September 2025, both
views, every action, personal data on every entry) through the gateway's own path
(``Gateway.decide_and_record_many``: decided, sealed and committed in groups, their index
rows written in the same transactions), signs a checkpoint over them, then times the
replay of every one of them (``liaison.reports.replay_workers.replay_in_parts``, in one
process and in two): under the Attorney General's reading (``doj``) and under each
decision's own view (which must flip nothing). Each
record is read through the index, checked against its entry, proven in the signed tree,
its personal data checked against its commitment, and decided again.
Target (issue 10, on this 2-core machine): 100,000 records in <= 20 s.

SQLite by default (a file in a temporary folder); ``--postgres`` also on a fresh database
of the cluster of ``scripts/ensure-postgres.sh``. ``--count`` shrinks the run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from liaison.gateway.auth import Principal
from liaison.gateway.roles import KeyRole
from liaison.gateway.service import Gateway
from liaison.ledger.keys import keygen, load_signer
from liaison.ledger.log import Ledger
from liaison.ledger.signer_memory import SignerMemory
from liaison.model.request import parse_request
from liaison.model.timestamps import parse_instant
from liaison.policy import Engine as PolicyEngine
from liaison.policy import load_pack, shipped_pack_path
from liaison.policy.pack_files import read_pack_files
from liaison.reports.replay import in_force, make_plan
from liaison.reports.replay_workers import Source, replay_in_parts
from liaison.storage.database import open_engine
from liaison.storage.migrate import upgrade

sys.path.insert(0, str(Path(__file__).parent))
from scratch_postgres import fresh_postgres_database
from workload import requests

RESULTS = Path(__file__).parent / "results"
ORIGIN = "bench.liaison.example/replay"
TARGET_S = 20.0
CHUNK = 2_000


def build(gateway: Gateway, count: int) -> float:
    """Record ``count`` decisions through the gateway; the seconds it took."""
    made = requests(count, seed=2026)
    by_unit: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for body in made:
        body.pop("encounter", None)  # encounters are not the point here
        by_unit[body["actor"]["unit"]].append(body)
    start = time.perf_counter()
    for unit, bodies in by_unit.items():
        who = Principal(f"bench-{unit}", KeyRole.SUPERVISOR, f"sergeant-{unit}", unit)
        for at in range(0, len(bodies), CHUNK):
            chunk = [parse_request(b) for b in bodies[at : at + CHUNK]]
            for result in gateway.decide_and_record_many(chunk, who):
                if isinstance(result, Exception):
                    raise result
    return time.perf_counter() - start


def timed_replay(
    gateway: Gateway, view: str | None, source: Source, workers: int
) -> dict[str, Any]:
    engine = gateway.current_policy()
    plan = make_plan(
        parse_instant("2025-01-01T00:00:00Z"),
        parse_instant("2026-01-01T00:00:00Z"),
        view,
        engine,
        in_force(engine, None),
        100,
    )
    start, cpu = time.perf_counter(), time.process_time()
    report = replay_in_parts(gateway.index, plan, source, workers)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {
        "view": view or "each decision's own",
        "workers": workers,
        "parent_cpu_seconds": round(cpu, 2),
        "records": report["records"],
        "replayed": report["replayed"],
        "flips": report["flips"]["total"],
        "not_replayable": report["not_replayable"]["total"],
        "seconds": round(seconds, 2),
        "records_per_second": round(report["records"] / seconds),
        "target_met": seconds <= TARGET_S,
    }


def run(url: str, count: int, folder: Path) -> dict[str, Any]:
    db = open_engine(url)
    upgrade(db)
    keys = folder / "keys"
    keygen(keys, ORIGIN)
    ledger = Ledger(db, ORIGIN, load_signer(keys), SignerMemory(keys))
    pack = shipped_pack_path("dc")
    gateway = Gateway(PolicyEngine(load_pack(pack)), ledger, db)
    source = Source(url, ORIGIN, keys, read_pack_files(pack), pack)
    try:
        ledger.checkpoint()  # the key's first memory: the empty tree
        built = build(gateway, count)
        ledger.checkpoint()  # the records are in the signed tree: replay proves each
        out: dict[str, Any] = {"built_seconds": round(built, 1)}
        for workers in (1, 2):
            doj = timed_replay(gateway, "doj", source, workers)
            own = timed_replay(gateway, None, source, workers)
            assert own["flips"] == 0, own  # the same pack and views decide the same
            assert doj["records"] == count, doj
            out[f"workers_{workers}"] = {"doj": doj, "own_views": own}
            print(json.dumps(out[f"workers_{workers}"]), flush=True)
        return out
    finally:
        gateway.close()
        db.dispose()


@contextmanager
def sqlite_url(folder: Path) -> Iterator[str]:
    yield f"sqlite:///{folder / 'replay.db'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--postgres", action="store_true", help="also on PostgreSQL")
    args = parser.parse_args()
    results: dict[str, Any] = {
        "benchmark": "replay",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "count": args.count,
        "target_seconds": TARGET_S,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],  # others' work
    }
    with tempfile.TemporaryDirectory() as tmp, sqlite_url(Path(tmp)) as url:
        results["sqlite"] = run(url, args.count, Path(tmp))
        print(json.dumps(results["sqlite"]), flush=True)
    if args.postgres:
        with tempfile.TemporaryDirectory() as tmp, fresh_postgres_database() as url:
            results["postgresql"] = run(url, args.count, Path(tmp))
            print(json.dumps(results["postgresql"]), flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "replay.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
