"""Directive packs in the database: the pack decisions are made under, and every change.

Once a deployment has recorded a pack, the database (not a folder) holds the pack in
force: every gateway process and host decides under its newest version. A change is
validated whole before anything is written, and commits in one transaction as a row
of ``pack_changes`` and a ``pack_change`` ledger entry. The entry carries the text of
every file the change adds or replaces, so the ledger alone holds every version of the
rules and who changed them, when and why (docs/packs.md, "Changing a pack").
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from liaison.errors import InvalidRequest, LiaisonError, NotFound
from liaison.ledger.entries import NewEntry
from liaison.ledger.sequencer import Appended
from liaison.model.json_input import check_text
from liaison.policy.directives import Pack
from liaison.policy.pack_content import (
    PackFiles,
    apply_changes,
    file_changes,
    load_pack_files,
    pack_digest,
)
from liaison.storage.database import driver_cursor
from liaison.storage.tables import pack_changes

MAX_REASON = 4000


class PackChanged(LiaisonError):
    """The pack changed after a decision was made and before it committed (it is made
    again under the new pack; callers never see this)."""

    code = "pack_changed"


class StalePack(LiaisonError):
    """A change made against a pack version that is no longer the newest."""

    code = "conflict"


@dataclass(frozen=True, slots=True)
class StoredPack:
    """One recorded version of the pack (``seq`` 1 is the first)."""

    seq: int
    pack_id: str
    digest: str
    previous: str | None
    ledger_index: int
    changed_at: datetime
    actor_id: str
    reason: str
    files: PackFiles

    def summary(self, previous_files: Mapping[str, str] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "seq": self.seq,
            "pack": self.pack_id,
            "digest": self.digest,
            "previous": self.previous,
            "ledger_index": self.ledger_index,
            "changed_at": self.changed_at.isoformat(),
            "actor": self.actor_id,
            "reason": self.reason,
        }
        if previous_files is not None:
            changes = file_changes(previous_files, self.files)
            out["files"] = [{k: v for k, v in c.items() if k != "text"} for c in changes]
            out["directives"] = directive_changes(changes)
        return out


@dataclass(frozen=True, slots=True)
class PreparedChange:
    """A validated change, ready to append: its entry, the row it writes and the pack."""

    entry: NewEntry
    pack: Pack
    write: Callable[[Connection, Appended], None]
    stored: Callable[[Appended], StoredPack]


def directive_changes(changes: list[dict[str, str]]) -> dict[str, list[str]]:
    """Ids of the directives a change adds, changes and removes (a directive's file is
    named by its id; the loader holds packs to that)."""
    out: dict[str, list[str]] = {"added": [], "changed": [], "removed": []}
    for change in changes:
        path = change["path"]
        if path.startswith("directives/"):
            out[change["change"]].append(path.removeprefix("directives/").removesuffix(".toml"))
    return out


def current_seq(conn: Connection) -> int:
    """The newest pack version's ``seq`` (0 when no pack is recorded). Asked once per group
    commit, so through the driver (SQLAlchemy's statement layer costs more than the query)."""
    cur = driver_cursor(conn)
    try:
        cur.execute("SELECT COALESCE(MAX(seq), 0) FROM pack_changes")
        row = cur.fetchone()
    finally:
        cur.close()
    return int(row[0]) if row is not None else 0


class PackStore:
    def __init__(self, db: Engine) -> None:
        self.db = db

    def seq(self) -> int:
        with self.db.connect() as conn:
            return current_seq(conn)

    def latest(self) -> StoredPack | None:
        with self.db.connect() as conn:
            row = conn.execute(
                select(pack_changes).order_by(pack_changes.c.seq.desc()).limit(1)
            ).one_or_none()
        return _stored(row) if row is not None else None

    def get(self, seq: int) -> StoredPack:
        with self.db.connect() as conn:
            row = conn.execute(select(pack_changes).where(pack_changes.c.seq == seq)).one_or_none()
        if row is None:
            raise NotFound(f"no pack change {seq}")
        return _stored(row)

    def history(self) -> list[dict[str, Any]]:
        """Every change, oldest first, with the files and directives each touched."""
        with self.db.connect() as conn:
            rows = conn.execute(select(pack_changes).order_by(pack_changes.c.seq)).all()
        out: list[dict[str, Any]] = []
        previous: PackFiles = {}
        for row in rows:
            stored = _stored(row)
            out.append(stored.summary(previous))
            previous = stored.files
        return out

    def previous_files(self, stored: StoredPack) -> PackFiles:
        return self.get(stored.seq - 1).files if stored.seq > 1 else {}


def prepare_change(
    current: StoredPack | None,
    changes: Mapping[str, str | None] | None,
    *,
    actor: str,
    reason: str,
    base: str | None,
    whole: Mapping[str, str] | None = None,
) -> PreparedChange:
    """Validate a change to ``current`` (file ``changes``, or a ``whole`` new pack) and
    build what to append. Nothing is written here; a bad change raises and is not used.

    ``base`` is the digest of the pack the change was made against: it must be the
    newest (``StalePack`` otherwise), so two admins cannot overwrite each other's work.
    """
    _check_reason(reason)
    old: PackFiles = current.files if current is not None else {}
    if current is not None and base != current.digest:
        raise StalePack(
            f"base: the change was made against {base!r}, but the pack is now "
            f"{current.digest} (change {current.seq}); fetch it and make the change again"
        )
    # A whole pack is every file added to an empty one: the same checks (names, NUL, size).
    files = apply_changes({}, whole) if whole is not None else apply_changes(old, changes or {})
    digest = pack_digest(files)
    if current is not None and digest == current.digest:
        raise InvalidRequest("files", "files: the change leaves the pack as it is")
    pack = load_pack_files(files)
    if current is not None and pack.id != current.pack_id:
        raise InvalidRequest(
            "files.pack.toml",
            f"files.pack.toml: the pack id is {current.pack_id!r}; a change cannot make it "
            f"{pack.id!r}",
        )
    seq = (current.seq if current is not None else 0) + 1
    previous = current.digest if current is not None else None
    changed = file_changes(old, files)
    now = datetime.now(UTC)
    record = {
        "pack": pack.id,
        "seq": seq,
        "digest": digest,
        "previous": previous,
        "reason": reason,
        "files": changed,
        "directives": directive_changes(changed),
    }
    entry = NewEntry("pack_change", record, actor, recorded_at=now)

    def write(conn: Connection, at: Appended) -> None:
        if current_seq(conn) != seq - 1:
            raise StalePack("the pack changed while this change was being recorded; retry it")
        row = {
            "seq": seq,
            "pack_id": pack.id,
            "digest": digest,
            "previous": previous,
            "ledger_index": at.index,
            "changed_at": now,
            "actor_id": actor,
            "reason": reason,
            "files": json.dumps(files, ensure_ascii=False, sort_keys=True),
        }
        conn.execute(insert(pack_changes), [row])

    def stored(at: Appended) -> StoredPack:
        return StoredPack(seq, pack.id, digest, previous, at.index, now, actor, reason, files)

    return PreparedChange(entry, pack, write, stored)


def _check_reason(reason: str) -> None:
    if not reason.strip():
        raise InvalidRequest("reason", "reason: say why the pack changes (it is recorded)")
    if len(reason) > MAX_REASON:
        raise InvalidRequest("reason", f"reason: at most {MAX_REASON} characters")
    check_text(reason, "reason")


def _stored(row: Any) -> StoredPack:
    files = json.loads(row.files)
    return StoredPack(
        int(row.seq),
        row.pack_id,
        row.digest,
        row.previous,
        int(row.ledger_index),
        row.changed_at,
        row.actor_id,
        row.reason,
        files,
    )


__all__ = [
    "PackChanged",
    "PackStore",
    "PreparedChange",
    "StalePack",
    "StoredPack",
    "current_seq",
    "prepare_change",
]
