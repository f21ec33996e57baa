"""The schema of liaison's database (SQLAlchemy Core). Alembic migrations create it.

Ledger tables (RFC 6962 log; tiles per C2SP tlog-tiles):
- ``ledger_head``: one row, the sequencer: current tree size and root.
- ``ledger_entries``: the append-only log; ``body`` is the canonical JSON entry
  (RFC 8785) whose RFC 6962 leaf hash is stored beside it.
- ``ledger_personal``: personal data kept apart from the leaf; the entry commits to
  SHA-256(salt || data). Erasing deletes this row; every proof stays valid.
- ``ledger_tiles``: hashes of the tree, 256 to a tile (level L holds tree level 8L).
- ``ledger_checkpoints``: every signed checkpoint made, kept.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    text,
)

from liaison.storage.types import UTCDateTime

metadata = MetaData()

ledger_head = Table(
    "ledger_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("size", BigInteger, nullable=False),
    Column("root", LargeBinary(32), nullable=False),
)

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(40), nullable=False, index=True),
    Column("recorded_at", UTCDateTime(), nullable=False, index=True),
    Column("leaf_hash", LargeBinary(32), nullable=False),
    Column("body", LargeBinary, nullable=False),
)

ledger_personal = Table(
    "ledger_personal",
    metadata,
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("salt", LargeBinary(32), nullable=False),
    Column("data", LargeBinary, nullable=False),
)

ledger_tiles = Table(
    "ledger_tiles",
    metadata,
    Column("level", SmallInteger, primary_key=True, autoincrement=False),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("hashes", LargeBinary, nullable=False),
)

ledger_checkpoints = Table(
    "ledger_checkpoints",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    # Witnesses' cosignature lines (C2SP tlog-cosignature; migration 0014), verified by readers.
    Column("cosignatures", Text, nullable=False, server_default=""),
)

# -- gateway: the queryable index of what the ledger holds (the ledger is the record) --------

# A client's id is scoped to the actor the record is made for (an idempotency key of that
# actor): the key is (id, actor_id), id first so that a read by id uses it. Generated ids
# (``dec-``/``evt-`` and a UUID) are unique on their own.
# The columns a query over ``decisions`` compares beside ``at`` and ``action`` (migration 0010).
COVERED = (
    "decision",
    "basis",
    "view",
    "unit",
    "actor_id",
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
    "encounter_id",
    "encounter_unit",
)
decisions = Table(
    "decisions",
    metadata,
    Column("id", String(256), primary_key=True),
    Column("ledger_index", BigInteger, nullable=False, unique=True),
    Column("recorded_at", UTCDateTime(), nullable=False),
    Column("at", UTCDateTime(), nullable=False, index=True),
    Column("actor_id", String(256), primary_key=True, index=True),
    Column("unit", String(256), nullable=True, index=True),
    Column("action", String(40), nullable=False),
    Column("view", String(64), nullable=False),
    Column("decision", String(16), nullable=False),
    Column("basis", String(16), nullable=False),
    Column("policy_version", String(80), nullable=False),
    Column("encounter_id", String(256), nullable=True, index=True),
    # The unit that owns the encounter the record is under (``gateway.encounters.resolve``).
    Column("encounter_unit", String(256), nullable=True),
    # What a query filters on (issue 10), from the request (``index_rows.decision_row``).
    Column("recipient_type", String(40), nullable=True, index=True),
    Column("recipient_agency", String(256), nullable=True, index=True),
    Column("database", String(40), nullable=True, index=True),
    Column("custody", String(40), nullable=True, index=True),
    Column("initiative", String(16), nullable=True),
    Column("legal_process", String(40), nullable=True),
    Column("federal_charge", Boolean, nullable=True),
    Column("arrest_basis", String(40), nullable=True),
    Column("passengers", String(40), nullable=True),
    Column("operation_kind", String(40), nullable=True),
    Column("document", Text, nullable=False),  # request + decision, JSON, without personal data
    # The query's page order and most reports' first condition, each carrying every column
    # a filter or group compares, so that counts read the index alone (migration 0010).
    Index("ix_decisions_at_cover", "at", "ledger_index", "action", *COVERED),
    Index("ix_decisions_action_cover", "action", "at", "ledger_index", *COVERED),
)

# A decision's purposes, the sections it cites and the data classes it shares, one row
# each (keyed by the decision's ledger index, unique): ``index_rows.SIDES``.
decision_purposes = Table(
    "decision_purposes",
    metadata,
    Column("ledger_index", BigInteger, primary_key=True, autoincrement=False),
    Column("purpose", String(40), primary_key=True),
    Index("ix_decision_purposes_purpose", "purpose"),
)

decision_citations = Table(
    "decision_citations",
    metadata,
    Column("ledger_index", BigInteger, primary_key=True, autoincrement=False),
    Column("directive", String(256), primary_key=True),
    Column("section", String(256), primary_key=True),
    Index("ix_decision_citations_directive_section", "directive", "section"),
)

decision_data_classes = Table(
    "decision_data_classes",
    metadata,
    Column("ledger_index", BigInteger, primary_key=True, autoincrement=False),
    Column("data_class", String(40), primary_key=True),
    Index("ix_decision_data_classes_data_class", "data_class"),
)

# The side tables by name (``index_rows.SIDES`` says what each holds).
side_tables = {t.name: t for t in (decision_purposes, decision_citations, decision_data_classes)}

events = Table(
    "events",
    metadata,
    Column("id", String(256), primary_key=True),
    Column("ledger_index", BigInteger, nullable=False, unique=True),
    Column("recorded_at", UTCDateTime(), nullable=False),
    Column("at", UTCDateTime(), nullable=False, index=True),
    Column("kind", String(40), nullable=False, index=True),
    Column("actor_id", String(256), primary_key=True, index=True),
    Column("unit", String(256), nullable=True),
    Column("decision_id", String(256), nullable=True),
    Column("flagged", String(80), nullable=True, index=True),  # why it stands out, or NULL
    Column("encounter_id", String(256), nullable=True, index=True),
    Column("encounter_unit", String(256), nullable=True),
    Column("document", Text, nullable=False),
    # the events that carried out a decision (its id and actor), the reports' join
    Index("ix_events_decision_actor", "decision_id", "actor_id", "kind"),
)

# An encounter belongs to the unit that opened it (``unit``) and the units it names as
# participants; ids are per unit: another unit's encounter of the same id is another one.
encounters = Table(
    "encounters",
    metadata,
    Column("id", String(256), primary_key=True),
    Column("unit", String(256), primary_key=True),
    Column("participants", Text, nullable=False),  # JSON array of unit names, sorted
    Column("kind", String(40), nullable=False),
    Column("started_at", UTCDateTime(), nullable=True),
    Column("ended_at", UTCDateTime(), nullable=True),
    Column("district", String(64), nullable=True, index=True),
    Column("document", Text, nullable=False),  # place, agencies, declared purpose, outcome
)
# Where a row without a time sorts, as SQL text written inline: a query ordering by
# ``coalesce(time, LAST_TEXT)`` (``reports.query``) matches an index on that expression,
# which a bound parameter would not.
LAST_TEXT = "'9999-12-31 00:00:00.000000'"
# Their listing's order (migration 0013): started (never started last), id, unit.
Index(
    "ix_encounters_order",
    text(f"coalesce(started_at, {LAST_TEXT})"),
    encounters.c.id,
    encounters.c.unit,
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(32), primary_key=True),  # the public key id (prefix of the key)
    # HMAC-SHA256 of the key under the server secret (gateway.key_secret), hex
    Column("secret_mac", String(64), nullable=True),
    # argon2id of the secret: keys made before 0004 only, until their first use
    Column("secret_hash", String(256), nullable=True),
    Column("role", String(16), nullable=False),
    Column("actor_id", String(256), nullable=False),
    Column("unit", String(256), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
)

# Every version of the directive pack, in order (``seq`` 1 is the first). The newest row is
# the pack in force for deciding; each row is also a ``pack_change`` ledger entry.
pack_changes = Table(
    "pack_changes",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("pack_id", String(64), nullable=False),
    Column("digest", String(80), nullable=False),
    Column("previous", String(80), nullable=True),
    Column("ledger_index", BigInteger, nullable=False, unique=True),
    Column("changed_at", UTCDateTime(), nullable=False),
    Column("actor_id", String(256), nullable=False),
    Column("reason", Text, nullable=False),
    Column("files", Text, nullable=False),  # the whole pack after the change, JSON {path: text}
)

# Signed-in sessions of the pages (``liaison.web.sessions``): only HMAC-SHA256 of the cookie's
# random token under the server secret is kept (as for API keys), with the key it was opened
# with; a session ends with its key's revocation, its absolute lifetime, or its idle timeout.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id", String(64), primary_key=True),  # HMAC-SHA256 of the token, hex
    Column("key_id", String(32), nullable=False, index=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("seen_at", UTCDateTime(), nullable=False, index=True),  # the idle timer
)

# Audits of other systems' logs (issue 13, ``liaison.audit``). Both tables are caches of
# the ledger: each import is an ``audit_import`` entry (``ledger_index``, written when the
# import completes), each row an ``audit_row`` entry, each auditor's review an
# ``audit_review`` entry; ``liaison ledger verify`` checks the tables against them.
# An import is named by what it is of: the file's bytes and the options that judge it, so
# importing the same file again with the same options is the same import (idempotent).
audit_imports = Table(
    "audit_imports",
    metadata,
    Column("id", String(80), primary_key=True),
    Column("file_name", Text, nullable=False),
    Column("file_sha256", String(64), nullable=False, index=True),
    Column("format", String(40), nullable=False),
    Column("pack", String(64), nullable=True),  # None: no pack for its jurisdiction
    Column("agency", String(256), nullable=True, index=True),
    Column("timezone", String(64), nullable=True),
    Column("rules_version", String(80), nullable=False),
    Column("ledger_index", BigInteger, nullable=True, unique=True),  # None until complete
    Column("rows", Integer, nullable=False),
    Column("bad_rows", Integer, nullable=False),
    Column("imported_at", UTCDateTime(), nullable=False),
    Column("document", Text, nullable=False),  # JSON: options, bad rows (file, line, message)
)

audit_rows = Table(
    "audit_rows",
    metadata,
    Column("import_id", String(80), primary_key=True),
    Column("row", Integer, primary_key=True, autoincrement=False),  # 1-based data row
    Column("ledger_index", BigInteger, nullable=False, unique=True),
    Column("line", Integer, nullable=False),
    Column("source_id", String(256), nullable=True),
    Column("at", UTCDateTime(), nullable=True, index=True),
    Column("kind", String(40), nullable=False),  # audit.rows.RowKind
    Column("agency", String(256), nullable=True, index=True),
    Column("organisation", String(256), nullable=True, index=True),
    Column("org_type", String(40), nullable=True),  # a recipient type, None: unknown
    Column("org_jurisdiction", String(16), nullable=True),
    Column("purposes", Text, nullable=False),  # JSON array, sorted
    Column("immigration", Boolean, nullable=True),  # None: in the review queue
    Column("rule", String(120), nullable=False),
    Column("reviewed", Boolean, nullable=False),  # an auditor's review decided the purpose
    # permit, deny, not_judged (no pack for the jurisdiction, or no time), review (waiting)
    Column("decision", String(16), nullable=False),
    Column("basis", String(16), nullable=True),
    Column("finding", Boolean, nullable=False),  # denied: forbidden or unauthorised
    Column("citations", Text, nullable=False),  # JSON array of "DIRECTIVE section"
    Column("reason", Text, nullable=True),  # why not judged, waiting, or failed
    # The row's fields as exported are personal (the entry's personal part, erasable): no
    # audit table holds them (docs/ledger.md); the entry's body is the row's whole record.
)
