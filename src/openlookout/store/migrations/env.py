"""Alembic environment: run against the connection handed over by ``store/db.py``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

# Importing the table modules registers every table on the one Base.metadata.
from openlookout.store import (  # noqa: F401
    common_tables,
    console_tables,
    custom_labels_tables,
    lookoutvision_tables,
)
from openlookout.store.base import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection given and no sqlalchemy.url set")
    engine = create_engine(url)
    with engine.begin() as conn:
        _run(conn)


if context.is_offline_mode():
    raise RuntimeError("openlookout migrations run online only (open_database runs them)")
run_migrations_online()
