"""Opening the metadata database: engine, SQLite pragmas, migrations, write sessions.

SQLite is the default store and several processes use it at once (the API
server and the job workers), so every connection runs in WAL mode with a busy
timeout, and write transactions start with ``BEGIN IMMEDIATE``: a writer takes
the write lock up front and waits for it, instead of failing half-way when it
upgrades a read lock that another writer already holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.orm import Session, sessionmaker

from openlookout.config import Settings
from openlookout.private_paths import create_private_file, restrict_to_owner

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Connection execution option that turns the next BEGIN into BEGIN IMMEDIATE (SQLite only).
WRITE_OPTION = "openlookout_write"
SQLITE_BUSY_TIMEOUT_MS = 30_000


def open_database(settings: Settings, migrate: bool = True) -> sessionmaker[Session]:
    """Sessions on ``settings.resolved_database_url``; upgrades the schema to head when ``migrate``."""
    engine = create_database_engine(settings.resolved_database_url)
    if migrate:
        upgrade_to_head(engine)
    return sessionmaker(bind=engine, expire_on_commit=False)


def create_database_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        # SQLite gives the -wal and -shm files the database file's mode: create it 0600 first.
        database = Path(parsed.database)
        create_private_file(database)
        for sidecar in ("-wal", "-shm"):
            restrict_to_owner(database.with_name(database.name + sidecar))
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" hook below emit BEGIN itself (pysqlite's own
        # implicit BEGIN is always DEFERRED and skips DDL).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic configuration without an ini file; ``connection`` is reused by ``env.py``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def upgrade_to_head(engine: Engine) -> None:
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")


@contextmanager
def write_session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose single transaction takes the write lock first; commits on success."""
    with sessions() as session, session.begin():
        write: dict[str, Any] = {WRITE_OPTION: True}
        session.connection(execution_options=write)
        yield session
