"""The import's cost (issue 13, item 5), on a scratch SQLite ledger, timed, with the
process's peak memory:

- ``core``: ROWS constructed portal rows, a trivial classifier, judged under the D.C. pack
  and appended: the import's own cost (judgement, entries, ledger, index rows);
- ``file``: a Flock portal CSV of ROWS rows written first, then imported as
  `liaison audit import FILE --jurisdiction-pack ca` does it (the readers, the rule set,
  the organisation table), with a bare ``csv`` pass over the same file beside it.

    .venv/bin/python bench/audit_import_bench.py [core|file] [ROWS]
"""

from __future__ import annotations

import csv
import os
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from liaison.audit.importing import Importer, ImportResult, ImportSource
from liaison.audit.judgement import Judge
from liaison.audit.rows import AuditRow, Classification, OrganisationType, Provenance, RowKind
from liaison.ledger.log import Ledger
from liaison.model.vocabulary import Purpose
from liaison.policy import Engine, load_pack, shipped_pack_path
from liaison.storage.database import open_engine
from liaison.storage.migrate import upgrade

SHA = "0" * 64
START = datetime(2025, 9, 1, tzinfo=UTC)
REASONS = ("stolen vehicle", "ICE warrant", "missing person", "investigation", "")
FILE_REASONS = (
    "investigation", "ICE warrant", "Stolen vehicle", "burglary", "missing person",
    "theft of ice", "", "test", "case 25-1234", "HSI assist", "welfare check", "suspicious vehicle",
)  # fmt: skip


def rows(count: int) -> Iterator[AuditRow]:
    for n in range(1, count + 1):
        reason = REASONS[n % len(REASONS)]
        yield AuditRow(
            "flock-portal",
            Provenance("portal.csv", SHA, n, n + 1),
            RowKind.OWN_SEARCH,
            "ALPR",
            str(n),
            START + timedelta(seconds=n * 7),
            "Example PD",
            None,
            f"user-{n % 300}",
            reason,
            None,
            fields={"id": str(n), "userId": f"user-{n % 300}", "reason": reason},
        )


def classify(row: AuditRow) -> Classification:
    reason = row.reason or ""
    if "ICE" in reason:
        return Classification(
            (Purpose.CIVIL_IMMIGRATION_ENFORCEMENT,), None, True, "bench-ice", "bench"
        )
    if not reason:
        return Classification((), None, False, "bench-empty", "bench")
    return Classification((Purpose.CRIMINAL_INVESTIGATION,), None, False, "bench-crime", "bench")


def no_org(name: str, state: str | None) -> OrganisationType:
    return OrganisationType(None, None, None, "bench")


def ledger_in(folder: str) -> Ledger:
    engine = open_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
    upgrade(engine)
    return Ledger(engine, "bench.example/audit")


def core(count: int, folder: str) -> tuple[ImportResult, Judge, float]:
    judge = Judge(Engine(load_pack(shipped_pack_path("dc"))), name="dc")
    importer = Importer(ledger_in(folder), judge, classify, no_org)
    source = ImportSource("portal.csv", SHA, "flock-portal", rows(count))
    began = time.perf_counter()
    result = importer.run(source, {"pack": "dc", "rules_version": "bench"})
    return result, judge, time.perf_counter() - began


def write_portal(path: Path, count: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write("id,userId,searchDate,networkCount,reason\n")
        for n in range(count):
            stamp = (START + timedelta(seconds=n * 7)).isoformat().replace("+00:00", "Z")
            reason = FILE_REASONS[n % len(FILE_REASONS)]
            out.write(f"{n},u-{n % 400},{stamp},{n % 3000},{reason}\n")


def bare_csv(path: Path) -> float:
    began = time.perf_counter()
    with path.open(newline="", encoding="utf-8") as f:
        for _ in csv.reader(f):
            pass
    return time.perf_counter() - began


def from_file(count: int, folder: str) -> tuple[ImportResult, Judge, float]:
    from liaison.audit.classifier import load_rules
    from liaison.audit.organisations import load_organisations
    from liaison.audit.readers import ReadOptions, open_rows

    path = Path(folder) / "portal.csv"
    write_portal(path, count)
    print(f"bare csv pass over the file: {bare_csv(path):.1f} s")
    engine = Engine(load_pack(shipped_pack_path("ca")))
    judge = Judge(engine, name="ca")
    rules, table = load_rules(), load_organisations()
    importer = Importer(ledger_in(folder), judge, rules.classify, table.type_of, "CA")
    options = {"pack": "ca", "agency": "Example PD", "rules_version": rules.version}
    began = time.perf_counter()  # the file's SHA-256 (read before any row) included
    with open_rows(path, None, ReadOptions(agency="Example PD")) as stream:
        source = ImportSource(str(path), stream.sha256, stream.format, stream)
        result = importer.run(source, options)
    return result, judge, time.perf_counter() - began


def main(mode: str, count: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        result, judge, took = (core if mode == "core" else from_file)(count, folder)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"{mode}: {count} rows in {took:.1f} s ({count / took:,.0f} rows/s); "
            f"peak RSS {peak:.0f} MB; counts {result.counts}; "
            f"verdicts asked of the engine: {judge.evaluated}; load {os.getloadavg()[0]:.1f}"
        )


if __name__ == "__main__":
    main(
        sys.argv[1] if len(sys.argv) > 1 else "core",
        int(sys.argv[2]) if len(sys.argv) > 2 else 100_000,
    )
