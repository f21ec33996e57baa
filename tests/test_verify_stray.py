"""``liaison ledger verify`` reports the rows it would otherwise skip (issue 12, item 2),
each naming the row, on each backend: an entry row with a negative index, or beyond the
tree head; tile rows that no tree of the head's size has; checkpoint rows larger than the
head (with --structure-only, where the checkpoints are not read otherwise)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, insert, text

import rfc6962
from liaison.ledger.check import check_ledger
from liaison.ledger.check_stray import LISTED, tile_limits
from liaison.ledger.entries import NewEntry, seal
from liaison.ledger.log import Ledger
from liaison.ledger.note_keys import generate_signer, parse_signer, parse_verifier
from liaison.storage.tables import ledger_entries, ledger_tiles

ORIGIN = "test.example/stray"
SKEY, VKEY = generate_signer(ORIGIN)
AT = datetime(2025, 8, 14, 15, 0, tzinfo=UTC)
SIZE = 300


@pytest.fixture
def ledger(engine: Engine) -> Ledger:
    made = Ledger(engine, ORIGIN, parse_signer(SKEY))
    made.append_many(
        [NewEntry("decision", {"n": i}, "officer-1", recorded_at=AT) for i in range(SIZE)]
    )
    made.checkpoint()
    assert check_ledger(made, parse_verifier(VKEY)).ok
    return made


def where(ledger: Ledger, *, structure_only: bool = False) -> dict[str, str]:
    report = check_ledger(ledger, parse_verifier(VKEY), structure_only=structure_only)
    return {p.where: p.message for p in report.problems}


def forged_row(index: int) -> dict[str, object]:
    sealed = seal(NewEntry("decision", {"n": index, "forged": True}, "intruder", recorded_at=AT))
    return {
        "idx": index,
        "kind": sealed.kind,
        "recorded_at": sealed.recorded_at,
        "leaf_hash": sealed.leaf_hash,
        "body": sealed.body,
    }


def test_tile_limits_follow_the_tile_layout() -> None:
    assert tile_limits(0) == []
    assert tile_limits(1) == [1]
    assert tile_limits(256) == [1, 1]
    assert tile_limits(300) == [2, 1]
    assert tile_limits(65536) == [256, 1, 1]


def test_an_entry_row_with_a_negative_index_is_reported(ledger: Ledger) -> None:
    with ledger.engine.begin() as conn:
        conn.execute(insert(ledger_entries), [forged_row(-1), forged_row(-7)])
    found = where(ledger)
    assert "negative index" in found["entry -1"]
    assert "negative index" in found["entry -7"]


def test_an_entry_row_beyond_the_head_is_reported(ledger: Ledger) -> None:
    with ledger.engine.begin() as conn:
        conn.execute(insert(ledger_entries), [forged_row(SIZE + 5)])
    found = where(ledger)
    assert f"beyond the tree head (size {SIZE})" in found[f"entry {SIZE + 5}"]


def test_many_stray_rows_are_counted_not_listed(ledger: Ledger) -> None:
    with ledger.engine.begin() as conn:
        conn.execute(insert(ledger_entries), [forged_row(-i) for i in range(1, 31)])
    report = check_ledger(ledger, parse_verifier(VKEY))
    negative = [p for p in report.problems if "negative index" in p.message]
    assert len(negative) == LISTED
    assert any(p.where == "entries" and "20 more such rows" in p.message for p in report.problems)


@pytest.mark.parametrize("key", [(0, 2), (0, 9), (1, 1), (2, 0), (-1, 0), (0, -1)])
def test_a_tile_no_tree_of_the_size_has_is_reported(ledger: Ledger, key: tuple[int, int]) -> None:
    with ledger.engine.begin() as conn:
        conn.execute(insert(ledger_tiles).values(level=key[0], idx=key[1], hashes=bytes(32)))
    found = where(ledger)
    assert f"no tree of {SIZE} entries has this tile" in found[f"tile {key}"], found


def test_a_checkpoint_beyond_the_head_is_reported_with_structure_only(ledger: Ledger) -> None:
    bodies = [e.body for e in ledger.entries(0, 250)]
    with ledger.engine.begin() as conn:
        conn.execute(text("DELETE FROM ledger_entries WHERE idx >= 250"))
        conn.execute(
            text("UPDATE ledger_head SET size = 250, root = :r WHERE id = 1"),
            {"r": rfc6962.root_hash(bodies)},
        )
    assert (
        "larger than the tree head (size 250)"
        in where(ledger, structure_only=True)["checkpoint 300"]
    )
    assert "the log has only 250 entries" in where(ledger)["checkpoint 300"]  # as before
