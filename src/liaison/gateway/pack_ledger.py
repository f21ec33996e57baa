"""The pack in force is the one the ledger recorded (docs/packs.md, "The ledger holds the
pack").

Every version of the pack is rebuilt from the ``pack_change`` ledger entries, replayed
in ledger order. They are found by their bodies (the canonical JSON holds
``"kind":"pack_change"``), never by the ``kind`` column, which no hash covers: a relabelled
entry with its row deleted would otherwise roll the pack back unnoticed by the service.
The bodies are searched once per process (from the last index searched on: the log is
append-only; a truncated log then misses an entry, a finding). Each carries the text of
every file it adds or replaces; each entry is
checked against its leaf hash and, for the service, its inclusion in the current tree
(an RFC 6962 inclusion proof from the tiles, checked against the head). The
``pack_changes`` rows are then compared with what the ledger says: seq, pack, digest,
previous, ledger index, time, actor, reason and the whole files. Any difference is a
finding; the service refuses to decide on one (``IntegrityFailure``, logged, ``/healthz``
unhealthy) and ``liaison ledger verify`` reports each.
"""

from __future__ import annotations

import json
import weakref
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from liaison.errors import IntegrityFailure, InvalidRequest, NotFound, SignerRefused
from liaison.gateway.index_rows import instant
from liaison.gateway.packs import PackStore, StoredPack
from liaison.ledger.checkpoint import Checkpoint
from liaison.ledger.entries import parse_body
from liaison.ledger.log import Ledger
from liaison.ledger.merkle import leaf_hash
from liaison.ledger.signer_memory import check_extends
from liaison.ledger.store import blob
from liaison.ledger.verify import Finding
from liaison.logs import get_logger
from liaison.policy.pack_files import PackFiles, apply_changes, pack_digest
from liaison.storage.database import param_mark, read_cursor

log = get_logger("liaison.integrity")
_ROW_COLUMNS = "seq, pack_id, digest, previous, ledger_index, changed_at, actor_id, reason, files"


@dataclass(frozen=True, slots=True)
class PackRecord:
    """What the ledger says: every pack version, and what disagrees with it."""

    packs: list[StoredPack]
    problems: list[Finding]

    def latest(self) -> StoredPack | None:
        return self.packs[-1] if self.packs else None


def read_pack_record(ledger: Ledger, *, prove: bool = True) -> PackRecord:
    """Replay the ``pack_change`` entries and compare the ``pack_changes`` rows with them,
    in one snapshot. ``prove``: also check each entry's inclusion in the current tree
    (``liaison ledger verify`` checks the whole tree instead)."""
    with read_cursor(ledger.engine, snapshot=True) as cur:
        entries, missing = _pack_change_entries(cur, ledger)
        cur.execute(f"SELECT {_ROW_COLUMNS} FROM pack_changes ORDER BY seq")
        rows = list(cur.fetchall())
    problems = [
        Finding(f"entry {i}", "a pack_change entry this process read is no longer one")
        for i in missing
    ]
    unsigned = unsigned_tree(ledger) if prove else None
    if unsigned is not None:
        problems.append(Finding("tree", unsigned))
    packs = _replay(ledger, entries, problems, prove=prove)
    problems.extend(_row_problems(packs, rows))
    return PackRecord(packs, problems)


def unsigned_tree(ledger: Ledger) -> str | None:
    """Why the current tree does not extend the last tree the ledger's key signed (its
    memory, ``signer_memory.check_extends``: RFC 6962 consistency); None when it does, or
    when there is no key or no memory. The inclusion proofs are checked against the
    head, which a forger can rebuild: this ties the head to what the key signed."""
    signer = ledger.signer
    if signer is None:
        return None
    try:
        last = signer.last_signed()
        if last is None:
            return None
        size, root = ledger.head()
        check_extends(
            last,
            signer.vkey,  # the memory must be this key's, not only consistent with itself
            Checkpoint(ledger.origin, size, root),
            lambda old: ledger.consistency_proof(old, size).hashes,
        )
    except SignerRefused as exc:
        return exc.message
    return None


