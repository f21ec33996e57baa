"""Benchmark of ``decide`` (issue 2): run by ``make bench``; results in bench/results/.

Side by side in one run, on the same requests and the same in-force policies:
- a bare ``cedarpy.is_authorized`` loop (the whole in-force policy set, the whole context);
- liaison's ``Engine.decide`` with the cache off (uncached);
- liaison's ``Engine.decide`` through the exact decision cache (repeated combinations);
- a 20,000-line batch through the ``liaison decide`` command, start-up included.
Targets: uncached p50 <= 1.25x the bare loop's p50; uncached p99 <= 250 us;
cached >= 100,000 decisions/s; the 20,000-line batch < 5 s.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cedarpy

from liaison.model import parse_request
from liaison.model.request import ActionRequest
from liaison.policy import Engine, load_pack, shipped_pack_path
from liaison.policy.context import cedar_request, context_key

sys.path.insert(0, str(Path(__file__).parent))
from workload import requests

RESULTS = Path(__file__).parent / "results"
ROUNDS = 5
DISTINCT = 2_000


def _latencies(fn: Callable[[int], object], count: int) -> list[int]:
    out = []
    clock = time.perf_counter_ns
    for i in range(count):
        t = clock()
        fn(i)
        out.append(clock() - t)
    return out


def _summary(ns: list[int]) -> dict[str, float]:
    ns = sorted(ns)
    total_s = sum(ns) / 1e9
    return {
        "count": len(ns),
        "per_second": round(len(ns) / total_s),
        "p50_us": round(ns[len(ns) // 2] / 1000, 1),
        "p99_us": round(ns[int(len(ns) * 0.99)] / 1000, 1),
        "mean_us": round(statistics.fmean(ns) / 1000, 1),
    }


def in_process(engine: Engine, reqs: list[ActionRequest]) -> dict[str, Any]:
    regimes = [engine.regime(r.at or datetime.now(UTC), r.view) for r in reqs]
    bare_inputs = [
        (cedar_request(r.action.value, context_key(r)), g.compiled.policy_set)
        for r, g in zip(reqs, regimes, strict=True)
    ]
    n = len(reqs)

    def bare(i: int) -> object:
        request, policies = bare_inputs[i % n]
        return cedarpy.is_authorized(request, policies, [])

    def uncached(i: int) -> object:
        return engine.decide(reqs[i % n], use_cache=False)

    samples: dict[str, list[int]] = {"bare_cedarpy": [], "decide_uncached": []}
    for _ in range(ROUNDS):  # alternate blocks so drift hits both sides alike
        for name, fn in (("bare_cedarpy", bare), ("decide_uncached", uncached)):
            gc.collect()
            samples[name] += _latencies(fn, n)
    warm = Engine(engine.pack)  # an empty cache, filled once with every request
    for r in reqs:
        warm.decide(r)
    varied = [r.model_copy(update={"id": f"again-{i}"}) for i, r in enumerate(reqs)]

    def cached(i: int) -> object:
        return warm.decide(varied[i % n])

    gc.collect()
    samples["decide_cached"] = _latencies(cached, 100_000)
    out = {name: _summary(ns) for name, ns in samples.items()}
    out["cache_entries"] = {"count": warm.cached_count(), "distinct_requests": n}
    ratio = out["decide_uncached"]["p50_us"] / out["bare_cedarpy"]["p50_us"]
    out["uncached_p50_over_bare_p50"] = round(ratio, 3)
    return out


def cli_batch(lines: int = 20_000) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as handle:
        for raw in requests(lines, seed=7):
            handle.write(json.dumps(raw) + "\n")
        path = handle.name
    exe = Path(sys.executable).with_name("liaison")
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        done = subprocess.run([str(exe), "decide", path], capture_output=True, check=False)
        runs.append(time.perf_counter() - start)
        produced = done.stdout.count(b"\n")
        if done.returncode != 0 or produced != lines:
            raise SystemExit(f"liaison decide failed: exit {done.returncode}, {produced} lines")
    os.unlink(path)
    return {
        "lines": lines,
        "seconds_best": round(min(runs), 3),
        "seconds_worst": round(max(runs), 3),
    }


def main() -> None:
    engine = Engine(load_pack(shipped_pack_path("dc")))
    reqs = [parse_request(raw) for raw in requests(DISTINCT)]
    result: dict[str, Any] = {
        "benchmark": "decide",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cedarpy": _version("cedarpy"),
        },
        "in_process": in_process(engine, reqs),
        "cli_batch": cli_batch(),
    }
    ip = result["in_process"]
    result["targets"] = {
        "uncached_p50_within_1.25x_bare": ip["uncached_p50_over_bare_p50"] <= 1.25,
        "uncached_p99_at_most_250us": ip["decide_uncached"]["p99_us"] <= 250,
        "cached_at_least_100k_per_s": ip["decide_cached"]["per_second"] >= 100_000,
        "cli_20k_lines_under_5s": result["cli_batch"]["seconds_worst"] < 5,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "decide.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


def _version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


if __name__ == "__main__":
    main()
