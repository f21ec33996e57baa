"""A fresh PostgreSQL database for one benchmark run, on the private cluster that
``scripts/ensure-postgres.sh`` starts; dropped afterwards.

The scratch database itself is the tests' (``tests/scratch_db.py``): production never
makes one, so it does not live in ``liaison``.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from scratch_db import scratch_database

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def fresh_postgres_database(prefix: str = "liaison_bench") -> Iterator[str]:
    """The URL of a new, empty database on the private cluster (started when needed)."""
    script = ROOT / "scripts" / "ensure-postgres.sh"
    done = subprocess.run([str(script)], capture_output=True, text=True, check=True, timeout=300)
    with scratch_database(done.stdout.strip().splitlines()[-1], prefix) as url:
        yield url
