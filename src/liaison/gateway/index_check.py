"""``liaison ledger verify``, the index part: every index row against its ledger entry, and
every entry against its row (docs/ledger.md, "The index is checked against the ledger").

Layering: ``liaison.ledger`` knows nothing of the gateway's tables; this module (gateway
side) reads them beside the ledger and is called by the command (``liaison.cli.verify``) after
``liaison.ledger.check.check_ledger``, adding its findings to the same report. It checks:

- ``decisions`` and ``events``: each ``decision`` / ``event`` entry has exactly one row, at
  its index, whose every column is what the entry determines (``index_rows``); a row that
  points at no such entry is reported too;
- the side tables (``decision_purposes``, ``decision_citations``, ``decision_data_classes``:
  ``index_rows.SIDES``): each decision's rows, as a set, are
  what its record names, and no row points at an index that is no decision entry;
- ``encounters``: the rows the event entries make, replayed in ledger order with the
  writer's own functions (``encounters.resolve``, ``index_rows.encounter_step``), against
  the table, both ways, with the ``joint_operation`` decisions filed under each encounter
  so far (so its flags, ``encounter_flags``, are checked too); and each decision's and
  event's ``encounter_unit``, the unit owning the encounter the writer filed it under;
- ``pack_changes``: each row against the version its ``pack_change`` entries replay to,
  and each entry against its row (``pack_ledger``);
- ``audit_rows`` and ``audit_imports``: against the ``audit_row``, ``audit_review`` and
  ``audit_import`` entries (``liaison.audit.index_check``).

Everything is read in one snapshot and streamed in batches of ``BATCH`` entries by index
range, with the rows of that range read beside them; only the replayed encounter rows are
held in memory. Each finding names the table, the row's id and the columns that differ.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from liaison.audit.index_check import check_audit_index
from liaison.errors import LiaisonError
from liaison.gateway.encounter_flags import JointDecision
from liaison.gateway.encounters import resolve
from liaison.gateway.index_rows import (
    DECISION_COLUMNS,
    ENCOUNTER_COLUMNS,
    EVENT_COLUMNS,
    INDEXED,
    SIDES,
    differences,
    encounter_step,
    instant,
    joint_decision,
)
from liaison.gateway.pack_ledger import read_pack_record
from liaison.ledger.entries import parse_body
from liaison.ledger.log import Ledger
from liaison.ledger.store import blob
from liaison.ledger.verify import Finding
from liaison.storage.database import DriverCursor, param_mark, read_cursor

BATCH = 8192
_LOWEST = -(2**62)
_Sides = dict[str, dict[int, set[tuple[str, ...]]]]


def check_index(ledger: Ledger) -> list[Finding]:
    """Every finding about the index and the pack rows; never raises on tampered data."""
    try:
        problems = _IndexCheck(ledger).run()
        problems.extend(read_pack_record(ledger, prove=False).problems)
        problems.extend(check_audit_index(ledger))
    except Exception as exc:  # a crash would hide a finding: report it as one
        return [Finding("index", f"the index check could not finish: {exc}")]
    return problems


class _IndexCheck:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.m = param_mark(ledger.engine)
        self.problems: list[Finding] = []
        # The replayed encounters: by id, each unit's (ids are per unit).
        self.encounters: dict[str, list[dict[str, Any]]] = {}
        # The joint_operation decisions filed under each (encounter id, owning unit) so far.
        self.joint: dict[tuple[str, str], list[JointDecision]] = {}

    def run(self) -> list[Finding]:
        with read_cursor(self.ledger.engine, snapshot=True) as cur:
            after = _LOWEST
            while entries := self._entries(cur, after):
                last = int(entries[-1][0])
                rows = {t: self._rows(cur, t, after, last) for t in ("decisions", "events")}
                sides = {t: self._sides(cur, t, after, last) for t in SIDES}
                for idx, kind, body in entries:
                    self._entry(int(idx), str(kind), blob(body), rows, sides)
                for table, left in rows.items():
                    for index, row in left.items():
                        self._stray(table, index, row)
                self._stray_sides(sides)
                after = last
            for table in ("decisions", "events"):
                for index, row in self._rows(cur, table, after, None).items():
                    self._stray(table, index, row)
            self._stray_sides({t: self._sides(cur, t, after, None) for t in SIDES})
            self._check_encounters(cur)
        return self.problems

    def _entries(self, cur: DriverCursor, after: int) -> list[Any]:
        m = self.m
        cur.execute(
            f"SELECT idx, kind, body FROM ledger_entries WHERE idx > {m} "
            f"AND kind IN ({m}, {m}) ORDER BY idx LIMIT {BATCH}",
            (after, "decision", "event"),
        )
        return list(cur.fetchall())

    def _rows(
        self, cur: DriverCursor, table: str, after: int, last: int | None
    ) -> dict[int, dict[str, Any]]:
        """The rows of ``table`` with ``after < ledger_index <= last`` by ledger index."""
        columns = DECISION_COLUMNS if table == "decisions" else EVENT_COLUMNS
        m = self.m
        where, params = f"ledger_index > {m}", [after]
        if last is not None:
            where += f" AND ledger_index <= {m}"
            params.append(last)
        names = (*columns, "encounter_unit")  # the latter is checked by the replay
        cur.execute(f"SELECT {', '.join(names)} FROM {table} WHERE {where}", params)
        out = {}
        for values in cur.fetchall():
            row = dict(zip(names, values, strict=True))
            # Instants as the entries give them (the driver may give text): compared cheaply.
            row["at"], row["recorded_at"] = instant(row["at"]), instant(row["recorded_at"])
            out[int(row["ledger_index"])] = row
        return out

    def _sides(
        self, cur: DriverCursor, table: str, after: int, last: int | None
    ) -> dict[int, set[tuple[str, ...]]]:
        """The rows of a side table (``index_rows.SIDES``) in the range, as sets by ledger index."""
        m = self.m
        where, params = f"ledger_index > {m}", [after]
        if last is not None:
            where += f" AND ledger_index <= {m}"
            params.append(last)
        names = ", ".join(SIDES[table][0])
        cur.execute(f"SELECT ledger_index, {names} FROM {table} WHERE {where}", params)
        out: dict[int, set[tuple[str, ...]]] = {}
        for index, *values in cur.fetchall():
            out.setdefault(int(index), set()).add(tuple(str(v) for v in values))
        return out

    def _check_sides(
        self, index: int, record: Mapping[str, Any], row: Mapping[str, Any] | None, sides: _Sides
    ) -> None:
        """A decision's side table rows against what its record names."""
        for table, (_, make) in SIDES.items():
            have = sides[table].pop(index, set())
            if row is not None and have != make(record):
                self._problem(
                    f"{table} of decisions {row['id']!r}",
                    f"rows differ from decision entry {index} (edited)",
                )

    def _stray_sides(self, sides: _Sides) -> None:
        for table, left in sides.items():
            for index in left:
                self._problem(
                    f"{table} at ledger_index {index}",
                    f"rows point at entry {index}, which is no decision entry "
                    "(rows the ledger does not hold)",
                )

    def _entry(
        self,
        index: int,
        kind: str,
        body: bytes,
        rows: dict[str, dict[int, Any]],
        sides: _Sides,
    ) -> None:
        table, make, columns = INDEXED[kind]
        try:
            parsed = parse_body(body)
            expected = make(index, parsed)
        except (ValueError, KeyError, TypeError, AttributeError):
            self._problem(f"entry {index}", f"a {kind} entry without a readable {kind} record")
            return
        row = rows[table].pop(index, None)
        if row is None:
            self._problem(f"{table} {expected['id']!r}", f"{kind} entry {index} has no {table} row")
        else:
            differ = differences(expected, row, columns)
            if differ:
                self._problem(
                    f"{table} {row['id']!r}",
                    f"column(s) {', '.join(differ)} differ from {kind} entry {index} (edited)",
                )
        if kind == "decision":
            self._check_sides(index, parsed["record"], row, sides)
        owner = self._encounter_of(index, kind, parsed["record"])
        if row is not None and owner is not False and row.get("encounter_unit") != owner:
            self._problem(
                f"{table} {row['id']!r}",
                f"column encounter_unit: {row.get('encounter_unit')!r}, but the encounter "
                f"{kind} entry {index} is under belongs to {owner!r} (edited)",
            )

    def _encounter_of(self, index: int, kind: str, record: Mapping[str, Any]) -> str | bool | None:
        """The unit owning the encounter an entry's record is under (None: names none), as
        the writer resolved it (``encounters.resolve``) against the encounters replayed so
        far; an event's replays its own step. False when it cannot be worked out (reported)."""
        try:
            return replay_encounter(self.encounters, self.joint, kind, record)
        except (KeyError, TypeError, ValueError, LiaisonError) as exc:
            self._problem(f"entry {index}", f"its encounter cannot be replayed: {exc}")
            return False

    def _stray(self, table: str, index: int, row: Mapping[str, Any]) -> None:
        kind = "decision" if table == "decisions" else "event"
        self._problem(
            f"{table} {row.get('id')!r}",
            f"column ledger_index: the row points at entry {index}, which is no {kind} entry "
            "(a row the ledger does not hold)",
        )

    def _check_encounters(self, cur: DriverCursor) -> None:
        cur.execute(f"SELECT {', '.join(ENCOUNTER_COLUMNS)} FROM encounters")
        expected = {(r["id"], r["unit"]): r for rows in self.encounters.values() for r in rows}
        for values in cur.fetchall():
            row = dict(zip(ENCOUNTER_COLUMNS, values, strict=True))
            made = expected.pop((row["id"], row["unit"]), None)
            where = f"encounters {row['id']!r} of unit {row['unit']!r}"
            if made is None:
                self._problem(
                    where, "no event entry names this encounter (a row the ledger does not hold)"
                )
                continue
            differ = differences(made, row, ENCOUNTER_COLUMNS)
            if differ:
                self._problem(
                    where, f"column(s) {', '.join(differ)} differ from its event entries (edited)"
                )
        for ident, unit in expected:
            self._problem(
                f"encounters {ident!r} of unit {unit!r}", "event entries name it, but it has no row"
            )

    def _problem(self, where: str, message: str) -> None:
        self.problems.append(Finding(where, message))


