"""The demo's ALPR search log: a Flock transparency-portal search audit of the department,
August to September 2025, imported by ``liaison demo`` so the audit pages (docs/audit.md)
have something to show.

Invented, like the rest of the demo: mostly ordinary reasons as portals show them, a few
immigration ones, before and after EO-25-005, so the judgement under the D.C. pack finds
what its directives did not allow. Deterministic: a ``random.Random`` seeded from ``SEED``
draws every row, so the file's bytes (and its import's id) are always the same.
"""

from __future__ import annotations

import csv
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

SEED = 2025
START = datetime(2025, 8, 1, 4, 0, tzinfo=UTC)  # midnight Eastern
DAYS = 61
PER_DAY = 12
ORDINARY = [
    ("investigation", 40),
    ("stolen vehicle", 15),
    ("hit and run", 6),
    ("robbery suspect vehicle", 5),
    ("missing person", 3),
    ("warrant", 4),
    ("carjacking", 4),
    ("theft of ice from gas station", 1),
]
IMMIGRATION = ["ICE", "ICE assist", "immigration status check", "ERO warrant", "HSI"]


def write_export(path: Path) -> Path:
    """Write the demo's portal export to ``path`` (the same bytes every time)."""
    rng = random.Random(SEED)
    texts = [t for t, _ in ORDINARY]
    weights = [w for _, w in ORDINARY]
    users = [f"{rng.getrandbits(64):016x}" for _ in range(25)]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "userId", "searchDate", "networkCount", "reason"])
        for day in range(DAYS):
            for n in range(PER_DAY):
                at = START + timedelta(days=day, minutes=rng.randrange(24 * 60))
                reason = rng.choices(texts, weights)[0]
                if n == 0 and day % 4 == 1:
                    reason = rng.choice(IMMIGRATION)
                stamp = at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
                user = "***" if rng.random() < 0.02 else rng.choice(users)
                row_id = f"{rng.getrandbits(128):032x}"
                writer.writerow([row_id, user, stamp, rng.randrange(1, 40), reason])
    return path