def verified_versions(ledger: Ledger) -> list[StoredPack]:
    """Every pack version as the ledger recorded it, oldest first, once every version and
    row agrees with the ledger; ``IntegrityFailure`` (logged) otherwise."""
    record = read_pack_record(ledger)
    if record.problems:
        for problem in record.problems:
            log.error("pack_integrity", where=problem.where, problem=problem.message)
        shown = "; ".join(str(p) for p in record.problems[:3])
        raise IntegrityFailure(
            f"the directive pack in the database disagrees with the ledger: {shown}"
        )
    return record.packs


def verified_pack(ledger: Ledger) -> StoredPack | None:
    """The newest pack version as the ledger recorded it (None: none recorded), checked
    as ``verified_versions`` checks every version."""
    versions = verified_versions(ledger)
    return versions[-1] if versions else None


_NEEDLE = b'"kind":"pack_change"'
_FOUND: weakref.WeakKeyDictionary[Ledger, tuple[int, list[int]]] = weakref.WeakKeyDictionary()


def _pack_change_entries(cur: Any, ledger: Ledger) -> tuple[list[Any], list[int]]:
    """(idx, leaf_hash, body, recorded_at) of every entry whose body is a ``pack_change``
    entry (its top-level kind, parsed), in index order, whatever its ``kind`` column says;
    and the indexes of those this process found before that are gone. Only the entries
    appended since this process last searched are searched."""
    m = param_mark(ledger.engine)
    searched, known = _FOUND.get(ledger, (0, []))
    cur.execute("SELECT MAX(idx) FROM ledger_entries")
    top = cur.fetchone()[0]
    head = -1 if top is None else int(top)
    contains = (
        f"position({m} in body) > 0"
        if ledger.engine.dialect.name == "postgresql"
        else f"instr(body, {m}) > 0"
    )
    cur.execute(
        "SELECT idx, leaf_hash, body, recorded_at FROM ledger_entries "
        f"WHERE idx >= {m} AND idx <= {m} AND {contains} ORDER BY idx",
        (searched, head, _NEEDLE),
    )
    found = [row for row in cur.fetchall() if _is_pack_change(blob(row[2]))]
    indexes = sorted({*known, *(int(row[0]) for row in found)})
    _FOUND[ledger] = (max(searched, head + 1), indexes)
    if not known:
        return found, []
    marks = ", ".join([m] * len(indexes))
    cur.execute(
        "SELECT idx, leaf_hash, body, recorded_at FROM ledger_entries "
        f"WHERE idx IN ({marks}) ORDER BY idx",
        tuple(indexes),
    )
    entries = [row for row in cur.fetchall() if _is_pack_change(blob(row[2]))]
    return entries, sorted(set(indexes) - {int(row[0]) for row in entries})


def _is_pack_change(body: bytes) -> bool:
    try:
        return parse_body(body).get("kind") == "pack_change"
    except ValueError:
        return False


def _replay(
    ledger: Ledger, entries: list[Any], problems: list[Finding], *, prove: bool
) -> list[StoredPack]:
    """The versions the entries make; stops at the first entry that cannot be trusted
    (every later version is built on it)."""
    packs: list[StoredPack] = []
    files: PackFiles = {}
    for idx, stored_hash, raw, _recorded in entries:
        index, body = int(idx), blob(raw)
        where = f"entry {index}"
        problem = _entry_problem(ledger, index, body, blob(stored_hash), prove=prove)
        if problem is None:
            try:
                stored = _version(index, parse_body(body), files, len(packs) + 1)
            except (ValueError, KeyError, TypeError, AttributeError, InvalidRequest) as exc:
                problem = f"the pack_change entry cannot be replayed: {exc}"
        if problem is not None:
            problems.append(Finding(where, problem))
            return packs
        packs.append(stored)
        files = stored.files
    return packs