def replay_encounter(
    encounters: dict[str, list[dict[str, Any]]],
    joint: dict[tuple[str, str], list[JointDecision]],
    kind: str,
    record: Mapping[str, Any],
) -> str | None:
    """The unit owning the encounter a ``kind`` entry's ``record`` is under (None: it names
    none), as the writer resolved it (``encounters.resolve``) against ``encounters`` (the
    rows replayed so far, by id) and ``joint`` (the ``joint_operation`` decisions filed
    under each (id, owning unit) so far), both brought up to date: a decision is added to
    ``joint``, an event replays its step. ``KeyError``/``TypeError``/``ValueError``/
    ``LiaisonError`` for a record that cannot be replayed."""
    named = (record["request"] if kind == "decision" else record).get("encounter")
    if not isinstance(named, dict):
        return None
    ident = str(named["id"])
    unit = str((record["request"] if kind == "decision" else record)["actor"]["unit"])
    rows = encounters.setdefault(ident, [])
    previous = resolve(rows, unit)
    owner = unit if previous is None else str(previous["unit"])
    joined = joint.setdefault((ident, owner), [])
    if kind == "decision":
        decided = joint_decision(record)
        if decided is not None:
            joined.append(decided)
        return owner
    made = encounter_step(previous, record, joined)
    rows[:] = [r for r in rows if r["unit"] != made["unit"]] + [made]
    return str(made["unit"])


__all__ = ["BATCH", "check_index", "replay_encounter"]
