"""``liaison ledger verify``: the whole database checked against the signed checkpoints.

Beyond ``liaison.ledger.verify`` (entries, leaves, roots, signatures) this checks
what only the database has: the tiles proofs are served from (rebuilt from the
leaves and compared), the tree head, consistency proofs between consecutive
kept checkpoints as the service would serve them, and personal data (each kept
row must match its entry's commitment; data may be missing only after a
recorded erasure).
"""

from __future__ import annotations

import itertools

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from liaison.errors import LiaisonError
from liaison.ledger import merkle
from liaison.ledger.entries import parse_body, personal_matches
from liaison.ledger.note import Verifier
from liaison.ledger.store import Ledger, blob
from liaison.ledger.tiles import TileKey
from liaison.ledger.verify import LogChecker, Problem, Report, TileBuilder
from liaison.storage.tables import ledger_entries, ledger_personal


def verify_ledger(ledger: Ledger, verifier: Verifier | None) -> Report:
    """Check everything; never raises on tampered data (a crash would hide a finding)."""
    try:
        return _verify(ledger, verifier)
    except (LiaisonError, SQLAlchemyError, ValueError, TypeError) as exc:
        report = Report()
        report.problems.append(Problem("ledger", f"verification could not finish: {exc}"))
        return report


def _verify(ledger: Ledger, verifier: Verifier | None) -> Report:
    stored = ledger.checkpoints()
    checker = LogChecker(
        [(c.size, c.note) for c in stored], verifier, ledger.origin, tiles=TileBuilder()
    )
    committed: set[int] = set()
    erased: set[int] = set()
    for entry in ledger.entries():
        checker.feed(entry.index, entry.body, entry.leaf_hash)
        if b'"personal":"sha256:' in entry.body:
            committed.add(entry.index)  # the writer's fixed key order: no parse needed
        if entry.kind == "erasure":
            _note_erasure(entry.body, erased)
        if len(checker.completed_tiles) >= 512:
            _compare_tiles(ledger, checker)
    assert checker.tiles is not None
    checker.completed_tiles.extend(checker.tiles.partial())
    _compare_tiles(ledger, checker)
    report = checker.finish(ledger.head())
    _check_consistency(ledger, report)
    _check_personal(ledger, report, committed, erased)
    return report


def _matches(body: bytes, salt: bytes, data: bytes) -> bool:
    try:
        return personal_matches(parse_body(body), salt, data)
    except ValueError:
        return False


def _note_erasure(body: bytes, erased: set[int]) -> None:
    try:
        record = parse_body(body).get("record")
    except ValueError:
        return  # an edited body: reported through its leaf hash
    if isinstance(record, dict) and isinstance(record.get("erased_index"), int):
        erased.add(record["erased_index"])


def _compare_tiles(ledger: Ledger, checker: LogChecker) -> None:
    expected = dict(checker.completed_tiles)
    checker.completed_tiles.clear()
    with ledger.engine.connect() as conn:
        found = ledger._read_tiles(conn, set(expected))
    for key in sorted(expected):
        if found.get(key) != expected[key]:
            state = "missing" if key not in found else "does not match the entries"
            checker.report.problems.append(_tile_problem(key, state))


def _tile_problem(key: TileKey, state: str) -> Problem:
    return Problem(f"tile {key}", f"{state} (proofs served from it would be wrong)")


def _check_consistency(ledger: Ledger, report: Report) -> None:
    good = [c for c in ledger.checkpoints() if c.size <= report.size and c.size > 0]
    for old, new in itertools.pairwise(good):
        try:
            proof = ledger.consistency_proof(old.size, new.size)
        except Exception as exc:  # a broken store cannot serve the proof: a finding
            report.problems.append(
                Problem(f"checkpoint {new.size}", f"no consistency proof: {exc}")
            )
            continue
        if not merkle.verify_consistency(old.size, new.size, old.root, new.root, proof.hashes):
            report.problems.append(
                Problem(
                    f"checkpoint {new.size}",
                    f"not consistent with checkpoint {old.size} (proof served from tiles fails)",
                )
            )


def _check_personal(ledger: Ledger, report: Report, committed: set[int], erased: set[int]) -> None:
    kept: set[int] = set()
    with ledger.engine.connect() as conn:
        rows = conn.execute(
            select(
                ledger_personal.c.idx,
                ledger_personal.c.salt,
                ledger_personal.c.data,
                ledger_entries.c.body,
            )
            .join(ledger_entries, ledger_entries.c.idx == ledger_personal.c.idx, isouter=True)
            .order_by(ledger_personal.c.idx)
        )
        for row in rows:
            index = int(row.idx)
            kept.add(index)
            if index not in committed or row.body is None:
                report.problems.append(
                    Problem(
                        f"entry {index}",
                        "personal data kept for an entry that does not commit to any",
                    )
                )
            elif not _matches(blob(row.body), blob(row.salt), blob(row.data)):
                report.problems.append(
                    Problem(
                        f"entry {index}",
                        "personal data does not match the entry's commitment (altered)",
                    )
                )
    for index in sorted(committed - kept - erased):
        report.problems.append(
            Problem(f"entry {index}", "personal data is missing without a recorded erasure")
        )