def _entry_problem(
    ledger: Ledger, index: int, body: bytes, stored_hash: bytes, *, prove: bool
) -> str | None:
    digest = leaf_hash(body)
    if digest != stored_hash:
        return "the pack_change entry differs from its leaf hash"
    if prove:
        try:
            proof = ledger.inclusion_proof(index)
        except Exception as exc:  # a broken store cannot prove it: a finding
            return f"no inclusion proof for the pack_change entry: {exc}"
        if proof.leaf_hash != digest or not proof.verifies():
            return "the pack_change entry is not included in the current tree"
    return None


def _version(index: int, body: dict[str, Any], files: PackFiles, seq: int) -> StoredPack:
    """The version a ``pack_change`` entry makes from the previous version's ``files``."""
    record = body["record"]
    changes = {
        c["path"]: (None if c["change"] == "removed" else c["text"]) for c in record["files"]
    }
    new = apply_changes(files, changes)
    previous = pack_digest(files) if files else None
    digest = pack_digest(new)
    if record["seq"] != seq or record["digest"] != digest or record["previous"] != previous:
        raise ValueError(f"its seq, digest or previous is not what replaying makes (seq {seq})")
    changed_at = instant(body["recorded_at"])
    if changed_at is None:
        raise ValueError("its recorded_at is not an instant")
    return StoredPack(
        seq,
        record["pack"],
        digest,
        previous,
        index,
        changed_at,
        body["actor"],
        record["reason"],
        new,
    )


def _row_problems(packs: list[StoredPack], rows: list[Any]) -> list[Finding]:
    """Each ``pack_changes`` row against the version the ledger says, both ways."""
    problems: list[Finding] = []
    by_seq = {p.seq: p for p in packs}
    seen: set[int] = set()
    for row in rows:
        seq = row[0]
        pack = by_seq.get(seq) if isinstance(seq, int) else None
        if pack is None:
            problems.append(Finding(f"pack_changes {seq!r}", "a row with no pack_change entry"))
            continue
        seen.add(pack.seq)
        differ = _row_differences(pack, row)
        if differ:
            problems.append(
                Finding(
                    f"pack_changes {pack.seq}",
                    f"{', '.join(differ)} differ(s) from pack_change entry {pack.ledger_index}",
                )
            )
    for pack in packs:
        if pack.seq not in seen:
            problems.append(
                Finding(
                    f"entry {pack.ledger_index}", f"pack_change {pack.seq} has no pack_changes row"
                )
            )
    return problems


def _row_differences(pack: StoredPack, row: Any) -> list[str]:
    _, pack_id, digest, previous, ledger_index, changed_at, actor_id, reason, files = row
    try:
        row_files = json.loads(files)
    except (TypeError, ValueError):
        row_files = None
    checks = {
        "pack_id": pack_id == pack.pack_id,
        "digest": digest == pack.digest,
        "previous": previous == pack.previous,
        "ledger_index": ledger_index == pack.ledger_index,
        "changed_at": instant(changed_at) == pack.changed_at,
        "actor_id": actor_id == pack.actor_id,
        "reason": reason == pack.reason,
        "files": row_files == pack.files,
    }
    return [column for column, same in checks.items() if not same]


class LedgerPackStore(PackStore):
    """``PackStore`` whose versions come from the ledger, checked against the rows: what
    the API and ``liaison packs`` show and export is what the ledger recorded, or an
    ``IntegrityFailure``. (``seq``, the hot path's question, still reads the rows: a
    change there makes the service reload, and check, the pack.)"""

    def __init__(self, db: Engine, ledger: Ledger) -> None:
        super().__init__(db)
        self.ledger = ledger

    def latest(self) -> StoredPack | None:
        return verified_pack(self.ledger)

    def get(self, seq: int) -> StoredPack:
        found = [p for p in verified_versions(self.ledger) if p.seq == seq]
        if not found:
            raise NotFound(f"no pack change {seq}")
        return found[0]

    def history(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        previous: PackFiles = {}
        for stored in verified_versions(self.ledger):
            out.append(stored.summary(previous))
            previous = stored.files
        return out

    def previous_files(self, stored: StoredPack) -> PackFiles:
        """The files of the version before ``stored`` (none before the first)."""
        return self.get(stored.seq - 1).files if stored.seq > 1 else {}
