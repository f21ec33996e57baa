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
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, insert, select

from liaison.errors import InvalidRequest, StalePack
from liaison.ledger.entries import NewEntry
from liaison.ledger.sequencer import Appended
from liaison.model.json_input import check_text
from liaison.model.timestamps import render
from liaison.policy.directives import Pack
from liaison.policy.loader import load_pack_files
from liaison.policy.pack_files import PackFiles, apply_changes, file_changes, pack_digest
from liaison.storage.database import driver_cursor
from liaison.storage.tables import pack_changes

MAX_REASON = 4000


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
            "changed_at": render(self.changed_at, pack_zone(self.files)),
            "actor": self.actor_id,
            "reason": self.reason,
        }
        if previous_files is not None:
            changes = file_changes(previous_files, self.files)
            out["files"] = [{k: v for k, v in c.items() if k != "text"} for c in changes]
            out["directives"] = directive_changes(changes)
        return out


def pack_zone(files: Mapping[str, str]) -> tzinfo:
    """The time zone a recorded (so valid) pack version names in ``pack.toml``: its
    instants are shown in it (docs/api.md "Times")."""
    return ZoneInfo(tomllib.loads(files["pack.toml"])["timezone"])


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
    """The pack versions as the ``pack_changes`` rows hold them: the newest ``seq`` (the hot
    path's question) and the newest row. What is shown, exported and decided under comes
    from the ledger instead (``liaison.gateway.pack_ledger.LedgerPackStore``)."""

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
    _check_base(current, base)
    old: PackFiles = current.files if current is not None else {}
    # A whole pack is every file added to an empty one: the same checks (names, NUL, size).
    files = apply_changes({}, whole) if whole is not None else apply_changes(old, changes or {})
    digest = pack_digest(files)
    if current is not None and digest == current.digest:
        raise InvalidRequest("files", "files: the change leaves the pack as it is")
    pack = load_pack_files(files)
    _check_same_pack(current, pack)
    version = _NewVersion(
        seq=(current.seq if current is not None else 0) + 1,
        pack_id=pack.id,
        digest=digest,
        previous=current.digest if current is not None else None,
        changed_at=datetime.now(UTC),
        actor=actor,
        reason=reason,
        files=files,
    )
    entry = NewEntry("pack_change", version.record(old), actor, recorded_at=version.changed_at)
    return PreparedChange(entry, pack, version.write, version.stored)


@dataclass(frozen=True, slots=True)
class _NewVersion:
    """The pack version a validated change makes: its ledger record and its row."""

    seq: int
    pack_id: str
    digest: str
    previous: str | None
    changed_at: datetime
    actor: str
    reason: str
    files: PackFiles

    def record(self, old: Mapping[str, str]) -> dict[str, Any]:
        """The ``pack_change`` entry's record: what changed from ``old``, with new texts."""
        changed = file_changes(old, self.files)
        return {
            "pack": self.pack_id,
            "seq": self.seq,
            "digest": self.digest,
            "previous": self.previous,
            "reason": self.reason,
            "files": changed,
            "directives": directive_changes(changed),
        }

    def write(self, conn: Connection, at: Appended) -> None:
        """Insert the version's row, in the transaction appending its entry at ``at``."""
        if current_seq(conn) != self.seq - 1:
            raise StalePack("the pack changed while this change was being recorded; retry it")
        row = {
            "seq": self.seq,
            "pack_id": self.pack_id,
            "digest": self.digest,
            "previous": self.previous,
            "ledger_index": at.index,
            "changed_at": self.changed_at,
            "actor_id": self.actor,
            "reason": self.reason,
            "files": json.dumps(self.files, ensure_ascii=False, sort_keys=True),
        }
        conn.execute(insert(pack_changes), [row])

    def stored(self, at: Appended) -> StoredPack:
        return StoredPack(
            self.seq,
            self.pack_id,
            self.digest,
            self.previous,
            at.index,
            self.changed_at,
            self.actor,
            self.reason,
            self.files,
        )


def _check_base(current: StoredPack | None, base: str | None) -> None:
    if current is not None and base != current.digest:
        raise StalePack(
            f"base: the change was made against {base!r}, but the pack is now "
            f"{current.digest} (change {current.seq}); fetch it and make the change again"
        )


def _check_same_pack(current: StoredPack | None, pack: Pack) -> None:
    if current is not None and pack.id != current.pack_id:
        raise InvalidRequest(
            "files.pack.toml",
            f"files.pack.toml: the pack id is {current.pack_id!r}; a change cannot make it "
            f"{pack.id!r}",
        )


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
    "PackStore",
    "PreparedChange",
    "StoredPack",
    "current_seq",
    "prepare_change",
]
