"""The ledger store (liaison.ledger.store) on each backend: roots, proofs, sequencing, erasure.

Every test takes the ``engine`` or ``db_url`` fixture, so it runs on SQLite and on
PostgreSQL. References are the RFC 6962 definitions of ``liaison.ledger.merkle``
(``root_hash``, ``inclusion_proof``, ``consistency_proof`` over the entry bodies), which
``tests/test_merkle.py`` holds to published vectors; the store computes the same things
from its tiles.
"""

from __future__ import annotations

import multiprocessing
import random
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

import rfc6962
from ledger_reads import entry_body, root_at
from liaison.errors import InvalidCheckpoint, LedgerError, NotFound, SignatureError
from liaison.ledger import merkle
from liaison.ledger.check import check_ledger
from liaison.ledger.checkpoint import open_checkpoint
from liaison.ledger.entries import NewEntry
from liaison.ledger.log import Ledger
from liaison.ledger.note_keys import generate_signer, parse_signer, parse_verifier
from liaison.ledger.sequencer import Appended
from liaison.storage.database import open_engine
from liaison.storage.migrate import upgrade
from liaison.storage.tables import (
    ledger_checkpoints,
    ledger_entries,
    ledger_personal,
    ledger_tiles,
)

ORIGIN = "test.example/ledger"
SKEY, VKEY = generate_signer(ORIGIN)


def make_entries(n: int, start: int = 0, tag: str = "t") -> list[NewEntry]:
    """Entries with personal data on two in three, and a few non-ASCII texts."""
    return [
        NewEntry(
            "decision" if i % 5 else "event",
            {"n": i, "tag": tag, "note": "café ☕" if i % 7 == 0 else "x"},
            f"officer-{i % 13}",
            None if i % 3 == 2 else {"subject": f"person-{i}", "dob": "1990-01-01"},
        )
        for i in range(start, start + n)
    ]


def bodies_of(ledger: Ledger) -> list[bytes]:
    return [e.body for e in ledger.entries()]


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def check_acknowledged(acks: list[Appended], size: int, root: bytes) -> None:
    assert [a.index for a in acks] == list(range(size - len(acks), size))
    for a in acks:
        assert (a.size, a.root) == (size, root)


# -- roots and proofs across tile boundaries --------------------------------------------

# Tile boundaries are at multiples of 256 (level 0) and of 65536 (level 1: too slow
# here; ``test_tiles_across_a_level_1_boundary`` covers it in memory). Subtrees of
# height 8..10 come from level-1 tiles once the tree passes 256, 512 and 1024 leaves.
STOPS = [1, 2, 3, 5, 8, 9, 200, 255, 256, 257, 300, 511, 512, 513, 700, 1023, 1024, 1025, 1030]


def grow_through_stops(ledger: Ledger) -> list[bytes]:
    """Append up to each stop (single appends and batches, some crossing a tile edge),
    checking the acknowledged head and the root from the tiles at every stop."""
    size = 0
    for number, stop in enumerate(STOPS):
        batch = make_entries(stop - size, size)
        if len(batch) == 1 and number % 2:
            acks = [ledger.append(batch[0])]
        else:
            acks = ledger.append_many(batch)
        size = stop
        bodies = bodies_of(ledger)
        assert len(bodies) == size
        root = rfc6962.root_hash(bodies)
        check_acknowledged(acks, size, root)
        assert ledger.head() == (size, root)
        assert root_at(ledger, size) == root
        for a, body in zip(acks, bodies[-len(acks) :], strict=True):
            assert a.leaf_hash == merkle.leaf_hash(body)
    return bodies_of(ledger)


