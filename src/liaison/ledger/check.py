"""``liaison ledger verify``: the whole database checked against the signed checkpoints.

Beyond ``liaison.ledger.verify`` (entries, leaves, roots, signatures) this checks
what only the database has: the tiles proofs are served from (rebuilt from the
leaves and compared), the tree head, consistency proofs between consecutive
kept checkpoints as the service would serve them, personal data (each kept
row must match its entry's commitment; data may be missing only after a
recorded erasure, and must be missing after one), and the rows no position of the
tree holds (``liaison.ledger.check_stray``).

Everything is read in one snapshot (one read transaction), streamed in batches of
``BATCH`` entries through the driver's cursor, with the personal rows of each batch's
index range read beside it: the entries are read once, and the per-entry work is a
leaf hash, its share of the node hashes, and the personal commitment's hash.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from liaison.errors import LedgerError, LiaisonError
from liaison.ledger import merkle
from liaison.ledger.check_personal import PersonalCheck
from liaison.ledger.check_stray import stray_rows
from liaison.ledger.checkpoint import claimed_size, open_checkpoint
from liaison.ledger.entries import parse_body
from liaison.ledger.key_chain import KIND, KeyChain, Rotation, read_rotation
from liaison.ledger.key_follow import root_finding
from liaison.ledger.log import Ledger
from liaison.ledger.note_keys import Verifier
from liaison.ledger.store import blob
from liaison.ledger.tiles import TileKey
from liaison.ledger.verify import Finding, KeyAt, LogChecker, Report, TileBuilder
from liaison.storage.database import DriverCursor, param_mark, read_cursor

BATCH = 8192


def check_ledger(
    ledger: Ledger,
    verifier: Verifier | None,
    *,
    structure_only: bool = False,
    remembered: str | None = None,
) -> Report:
    """Check everything; never raises on tampered data (a crash would hide a finding).

    A non-empty ledger that no verified checkpoint covers fails, unless ``structure_only``:
    then no checkpoint is checked or required, and nothing is authenticated.
    ``remembered``: the last checkpoint the signer signed (its memory, kept beside the
    key, not in the database), checked like a kept one: a ledger truncated below it, or
    rewritten under it, fails even when the database's checkpoints were deleted too."""
    try:
        return _verify(ledger, verifier, structure_only, remembered)
    except (LiaisonError, SQLAlchemyError, ValueError, TypeError) as exc:
        report = Report()
        report.problems.append(Finding("ledger", f"verification could not finish: {exc}"))
        return report


class _Reader:
    """The statements of the check, on a DB-API cursor (``?`` or ``%s`` placeholders; on
    SQLite every binary column is read through CAST so that a tampered TEXT value comes
    back as its bytes, as ``blob`` would make it)."""

    def __init__(self, ledger: Ledger, cur: DriverCursor) -> None:
        self.cur = cur
        self.m = param_mark(ledger.engine)
        sqlite = ledger.engine.dialect.name == "sqlite"
        self.b = (lambda c: f"CAST({c} AS BLOB)") if sqlite else (lambda c: c)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        self.cur.execute(sql, params)
        return list(self.cur.fetchall())

    def checkpoints(self) -> list[tuple[int, str, bytes]]:
        rows = self.rows(
            f"SELECT size, note, {self.b('root')} FROM ledger_checkpoints ORDER BY size"
        )
        return [(int(size), str(note), blob(root)) for size, note, root in rows]

    def head(self) -> tuple[int, bytes]:
        rows = self.rows("SELECT size, root FROM ledger_head WHERE id = 1")
        if not rows:
            raise LedgerError("the ledger is not initialised: run `liaison db upgrade`")
        return int(rows[0][0]), blob(rows[0][1])

    def entries(self, after: int | None) -> list[Any]:
        """The next batch of entries (index order) after index ``after`` (from 0 first)."""
        m, b = self.m, self.b
        where = f"idx >= {m}" if after is None else f"idx > {m}"
        return self.rows(
            f"SELECT idx, {b('leaf_hash')}, {b('body')}, kind, recorded_at FROM ledger_entries "
            f"WHERE {where} ORDER BY idx LIMIT {BATCH}",
            (0 if after is None else after,),
        )

    def erasures(self) -> list[bytes]:
        """The bodies of the erasure entries among those ``entries`` reads (by kind)."""
        return [body for _, body in self.of_kind("erasure")]

    def of_kind(self, kind: str) -> list[tuple[int, bytes]]:
        """(index, body) of the entries of ``kind`` among those ``entries`` reads."""
        rows = self.rows(
            f"SELECT idx, {self.b('body')} FROM ledger_entries "
            f"WHERE kind = {self.m} AND idx >= 0 ORDER BY idx",
            (kind,),
        )
        return [(int(index), blob(body)) for index, body in rows]

    def personal(self, after: int | None, upto: int | None) -> list[Any]:
        """Personal rows with ``after < idx <= upto`` (either bound open when None)."""
        m, b = self.m, self.b
        where, params = [], []
        if after is not None:
            where.append(f"idx > {m}")
            params.append(after)
        if upto is not None:
            where.append(f"idx <= {m}")
            params.append(upto)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        return self.rows(
            f"SELECT idx, {b('salt')}, {b('data')} FROM ledger_personal{clause} ORDER BY idx",
            params,
        )

    def kept_among(self, indexes: list[int], batch: int = 500) -> list[int]:
        """Those of ``indexes`` that have a personal row."""
        found: list[int] = []
        for at in range(0, len(indexes), batch):
            chunk = indexes[at : at + batch]
            marks = ", ".join([self.m] * len(chunk))
            rows = self.rows(f"SELECT idx FROM ledger_personal WHERE idx IN ({marks})", chunk)
            found.extend(int(idx) for (idx,) in rows)
        return sorted(found)

    def tiles(self, level: int, first: int, last: int) -> dict[TileKey, bytes]:
        m = self.m
        rows = self.rows(
            f"SELECT idx, {self.b('hashes')} FROM ledger_tiles "
            f"WHERE level = {m} AND idx >= {m} AND idx <= {m}",
            (level, first, last),
        )
        return {(level, int(index)): blob(hashes) for index, hashes in rows}


