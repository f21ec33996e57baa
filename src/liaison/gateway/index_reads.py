"""Reading the index as an index: what the service acts on and serves is the ledger
entry a row points to, never the row itself (docs/ledger.md, "The index is checked
against the ledger").

Each row read is compared with the row its entry determines (``liaison.gateway.index_rows``)
after the entry's body is checked against its leaf hash; an encounter row with the row its
event entries make, replayed in ledger order. A row that differs fails closed: an
``IntegrityFailure`` (503 ``integrity``), logged at error level, naming table, id and columns.
With a signing key, an entry below the size the key last signed must also be in that tree
(an inclusion proof to the root in the signer's memory, ``liaison.ledger.signer_memory``):
a forger who rebuilds leaf hashes, tiles and head cannot have a rewritten entry served.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from liaison.errors import NotFound, SignerRefused
from liaison.gateway.encounter_flags import JointDecision
from liaison.gateway.index_rows import (
    ENCOUNTER_COLUMNS,
    INDEXED,
    checked_entry,
    checked_row,
    encounter_step,
    failure,
)
from liaison.ledger.log import Ledger
from liaison.ledger.merkle import leaf_hash, verify_inclusion
from liaison.ledger.reads import StoredEntry
from liaison.ledger.signer_memory import Signed
from liaison.ledger.store import blob
from liaison.storage.tables import ledger_entries

# Each indexed table: its entries' kind, the row one makes and the columns made.
_TABLES = {table: (kind, make, columns) for kind, (table, make, columns) in INDEXED.items()}


class IndexReader:
    """Rows of ``decisions`` and ``events`` verified against the ledger before use."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def verified(self, table: str, row: Mapping[str, Any]) -> tuple[dict[str, Any], StoredEntry]:
        """What the entry ``row`` points to determines (the row it should be) and the entry
        (with its personal data); ``IntegrityFailure`` when the row differs from it."""
        index = row.get("ledger_index")
        try:
            entry = self.ledger.entry(int(index))  # type: ignore[arg-type]
        except (NotFound, TypeError, ValueError):
            raise failure(
                table, row.get("id"), ["ledger_index"], "the row points at no ledger entry"
            ) from None
        expected = expected_row(table, row, entry)
        self._signed(table, [(row, entry.index, entry.body)], self._last_signed())
        return expected, entry

    def verified_many(self, table: str, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """``verified`` for many rows, their entries read in one query (no personal data) and
        their inclusion in the signed tree proven from one read of the tiles."""
        return [expected for expected, _ in self.verified_entries(table, rows)]

    def verified_entries(
        self, table: str, rows: Sequence[Mapping[str, Any]]
    ) -> list[tuple[dict[str, Any], StoredEntry]]:
        """``verified_many``, each row beside its entry (body checked, no personal data)."""
        if not rows:
            return []
        with self.ledger.engine.connect() as conn:
            checked = checked_rows(conn, table, rows)
        entries = [entry for _, entry in checked]
        pointed = [(r, e.index, e.body) for r, e in zip(rows, entries, strict=True)]
        self._signed(table, pointed, self._last_signed())
        return checked

    def in_signed_tree(
        self, table: str, rows: Sequence[tuple[Mapping[str, Any], int, bytes]]
    ) -> None:
        """Each (row, entry index, entry body) whose entry is below the size the key last
        signed must be in that tree (``_signed``); for rows checked elsewhere (the audit's:
        ``reports.audit_verified``)."""
        self._signed(table, rows, self._last_signed())

    def _signed(
        self,
        table: str,
        rows: Sequence[tuple[Mapping[str, Any], int, bytes]],
        last: Signed | None,
    ) -> None:
        """Each entry (row, index, body), if below the size ``last`` the key signed, must be
        in that signed tree (an RFC 6962 inclusion proof of its body's leaf hash to the
        remembered root, ``signer_memory``): the leaf hashes, tiles and head are in the
        database, and a forger can rebuild them. Entries appended since are not yet
        signed (docs/ledger.md, "The signer's memory"). No key or memory: not checked.
        The proofs come from one read of the head and one of the tiles. Many entries are
        proven at once first (``Ledger.root_with_leaves``: the signed root recomputed from
        their leaf hashes, as their audit paths together would); only when that fails is
        each proven alone, to name the row that is not in the tree."""
        if last is None:
            return
        signed = [(row, index, body) for row, index, body in rows if index < last.size]
        if not signed:
            return
        if len(signed) > 1 and self._all_signed(signed, last):
            return
        try:
            proofs = self.ledger.inclusion_proofs([i for _, i, _ in signed], last.size)
            hashes: list[list[bytes] | None] = [p.hashes for p in proofs]
        except NotFound:
            hashes = [None] * len(signed)
        for (row, index, body), proof in zip(signed, hashes, strict=True):
            leaf = leaf_hash(body)
            if proof is None or not verify_inclusion(leaf, index, last.size, proof, last.root):
                raise failure(
                    table,
                    row.get("id"),
                    ["ledger_index"],
                    f"entry {index} is not in the tree of size {last.size} the key signed",
                )

    def _all_signed(
        self, signed: Sequence[tuple[Mapping[str, Any], int, bytes]], last: Signed
    ) -> bool:
        leaves: dict[int, bytes] = {}
        for _, index, body in signed:
            leaf = leaf_hash(body)
            if leaves.setdefault(index, leaf) != leaf:
                return False
        try:
            return self.ledger.root_with_leaves(leaves, last.size) == last.root
        except NotFound:
            return False

    def _last_signed(self) -> Signed | None:
        if self.ledger.signer is None:
            return None
        try:
            return self.ledger.signer.last_signed()
        except SignerRefused:
            return None  # an unreadable memory: signing refuses, ``ledger verify`` checks

    def check_encounter(
        self,
        row: Mapping[str, Any],
        events: Sequence[Mapping[str, Any]],
        joint: Sequence[tuple[int, JointDecision]] = (),
    ) -> None:
        """The encounter ``row`` must be what its (verified) event rows' entries make,
        replayed in ledger order (``index_rows.encounter_step``, as the writer does), each
        beside the ``joint_operation`` decisions (ledger index, decision; verified) filed
        under it before that event."""
        current: dict[str, Any] | None = None
        ordered = sorted(joint, key=lambda j: j[0])
        for event in sorted(events, key=lambda e: int(e["ledger_index"])):
            before = [j for i, j in ordered if i < int(event["ledger_index"])]
            try:
                current = encounter_step(current, event["document"], before)
            except (KeyError, TypeError, ValueError) as exc:
                raise failure("events", event.get("id"), ["document"], str(exc)) from None
        if current is None:
            raise failure("encounters", row.get("id"), ["id"], "no event entry names it")
        checked_row("encounters", row, current, ENCOUNTER_COLUMNS)


def checked_rows(
    conn: Connection, table: str, rows: Sequence[Mapping[str, Any]]
) -> list[tuple[dict[str, Any], StoredEntry]]:
    """What the entry each row points to determines, and the entry (no personal data),
    read on ``conn`` in one query; ``IntegrityFailure`` when a row differs from it. On the
    writer's connection it sees the entries of the transaction it is in."""
    indexes = [i for i in (r.get("ledger_index") for r in rows) if isinstance(i, int)]
    found: dict[int, StoredEntry] = {}
    if indexes:
        stored = conn.execute(
            select(ledger_entries.c.idx, ledger_entries.c.leaf_hash, ledger_entries.c.body).where(
                ledger_entries.c.idx.in_(indexes)
            )
        ).all()
        for idx, leaf, body in stored:
            found[int(idx)] = _entry(int(idx), blob(body), blob(leaf))
    out = []
    for row in rows:
        entry = found.get(row.get("ledger_index"))  # type: ignore[arg-type]
        if entry is None:
            raise failure(
                table, row.get("id"), ["ledger_index"], "the row points at no ledger entry"
            )
        out.append((expected_row(table, row, entry), entry))
    return out


def expected_row(table: str, row: Mapping[str, Any], entry: StoredEntry) -> dict[str, Any]:
    """The row ``entry`` (checked against its leaf hash) determines; ``IntegrityFailure``
    when ``row`` differs from it."""
    kind, make, columns = _TABLES[table]
    body = checked_entry(entry, kind, table, row.get("id"))
    try:
        expected = make(entry.index, body)
    except (KeyError, TypeError, AttributeError):
        raise failure(
            table, row.get("id"), ["ledger_index"], f"the row points at another {kind} shape"
        ) from None
    checked_row(table, row, expected, columns)
    return expected


def _entry(index: int, body: bytes, leaf: bytes) -> StoredEntry:
    return StoredEntry(index, "", datetime.fromtimestamp(0, UTC), body, leaf, None, False)
