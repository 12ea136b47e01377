"""store/db.py: migrations mirror the tables, SQLite pragmas, serialised concurrent writers."""

from __future__ import annotations

import threading
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select

from openlookout.config import Settings
from openlookout.store.base import Base, utcnow
from openlookout.store.db import alembic_config, open_database, write_session
from openlookout.store.lookoutvision_tables import Project


def test_migrations_match_the_tables(tmp_path: Path) -> None:
    sessions = open_database(Settings(data_dir=tmp_path))
    engine = sessions.kw["bind"]
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
        assert set(inspect(conn).get_table_names()) >= set(Base.metadata.tables)


def test_reopening_is_a_no_op_and_pragmas_are_set(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    open_database(settings)
    sessions = open_database(settings)
    with sessions() as session:
        conn = session.connection()
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == head


def test_concurrent_read_modify_write_transactions_serialise(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    sessions = open_database(settings)
    with write_session(sessions) as session:
        session.add(
            Project(region="us-east-1", name="p", arn="arn", created_at=utcnow(), next_model_version=1)
        )
    errors: list[BaseException] = []

    def bump(times: int) -> None:
        # Each worker has its own engine, like separate processes would.
        own = open_database(settings, migrate=False)
        try:
            for _ in range(times):
                with write_session(own) as session:
                    project = session.scalars(select(Project)).one()
                    project.next_model_version += 1
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=bump, args=(25,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with sessions() as session:
        assert session.scalars(select(Project)).one().next_model_version == 1 + 4 * 25
