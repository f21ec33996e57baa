"""Tampering with the ledger's database, and with an exported bundle, is found and located.

A ledger of 617 entries (personal data on two in three, checkpoints at 200, 400 and
600, 17 entries after the last one) is built on each backend; a bundle is exported
before anything is touched. Each test then changes the database directly with SQL
through the engine, as someone with database access could, and checks that
``check_ledger`` fails and names the entry, checkpoint, tile or head that is wrong.
The strongest forgeries also recompute every leaf hash, tile and the tree head, so
that only the signed checkpoints can reveal them.

The bundle tests edit the exported file line by line and check ``verify_bundle``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, insert, text, update

import rfc6962
from conftest import BACKENDS, database_url
from liaison.errors import BundleError, SignatureError
from liaison.ledger import merkle
from liaison.ledger.bundle import export_bundle, verify_bundle
from liaison.ledger.check import check_ledger
from liaison.ledger.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from liaison.ledger.entries import NewEntry, seal
from liaison.ledger.log import Ledger
from liaison.ledger.note_keys import generate_signer, parse_signer, parse_verifier
from liaison.ledger.verify import Report, TileBuilder
from liaison.storage.database import open_engine
from liaison.storage.migrate import upgrade
from liaison.storage.tables import (
    ledger_entries,
    ledger_head,
    ledger_personal,
    ledger_tiles,
)

ORIGIN = "test.example/tamper"
SKEY, VKEY = generate_signer(ORIGIN)
CHECKPOINTS = (200, 400, 600)
SIZE = 617


@dataclass
class Built:
    engine: Engine
    bodies: list[bytes]
    bundle: Path

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def verify(self) -> Report:
        return check_ledger(Ledger(self.engine, ORIGIN), parse_verifier(VKEY))


def build(engine: Engine, folder: Path) -> Built:
    ledger = Ledger(engine, ORIGIN, parse_signer(SKEY))
    start = 0
    for stop in (*CHECKPOINTS, SIZE):
        ledger.append_many(
            [
                NewEntry(
                    "decision",
                    {"n": i, "unit": f"district-{i % 7}"},
                    f"officer-{i % 13}",
                    None if i % 3 == 2 else {"subject": f"person-{i}", "phone": f"555-{i:04d}"},
                )
                for i in range(start, stop)
            ]
        )
        if stop in CHECKPOINTS:
            ledger.checkpoint()
        start = stop
    bundle = folder / "ledger.jsonl"
    assert export_bundle(ledger, bundle, VKEY) == (SIZE, 3)
    built = Built(engine, [e.body for e in ledger.entries()], bundle)
    report = built.verify()
    assert report.ok, report.problems
    assert report.checkpoints_verified == 3
    return built


@dataclass(frozen=True)
class Pristine:
    engine: Engine
    bodies: list[bytes]
    bundle: Path
    bundle_gz: Path


TABLES = ("ledger_head", "ledger_entries", "ledger_personal", "ledger_tiles", "ledger_checkpoints")


@pytest.fixture(scope="module", params=BACKENDS)
def pristine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pristine]:
    """The ledger built once per backend, its bundles exported, and a copy of its tables
    kept in the same database (``pristine_*``) to restore before each test."""
    folder = tmp_path_factory.mktemp(f"pristine-{request.param}")
    for url in database_url(request.param, folder):
        engine = open_engine(url)
        try:
            upgrade(engine)
            built = build(engine, folder)
            bundle_gz = folder / "ledger.jsonl.gz"
            assert export_bundle(Ledger(engine, ORIGIN), bundle_gz, VKEY) == (SIZE, 3)
            with engine.begin() as conn:
                for table in TABLES:
                    conn.execute(text(f"CREATE TABLE pristine_{table} AS SELECT * FROM {table}"))
            yield Pristine(engine, built.bodies, built.bundle, bundle_gz)
        finally:
            engine.dispose()


@pytest.fixture
def built(pristine: Pristine) -> Built:
    """The pristine ledger, restored (much cheaper than a new database per test)."""
    with pristine.engine.begin() as conn:
        for table in TABLES:
            conn.execute(text(f"DELETE FROM {table}"))
            conn.execute(text(f"INSERT INTO {table} SELECT * FROM pristine_{table}"))
    return Built(pristine.engine, pristine.bodies, pristine.bundle)


def test_pristine_copy_verifies(built: Built) -> None:
    report = built.verify()
    assert report.ok, report.problems
    assert (report.size, report.checkpoints_verified, report.uncovered) == (SIZE, 3, 17)


# -- raw SQL helpers ---------------------------------------------------------------------


def sql(engine: Engine, statement: str, *params: dict[str, Any]) -> None:
    with engine.begin() as conn:
        if params:
            conn.execute(text(statement), list(params))
        else:
            conn.execute(text(statement))


def value(engine: Engine, statement: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(statement), params).scalar_one()


def edited(body: bytes) -> bytes:
    """One byte changed inside the record: ``"n":123`` becomes ``"n":124``."""
    document = json.loads(body)
    old = f'"n":{document["record"]["n"]},'.encode()
    new = f'"n":{document["record"]["n"] + 1},'.encode()
    assert body.count(old) == 1
    assert len(old) == len(new)
    return body.replace(old, new)


def forged(n: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """A well-formed entry row and its personal row, as the writer would make them."""
    sealed = seal(NewEntry("decision", {"n": n, "forged": True}, "intruder", {"subject": "x"}))
    entry = {
        "kind": sealed.kind,
        "recorded_at": sealed.recorded_at,
        "leaf_hash": sealed.leaf_hash,
        "body": sealed.body,
    }
    return entry, {"salt": sealed.salt, "data": sealed.personal_data}


def rebuild_derived(engine: Engine) -> None:
    """What a careful forger does after changing entries: recompute every leaf hash,
    every tile and the tree head, so that only the signed checkpoints disagree."""
    with engine.begin() as conn:
        rows = conn.execute(text("SELECT idx, body FROM ledger_entries ORDER BY idx")).all()
        bodies = [bytes(r.body) for r in rows]
        leaves = [merkle.leaf_hash(body) for body in bodies]
        conn.execute(
            text("UPDATE ledger_entries SET leaf_hash = :h WHERE idx = :i"),
            [{"h": leaf, "i": row.idx} for row, leaf in zip(rows, leaves, strict=True)],
        )
        builder, tiles = TileBuilder(), []
        for leaf in leaves:
            tiles.extend(builder.add(0, leaf))
        tiles.extend(builder.partial())
        conn.execute(delete(ledger_tiles))
        conn.execute(
            insert(ledger_tiles), [{"level": k[0], "idx": k[1], "hashes": v} for k, v in tiles]
        )
        conn.execute(
            update(ledger_head)
            .where(ledger_head.c.id == 1)
            .values(size=len(bodies), root=rfc6962.root_hash(bodies))
        )


def shift_up(engine: Engine, first: int) -> None:
    """Renumber entries (and personal rows) from ``first`` up by one, leaving a hole."""
    for table in ("ledger_entries", "ledger_personal"):
        sql(engine, f"UPDATE {table} SET idx = idx + 1000000 WHERE idx >= {first}")
        sql(engine, f"UPDATE {table} SET idx = idx - 999999 WHERE idx >= 1000000")


def swap_rows(engine: Engine, table: str, a: int, b: int) -> None:
    sql(engine, f"UPDATE {table} SET idx = -1 WHERE idx = {a}")
    sql(engine, f"UPDATE {table} SET idx = {a} WHERE idx = {b}")
    sql(engine, f"UPDATE {table} SET idx = {b} WHERE idx = -1")


def flip_byte(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


# -- the tamperings: each changes the database and names where it must be found ----------


def edit_body(b: Built) -> set[str]:
    body = edited(b.bodies[123])
    sql(b.engine, "UPDATE ledger_entries SET body = :b WHERE idx = 123", {"b": body})
    return {"entry 123", "checkpoint 200", "head"}


def edit_body_as_text(b: Built) -> set[str]:
    # SQLite's replace() on a BLOB returns TEXT: the column now holds another type.
    if b.backend == "sqlite":
        statement = "UPDATE ledger_entries SET body = replace(body, 'officer-6', 'officer-7')"
    else:
        statement = (
            "UPDATE ledger_entries SET body = convert_to(replace("
            "convert_from(body, 'UTF8'), 'officer-6', 'officer-7'), 'UTF8')"
        )
    sql(b.engine, statement + " WHERE idx = 123")
    if b.backend == "sqlite":
        kind = value(b.engine, "SELECT typeof(body) FROM ledger_entries WHERE idx = 123")
        assert kind == "text"
    return {"entry 123", "checkpoint 200"}


def edit_body_and_leaf(b: Built) -> set[str]:
    body = edited(b.bodies[123])
    sql(
        b.engine,
        "UPDATE ledger_entries SET body = :b, leaf_hash = :h WHERE idx = 123",
        {"b": body, "h": merkle.leaf_hash(body)},
    )
    return {"checkpoint 200", "tile (0, 0)", "head"}


def edit_body_and_everything_derived(b: Built) -> set[str]:
    sql(
        b.engine,
        "UPDATE ledger_entries SET body = :b WHERE idx = 123",
        {"b": edited(b.bodies[123])},
    )
    rebuild_derived(b.engine)
    return {"checkpoint 200"}


def delete_middle(b: Built) -> set[str]:
    sql(b.engine, "DELETE FROM ledger_entries WHERE idx = 300")
    return {"entry 300"}


def delete_middle_and_renumber(b: Built) -> set[str]:
    sql(b.engine, "DELETE FROM ledger_entries WHERE idx = 300")
    sql(b.engine, "DELETE FROM ledger_personal WHERE idx = 300")
    for table in ("ledger_entries", "ledger_personal"):
        sql(b.engine, f"UPDATE {table} SET idx = idx + 999999 WHERE idx > 300")
        sql(b.engine, f"UPDATE {table} SET idx = idx - 1000000 WHERE idx >= 1000000")
    rebuild_derived(b.engine)
    return {"checkpoint 400"}


def truncate(b: Built) -> set[str]:
    sql(b.engine, "DELETE FROM ledger_entries WHERE idx >= 550")
    return {"checkpoint 600", "head"}


def truncate_and_fix_head(b: Built) -> set[str]:
    sql(b.engine, "DELETE FROM ledger_entries WHERE idx >= 550")
    sql(b.engine, "DELETE FROM ledger_personal WHERE idx >= 550")
    sql(
        b.engine,
        "UPDATE ledger_head SET size = 550, root = :r",
        {"r": rfc6962.root_hash(b.bodies[:550])},
    )
    return {"checkpoint 600"}


def truncate_and_fix_everything(b: Built) -> set[str]:
    sql(b.engine, "DELETE FROM ledger_entries WHERE idx >= 550")
    sql(b.engine, "DELETE FROM ledger_personal WHERE idx >= 550")
    rebuild_derived(b.engine)
    return {"checkpoint 600"}


def delete_last_uncovered(b: Built) -> set[str]:
    sql(b.engine, f"DELETE FROM ledger_entries WHERE idx = {SIZE - 1}")
    return {"head"}


def swap_bodies(b: Built) -> set[str]:
    sql(
        b.engine,
        "UPDATE ledger_entries SET body = :b WHERE idx = :i",
        {"b": b.bodies[260], "i": 250},
        {"b": b.bodies[250], "i": 260},
    )
    return {"entry 250", "entry 260", "checkpoint 400"}


def reorder_rows(b: Built) -> set[str]:
    # Whole rows change places (body and leaf hash), personal data left where it was.
    swap_rows(b.engine, "ledger_entries", 250, 260)
    return {"checkpoint 400", "entry 250", "entry 260"}


def reorder_rows_and_personal(b: Built) -> set[str]:
    swap_rows(b.engine, "ledger_entries", 250, 259)
    swap_rows(b.engine, "ledger_personal", 250, 259)
    return {"checkpoint 400"}


def insert_middle(b: Built) -> set[str]:
    shift_up(b.engine, 350)
    entry, personal = forged(350)
    with b.engine.begin() as conn:
        conn.execute(insert(ledger_entries).values(idx=350, **entry))
        conn.execute(insert(ledger_personal).values(idx=350, **personal))
    return {"checkpoint 400"}


def insert_middle_and_fix_everything(b: Built) -> set[str]:
    insert_middle(b)
    rebuild_derived(b.engine)
    return {"checkpoint 400"}


def append_without_head(b: Built) -> set[str]:
    entry, _ = forged(SIZE)
    with b.engine.begin() as conn:
        conn.execute(insert(ledger_entries).values(idx=SIZE, **entry))
    return {"head"}


def tile_bytes(b: Built) -> set[str]:
    hashes = value(b.engine, "SELECT hashes FROM ledger_tiles WHERE level = 0 AND idx = 1")
    sql(
        b.engine,
        "UPDATE ledger_tiles SET hashes = :h WHERE level = 0 AND idx = 1",
        {"h": flip_byte(bytes(hashes), 1000)},
    )
    return {"tile (0, 1)"}


def tile_level_1_bytes(b: Built) -> set[str]:
    hashes = value(b.engine, "SELECT hashes FROM ledger_tiles WHERE level = 1 AND idx = 0")
    sql(
        b.engine,
        "UPDATE ledger_tiles SET hashes = :h WHERE level = 1 AND idx = 0",
        {"h": flip_byte(bytes(hashes), 40)},
    )
    return {"tile (1, 0)"}


def tile_deleted(b: Built) -> set[str]:
    sql(b.engine, "DELETE FROM ledger_tiles WHERE level = 0 AND idx = 0")
    return {"tile (0, 0)"}


def checkpoint_note_text(b: Built) -> set[str]:
    note = value(b.engine, "SELECT note FROM ledger_checkpoints WHERE size = 400")
    lines = note.split("\n")
    lines[2] = base64.b64encode(rfc6962.root_hash(b.bodies[:401])).decode()  # another root
    sql(
        b.engine,
        "UPDATE ledger_checkpoints SET note = :n WHERE size = 400",
        {"n": "\n".join(lines)},
    )
    return {"checkpoint 400"}


def checkpoint_signature(b: Built) -> set[str]:
    note = value(b.engine, "SELECT note FROM ledger_checkpoints WHERE size = 200")
    head, _, signature = note.rstrip("\n").rpartition(" ")
    raw = base64.b64decode(signature)
    forged_note = f"{head} {base64.b64encode(flip_byte(raw, 20)).decode()}\n"
    sql(
        b.engine,
        "UPDATE ledger_checkpoints SET note = :n WHERE size = 200",
        {"n": forged_note},
    )
    return {"checkpoint 200"}


def checkpoint_root_column(size: int) -> Callable[[Built], set[str]]:
    def tamper(b: Built) -> set[str]:
        sql(
            b.engine,
            "UPDATE ledger_checkpoints SET root = :r WHERE size = :s",
            {"r": rfc6962.root_hash(b.bodies[: size - 1]), "s": size},
        )
        return {f"checkpoint {size}"}

    tamper.__name__ = f"checkpoint_root_column_{size}"
    return tamper


def personal_deleted(b: Built) -> set[str]:
    sql(b.engine, "DELETE FROM ledger_personal WHERE idx = 76")
    return {"entry 76"}


def personal_altered(b: Built) -> set[str]:
    data = json.dumps({"phone": "555-0076", "subject": "someone-else"}, separators=(",", ":"))
    sql(
        b.engine,
        "UPDATE ledger_personal SET data = :d WHERE idx = 76",
        {"d": data.encode()},
    )
    return {"entry 76"}


def personal_salt_altered(b: Built) -> set[str]:
    sql(b.engine, "UPDATE ledger_personal SET salt = :s WHERE idx = 79", {"s": bytes(32)})
    return {"entry 79"}


def personal_added(b: Built) -> set[str]:
    _, personal = forged(77)
    with b.engine.begin() as conn:
        conn.execute(insert(ledger_personal).values(idx=77, **personal))  # 77 has none
    return {"entry 77"}


def kind_column(b: Built) -> set[str]:
    sql(b.engine, "UPDATE ledger_entries SET kind = 'erasure' WHERE idx = 5")
    return {"entry 5"}


def recorded_at_column(b: Built) -> set[str]:
    sql(b.engine, "UPDATE ledger_entries SET recorded_at = '2001-01-01 00:00:00' WHERE idx = 5")
    return {"entry 5"}


TAMPERINGS = [
    edit_body,
    edit_body_as_text,
    edit_body_and_leaf,
    edit_body_and_everything_derived,
    delete_middle,
    delete_middle_and_renumber,
    truncate,
    truncate_and_fix_head,
    truncate_and_fix_everything,
    delete_last_uncovered,
    swap_bodies,
    reorder_rows,
    reorder_rows_and_personal,
    insert_middle,
    insert_middle_and_fix_everything,
    append_without_head,
    tile_bytes,
    tile_level_1_bytes,
    tile_deleted,
    checkpoint_note_text,
    checkpoint_signature,
    checkpoint_root_column(200),
    checkpoint_root_column(400),
    checkpoint_root_column(600),
    personal_deleted,
    personal_altered,
    personal_salt_altered,
    personal_added,
    kind_column,
    recorded_at_column,
]


@pytest.mark.parametrize("tamper", TAMPERINGS, ids=lambda t: getattr(t, "__name__", None))
def test_database_tampering_is_found_and_located(
    built: Built, tamper: Callable[[Built], set[str]]
) -> None:
    expected = tamper(built)
    report = built.verify()
    assert not report.ok
    where = {p.where for p in report.problems}
    assert expected <= where, report.problems
    assert "ledger" not in where, report.problems  # verification finished: nothing hidden


def test_bundle_exported_after_tampering_fails(built: Built, tmp_path: Path) -> None:
    edit_body_and_everything_derived(built)
    after = tmp_path / "after.jsonl"
    export_bundle(Ledger(built.engine, ORIGIN), after, VKEY)
    report, _ = verify_bundle(after, VKEY)
    assert not report.ok
    # The first checkpoint that fails bounds the edited entry (123); the later ones hold it
    # and fail with it: named in the same finding, not reported again.
    first = [p for p in report.problems if p.where == "checkpoint 200"]
    assert len(first) == 1, report.problems
    assert "the first wrong entry is entry 0 or later, before 200" in first[0].message
    assert "the 2 later checkpoint(s) that hold it fail too (400, 600)" in first[0].message
    assert report.first_wrong == (0, 200)
    before, _ = verify_bundle(built.bundle, VKEY)  # exported before: still the true log
    assert before.ok, before.problems


def test_erasure_is_not_tampering(built: Built) -> None:
    Ledger(built.engine, ORIGIN).erase(76, "retention expiry", "admin", "schedule 7")
    report = built.verify()
    assert report.ok, report.problems
    assert report.size == SIZE + 1


def test_forged_erasure_is_found(built: Built) -> None:
    """An erasure record must be a ledger entry: editing an existing record to name
    another entry is an edit of that entry."""
    Ledger(built.engine, ORIGIN).erase(76, "retention expiry", "admin", "schedule 7")
    body = Ledger(built.engine, ORIGIN).entry(SIZE).body
    sql(
        built.engine,
        "UPDATE ledger_entries SET body = :b WHERE idx = :i",
        {"b": body.replace(b'"erased_index":76', b'"erased_index":79'), "i": SIZE},
    )
    sql(built.engine, "DELETE FROM ledger_personal WHERE idx = 79")
    report = built.verify()
    where = {p.where for p in report.problems}
    assert {f"entry {SIZE}", "entry 76"} <= where, report.problems


# -- bundles -----------------------------------------------------------------------------


def rewrite(source: Path, target: Path, edit: Callable[[list[dict[str, Any]]], None]) -> Path:
    """Copy a bundle, letting ``edit`` change its parsed lines (header first)."""
    lines = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines()]
    edit(lines)
    target.write_text(
        "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8"
    )
    return target


FIRST_ENTRY = 1 + len(CHECKPOINTS)  # line offset of entry 0 in the parsed lines


def entry_line(lines: list[dict[str, Any]], index: int) -> dict[str, Any]:
    line = lines[FIRST_ENTRY + index]
    assert line["index"] == index
    return line


def edit_entry_line(lines: list[dict[str, Any]]) -> None:
    line = entry_line(lines, 123)
    line["entry"] = edited(line["entry"].encode()).decode()


def delete_entry_line(lines: list[dict[str, Any]]) -> None:
    del lines[FIRST_ENTRY + 300]


def swap_entry_lines(lines: list[dict[str, Any]]) -> None:
    a, b = FIRST_ENTRY + 250, FIRST_ENTRY + 260
    lines[a], lines[b] = lines[b], lines[a]


def swap_entry_texts(lines: list[dict[str, Any]]) -> None:
    a, b = entry_line(lines, 250), entry_line(lines, 260)
    a["entry"], b["entry"] = b["entry"], a["entry"]


def insert_entry_line(lines: list[dict[str, Any]]) -> None:
    lines.insert(FIRST_ENTRY + 350, {"index": 350, "entry": forged(350)[0]["body"].decode()})


def insert_entry_line_and_renumber(lines: list[dict[str, Any]]) -> None:
    insert_entry_line(lines)
    for line in lines[FIRST_ENTRY + 351 :]:
        line["index"] += 1
    lines[0]["size"] += 1


def edit_checkpoint_root(lines: list[dict[str, Any]]) -> None:
    note = lines[2]["checkpoint"].split("\n")
    assert note[1] == "400"
    note[2] = base64.b64encode(bytes(32)).decode()
    lines[2]["checkpoint"] = "\n".join(note)


def edit_checkpoint_size(lines: list[dict[str, Any]]) -> None:
    lines[2]["checkpoint"] = lines[2]["checkpoint"].replace("\n400\n", "\n401\n", 1)


def edit_header_root(lines: list[dict[str, Any]]) -> None:
    lines[0]["root"] = base64.b64encode(bytes(32)).decode()


BUNDLE_TAMPERINGS: list[tuple[Callable[[list[dict[str, Any]]], None], set[str]]] = [
    (edit_entry_line, {"checkpoint 200", "head"}),
    (delete_entry_line, {"entry 300", "checkpoint 400"}),
    (swap_entry_lines, {"entries 250..259", "entry 250"}),
    (swap_entry_texts, {"checkpoint 400"}),
    (insert_entry_line, {"entry 350"}),
    (insert_entry_line_and_renumber, {"checkpoint 400"}),  # 600 named in its finding
    (edit_checkpoint_root, {"checkpoint 400"}),
    (edit_checkpoint_size, {"checkpoint 401"}),  # a bundle's checkpoint is known by its size
    (edit_header_root, {"head"}),
]


def test_untouched_bundle_verifies(pristine: Pristine) -> None:
    report, header = verify_bundle(pristine.bundle, VKEY)
    assert report.ok, report.problems
    assert (report.size, report.checkpoints_verified, report.uncovered) == (SIZE, 3, 17)
    assert report.root == rfc6962.root_hash(pristine.bodies)
    assert header["origin"] == ORIGIN
    assert header["vkey"] == VKEY
    assert "key_source" not in header
    unpinned, header = verify_bundle(pristine.bundle)
    assert unpinned.ok
    assert "pin" in header["key_source"]
    text_lines = pristine.bundle.read_text(encoding="utf-8")
    assert "person-" not in text_lines  # personal data never leaves in a bundle
    assert "555-" not in text_lines
    report, _ = verify_bundle(pristine.bundle_gz, VKEY)
    assert report.ok
    assert report.root == rfc6962.root_hash(pristine.bodies)


@pytest.mark.parametrize(
    ("edit", "expected"), BUNDLE_TAMPERINGS, ids=[e.__name__ for e, _ in BUNDLE_TAMPERINGS]
)
@pytest.mark.parametrize("pinned", [True, False], ids=["pinned", "unpinned"])
def test_bundle_tampering_is_found_and_located(
    pristine: Pristine,
    tmp_path: Path,
    edit: Callable[[list[dict[str, Any]]], None],
    expected: set[str],
    pinned: bool,
) -> None:
    path = rewrite(pristine.bundle, tmp_path / "edited.jsonl", edit)
    report, _ = verify_bundle(path, VKEY if pinned else None)
    assert not report.ok
    assert expected <= {p.where for p in report.problems}, report.problems


def test_bundle_with_another_key_in_its_header(pristine: Pristine, tmp_path: Path) -> None:
    """Only the header's key changed: the signatures are not by that key."""
    _, attacker_vkey = generate_signer(ORIGIN)

    def swap_key(lines: list[dict[str, Any]]) -> None:
        lines[0]["vkey"] = attacker_vkey

    path = rewrite(pristine.bundle, tmp_path / "other-key.jsonl", swap_key)
    report, _ = verify_bundle(path)
    assert not report.ok
    assert {"checkpoint 200", "checkpoint 400", "checkpoint 600"} <= {
        p.where for p in report.problems
    }
    assert report.checkpoints_verified == 0
    # Pinned to the published key the checkpoints are the department's own: they verify,
    # whatever the header claims.
    pinned, _ = verify_bundle(path, VKEY)
    assert pinned.ok, pinned.problems


