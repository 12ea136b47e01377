"""Metadata store: SQLAlchemy 2 tables, sessions and Alembic migrations."""
