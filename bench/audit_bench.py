"""Benchmark of auditing a large log (issue 13, item 5): run by ``make bench-audit`` (and
``make bench``); results in bench/results/audit.json.

Writes a Flock transparency-portal search audit of 1,000,000 rows (``id,userId,
searchDate,networkCount,reason``; ISO times with ``Z``; ``***`` for some user ids; the
reasons a real portal shows, immigration ones among them, drawn with a fixed seed, a fifth
of them with a case number or a plate, so that most of those texts are seen once), once,
cached in bench/.data/. Then, side by side in the same run:

- a bare ``csv.reader`` pass over the file (the floor: reading and splitting, nothing else);
- ``liaison audit classify FILE --format flock-portal`` (a fresh process: reading,
  normalising, classifying every row and writing its JSON line), output to /dev/null;
- ``liaison audit import FILE --format flock-portal --jurisdiction-pack ca`` into a fresh
  SQLite database (every row classified, judged and appended to the ledger with its index
  row), and its peak memory.

Targets (issue 13): classify within 10x the bare pass; the import in <= 60 s; peak memory
<= 200 MB whatever the file size (the peak resident set of each command, its reading process
included, the interpreter and its libraries too).
``--rows`` shrinks the run (for a quick look; the targets are for 1,000,000).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"
DATA = Path(__file__).parent / ".data"
LIAISON = Path(sys.executable).with_name("liaison")
ROWS = 1_000_000
TARGET_RATIO = 10.0
TARGET_IMPORT_S = 60.0
TARGET_PEAK_MB = 200.0

# Reasons as portals show them, with weights: mostly the same few words, a long tail, and
# the immigration reasons (and the words that look like them) the classifier must tell apart.
REASONS: list[tuple[str, int]] = [
    ("investigation", 400),
    ("Investigation", 150),
    ("investigative+", 40),
    ("stolen vehicle", 60),
    ("Stolen Vehicle", 30),
    ("theft", 30),
    ("burglary", 20),
    ("missing person", 15),
    ("warrant", 15),
    ("hit and run", 12),
    ("homicide", 5),
    ("robbery", 10),
    ("assault", 10),
    ("narcotics", 8),
    ("catalytic converter theft", 6),
    ("welfare check", 5),
    ("theft of ice from gas station", 2),
    ("device theft", 2),
    ("Price, John warrant", 1),
    ("NA", 8),
    ("", 5),
    ("ICE", 2),
    ("ICE+ERO", 1),
    ("immigration", 1),
    ("Immigration (civil/administrative)", 1),
    ("HSI", 1),
    ("CBP assist", 1),
    ("removal order", 1),
    ("imigration violation", 1),
]


def portal_file(rows: int) -> Path:
    """The portal export of ``rows`` rows (made once per size, then reused)."""
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"portal-{rows}.csv"
    if path.exists():
        return path
    rng = random.Random(2026)
    texts = [r for r, _ in REASONS]
    weights = [w for _, w in REASONS]
    users = [f"{rng.getrandbits(128):032x}" for _ in range(400)]
    start = datetime(2025, 6, 1, tzinfo=UTC)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC)
        writer.writerow(["id", "userId", "searchDate", "networkCount", "reason"])
        step = timedelta(days=365) / rows
        for i in range(rows):
            at = start + step * i
            user = "***" if i % 50 == 0 else rng.choice(users)
            stamp = at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"
            reason = rng.choices(texts, weights)[0]
            if i % 10 == 0:  # a tenth carry a case number or a plate: texts seen once
                reason = f"{reason} case 25-{rng.randrange(10**6):06d}".strip()
            elif i % 10 == 1:
                reason = f"{reason} plate {rng.getrandbits(24):06X}".strip()
            writer.writerow([f"{rng.getrandbits(128):032x}", user, stamp, 1 + i % 3000, reason])
    tmp.replace(path)
    return path


def bare_pass(path: Path) -> float:
    """Seconds of one ``csv.reader`` pass over ``path`` (every row split, nothing else)."""
    start = time.perf_counter()
    with path.open(newline="", encoding="utf-8") as f:
        for _ in csv.reader(f):
            pass
    return time.perf_counter() - start


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The commands' environment: compiled modules cached outside the repository (as an
    installed package has them; ``make`` turns writing them off for the repository)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(DATA / "pycache")
    return {**env, **(extra or {})}


def run(args: list[str], env: dict[str, str]) -> tuple[float, float, bytes]:
    """(seconds, peak MB, output) of ``liaison ARGS`` run to completion. The peak is the
    largest sum, sampled every 50 ms, of the memory the process and its children use (an
    import reads in a child process; ``_rss_kb``), and at least the process's own peak
    resident set (``wait4``)."""
    quiet = args[:2] == ["audit", "classify"]  # its output is a JSON line per row
    with tempfile.TemporaryFile() as said:
        start = time.perf_counter()
        child = subprocess.Popen(
            [str(LIAISON), *args],
            env=env,
            stdout=subprocess.DEVNULL if quiet else said,
            stderr=said,
        )
        peak = [0]
        sampler = threading.Thread(target=_sample, args=(child.pid, peak), daemon=True)
        sampler.start()
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        sampler.join()
        said.seek(0)
        text = said.read()
    if child.returncode != 0:
        raise SystemExit(f"liaison {' '.join(args)} failed:\n{text.decode()[-2000:]}")
    return seconds, max(usage.ru_maxrss, peak[0]) / 1024.0, text


def _sample(pid: int, peak: list[int]) -> None:
    """Track in ``peak[0]`` the largest resident KB of ``pid`` and its children together."""
    while True:
        try:
            kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            total = sum(_rss_kb(p) for p in [str(pid), *kids])
        except OSError:
            return
        if total == 0:
            return
        peak[0] = max(peak[0], total)
        time.sleep(0.05)


def _rss_kb(pid: str) -> int:
    """The KB ``pid`` uses: its proportional set size (shared pages divided among the
    processes sharing them: a forked child's inherited pages are not counted twice), or its
    resident set where the kernel does not say."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


def import_run(path: Path, rows: int, folder: Path) -> dict[str, Any]:
    """The import of ``path`` into a fresh SQLite database in ``folder``, timed."""
    env = child_env(
        {
            "LIAISON_DATABASE_URL": f"sqlite:///{folder / 'audit.db'}",
            "LIAISON_KEY_DIR": str(folder / "keys"),
        }
    )
    subprocess.run([str(LIAISON), "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run([str(LIAISON), "ledger", "keygen"], env=env, check=True, capture_output=True)
    args = ["audit", "import", str(path), "--format", "flock-portal"]
    seconds, peak, _ = run([*args, "--jurisdiction-pack", "ca", "--agency", "Bench PD"], env)
    again, _, said = run([*args, "--jurisdiction-pack", "ca", "--agency", "Bench PD"], env)
    return {
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds),
        "peak_mb": round(peak, 1),
        "reimport_seconds": round(again, 2),
        "reimport_said": said.decode(errors="replace").strip().splitlines()[-1:],
        "database_bytes": (folder / "audit.db").stat().st_size,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    opts = parser.parse_args()
    began = time.perf_counter()
    path = portal_file(opts.rows)
    bare = [bare_pass(path) for _ in range(3)]
    env = child_env()
    subprocess.run([str(LIAISON), "--help"], env=env, check=True, capture_output=True)
    classify = [
        run(["audit", "classify", str(path), "--format", "flock-portal"], env) for _ in range(2)
    ]
    best_classify = min(s for s, _, _ in classify)
    with tempfile.TemporaryDirectory() as tmp:
        imported = import_run(path, opts.rows, Path(tmp))
    ratio = best_classify / min(bare)
    peak = max(max(m for _, m, _ in classify), imported["peak_mb"])
    result = {
        "benchmark": "audit",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "file": {"rows": opts.rows, "bytes": path.stat().st_size, "format": "flock-portal"},
        "bare_csv_seconds": [round(s, 3) for s in bare],
        "classify_seconds": [round(s, 3) for s, _, _ in classify],
        "classify_peak_mb": round(max(m for _, m, _ in classify), 1),
        "classify_over_bare": round(ratio, 2),
        "import": imported,
        "targets": {
            "classify_within_10x_bare": ratio <= TARGET_RATIO,
            "import_within_60s": imported["seconds"] <= TARGET_IMPORT_S,
            "peak_memory_within_200mb": peak <= TARGET_PEAK_MB,
        },
        "bench_seconds": round(time.perf_counter() - began, 1),
    }
    RESULTS.mkdir(exist_ok=True)
    name = "audit.json" if opts.rows == ROWS else f"audit-{opts.rows}.json"
    (RESULTS / name).write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
