"""The database: one SQLAlchemy 2 schema for SQLite (default) and PostgreSQL, via Alembic."""
