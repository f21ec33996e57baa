"""Load benchmark of the HTTP service (issue 4): run by ``make bench``.

A second process (wrk, bench/decide_load.lua) drives ``POST /v1/decisions`` on
loopback for a bounded time with a realistic mix, beside the trivial ``GET /livez``
on the same server in the same run: SQLite with one worker, PostgreSQL with two, and
PostgreSQL with two under light load (4 connections: latency without queueing).
After each run ``liaison ledger verify`` must pass and the ledger must hold one entry
per decided request: no lost or duplicated index under concurrent load.
Results: bench/results/api.json.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from scratch_postgres import fresh_postgres_database

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results"
DURATION = os.environ.get("LIAISON_BENCH_SECONDS", "10")
CONNECTIONS = os.environ.get("LIAISON_BENCH_CONNECTIONS", "32")


def _liaison(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "liaison"), *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"liaison {' '.join(args)} failed: {done.stderr or done.stdout}")
    return done.stdout


def _wait(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"server did not come up at {url}")


def _warm(url: str, key: str, times: int) -> None:
    """Have the server verify ``key`` before the measure: the first use of a key costs a
    lookup and a MAC, once per worker; each call is a new connection, so that every worker
    gets some."""
    for _ in range(times):
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()


def _us(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 1, "ms": 1000, "s": 1_000_000}[unit]


def _wrk(
    url: str, env: dict[str, str], connections: int, script: str | None = None
) -> dict[str, Any]:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{DURATION}s", "--latency", "--timeout", "10s"]
    if script:
        cmd += ["-s", script]
    out = subprocess.run([*cmd, url], env=env, capture_output=True, text=True, check=True).stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.MULTILINE))
    if "50" not in latency:
        raise SystemExit(f"wrk reported no latencies (no response?):\n{out}")
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)$", out, re.MULTILINE)
    return {
        "requests": total,
        "non_2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(1) if errors else "none",
        "per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50_ms": round(_us(latency["50"]) / 1000, 2),
        "p99_ms": round(_us(latency["99"]) / 1000, 2),
    }


@contextmanager
def _database(backend: str, work: Path) -> Iterator[str]:
    """A fresh database for one run: a SQLite file in ``work``, or a scratch database on
    the private PostgreSQL cluster (dropped afterwards)."""
    if backend == "sqlite":
        yield f"sqlite:///{work / 'liaison.db'}"
        return
    with fresh_postgres_database() as url:
        yield url


def run_backend(
    backend: str, workers: int, port: int, connections: int = int(CONNECTIONS)
) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix=f"liaison-bench-{backend}-"))
    try:
        with _database(backend, work) as url:
            return _run(backend, workers, port, connections, work, url)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(
    backend: str, workers: int, port: int, connections: int, work: Path, url: str
) -> dict[str, Any]:
    env = {
        **os.environ,
        "LIAISON_DATABASE_URL": url,
        "LIAISON_KEY_DIR": str(work / "keys"),
        "LIAISON_CHECKPOINT_INTERVAL": "0",
    }
    _liaison(env, "db", "upgrade")
    _liaison(env, "ledger", "keygen")
    key = json.loads(
        _liaison(env, "keys", "create", "--role", "officer", "--actor", "officer-1", "--unit", "1D")
    )["key"]
    server = subprocess.Popen(
        [
            str(BIN / "liaison"),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(base + "/livez")
        time.sleep(2.0 * workers)  # the other workers start meanwhile
        _warm(base + "/v1/directives", key, workers * 8)
        trivial = _wrk(base + "/livez", env, connections)
        load_env = {
            **env,
            "LIAISON_BENCH_KEY": key,
            "LIAISON_BENCH_RUN": f"{backend}{int(time.time())}",
        }
        decide = _wrk(
            base + "/v1/decisions", load_env, connections, str(ROOT / "bench" / "decide_load.lua")
        )
    finally:
        server.terminate()
        server.wait(timeout=60)
    _liaison(env, "ledger", "checkpoint")  # verify fails when no checkpoint covers the ledger
    verify = json.loads(
        subprocess.run(
            [str(BIN / "liaison"), "ledger", "verify", "--json"],
            env=env,
            capture_output=True,
            text=True,
        ).stdout
    )
    import sqlalchemy

    engine = sqlalchemy.create_engine(url)
    with engine.connect() as conn:
        decision_rows = int(
            conn.execute(sqlalchemy.text("SELECT COUNT(*) FROM decisions")).scalar_one()
        )
        decision_entries = int(
            conn.execute(
                sqlalchemy.text("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'decision'")
            ).scalar_one()
        )
    engine.dispose()
    ok_responses = decide["requests"] - decide["non_2xx"]
    # wrk stops at the deadline (or gives up on a request at its timeout): requests then in
    # flight may be recorded but not counted as answered.
    unanswered = connections + _timeouts(decide["socket_errors"])
    return {
        "backend": backend,
        "workers": workers,
        "connections": connections,
        "trivial_livez": trivial,
        "decide_and_record": decide,
        "ledger_verify_ok": verify["ok"],
        "ledger_size": verify["size"],
        "decision_entries": decision_entries,
        "decision_rows": decision_rows,
        "acknowledged_2xx": ok_responses,
        "no_lost_or_duplicated": ok_responses > 0
        and verify["ok"]
        and decision_rows == decision_entries
        and ok_responses <= decision_entries <= ok_responses + unanswered,
        "decide_rate_over_trivial": round(decide["per_second"] / trivial["per_second"], 3),
    }


def _timeouts(socket_errors: str) -> int:
    found = re.search(r"timeout (\d+)", socket_errors)
    return int(found.group(1)) if found else 0


def _clean(run: dict[str, Any]) -> bool:
    """Every response of the run a 2xx, no socket error: rates count only good answers."""
    return all(
        run[phase]["non_2xx"] == 0 and run[phase]["socket_errors"] == "none"
        for phase in ("trivial_livez", "decide_and_record")
    )


def main() -> None:
    subprocess.run([str(ROOT / "scripts" / "ensure-wrk.sh")], check=True)
    runs = [
        run_backend("sqlite", 1, 8811),
        run_backend("postgresql", 2, 8812),
        run_backend("postgresql", 2, 8813, connections=4),
    ]
    pg = runs[1]
    result = {
        "benchmark": "api",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "duration_s": int(DURATION),
            "connections": int(CONNECTIONS),
        },
        "runs": runs,
        "targets": {
            "postgresql_2_workers_at_least_1500_per_s": pg["decide_and_record"]["per_second"]
            >= 1500,
            "postgresql_p99_at_most_25ms": pg["decide_and_record"]["p99_ms"] <= 25,
            "at_least_half_the_trivial_rate": pg["decide_rate_over_trivial"] >= 0.5,
            "no_lost_or_duplicated_index": all(r["no_lost_or_duplicated"] for r in runs),
            "every_response_2xx": all(_clean(r) for r in runs),
        },
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "api.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
