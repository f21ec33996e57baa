"""The import's own cost (issue 13, item 5): ROWS constructed portal rows classified by a
trivial classifier, judged under the D.C. pack and appended to a scratch SQLite ledger,
timed and with the process's peak memory. The readers and the real classifier are timed
by their own benches; `liaison audit import` adds them.

    .venv/bin/python bench/audit_import_bench.py [ROWS]
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from liaison.audit.importing import Importer, ImportSource
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


def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = open_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        upgrade(engine)
        ledger = Ledger(engine, "bench.example/audit")
        judge = Judge(Engine(load_pack(shipped_pack_path("dc"))))
        importer = Importer(ledger, judge, classify, no_org)
        source = ImportSource("portal.csv", SHA, "flock-portal", rows(count))
        began = time.perf_counter()
        result = importer.run(source, {"pack": "dc", "rules_version": "bench"})
        took = time.perf_counter() - began
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"{count} rows in {took:.1f} s ({count / took:,.0f} rows/s); "
            f"peak RSS {peak:.0f} MB; counts {result.counts}; "
            f"verdicts asked of the engine: {judge.evaluated}"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
