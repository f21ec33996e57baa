"""Speed of ``liaison audit classify`` (issue 13, item 5): a Flock portal export of N rows
(default 1,000,000), classified by the command, beside a bare ``csv`` reader pass over the
same file in the same run. Target: the command within 10x the bare pass.

Reasons are drawn like a real export's: mostly a few repeated ones ("investigation",
"property crime"), some with a case number or plate in them (distinct texts), some
immigration ones and hard negatives from the labelled set.
Results: bench/results/classify.json. ``python bench/classify_bench.py [N]``.
"""

from __future__ import annotations

import csv
import json
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMON = ["investigation"] * 30 + ["property crime"] * 20 + ["person crime"] * 20 + [
    "uuv", "suspicious vehicle", "welfare check", "missing person", "Investigative",
    "daytime search for best result", "administrative test", "warrant", "inv",
]  # fmt: skip


def reasons() -> list[str]:
    with (ROOT / "tests/fixtures/audit/labelled_reasons.csv").open(encoding="utf-8") as f:
        return [row["reason"] for row in csv.DictReader(f)]


def write_export(path: Path, rows: int) -> None:
    rng = random.Random(13)
    labelled = reasons()
    start = datetime(2025, 6, 1, tzinfo=UTC)
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["id", "userId", "searchDate", "cameraCount", "reason"])
        for n in range(rows):
            draw = rng.random()
            if draw < 0.90:
                reason = rng.choice(COMMON)
            elif draw < 0.95:
                reason = f"{rng.choice(COMMON)} {rng.randrange(2_500_000, 2_599_999)}"
            else:
                reason = rng.choice(labelled)
            at = (start + timedelta(seconds=n * 7)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
            out.writerow([f"id-{n}", f"user-{n % 300}", at, 2510, reason])


def bare_pass(path: Path) -> float:
    began = time.perf_counter()
    with path.open(encoding="utf-8", newline="") as handle:
        for _ in csv.reader(handle):
            pass
    return time.perf_counter() - began


def read_only(path: Path) -> float:
    """The readers alone, in this process: what the command costs before classifying."""
    from liaison.audit.readers import ReadOptions, open_rows

    began = time.perf_counter()
    with open_rows(path, "flock-portal", ReadOptions()) as rows:
        for _ in rows:
            pass
    return time.perf_counter() - began


def classify(path: Path) -> float:
    command = [str(ROOT / ".venv/bin/liaison"), "audit", "classify", str(path),
               "--format", "flock-portal"]  # fmt: skip
    began = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - began


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "portal.csv"
        write_export(path, rows)
        bare = bare_pass(path)
        took = classify(path)
        bare = min(bare, bare_pass(path))
        reading = read_only(path)
    result = {
        "rows": rows,
        "bare_csv_seconds": round(bare, 3),
        "classify_seconds": round(took, 3),
        "ratio": round(took / bare, 2),
        "readers_only_seconds": round(reading, 3),
        "readers_only_ratio": round(reading / bare, 2),
        "target_ratio": 10,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    print(json.dumps(result))
    out = ROOT / "bench/results/classify.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