def test_roots_and_proofs_across_tile_boundaries(engine: Engine) -> None:
    ledger = Ledger(engine, ORIGIN)
    bodies = grow_through_stops(ledger)
    n = len(bodies)
    rng = random.Random(6962)
    roots: dict[int, bytes] = {}

    def root(size: int) -> bytes:
        if size not in roots:
            roots[size] = rfc6962.root_hash(bodies[:size])
        return roots[size]

    sizes = sorted({*range(40), *STOPS, *rng.sample(range(1, n + 1), 25)})
    for size in sizes:
        assert root_at(ledger, size) == root(size), size

    marks = [0, 1, 255, 256, 511, 512, 767, 768, 1023, 1024]
    pairs = {(i, s) for s in STOPS for i in (*marks, s // 2, s - 2, s - 1) if 0 <= i < s}
    pairs |= {(i, s) for s in rng.sample(range(1, n + 1), 20) for i in rng.sample(range(s), 2)}
    for index, size in sorted(pairs):
        proof = ledger.inclusion_proof(index, size)
        assert (proof.index, proof.size, proof.root) == (index, size, root(size))
        assert proof.leaf_hash == merkle.leaf_hash(bodies[index])
        assert proof.hashes == rfc6962.inclusion_proof(bodies, index, size), (index, size)
        assert merkle.verify_inclusion(proof.leaf_hash, index, size, proof.hashes, proof.root)

    latest = ledger.inclusion_proof(700)  # default: the current size
    assert (latest.size, latest.root) == (n, root(n))
    assert latest.hashes == rfc6962.inclusion_proof(bodies, 700, n)

    olds = [1, 2, 3, 5, 8, 255, 256, 257, 511, 512, 513, 1023, 1024, n]
    news = [1, 2, 3, 8, 9, 256, 257, 300, 512, 513, 700, 1024, 1025, n]
    cons = {(o, s) for o in olds for s in news if o <= s}
    cons |= {(min(p), max(p)) for p in (rng.sample(range(1, n + 1), 2) for _ in range(20))}
    for old, new in sorted(cons):
        cproof = ledger.consistency_proof(old, new)
        assert (cproof.old_size, cproof.new_size) == (old, new)
        assert (cproof.old_root, cproof.new_root) == (root(old), root(new))
        assert cproof.hashes == rfc6962.consistency_proof(bodies, old, new), (old, new)
        assert merkle.verify_consistency(old, new, root(old), root(new), cproof.hashes)

    to_now = ledger.consistency_proof(300)  # default: the current size
    assert (to_now.new_size, to_now.new_root) == (n, root(n))

    # Level-0 tiles 0..3 are full, tile 4 holds the last 6 leaves; level 1 holds 4 hashes.
    with engine.connect() as conn:
        tiles = {(r.level, r.idx): len(r.hashes) for r in conn.execute(select(ledger_tiles))}
    assert tiles == {
        (0, 0): 8192,
        (0, 1): 8192,
        (0, 2): 8192,
        (0, 3): 8192,
        (0, 4): 192,
        (1, 0): 128,
    }


def test_tiles_across_a_level_1_boundary() -> None:
    """In memory: grow the tiles past 65536 leaves (a full level-1 tile) in uneven batches."""
    from liaison.ledger.tiles import TileView, grow

    n = 65536 + 3
    leaves = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(n)]
    store: dict[tuple[int, int], bytes] = {}
    size, rng = 0, random.Random(8)
    while size < n:
        step = min(n - size, rng.choice([1, 2, 255, 256, 257, 3000, 9000]))
        store.update(grow(size, leaves[size : size + step], lambda k: store.get(k, b"")))
        size += step
    # 256 full level-0 tiles and one of 3 leaves; one full level-1 tile; its hash at level 2.
    assert set(store) == {*((0, i) for i in range(257)), (1, 0), (2, 0)}
    assert len(store[(0, 256)]) == 3 * 32
    assert len(store[(1, 0)]) == 256 * 32
    assert len(store[(2, 0)]) == 32

    def reference(level: int, index: int) -> bytes:  # the perfect subtree over raw leaf hashes
        hashes = leaves[index << level : (index + 1) << level]
        while len(hashes) > 1:
            hashes = [merkle.node_hash(hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
        return hashes[0]

    view = TileView(store)
    for level, index in [(8, 0), (9, 0), (15, 1), (16, 0), (8, 255), (0, 65538), (1, 32768)]:
        assert view.get(level, index) == reference(level, index), (level, index)
    with pytest.raises(LookupError):
        view.get(1, 32769)  # half of it is not in the log


# -- errors ------------------------------------------------------------------------------


def test_out_of_range_is_not_found(engine: Engine) -> None:
    ledger = Ledger(engine, ORIGIN)
    assert ledger.head() == (0, merkle.EMPTY_ROOT)
    assert root_at(ledger, 0) == merkle.EMPTY_ROOT
    empty: list[Callable[[], object]] = [
        lambda: ledger.inclusion_proof(0),
        lambda: ledger.inclusion_proof(0, 0),
        lambda: ledger.consistency_proof(1),
        lambda: ledger.consistency_proof(0, 0),
        lambda: root_at(ledger, 1),
        lambda: ledger.entry(0),
    ]
    for call in empty:
        with pytest.raises(NotFound):
            call()
    assert entry_body(ledger, 0) is None
    assert list(ledger.entries()) == []

    ledger.append_many(make_entries(10))
    bodies = bodies_of(ledger)
    assert root_at(ledger, 0) == merkle.EMPTY_ROOT
    assert root_at(ledger, 4) == rfc6962.root_hash(bodies[:4])
    bad: list[Callable[[], object]] = [
        lambda: ledger.inclusion_proof(10),
        lambda: ledger.inclusion_proof(-1),
        lambda: ledger.inclusion_proof(4, 4),
        lambda: ledger.inclusion_proof(0, 11),
        lambda: ledger.inclusion_proof(0, 0),
        lambda: ledger.consistency_proof(0, 5),
        lambda: ledger.consistency_proof(6, 5),
        lambda: ledger.consistency_proof(5, 11),
        lambda: ledger.consistency_proof(11),
        lambda: ledger.consistency_proof(-1, 5),
        lambda: root_at(ledger, 11),
        lambda: root_at(ledger, -1),
        lambda: ledger.entry(10),
        lambda: ledger.entry(-1),
    ]
    for call in bad:
        with pytest.raises(NotFound):
            call()
    assert entry_body(ledger, 10) is None
    same = ledger.consistency_proof(10, 10)
    assert same.hashes == []
    assert merkle.verify_consistency(10, 10, same.old_root, same.new_root, same.hashes)
    assert ledger.head()[0] == 10


def test_append_many_empty_is_a_no_op(engine: Engine) -> None:
    ledger = Ledger(engine, ORIGIN)
    assert ledger.append_many([]) == []
    assert ledger.head() == (0, merkle.EMPTY_ROOT)
    assert count(engine, ledger_tiles) == 0
    ledger.append_many(make_entries(300))
    head = ledger.head()
    with engine.connect() as conn:
        tiles = conn.execute(select(ledger_tiles).order_by("level", "idx")).all()
    assert ledger.append_many([]) == []
    assert ledger.head() == head
    assert count(engine, ledger_entries) == 300
    assert count(engine, ledger_personal) == 200
    with engine.connect() as conn:
        assert conn.execute(select(ledger_tiles).order_by("level", "idx")).all() == tiles


def test_entries_read_back(engine: Engine) -> None:
    ledger = Ledger(engine, ORIGIN)
    at = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=timezone(timedelta(hours=-5)))
    whole = datetime(2026, 3, 1, 0, 0, 0, tzinfo=UTC)
    new = [
        NewEntry("decision", {"a": 1, "ü": ["ℵ", None, True]}, "officer 😀", {"n": "Zoë"}, at),
        NewEntry("event", {}, "x", None, whole),
        *make_entries(18, 2),
    ]
    acks = ledger.append_many(new)
    first, second = ledger.entry(0), ledger.entry(1)
    assert first.kind == "decision"
    assert first.recorded_at == at
    assert first.recorded_at.utcoffset() == timedelta(0)
    assert second.recorded_at == whole
    assert first.document()["record"] == {"a": 1, "ü": ["ℵ", None, True]}
    assert first.document()["actor"] == "officer 😀"
    assert first.personal == {"n": "Zoë"}
    assert not first.erased
    assert second.personal is None
    assert not second.erased
    assert first.leaf_hash == acks[0].leaf_hash == merkle.leaf_hash(first.body)
    assert entry_body(ledger, 0) == first.body

    streamed = list(ledger.entries(batch=7))
    assert [e.index for e in streamed] == list(range(20))
    assert all(e.personal is None for e in streamed)  # entries() never reads personal data
    assert [e.index for e in ledger.entries(5, 12, batch=3)] == list(range(5, 12))
    assert [e.index for e in ledger.entries(18)] == [18, 19]
    assert list(ledger.entries(20)) == []
    assert [e.body for e in ledger.entries(3, 6)] == [ledger.entry(i).body for i in (3, 4, 5)]


# -- one sequencer: concurrent writers -------------------------------------------------

THREADS, THREAD_APPENDS = 4, 50
PROCESSES, PROCESS_APPENDS = 3, 40

Ack = tuple[int, bytes, int, bytes]  # index, leaf hash, size, root


def _batch(worker: int, number: int, rng: random.Random) -> list[NewEntry]:
    return [
        NewEntry(
            "event",
            {"worker": worker, "append": number, "part": part},
            f"worker-{worker}",
            {"w": worker, "a": number, "p": part} if part != 1 else None,
        )
        for part in range(rng.randint(1, 3))
    ]


def _append_worker(ledger: Ledger, worker: int, appends: int) -> list[list[Ack]]:
    rng = random.Random(worker)
    done = []
    for number in range(appends):
        acks = ledger.append_many(_batch(worker, number, rng))
        done.append([(a.index, a.leaf_hash, a.size, a.root) for a in acks])
    return done


_START: Any = None  # in a pool process: the barrier all workers of one test meet at


def _init_process(barrier: Any) -> None:
    global _START
    _START = barrier


def _process_worker(db_url: str, worker: int, appends: int) -> list[list[Ack]]:
    """Runs in a spawned process: its own engine, its own ledger."""
    engine = open_engine(db_url)
    try:
        ledger = Ledger(engine, ORIGIN)
        ledger.head()  # connected
        _START.wait(timeout=120)  # every worker holds one task: they run at the same time
        return _append_worker(ledger, worker, appends)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def process_pool() -> Iterator[Any]:
    """Spawned processes, shared by both backends' tests (spawning is the slow part)."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    with context.Pool(PROCESSES, initializer=_init_process, initargs=(barrier,)) as pool:
        yield pool


def check_sequenced(ledger: Ledger, per_worker: dict[int, list[list[Ack]]], appends: int) -> None:
    """Gap-free indexes 0..N-1, every acknowledgement true, each worker's order kept."""
    stored = list(ledger.entries())
    bodies = [e.body for e in stored]
    total = sum(len(batch) for done in per_worker.values() for batch in done)
    assert [e.index for e in stored] == list(range(total))
    assert ledger.head() == (total, rfc6962.root_hash(bodies))

    roots: dict[int, bytes] = {}
    seen: set[int] = set()
    for worker, done in per_worker.items():
        assert len(done) == appends
        rng = random.Random(worker)
        last = -1
        for number, acks in enumerate(done):
            expected = _batch(worker, number, rng)
            indexes = [a[0] for a in acks]
            assert len(acks) == len(expected)
            assert indexes == list(range(indexes[0], indexes[0] + len(acks)))  # one transaction
            assert indexes[0] > last  # a worker's appends are ordered as it made them
            last = indexes[-1]
            for (index, leaf, size, root), entry in zip(acks, expected, strict=True):
                assert index not in seen
                seen.add(index)
                assert stored[index].leaf_hash == leaf == merkle.leaf_hash(bodies[index])
                assert stored[index].document()["record"] == entry.record
                assert size == indexes[-1] + 1
                if size not in roots:
                    roots[size] = rfc6962.root_hash(bodies[:size])
                assert root == roots[size]
    assert seen == set(range(total))

    signer = parse_signer(SKEY)
    Ledger(ledger.engine, ORIGIN, signer).checkpoint()
    report = check_ledger(ledger, parse_verifier(VKEY))
    assert report.ok, report.problems
    assert report.size == total
    assert report.checkpoints_verified == 1


def test_concurrent_threads_get_gap_free_indexes(engine: Engine) -> None:
    results: dict[int, list[list[Ack]]] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def run(worker: int) -> None:
        try:
            ledger = Ledger(engine, ORIGIN)  # a Ledger object per thread, one engine
            start.wait()
            results[worker] = _append_worker(ledger, worker, THREAD_APPENDS)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    check_sequenced(Ledger(engine, ORIGIN), results, THREAD_APPENDS)


def test_concurrent_processes_get_gap_free_indexes(
    db_url: str, engine: Engine, process_pool: Any
) -> None:
    done = process_pool.starmap(
        _process_worker, [(db_url, w, PROCESS_APPENDS) for w in range(PROCESSES)], chunksize=1
    )
    check_sequenced(Ledger(engine, ORIGIN), dict(enumerate(done)), PROCESS_APPENDS)


# -- erasure ---------------------------------------------------------------------------


def test_erasure(engine: Engine) -> None:
    signer = parse_signer(SKEY)
    verifier = parse_verifier(VKEY)
    ledger = Ledger(engine, ORIGIN, signer)
    personal = {
        i: {"name": f"Zoë {i} 😀", "ids": [i, str(i)], "nested": {"a": None}}
        for i in range(0, 40, 2)
    }
    ledger.append_many(
        [NewEntry("decision", {"n": i}, f"officer-{i}", personal.get(i)) for i in range(40)]
    )
    for i in range(40):
        stored = ledger.entry(i)
        assert stored.personal == personal.get(i)
        assert not stored.erased
    before = ledger.checkpoint()
    bodies = bodies_of(ledger)

    erased = ledger.erase(4, "retention expiry", "admin-1", "retention schedule 7.2")
    assert (erased.index, erased.size) == (40, 41)
    gone = ledger.entry(4)
    assert gone.personal is None
    assert gone.erased
    assert gone.body == bodies[4]
    assert gone.leaf_hash == merkle.leaf_hash(bodies[4])
    with engine.connect() as conn:  # data and salt are both gone
        assert (
            conn.execute(select(ledger_personal).where(ledger_personal.c.idx == 4)).one_or_none()
            is None
        )
    record = ledger.entry(40)
    assert record.kind == "erasure"
    assert record.document()["record"] == {
        "erased_index": 4,
        "reason": "retention expiry",
        "authority": "retention schedule 7.2",
    }
    assert record.document()["actor"] == "admin-1"
    assert "personal" not in record.document()
    assert ledger.entry(6).personal == personal[6]  # only the one entry

    head = ledger.head()
    for index in (4, 5, 40):  # erased already; never had personal data; an erasure entry
        with pytest.raises(LedgerError, match=f"entry {index} holds no personal data"):
            ledger.erase(index, "again", "admin-1", "x")
    with pytest.raises(NotFound):
        ledger.erase(41, "out of range", "admin-1", "x")
    with pytest.raises(NotFound):
        ledger.erase(-1, "out of range", "admin-1", "x")
    assert ledger.head() == head  # refused erasures append nothing
    assert count(engine, ledger_entries) == 41

    ledger.erase(0, "court order", "admin-2", "order 12")
    after = ledger.checkpoint()
    opened_before = open_checkpoint(before.note, verifier, ORIGIN)
    opened_after = open_checkpoint(after.note, verifier, ORIGIN)
    assert (opened_before.size, opened_after.size) == (40, 42)
    for i in range(40):  # every proof against the checkpoint made before still verifies
        proof = ledger.inclusion_proof(i, opened_before.size)
        assert proof.root == opened_before.root
        leaf = merkle.leaf_hash(ledger.entry(i).body)
        assert merkle.verify_inclusion(leaf, i, 40, proof.hashes, opened_before.root)
        now = ledger.inclusion_proof(i)
        assert merkle.verify_inclusion(leaf, i, 42, now.hashes, opened_after.root)
    cons = ledger.consistency_proof(40, 42)
    assert merkle.verify_consistency(40, 42, opened_before.root, opened_after.root, cons.hashes)

    report = check_ledger(ledger, verifier)
    assert report.ok, report.problems
    assert report.checkpoints_verified == 2


# -- checkpoints -----------------------------------------------------------------------


def test_checkpoints(engine: Engine) -> None:
    with pytest.raises(LedgerError):
        Ledger(engine, ORIGIN).checkpoint()  # no signer
    assert count(engine, ledger_checkpoints) == 0

    verifier = parse_verifier(VKEY)
    ledger = Ledger(engine, ORIGIN, parse_signer(SKEY))
    empty = ledger.checkpoint()
    assert (empty.size, empty.root) == (0, merkle.EMPTY_ROOT)
    opened = open_checkpoint(empty.note, verifier, ORIGIN)
    assert (opened.size, opened.root, opened.origin) == (0, merkle.EMPTY_ROOT, ORIGIN)
    empty_report = check_ledger(ledger, verifier)  # a signed empty tree: nothing verified
    assert [p.where for p in empty_report.problems] == ["entries"]
    assert check_ledger(ledger, verifier, structure_only=True).ok

    ledger.append_many(make_entries(300))
    first = ledger.checkpoint()
    again = ledger.checkpoint()
    assert again.note == first.note
    assert (again.size, again.root) == (first.size, first.root) == ledger.head()
    assert again.created_at == first.created_at
    assert count(engine, ledger_checkpoints) == 2  # no duplicate row

    opened = open_checkpoint(first.note, verifier, ORIGIN)
    assert (opened.size, opened.root) == ledger.head()
    assert first.note.startswith(f"{ORIGIN}\n300\n")
    with pytest.raises(InvalidCheckpoint):
        open_checkpoint(first.note, verifier, "other.example/log")
    _, other = generate_signer(ORIGIN)
    with pytest.raises(SignatureError):
        open_checkpoint(first.note, parse_verifier(other), ORIGIN)

    ledger.append(make_entries(1, 300)[0])
    latest = ledger.checkpoint()
    assert [c.size for c in ledger.checkpoints()] == [0, 300, 301]
    assert ledger.latest_checkpoint() == latest
    assert [c.note for c in ledger.checkpoints()] == [empty.note, first.note, latest.note]
    for kept in ledger.checkpoints():
        cp = open_checkpoint(kept.note, verifier, ORIGIN)
        assert (cp.size, cp.root) == (kept.size, kept.root) == (kept.size, root_at(ledger, cp.size))

    report = check_ledger(ledger, verifier)
    assert report.ok, report.problems
    assert report.checkpoints_verified == 3
    assert report.uncovered == 0
    unchecked = check_ledger(ledger, None)  # without the verifier key nothing is trusted
    assert not unchecked.ok
    assert {p.where for p in unchecked.problems} == {
        "checkpoint 0",
        "checkpoint 300",
        "checkpoint 301",
        "checkpoints",  # none verified: nothing covers the entries
    }


def test_a_record_with_a_personal_key_is_not_personal_data(engine: Engine) -> None:
    """An entry whose record has a key ``personal`` (and no personal data of its own) is
    not reported as personal data gone missing; a real commitment still is."""
    ledger = Ledger(engine, ORIGIN, parse_signer(SKEY))
    ledger.append_many(
        [
            NewEntry("event", {"personal": "sha256:" + "ab" * 32}, "a"),
            NewEntry("event", {"x": 1}, "a", {"subject": "person-1"}),
        ]
    )
    ledger.checkpoint()
    report = check_ledger(ledger, parse_verifier(VKEY))
    assert report.ok, report.problems
    with engine.begin() as conn:
        conn.execute(ledger_personal.delete())
    problems = [str(p) for p in check_ledger(ledger, parse_verifier(VKEY)).problems]
    assert len(problems) == 1
    assert "missing" in problems[0]
    assert "entry 1" in problems[0]


def test_personal_data_stored_as_text_is_refused_as_not_matching(tmp_path: Path) -> None:
    """A tampered personal row whose salt or data is now text (SQLite keeps any type; a
    PostgreSQL bytea cannot hold text, so this is SQLite's alone) is read as bytes, as
    ``ledger verify`` reads it, and refused (``LedgerError``), not a crash."""
    engine = open_engine(f"sqlite:///{tmp_path / 'text-personal.db'}")
    upgrade(engine)
    ledger = Ledger(engine, ORIGIN)
    ledger.append(NewEntry("decision", {"n": 1}, "a", {"subject_id": "person-1"}))
    for column in ("salt", "data"):
        with engine.begin() as conn:
            saved = conn.execute(select(ledger_personal)).one()
            conn.exec_driver_sql(f"UPDATE ledger_personal SET {column} = 'not bytes'")
        with pytest.raises(LedgerError, match="does not match its commitment"):
            ledger.entry(0)
        with engine.begin() as conn:
            conn.execute(ledger_personal.update().values(salt=saved.salt, data=saved.data))
    assert ledger.entry(0).personal == {"subject_id": "person-1"}