def test_bundle_forged_and_resigned_with_another_key(pristine: Pristine, tmp_path: Path) -> None:
    """A full forgery: an entry edited, every checkpoint re-signed by the forger's key,
    that key in the header. Only pinning the published key reveals it."""
    attacker_skey, attacker_vkey = generate_signer(ORIGIN)
    attacker = parse_signer(attacker_skey)

    def forge(lines: list[dict[str, Any]]) -> None:
        edit_entry_line(lines)
        bodies = [line["entry"].encode() for line in lines[FIRST_ENTRY:]]
        for number, size in enumerate(CHECKPOINTS, start=1):
            cp = Checkpoint(ORIGIN, size, rfc6962.root_hash(bodies[:size]))
            lines[number]["checkpoint"] = sign_checkpoint(cp, attacker)
        lines[0]["vkey"] = attacker_vkey
        lines[0]["root"] = base64.b64encode(rfc6962.root_hash(bodies)).decode()

    path = rewrite(pristine.bundle, tmp_path / "forged.jsonl", forge)
    unpinned, header = verify_bundle(path)
    assert unpinned.ok  # self-consistent under the key it carries: hence --vkey
    assert "pin" in header["key_source"]
    pinned, _ = verify_bundle(path, VKEY)
    assert not pinned.ok
    assert {"checkpoint 200", "checkpoint 400", "checkpoint 600"} <= {
        p.where for p in pinned.problems
    }
    assert pinned.checkpoints_verified == 0
    # The forger's checkpoints do not open with the published key.
    with pytest.raises(SignatureError, match="no signature by a known key"):
        open_checkpoint(
            json.loads(path.read_text().splitlines()[1])["checkpoint"], parse_verifier(VKEY)
        )