def _verify(
    ledger: Ledger, verifier: Verifier | None, structure_only: bool, remembered: str | None
) -> Report:
    personal = PersonalCheck()
    with read_cursor(ledger.engine, snapshot=True) as cur:
        db = _Reader(ledger, cur)
        stored = [] if structure_only else db.checkpoints()
        notes = [(size, note) for size, note, _ in stored]
        if remembered and not structure_only and remembered not in {n for _, n in notes}:
            notes.append((claimed_size(remembered), remembered))
        rotations, found = _rotations(db, ledger.origin)
        chain = KeyChain(verifier, rotations) if verifier is not None else None
        keys = chain.verifier_at if chain is not None and chain.rotations else None
        checker = LogChecker(
            notes,
            verifier,
            ledger.origin,
            tiles=TileBuilder(),
            structure_only=structure_only,
            keys=keys,
        )
        checker.report.problems.extend(found + (chain.problems if chain is not None else []))
        _check_stored_roots(stored, verifier, ledger.origin, checker.report, keys)
        after: int | None = None
        while rows := db.entries(after):
            indexes, leaves, bodies = _columns(rows)
            checker.feed_many(indexes, bodies, leaves)
            for index, body, row in zip(indexes, bodies, rows, strict=True):
                for message in _column_problems(body, row[3], row[4]):
                    checker.report.problems.append(Finding(f"entry {index}", message))
            personal.batch(db.personal(after, indexes[-1]), indexes, bodies)
            after = indexes[-1]
            if len(checker.completed_tiles) >= 512:
                _compare_tiles(db, checker)
        personal.orphans(db.personal(after, None))  # beyond the last entry (or all: none)
        for body in db.erasures():
            _note_erasure(body, personal.erased)
        for index in db.kept_among(sorted(personal.erased)):  # restored after an erasure
            personal.problems.append(
                Finding(f"entry {index}", "personal data is kept after its recorded erasure")
            )
        assert checker.tiles is not None
        checker.completed_tiles.extend(checker.tiles.partial())
        _compare_tiles(db, checker)
        head = db.head()
        strays = stray_rows(db.rows, head[0], structure_only=structure_only)
        report = checker.finish(head)
        report.problems.extend(strays)
    _check_consistency(ledger, report)
    _check_rotation_roots(ledger, rotations, report)
    report.problems.extend(personal.finish())
    report.erased = len(personal.erased)
    return report


def _columns(rows: Sequence[Any]) -> tuple[list[int], list[bytes], list[bytes]]:
    """The index, leaf hash and body of each row, as ints and bytes whatever the driver."""
    indexes = [row[0] for row in rows]
    leaves = [row[1] for row in rows]
    bodies = [row[2] for row in rows]
    if set(map(type, indexes)) != {int}:
        indexes = [int(i) for i in indexes]
    if set(map(type, bodies)) != {bytes}:
        bodies = [blob(b) for b in bodies]
    if set(map(type, leaves)) != {bytes}:
        leaves = [blob(h) for h in leaves]
    return indexes, leaves, bodies


def _body_field(body: bytes, key: bytes, *, last: bool) -> str | None:
    """A top-level string field of an entry body in the writer's layout (docs/ledger.md).

    The first ``,"kind":"`` is the entry's own (only the escaped ``actor`` precedes it);
    the last ``,"recorded_at":"`` is (keys are sorted: it follows ``record``). Any other
    layout is parsed as JSON.
    """
    marker = b',"' + key + b'":"'
    at = body.rfind(marker) if last else body.find(marker)
    if at >= 0:
        start = at + len(marker)
        end = body.find(b'"', start)
        if end > start and b"\\" not in body[start:end]:
            return body[start:end].decode("utf-8", "replace")
    try:
        value = parse_body(body).get(key.decode())
    except ValueError:
        return None
    return value if isinstance(value, str) else None


