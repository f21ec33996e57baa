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
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
)

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
    Column("recorded_at", DateTime(timezone=True), nullable=False, index=True),
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
    Column("created_at", DateTime(timezone=True), nullable=False),
)