def test_bundle_that_is_not_json_names_the_line(pristine: Pristine, tmp_path: Path) -> None:
    lines = pristine.bundle.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[FIRST_ENTRY + 10] = lines[FIRST_ENTRY + 10][:-5] + "\n"
    path = tmp_path / "broken.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(BundleError, match=f"line {FIRST_ENTRY + 11}"):
        verify_bundle(path, VKEY)


def test_proofs_from_tampered_tiles_do_not_verify(built: Built) -> None:
    """A proof of the current tree is checked against the head's root, not a root made
    from the same tiles as its path: with a leaf hash of the right-edge tile changed
    (from which a root would be recomputed, consistently), it does not verify."""
    ledger = Ledger(built.engine, ORIGIN)
    last = SIZE - 1
    assert ledger.inclusion_proof(last - 1).verifies()
    assert ledger.consistency_proof(CHECKPOINTS[-1]).verifies()
    where = {"i": last // 256}
    tile = value(
        built.engine, "SELECT hashes FROM ledger_tiles WHERE level = 0 AND idx = :i", **where
    )
    sql(
        built.engine,
        "UPDATE ledger_tiles SET hashes = :h WHERE level = 0 AND idx = :i",
        {"h": flip_byte(bytes(tile), (last % 256) * 32), **where},
    )
    assert not ledger.inclusion_proof(last - 1).verifies()  # its sibling's hash changed
    assert not ledger.consistency_proof(CHECKPOINTS[-1]).verifies()
