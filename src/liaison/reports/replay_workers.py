"""A replay spread over processes (issue 10, items 3 and 6: 100,000 records in <= 20 s on
two cores). The range is cut into consecutive parts holding about as many decisions each
(cut at the ``at`` of the rows that divide them: ties go to the later part), each part is
replayed by ``liaison.reports.replay.tally_range`` in a process of its own (spawned: it
opens the ledger, with its signing key and memory, and loads the pack from its files, as
the parent would), and the tallies are merged in order, so the report is the one a single
process makes. Used by ``liaison replay --workers`` and the benchmark; the API replays in
its own process.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from liaison.errors import IntegrityFailure, LiaisonError
from liaison.gateway.index_reads import IndexReader
from liaison.policy.pack_files import PackFiles
from liaison.reports.replay import ReplayPlan, count_in_range, report, tally_range
from liaison.reports.replay_tally import Tally
from liaison.storage.tables import decisions

MIN_PER_WORKER = 5_000  # below this, starting a process costs more than it saves


@dataclass(frozen=True, slots=True)
class Source:
    """How a worker opens what the parent replays: the database, the log's origin, the
    folder of the signing key and its memory (None: no signed-tree check), and the pack
    (its files, and the folder they came from, for naming problems); the signer process's
    socket, when it holds the key (``LIAISON_SIGNER_SOCKET``)."""

    database_url: str
    origin: str
    key_dir: Path | None
    files: PackFiles
    root: Path | None = None
    signer_socket: Path | None = None


def replay_in_parts(
    reader: IndexReader,
    plan: ReplayPlan,
    source: Source,
    workers: int,
    min_per_worker: int = MIN_PER_WORKER,
) -> dict[str, Any]:
    """``replay(reader, plan)``, the range replayed by up to ``workers`` processes at once
    (each given at least ``min_per_worker`` decisions; one part: in this process)."""
    head = reader.ledger.head()
    total = count_in_range(reader, plan.start, plan.stop)
    parts = max(1, min(workers, total // max(1, min_per_worker)))
    if parts == 1:
        return report(plan, tally_range(reader, plan, plan.start, plan.stop), head)
    cuts = [_cut(reader, plan, total * k // parts) for k in range(1, parts)]
    bounds = [plan.start, *cuts, plan.stop]
    context = multiprocessing.get_context("spawn")  # never fork a process holding threads
    with ProcessPoolExecutor(parts, mp_context=context) as pool:
        futures = [
            pool.submit(_work, source, plan.view, plan.limit, bounds[k], bounds[k + 1])
            for k in range(parts)
        ]
        answers = [f.result() for f in futures]
    tally = Tally(plan.limit)
    for answer in answers:
        if isinstance(answer, tuple):
            code, message = answer
            raise (
                IntegrityFailure(message)
                if code == IntegrityFailure.code
                else LiaisonError(message)
            )
        tally.merge(answer)
    return report(plan, tally, head)


def _cut(reader: IndexReader, plan: ReplayPlan, offset: int) -> datetime:
    """The ``at`` of the row ``offset`` rows into the range (in replay order)."""
    c = decisions.c
    query = (
        select(c.at)
        .where(c.at >= plan.start, c.at < plan.stop)
        .order_by(c.at, c.ledger_index)
        .offset(offset)
        .limit(1)
    )
    with reader.ledger.engine.connect() as conn:
        found: datetime = conn.execute(query).scalar_one()
    return found


def _work(
    source: Source, view: str | None, limit: int, start: datetime, stop: datetime
) -> Tally | tuple[str, str]:
    """One part, in its own process: its tally, or (code, message) of what refused it."""
    from liaison.ledger.checkpoint_signer import deployment_signer
    from liaison.ledger.log import Ledger
    from liaison.policy.engine import Engine
    from liaison.policy.loader import load_pack_files
    from liaison.storage.database import open_engine

    db = open_engine(source.database_url)
    try:
        signer = deployment_signer(source.key_dir, source.signer_socket)
        ledger = Ledger(db, source.origin, signer)
        engine = Engine(load_pack_files(source.files, root=source.root))
        plan = ReplayPlan(start, stop, view, engine, {}, limit)
        return tally_range(IndexReader(ledger), plan, start, stop)
    except LiaisonError as exc:  # its own class may not cross a process boundary
        return exc.code, str(exc)
    finally:
        db.dispose()


__all__ = ["MIN_PER_WORKER", "Source", "replay_in_parts"]
