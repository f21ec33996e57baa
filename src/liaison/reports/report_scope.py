"""What a report is computed over (issue 10, item 2): the records of the ledger up to a
signed checkpoint, in a period, under a view, and the pack in force.

Every report names the checkpoint (tree size and root) it was computed from: it counts
exactly the index rows whose entry is in that tree (``ledger_index < size``), so two runs
over the same checkpoint give the same numbers however many records arrive meanwhile, and
an overseer can hold the report to the entries of that tree (``liaison ledger export``).
The period is [start, end) on the decision's or event's instant (``at``), compared as
instants; a person reads every instant in the pack's zone with its offset (``local``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, Table

from liaison.ledger.signing import StoredCheckpoint
from liaison.policy.engine import Engine as PolicyEngine


@dataclass(frozen=True, slots=True)
class CheckpointRef:
    """The signed checkpoint a report was computed from: its tree size and root (base64,
    as the checkpoint's note writes it)."""

    size: int
    root: str

    @classmethod
    def of(cls, stored: StoredCheckpoint) -> CheckpointRef:
        return cls(stored.size, base64.b64encode(stored.root).decode())

    def to_dict(self) -> dict[str, Any]:
        return {"size": self.size, "root": self.root}


@dataclass(frozen=True, slots=True)
class ReportScope:
    """The database, the policy engine of the pack in force (its directives, views and
    zone), the checkpoint, and the period and view asked for (``None``: all)."""

    db: Engine
    policy: PolicyEngine
    checkpoint: CheckpointRef
    start: datetime | None = None
    end: datetime | None = None
    view: str | None = None

    def within(self, table: Table, at: str = "at") -> list[ColumnElement[bool]]:
        """Conditions on ``table`` (``decisions`` or ``events``): its entry is in the
        checkpoint's tree, its ``at`` in the period, and (decisions) decided in the view."""
        c = table.c
        # ``+ 0``: a bound no index should serve. The tree usually holds nearly every row,
        # and SQLite would otherwise scan the unique ledger_index index instead of using
        # the selective one (action, at, flagged): 10 s instead of 0.1 over 2,000,000 rows.
        out: list[ColumnElement[bool]] = [c.ledger_index + 0 < self.checkpoint.size]
        if self.start is not None:
            out.append(c[at] >= self.start)
        if self.end is not None:
            out.append(c[at] < self.end)
        if self.view is not None and "view" in c:
            out.append(c.view == self.view)
        return out

    def local(self, moment: datetime | None) -> str | None:
        """An instant as a person reads it: in the pack's zone, with its offset."""
        return None if moment is None else self.policy.local(moment)

    def period(self) -> dict[str, str | None]:
        """The period as a report states it (``from``/``to`` in the pack's zone)."""
        return {"from": self.local(self.start), "to": self.local(self.end)}
