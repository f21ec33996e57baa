"""The index rows a ledger entry determines: pure functions shared by the writer, the
service's reads and ``liaison ledger verify`` (``liaison.gateway.index_check``).

The ``decisions``, ``events`` and ``encounters`` tables are a queryable index of the
ledger (docs/ledger.md, "The index is checked against the ledger"): every column of a
decision or event row but none is determined by its entry, and an encounter row by the
event entries that name the encounter, replayed in ledger order (``encounter_row``,
which the writer uses too). A row that differs from what its entry determines was
changed behind the ledger's back: the service refuses to act on it or serve it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from liaison.errors import IntegrityFailure
from liaison.gateway.encounter_flags import JOINT_OPERATION, JointDecision
from liaison.gateway.encounters import encounter_row
from liaison.gateway.events import Event
from liaison.ledger.entries import parse_body
from liaison.ledger.merkle import leaf_hash
from liaison.ledger.reads import StoredEntry
from liaison.logs import get_logger

log = get_logger("liaison.integrity")

# The columns an entry determines, per table (``ledger_index``: the entry's position).
DECISION_COLUMNS = (
    "id",
    "ledger_index",
    "recorded_at",
    "at",
    "actor_id",
    "unit",
    "action",
    "view",
    "decision",
    "basis",
    "policy_version",
    "encounter_id",
    "recipient_type",
    "recipient_agency",
    "database",
    "custody",
    "initiative",
    "legal_process",
    "federal_charge",
    "arrest_basis",
    "passengers",
    "operation_kind",
    "document",
)
EVENT_COLUMNS = (
    "id",
    "ledger_index",
    "recorded_at",
    "at",
    "kind",
    "actor_id",
    "unit",
    "decision_id",
    "flagged",
    "encounter_id",
    "document",
)
ENCOUNTER_COLUMNS = (
    "id",
    "unit",
    "participants",
    "kind",
    "started_at",
    "ended_at",
    "district",
    "document",
)
_INSTANTS = frozenset({"recorded_at", "at", "started_at", "ended_at"})


def instant(value: object) -> datetime | None:
    """A stored or written instant as an aware UTC datetime (None when unreadable)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def decision_row(index: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """The ``decisions`` row a ``decision`` entry (parsed ``body`` at ``index``) determines.
    Raises ``KeyError``/``TypeError``/``AttributeError`` for an entry of another shape."""
    record = body["record"]
    request, decided = record["request"], record["decision"]
    encounter = request.get("encounter")
    return {
        "id": record["id"],
        "ledger_index": index,
        "recorded_at": instant(body["recorded_at"]),
        "at": instant(decided["at"]),
        "actor_id": request["actor"]["id"],
        "unit": request["actor"].get("unit"),
        "action": request["action"],
        "view": decided["view"],
        "decision": decided["decision"],
        "basis": decided["basis"],
        "policy_version": decided["policy_version"],
        "encounter_id": encounter["id"] if isinstance(encounter, dict) else None,
        **filter_columns(request),
        "document": record,
    }


def filter_columns(request: Mapping[str, Any]) -> dict[str, Any]:
    """The request's single-valued fields a query filters on (docs/request-schema.md):
    the recipient, database, the subject's custody and federal charge, whether the
    department acted on request or proactively, the legal process, the arrest basis, who
    a transport carried and the kind of joint operation."""
    recipient, subject = _field(request, "recipient"), _field(request, "subject")
    charge = subject.get("federal_criminal_charge") if subject else None
    return {
        "recipient_type": recipient.get("type") if recipient else None,
        "recipient_agency": recipient.get("agency") if recipient else None,
        "database": request.get("database"),
        "custody": subject.get("custody") if subject else None,
        "initiative": request.get("initiative"),
        "legal_process": request.get("legal_process"),
        "federal_charge": charge if isinstance(charge, bool) else None,
        "arrest_basis": request.get("arrest_basis"),
        "passengers": _field(request, "transport").get("passengers"),
        "operation_kind": _field(request, "operation").get("kind"),
    }


def _field(request: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = request.get(name)
    return value if isinstance(value, dict) else {}


def decision_purposes(record: Mapping[str, Any]) -> set[str]:
    """The ``decision_purposes`` rows (one per purpose) of a decision's public ``record``."""
    return {str(p) for p in record["request"].get("purposes") or ()}


def decision_citations(record: Mapping[str, Any]) -> set[tuple[str, str]]:
    """The ``decision_citations`` rows (directive, section) of a decision's ``record``."""
    cited = record["decision"].get("citations") or ()
    return {(str(c["directive"]), str(c["section"])) for c in cited}


def decision_data_classes(record: Mapping[str, Any]) -> set[str]:
    """The ``decision_data_classes`` rows (one per data class shared) of a ``record``."""
    return {str(c) for c in record["request"].get("data_classes") or ()}


Side = frozenset[tuple[str, ...]]
# A decision's side tables (keyed by its ledger index): each table's columns but the
# ledger index, and the rows (tuples in those columns' order) its public record makes.
SIDES: dict[str, tuple[tuple[str, ...], Callable[[Mapping[str, Any]], Side]]] = {
    "decision_purposes": (("purpose",), lambda r: frozenset((p,) for p in decision_purposes(r))),
    "decision_citations": (("directive", "section"), lambda r: frozenset(decision_citations(r))),
    "decision_data_classes": (
        ("data_class",),
        lambda r: frozenset((c,) for c in decision_data_classes(r)),
    ),
}


def decision_sides(record: Mapping[str, Any]) -> dict[str, Side]:
    """Every side table's rows (but their ledger index) a decision's ``record`` makes."""
    return {table: make(record) for table, (_, make) in SIDES.items()}


def event_row(index: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """The ``events`` row an ``event`` entry (parsed ``body`` at ``index``) determines."""
    record = body["record"]
    encounter = record.get("encounter")
    return {
        "id": record["id"],
        "ledger_index": index,
        "recorded_at": instant(body["recorded_at"]),
        "at": instant(record["at"]),
        "kind": record["kind"],
        "actor_id": record["actor"]["id"],
        "unit": record["actor"].get("unit"),
        "decision_id": record.get("decision_id"),
        "flagged": record.get("flagged"),
        "encounter_id": encounter["id"] if isinstance(encounter, dict) else None,
        "document": record,
    }


def event_of(record: Mapping[str, Any]) -> Event:
    """The event an ``event`` entry's public record reports (its personal part aside),
    as the writer validated it; ``ValueError`` for a record of another shape."""
    fields = {k: v for k, v in record.items() if k != "flagged"}
    try:
        return Event.model_validate(fields)
    except ValidationError as exc:
        raise ValueError(f"not an event record: {exc.errors()[0].get('msg')}") from None


def encounter_step(
    current: Mapping[str, Any] | None,
    record: Mapping[str, Any],
    joint: Sequence[JointDecision] = (),
) -> dict[str, Any]:
    """The ``encounters`` row after an event entry's ``record`` (as the ledger holds it),
    from the row its unit resolves the id to and the ``joint_operation`` decisions filed
    under it before the event: the writer's own ``encounters.encounter_row``."""
    return encounter_row(event_of(record), current, joint)


def joint_decision(record: Mapping[str, Any]) -> JointDecision | None:
    """The ``joint_operation`` decision a ``decision`` entry's ``record`` is, or None
    (another action): what an encounter it is filed under is flagged by."""
    if record["request"]["action"] != JOINT_OPERATION:
        return None
    decided = record["decision"]
    at = instant(decided["at"])
    if at is None:
        raise ValueError("a joint_operation decision without a readable instant")
    return JointDecision(at, str(decided["decision"]))


RowMaker = Callable[[int, Mapping[str, Any]], dict[str, Any]]
# Each indexed entry kind: its table, the row it makes (at its index) and the columns made.
INDEXED: dict[str, tuple[str, RowMaker, tuple[str, ...]]] = {
    "decision": ("decisions", decision_row, DECISION_COLUMNS),
    "event": ("events", event_row, EVENT_COLUMNS),
}


def differences(
    expected: Mapping[str, Any], row: Mapping[str, Any], columns: tuple[str, ...]
) -> list[str]:
    """The ``columns`` in which ``row`` (as stored) differs from ``expected``; a document
    that differs names its top-level keys that differ (``document.declared_purpose``)."""
    out = []
    for column in columns:
        want, have = expected.get(column), row.get(column)
        if want == have and type(want) is type(have):  # most columns, cheaply
            continue
        if not _same(column, want, have):
            out.extend(_document_keys(expected, row) if column == "document" else [column])
    return out


def _document_keys(expected: Mapping[str, Any], row: Mapping[str, Any]) -> list[str]:
    want, have = expected.get("document"), _document(row.get("document"))
    if isinstance(want, str):
        want = _document(want)
    if not isinstance(want, dict) or not isinstance(have, dict):
        return ["document"]
    keys = sorted(k for k in set(want) | set(have) if want.get(k) != have.get(k))
    return [f"document.{k}" for k in keys] or ["document"]


def _same(column: str, expected: Any, stored: Any) -> bool:
    if column in _INSTANTS:
        return instant(expected) == instant(stored) and (expected is None) == (stored is None)
    if column == "document":
        left = _document(expected) if isinstance(expected, str) else expected
        return bool(left == _document(stored))
    if column == "ledger_index":
        return isinstance(stored, int) and not isinstance(stored, bool) and stored == expected
    if isinstance(expected, bool):  # SQLite's driver reads a boolean back as 0 or 1
        return type(stored) in (bool, int) and stored in (0, 1) and bool(stored) is expected
    return bool(type(expected) is type(stored) and expected == stored)


def _document(value: object) -> Any:
    if not isinstance(value, str):
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


def checked_entry(entry: StoredEntry, kind: str, table: str, ident: object) -> dict[str, Any]:
    """The parsed body of the entry the row ``ident`` of ``table`` points to, once the body
    hashes to its leaf hash and it is of ``kind``; ``IntegrityFailure`` (logged) otherwise."""
    if leaf_hash(entry.body) != entry.leaf_hash:
        what = f"its entry {entry.index} differs from its leaf hash"
        raise failure(table, ident, ["ledger_index"], what)
    try:
        body = parse_body(entry.body)
    except ValueError:
        body = {}
    if body.get("kind") != kind:
        what = f"the row points at entry {entry.index}, which is not a {kind} entry"
        raise failure(table, ident, ["ledger_index"], what)
    return body


def checked_row(
    table: str, row: Mapping[str, Any], expected: Mapping[str, Any], columns: tuple[str, ...]
) -> None:
    """Raise ``IntegrityFailure`` (logged) when ``row`` differs from what its entry says."""
    differ = differences(expected, row, columns)
    if differ:
        raise failure(table, row.get("id"), differ, "the row differs from its ledger entry")


def failure(table: str, ident: object, columns: list[str], what: str) -> IntegrityFailure:
    """An ``IntegrityFailure`` naming the table, id and columns; logged at error level."""
    log.error("integrity", table=table, id=ident, columns=columns, problem=what)
    return IntegrityFailure(
        f"{table} {ident!r} ({', '.join(columns)}): {what}; the database disagrees with the "
        "ledger and nothing is served from it (run `liaison ledger verify`)"
    )
