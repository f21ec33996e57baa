"""Benchmark of the ledger (issue 3): run by ``make bench``; results in bench/results/ledger.json.

Side by side in one run, on realistic decision records (~300-byte bodies, personal data
on every entry kept apart from the leaf):
- durable appends per second, single writer, on SQLite (a file in a temporary folder) and on
  PostgreSQL (a fresh database on the cluster of ``scripts/ensure-postgres.sh``, dropped
  afterwards): unbatched (one entry per transaction) and batched (1,000 per transaction);
- a 1,000,000-entry ledger built on SQLite with batched appends and checkpoints at four
  sizes, then: inclusion proofs for 2,000 random indexes (each verified against the signed
  root), consistency proofs from random old sizes (each verified against roots recomputed
  independently from the appended leaf hashes), and the full ``check_ledger`` against a
  bare ``hashlib.sha256(b"\\x00" + body).digest()`` loop over the same stored entry bytes
  (read into memory first; only the hashing is timed).
Targets (issue 3, on this machine): >= 50,000 durable appends/s batched on SQLite; an
inclusion proof in < 0.5 ms at 1M entries; the full verification within 3x of the bare
hashing loop.

Options shrink the run for a quick look (``--big 100000``); ``make bench`` uses the defaults.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from liaison.ledger import merkle
from liaison.ledger.check import check_ledger
from liaison.ledger.entries import NewEntry
from liaison.ledger.log import Ledger
from liaison.ledger.note_keys import generate_signer, parse_signer, parse_verifier
from liaison.storage.database import open_engine
from liaison.storage.migrate import upgrade

sys.path.insert(0, str(Path(__file__).parent))
from scratch_postgres import fresh_postgres_database
from tree_builder import TreeBuilder
from workload import requests

RESULTS = Path(__file__).parent / "results"
ROOT = Path(__file__).resolve().parent.parent
ORIGIN = "bench.liaison.example/log"
BATCH = 1_000

DIRECTIVES = ["GO-OPS-201.08", "GO-OPS-201.09", "DC-CODE-24-211.07", "EO-2025-01", "SO-25-04"]
REASONS = ["no_civil_enforcement", "judicial_warrant", "criminal_purpose", "no_hold", "default"]
NAMES = ["Maria Garcia", "James Smith", "Nguyen Van An", "Fatima Diallo", "Jose Hernandez"]


# -- workload -------------------------------------------------------------------------------


class Records:
    """Decision-like entries: the request without its subject, the decision, and the
    subject's identity as personal data. Templates come from bench/workload.py; every
    entry has its own request id, token and subject."""

    def __init__(self, seed: int = 2025, templates: int = 2_000) -> None:
        self.rng = random.Random(seed)
        self.templates = [self._template(r) for r in requests(templates, seed=seed)]
        self.made = 0

    def _template(self, req: dict[str, Any]) -> dict[str, Any]:
        rng = self.rng
        record: dict[str, Any] = {
            "action": req["action"],
            "view": req["view"],
            "effect": rng.choice(["allow", "deny", "deny"]),
            "directives": rng.sample(DIRECTIVES, rng.choice([1, 1, 2])),
            "reasons": rng.sample(REASONS, 1),
        }
        return {"record": record, "actor": req["actor"]["id"]}

    def batch(self, count: int) -> list[NewEntry]:
        out = []
        rng = self.rng
        for _ in range(count):
            n = self.made
            self.made += 1
            t = self.templates[n % len(self.templates)]
            record = {**t["record"], "request_id": f"req-{n}"}
            personal = {
                "subject_id": f"person-{rng.randrange(10**6)}",
                "name": NAMES[n % len(NAMES)],
                "date_of_birth": f"19{rng.randrange(40, 99)}-0{rng.randrange(1, 9)}-1{n % 9}",
            }
            out.append(NewEntry("decision", record, t["actor"], personal))
        return out


def batches(records: Records, total: int, size: int = BATCH) -> Iterator[list[NewEntry]]:
    done = 0
    while done < total:
        count = min(size, total - done)
        yield records.batch(count)
        done += count


# -- databases -----------------------------------------------------------------------------


def _fresh_ledger(url: str, signer: Any = None) -> Ledger:
    engine = open_engine(url)
    upgrade(engine)
    return Ledger(engine, ORIGIN, signer)


@contextmanager
def sqlite_url(folder: Path, name: str) -> Iterator[str]:
    yield f"sqlite:///{folder / name}"


# -- measurements --------------------------------------------------------------------------


def _ms(ns: list[int]) -> dict[str, float]:
    ns = sorted(ns)
    return {
        "p50_ms": round(ns[len(ns) // 2] / 1e6, 3),
        "p99_ms": round(ns[min(len(ns) - 1, int(len(ns) * 0.99))] / 1e6, 3),
        "max_ms": round(ns[-1] / 1e6, 3),
        "mean_ms": round(statistics.fmean(ns) / 1e6, 3),
    }


def appends(url: str, unbatched: int, batched: int) -> dict[str, Any]:
    """Single writer: ``unbatched`` one-entry transactions, then ``batched`` entries in
    transactions of 1,000. Only ``append``/``append_many`` is timed."""
    ledger = _fresh_ledger(url)
    records = Records(seed=11)
    clock = time.perf_counter_ns
    single: list[int] = []
    for entry in records.batch(unbatched):
        t = clock()
        ledger.append(entry)
        single.append(clock() - t)
    many: list[int] = []
    entries = 0
    for chunk in batches(records, batched):
        gc.collect()
        t = clock()
        ledger.append_many(chunk)
        many.append(clock() - t)
        entries += len(chunk)
    size, _ = ledger.head()
    if size != unbatched + batched:
        raise SystemExit(f"append bench: ledger has {size} entries, expected more")
    body = ledger.entry(size - 1).body
    ledger.engine.dispose()
    return {
        "unbatched": {
            "entries": unbatched,
            "per_second": round(unbatched / (sum(single) / 1e9)),
            **_ms(single),
        },
        "batched": {
            "entries": entries,
            "batch": BATCH,
            "per_second": round(entries / (sum(many) / 1e9)),
            "batch_latency": _ms(many),
        },
        "example_body_bytes": len(body),
    }


def build(url: str, total: int, checkpoint_at: set[int], signer: Any) -> dict[str, Any]:
    """The big ledger: batched appends (timed), checkpoints at ``checkpoint_at`` sizes."""
    ledger = _fresh_ledger(url, signer)
    records = Records(seed=2025)
    leaves = bytearray()
    roots: dict[int, bytes] = {}
    spent = 0
    body_bytes = 0
    start = time.perf_counter()
    for chunk in batches(records, total):
        t = time.perf_counter_ns()
        done = ledger.append_many(chunk)
        spent += time.perf_counter_ns() - t
        if done[0].index != len(leaves) // 32:
            raise SystemExit("build: appended indexes are not contiguous")
        for a in done:
            leaves += a.leaf_hash
        size = done[-1].size
        if size in checkpoint_at:
            cp = ledger.checkpoint()
            roots[cp.size] = cp.root
    wall = time.perf_counter() - start
    for index in (0, total // 2, total - 1):
        body_bytes += len(ledger.entry(index).body)
    ledger.engine.dispose()
    return {
        "leaves": bytes(leaves),
        "signed_roots": roots,
        "result": {
            "entries": total,
            "append_seconds": round(spent / 1e9, 2),
            "appends_per_second": round(total / (spent / 1e9)),
            "wall_seconds_with_workload_and_checkpoints": round(wall, 2),
            "checkpoints_at": sorted(roots),
            "mean_body_bytes_sampled": round(body_bytes / 3),
        },
    }


def roots_at(leaves: bytes, sizes: list[int]) -> dict[int, bytes]:
    """Roots at ``sizes``, recomputed from the leaf hashes the appends returned."""
    wanted = sorted(set(sizes))
    tree = TreeBuilder()
    out: dict[int, bytes] = {}
    at = 0
    for size in wanted:
        while tree.size < size:
            tree.add(leaves[at : at + 32])
            at += 32
        out[size] = tree.root()
    return out


def proofs(
    ledger: Ledger, leaves: bytes, signed_root: bytes, count: int, consistency: int
) -> dict[str, Any]:
    size = len(leaves) // 32
    rng = random.Random(99)
    clock = time.perf_counter_ns
    for index in rng.sample(range(size), 50):  # warm the pool and the page cache
        ledger.inclusion_proof(index)
    inclusion: list[int] = []
    for index in rng.sample(range(size), count):
        t = clock()
        proof = ledger.inclusion_proof(index)
        inclusion.append(clock() - t)
        leaf = leaves[index * 32 : index * 32 + 32]
        if not (
            proof.root == signed_root
            and proof.leaf_hash == leaf
            and merkle.verify_inclusion(leaf, index, size, proof.hashes, signed_root)
        ):
            raise SystemExit(f"inclusion proof for {index} does not verify")
    old_sizes = [rng.randrange(1, size + 1) for _ in range(consistency)]
    expected = roots_at(leaves, old_sizes)
    cons: list[int] = []
    for old in old_sizes:
        t = clock()
        cproof = ledger.consistency_proof(old, size)
        cons.append(clock() - t)
        if not merkle.verify_consistency(old, size, expected[old], signed_root, cproof.hashes):
            raise SystemExit(f"consistency proof from {old} does not verify")
    return {
        "inclusion": {"tree_size": size, "proofs": count, "all_verified": True, **_ms(inclusion)},
        "consistency": {
            "tree_size": size,
            "proofs": consistency,
            "all_verified": True,
            **_ms(cons),
        },
    }


def bare_hashing(path: Path) -> tuple[float, int, int]:
    """Seconds for the bare leaf-hash loop over the stored bodies (read first, untimed)."""
    with sqlite3.connect(path) as db:
        bodies = [bytes(r[0]) for r in db.execute("SELECT body FROM ledger_entries ORDER BY idx")]
    gc.collect()
    start = time.perf_counter()
    for body in bodies:
        hashlib.sha256(b"\x00" + body).digest()
    spent = time.perf_counter() - start
    return spent, len(bodies), sum(map(len, bodies))


def reading_only(path: Path, batch: int = 8192) -> float:
    """Seconds to stream what the verification reads (entries and personal rows, in
    batches, through sqlite3) and do nothing with it: the floor under the verification."""
    start = time.perf_counter()
    with sqlite3.connect(path) as db:
        after = -1
        while rows := db.execute(
            "SELECT idx, leaf_hash, body FROM ledger_entries WHERE idx > ? ORDER BY idx LIMIT ?",
            (after, batch),
        ).fetchall():
            last = rows[-1][0]
            db.execute(
                "SELECT idx, salt, data FROM ledger_personal WHERE idx > ? AND idx <= ? "
                "ORDER BY idx",
                (after, last),
            ).fetchall()
            after = last
    return time.perf_counter() - start


def verification(ledger: Ledger, verifier: Any, path: Path, rounds: int) -> dict[str, Any]:
    verify_s: list[float] = []
    bare_s: list[float] = []
    read_s: list[float] = []
    checked = None
    for _ in range(rounds):  # alternate, so that drift hits both sides alike
        gc.collect()
        start = time.perf_counter()
        report = check_ledger(ledger, verifier)
        verify_s.append(time.perf_counter() - start)
        if not report.ok:
            raise SystemExit(f"check_ledger found problems: {report.problems[:5]}")
        checked = report
        spent, count, total_bytes = bare_hashing(path)
        bare_s.append(spent)
        read_s.append(reading_only(path))
    assert checked is not None
    best_verify, best_bare = min(verify_s), min(bare_s)
    return {
        "entries": checked.size,
        "checkpoints_verified": checked.checkpoints_verified,
        "verify_ledger_seconds": [round(s, 3) for s in verify_s],
        "bare_hashing_seconds": [round(s, 3) for s in bare_s],
        "bare_hashed_bytes": total_bytes,
        "bare_hashed_entries": count,
        "verify_ledger_best_seconds": round(best_verify, 3),
        "bare_hashing_best_seconds": round(best_bare, 3),
        "verify_over_bare": round(best_verify / best_bare, 2),
        "reading_only_seconds": [round(s, 3) for s in read_s],
        "reading_only_over_bare": round(min(read_s) / best_bare, 2),
        "verify_entries_per_second": round(checked.size / best_verify),
    }


# -- main -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unbatched", type=int, default=300)
    parser.add_argument("--batched", type=int, default=50_000)
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--proofs", type=int, default=2_000)
    parser.add_argument("--consistency", type=int, default=500)
    parser.add_argument("--verify-rounds", type=int, default=3)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS / "ledger.json")
    args = parser.parse_args()
    started = time.perf_counter()
    result: dict[str, Any] = {
        "benchmark": "ledger",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "sqlite": sqlite3.sqlite_version,
        },
        "durability": {
            "sqlite": "WAL, synchronous=FULL",
            "postgresql": "synchronous_commit=on",
        },
    }
    skey, vkey = generate_signer(ORIGIN)
    signer, verifier = parse_signer(skey), parse_verifier(vkey)

    with tempfile.TemporaryDirectory(prefix="liaison-bench-") as tmp:
        folder = Path(tmp)
        _stage("appends on SQLite")
        with sqlite_url(folder, "appends.db") as url:
            sqlite_appends = appends(url, args.unbatched, args.batched)
        pg_appends: dict[str, Any]
        if args.no_postgres:
            pg_appends = {"skipped": "--no-postgres"}
        else:
            _stage("appends on PostgreSQL")  # as the tests: missing PostgreSQL is a failure
            with fresh_postgres_database() as url:
                pg_appends = appends(url, args.unbatched, args.batched)
        result["appends"] = {"sqlite": sqlite_appends, "postgresql": pg_appends}

        big = args.big
        _stage(f"building a {big:,}-entry ledger on SQLite")
        # Checkpoints at batch boundaries near a quarter, a half and three quarters, and at
        # the end (the build's last batch ends at ``big`` whatever its size).
        quarters = {big * q // 4 // BATCH * BATCH for q in (1, 2, 3)} - {0}
        marks = quarters | {big}
        path = folder / "big.db"
        built = build(f"sqlite:///{path}", big, marks, signer)
        result["big_ledger"] = {"build": built["result"]}
        ledger = Ledger(open_engine(f"sqlite:///{path}"), ORIGIN, signer)
        _stage("proofs")
        result["big_ledger"].update(
            proofs(
                ledger, built["leaves"], built["signed_roots"][big], args.proofs, args.consistency
            )
        )
        _stage("full verification vs bare hashing")
        result["big_ledger"]["verification"] = verification(
            ledger, verifier, path, args.verify_rounds
        )
        result["big_ledger"]["database_bytes"] = sum(
            p.stat().st_size for p in folder.glob("big.db*")
        )
        ledger.engine.dispose()

    big_result = result["big_ledger"]
    inclusion = big_result["inclusion"]
    result["targets"] = {
        "sqlite_batched_at_least_50k_appends_per_s": sqlite_appends["batched"]["per_second"]
        >= 50_000,
        f"inclusion_proof_p50_under_0.5ms_at_{big}": inclusion["p50_ms"] < 0.5,
        f"inclusion_proof_p99_under_0.5ms_at_{big}": inclusion["p99_ms"] < 0.5,
        "full_verify_within_3x_bare_hashing": big_result["verification"]["verify_over_bare"] <= 3.0,
    }
    result["bench_seconds"] = round(time.perf_counter() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    _summary(result)


def _stage(what: str) -> None:
    print(f"ledger bench: {what} ...", file=sys.stderr, flush=True)


def _summary(result: dict[str, Any]) -> None:
    lines = ["", "ledger bench summary"]
    for backend, r in result["appends"].items():
        if "skipped" in r:
            lines.append(f"  {backend:10} skipped: {r['skipped']}")
            continue
        lines.append(
            f"  {backend:10} unbatched {r['unbatched']['per_second']:>7,}/s "
            f"(p50 {r['unbatched']['p50_ms']} ms)   "
            f"batched x{BATCH} {r['batched']['per_second']:>7,}/s"
        )
    big = result["big_ledger"]
    b, i, c, v = big["build"], big["inclusion"], big["consistency"], big["verification"]
    lines += [
        f"  build {b['entries']:,} entries: {b['append_seconds']} s of appends "
        f"({b['appends_per_second']:,}/s)",
        f"  inclusion proof: p50 {i['p50_ms']} ms, p99 {i['p99_ms']} ms ({i['proofs']} verified)",
        f"  consistency proof: p50 {c['p50_ms']} ms, p99 {c['p99_ms']} ms ({c['proofs']} verified)",
        f"  verify_ledger {v['verify_ledger_best_seconds']} s vs bare hashing "
        f"{v['bare_hashing_best_seconds']} s: {v['verify_over_bare']}x "
        f"(reading the rows alone: {v['reading_only_over_bare']}x)",
        "  targets: "
        + ", ".join(f"{k} {'MET' if ok else 'MISSED'}" for k, ok in result["targets"].items()),
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
