"""The encounters' list is read in its order from ``ix_encounters_order`` (migration 0013):
the index the migrations build and the order the listing writes (``coalesce(started_at,
LAST_TEXT)``, ``storage.tables.LAST_TEXT``) must be the same expression, or every page
sorts every encounter again."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, text

from liaison.reports.query import _sort
from liaison.reports.query_encounters import ENCOUNTERS
from liaison.storage.database import open_engine
from liaison.storage.migrate import upgrade
from liaison.storage.tables import encounters


def test_the_encounters_order_is_read_from_its_index(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'plan.db'}")
    upgrade(engine)
    query = select(encounters).order_by(*_sort(ENCOUNTERS)).limit(101)
    sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        plan = " ".join(str(row[-1]) for row in conn.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
    engine.dispose()
    assert "USING INDEX ix_encounters_order" in plan, plan
    assert "TEMP B-TREE" not in plan, plan  # no sort of its own
