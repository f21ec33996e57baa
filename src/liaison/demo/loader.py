"""Loading the demo history through the gateway: every step of every plan
(``liaison.demo.timeline``) goes through ``Gateway.decide_and_record`` or
``Gateway.record``, so it is in the ledger exactly as live traffic would be. Every step
has a fixed id: a load that was interrupted resumes where it stopped, and loading twice
does nothing the second time.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import select

from liaison.demo.timeline import (
    DISTRICTS,
    SEED,
    Plan,
    checkpoint_plan,
    patrol_plan,
    stop_plan,
    stops,
)
from liaison.gateway.auth import Principal
from liaison.gateway.events import Event
from liaison.gateway.roles import KeyRole
from liaison.gateway.service import Gateway
from liaison.model.request import parse_request
from liaison.storage.tables import decisions, events


@dataclass
class DemoResult:
    decisions: int
    events: int
    skipped: bool


def load_demo(
    gateway: Gateway,
    *,
    per_day: int = 30,
    seed: int = SEED,
    progress: Callable[[int], None] | None = None,
) -> DemoResult:
    """Record the demo history through ``gateway``. Every step has a fixed id, so a load
    that was interrupted resumes where it stopped, and a finished one is not repeated."""
    plans = _pending(
        gateway,
        [with_ids(checkpoint_plan()), with_ids(patrol_plan())]
        + [with_ids(stop_plan(s)) for s in stops(seed, per_day)],
    )
    if not plans:
        return DemoResult(0, 0, True)
    # The loader speaks for each district as its supervisor would (no API key is made).
    loaders = {
        d: Principal(f"demo-{d}", KeyRole.SUPERVISOR, f"demo-loader-{d}", d) for d in DISTRICTS
    }

    def run(plan: Plan) -> tuple[int, int]:
        decided = recorded = 0
        for kind, body in plan:
            who = loaders[body["actor"]["unit"]]
            if kind == "decide":
                gateway.decide_and_record(parse_request(body), who)
                decided += 1
            else:
                gateway.record(Event.model_validate(body), who)
                recorded += 1
        if progress is not None:
            progress(1)
        return decided, recorded

    with ThreadPoolExecutor(max_workers=16) as pool:  # concurrency lets group commit batch
        counts = list(pool.map(run, plans))  # per plan: no shared counter across threads
    return DemoResult(sum(c[0] for c in counts), sum(c[1] for c in counts), False)


def with_ids(plan: Plan) -> Plan:
    """``plan`` with an id for each event: its encounter's id and its place in the plan."""
    key = plan[0][1]["encounter"]["id"]  # every plan opens its encounter
    return [
        (kind, body if kind == "decide" or "id" in body else {**body, "id": f"evt-{key}-{n}"})
        for n, (kind, body) in enumerate(plan)
    ]


def _pending(gateway: Gateway, plans: list[Plan]) -> list[Plan]:
    """The steps of ``plans`` not recorded yet (each plan keeps its order); empty plans go."""
    done: set[tuple[str, str]] = set()  # (actor, id): ids are per actor
    for table, kind in ((decisions, "decide"), (events, "event")):
        ids = [body["id"] for plan in plans for k, body in plan if k == kind]
        with gateway.db.connect() as conn:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                found = conn.execute(
                    select(table.c.actor_id, table.c.id).where(table.c.id.in_(chunk))
                )
                done.update((row.actor_id, row.id) for row in found)
    left = [
        [(k, body) for k, body in plan if (body["actor"]["id"], body["id"]) not in done]
        for plan in plans
    ]
    return [plan for plan in left if plan]
