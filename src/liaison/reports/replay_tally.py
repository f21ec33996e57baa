"""What a replay changed (issue 10, item 3): each recorded decision beside its replay,
counted as unchanged, decided otherwise with the same outcome, flipped (permit to deny or
deny to permit) or not replayable (with why); flips counted by action, by directive (each
directive cited by the recorded decision or the new one) and by calendar month in D.C.'s
zone (America/New_York); the first flipped and unreplayable records listed. Pure: the
records come from ``liaison.reports.replay``.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from liaison.model.decision import Decision
from liaison.model.timestamps import render
from liaison.reports.query import ZONE

MAX_LISTED = 1000
DIRECTIONS = ("permit_to_deny", "deny_to_permit")
CSV_COLUMNS = (
    "id",
    "ledger_index",
    "at",
    "action",
    "actor_id",
    "unit",
    "old_decision",
    "old_basis",
    "old_view",
    "old_citations",
    "new_decision",
    "new_basis",
    "new_view",
    "new_citations",
)


@dataclass(frozen=True, slots=True)
class Recorded:
    """A recorded decision as its (verified) entry holds it: ``old`` is the decision as
    recorded; ``variants`` the request(s) to decide again (two when an erased fact could
    matter: their outcomes must agree), or ``reason`` why it cannot be replayed."""

    id: str
    ledger_index: int
    at: datetime
    action: str
    actor_id: str
    unit: str | None
    old: dict[str, Any]
    variants: tuple[dict[str, Any], ...] = ()
    reason: str | None = None


def cited(decision: dict[str, Any]) -> list[str]:
    """A rendered decision's citations as ``DIRECTIVE SECTION``, sorted."""
    return sorted(f"{c['directive']} {c['section']}" for c in decision.get("citations") or ())


def _side(decision: dict[str, Any]) -> dict[str, Any]:
    return {
        "decision": decision["decision"],
        "basis": decision["basis"],
        "view": decision["view"],
        "citations": cited(decision),
    }


def _new(decision: Decision) -> dict[str, Any]:
    return {
        "decision": decision.decision.value,
        "basis": decision.basis.value,
        "view": decision.view,
        "citations": sorted(f"{c.directive} {c.section}" for c in decision.citations),
    }


def _head(rec: Recorded) -> dict[str, Any]:
    return {
        "id": rec.id,
        "ledger_index": rec.ledger_index,
        "at": render(rec.at, ZONE),
        "action": rec.action,
        "actor_id": rec.actor_id,
        "unit": rec.unit,
    }


class Tally:
    """The counts of one replay, and the first ``limit`` records of each kind listed."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.records = 0
        self.unchanged = 0
        self.other_citations = 0
        self.directions: Counter[str] = Counter()
        self.by_action: dict[str, Counter[str]] = {}
        self.by_directive: dict[str, Counter[str]] = {}
        self.by_month: dict[str, Counter[str]] = {}
        self.flipped: list[dict[str, Any]] = []
        self.reasons: Counter[str] = Counter()
        self.unreplayable: list[dict[str, Any]] = []

    def cannot(self, rec: Recorded, reason: str) -> None:
        """``rec`` could not be decided again, because of ``reason``."""
        self.records += 1
        self.reasons[reason] += 1
        if len(self.unreplayable) < self.limit:
            self.unreplayable.append({**_head(rec), "reason": reason})

    def add(self, rec: Recorded, new: Decision) -> None:
        """``rec`` decided again as ``new``."""
        self.records += 1
        old_outcome, new_outcome = rec.old["decision"], new.decision.value
        old, now = _side(rec.old), _new(new)
        if old_outcome == new_outcome:
            if old["citations"] == now["citations"]:
                self.unchanged += 1
            else:
                self.other_citations += 1
            return
        direction = f"{old_outcome}_to_{new_outcome}"
        self.directions[direction] += 1
        self.by_action.setdefault(rec.action, Counter())[direction] += 1
        self.by_month.setdefault(rec.at.astimezone(ZONE).strftime("%Y-%m"), Counter())[
            direction
        ] += 1
        before = {c.split(" ", 1)[0] for c in old["citations"]}
        after = {c.split(" ", 1)[0] for c in now["citations"]}
        for directive in before | after:
            counter = self.by_directive.setdefault(directive, Counter())
            counter[direction] += 1
            counter["cited_before"] += directive in before
            counter["cited_after"] += directive in after
        if len(self.flipped) < self.limit:
            self.flipped.append({**_head(rec), "old": old, "new": now})

    def merge(self, later: Tally) -> None:
        """Add ``later``'s counts (the tally of records decided after these): the records
        listed stay the first ``limit`` in order."""
        self.records += later.records
        self.unchanged += later.unchanged
        self.other_citations += later.other_citations
        self.directions.update(later.directions)
        self.reasons.update(later.reasons)
        for mine, theirs in (
            (self.by_action, later.by_action),
            (self.by_directive, later.by_directive),
            (self.by_month, later.by_month),
        ):
            for key, counts in theirs.items():
                mine.setdefault(key, Counter()).update(counts)
        self.flipped = (self.flipped + later.flipped)[: self.limit]
        self.unreplayable = (self.unreplayable + later.unreplayable)[: self.limit]

    def to_dict(self) -> dict[str, Any]:
        flips = sum(self.directions.values())
        unreplayable = sum(self.reasons.values())
        return {
            "records": self.records,
            "replayed": self.records - unreplayable,
            "unchanged": self.unchanged,
            "same_outcome_other_citations": self.other_citations,
            "flips": {
                "total": flips,
                **{d: self.directions[d] for d in DIRECTIONS},
                "by_action": _rows("action", self.by_action),
                "by_directive": _rows("directive", self.by_directive, cites=True),
                "by_month": _rows("month", self.by_month),
            },
            "flipped": self.flipped,
            "not_replayable": {
                "total": unreplayable,
                "by_reason": [{"reason": r, "count": n} for r, n in sorted(self.reasons.items())],
                "records": self.unreplayable,
            },
        }


def _rows(key: str, table: dict[str, Counter[str]], *, cites: bool = False) -> list[dict[str, Any]]:
    out = []
    for name in sorted(table):
        counts = table[name]
        row: dict[str, Any] = {key: name, "total": sum(counts[d] for d in DIRECTIONS)}
        row.update({d: counts[d] for d in DIRECTIONS})
        if cites:
            row["cited_before"] = counts["cited_before"]
            row["cited_after"] = counts["cited_after"]
        out.append(row)
    return out


def flipped_csv(report: dict[str, Any]) -> str:
    """The flipped records of a replay report as CSV (RFC 4180), one a row, with a header;
    citations joined by ``; ``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for item in report["flipped"]:
        old, new = item["old"], item["new"]
        writer.writerow(
            [item[k] for k in CSV_COLUMNS[:6]]
            + [old["decision"], old["basis"], old["view"], "; ".join(old["citations"])]
            + [new["decision"], new["basis"], new["view"], "; ".join(new["citations"])]
        )
    return out.getvalue()