def _column_problems(body: bytes, kind: object, recorded_at: object) -> list[str]:
    """The indexed columns (kind, recorded_at) must say what the committed entry says."""
    problems = []
    if _body_field(body, b"kind", last=False) != kind:
        problems.append("its kind column differs from the entry (edited)")
    stamp = _body_field(body, b"recorded_at", last=True)
    if stamp is None or _instant(stamp) != _instant(recorded_at):
        problems.append("its recorded_at column differs from the entry (edited)")
    return problems


def _instant(value: object) -> datetime | None:
    """A stored or written timestamp as an aware UTC instant (None when unreadable)."""
    try:
        if isinstance(value, str):
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _rotations(db: _Reader, origin: str) -> tuple[list[Rotation], list[Finding]]:
    """The ``key_rotation`` entries that hold (``key_chain.read_rotation``), and a finding
    for each that does not."""
    rotations, found = [], []
    for index, body in db.of_kind(KIND):
        try:
            rotations.append(read_rotation(index, body, origin))
        except ValueError as exc:
            found.append(Finding(f"entry {index}", str(exc)))
    return rotations, found


def _check_rotation_roots(ledger: Ledger, rotations: list[Rotation], report: Report) -> None:
    """Each rotation names the last tree the old key signed: it must be this log's tree
    of that size (else the old key signed another history)."""
    for rotation in rotations:
        if rotation.size > report.size:
            continue  # the entry itself is beyond the log: reported where it is read
        try:
            empty = rotation.size == 0
            root = merkle.EMPTY_ROOT if empty else ledger.consistency_proof(rotation.size).old_root
        except Exception as exc:  # a broken store cannot give the root: a finding
            report.problems.append(Finding(f"entry {rotation.index}", f"key_rotation: {exc}"))
            continue
        found = root_finding(rotation, root)
        if found is not None:
            report.problems.append(found)


def _check_stored_roots(
    stored: list[tuple[int, str, bytes]],
    verifier: Verifier | None,
    origin: str,
    report: Report,
    keys: KeyAt | None = None,
) -> None:
    """The root kept beside each validly signed checkpoint is the signed root (consistency
    proofs are checked against it, and it is what the service hands out)."""
    if verifier is None:
        return  # every checkpoint is reported as unverifiable already
    for size, note, root in stored:
        try:
            signed = open_checkpoint(note, verifier if keys is None else keys(size), origin)
        except Exception:  # reported by the LogChecker already
            continue
        if signed.root != root:
            report.problems.append(
                Finding(
                    f"checkpoint {size}",
                    "the stored root differs from the signed root (the checkpoint row was altered)",
                )
            )


def _note_erasure(body: bytes, erased: set[int]) -> None:
    try:
        record = parse_body(body).get("record")
    except ValueError:
        return  # an edited body: reported through its leaf hash
    if not isinstance(record, dict):
        return
    if type(record.get("erased_index")) is int:  # ``erase INDEX`` (a bool is not an index)
        erased.add(record["erased_index"])
    listed = record.get("erased_indexes")  # ``erase --subject``: every index it erased
    if isinstance(listed, list):
        erased.update(i for i in listed if type(i) is int)


def _compare_tiles(db: _Reader, checker: LogChecker) -> None:
    expected = dict(checker.completed_tiles)
    checker.completed_tiles.clear()
    found: dict[TileKey, bytes] = {}
    for level, keys in itertools.groupby(sorted(expected), key=lambda k: k[0]):
        indexes = [index for _, index in keys]
        found.update(db.tiles(level, indexes[0], indexes[-1]))
    for key in sorted(expected):
        if found.get(key) != expected[key]:
            state = "missing" if key not in found else "does not match the entries"
            checker.report.problems.append(_tile_problem(key, state))


def _tile_problem(key: TileKey, state: str) -> Finding:
    return Finding(f"tile {key}", f"{state} (proofs served from it would be wrong)")


def _check_consistency(ledger: Ledger, report: Report) -> None:
    good = [c for c in ledger.checkpoints() if c.size <= report.size and c.size > 0]
    for old, new in itertools.pairwise(good):
        try:
            proof = ledger.consistency_proof(old.size, new.size)
        except Exception as exc:  # a broken store cannot serve the proof: a finding
            report.problems.append(
                Finding(f"checkpoint {new.size}", f"no consistency proof: {exc}")
            )
            continue
        if not merkle.verify_consistency(old.size, new.size, old.root, new.root, proof.hashes):
            report.problems.append(
                Finding(
                    f"checkpoint {new.size}",
                    f"not consistent with checkpoint {old.size} (proof served from tiles fails)",
                )
            )
