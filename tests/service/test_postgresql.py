"""The store and the idempotency race on a throwaway PostgreSQL 15 server.

Skipped when the PostgreSQL binaries or the psycopg driver are absent. Under
READ COMMITTED two identical CreateModel calls really do run side by side,
so this exercises the unique-constraint path of the ClientToken record.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, select, text

from openlookout.blobs.local import LocalBlobStore
from openlookout.config import Settings
from openlookout.hosting.local import LocalModelHost
from openlookout.jobs.runner import LocalJobRunner
from openlookout.service.lookoutvision import LookoutVisionService
from openlookout.store.base import Base
from openlookout.store.common_tables import Job
from openlookout.store.db import open_database
from openlookout.store.lookoutvision_tables import Model

from .conftest import OUTPUT, add_entries

PG_BIN = Path("/usr/lib/postgresql/15/bin")

pytest.importorskip("psycopg", reason="psycopg is not installed (PostgreSQL driver)")
if not (PG_BIN / "initdb").exists():
    pytest.skip("PostgreSQL 15 binaries are not installed", allow_module_level=True)


def _as_db_user(cmd: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root.
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser: cannot start PostgreSQL")
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    root = Path(tempfile.mkdtemp(prefix="openlookout-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    data, port = root / "data", _free_port()
    subprocess.run(
        _as_db_user(
            [str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
        ),
        check=True,
        capture_output=True,
    )
    options = f"-h 127.0.0.1 -p {port} -k {root}"
    subprocess.run(
        _as_db_user(
            [str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"]
        ),
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(
            _as_db_user([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]), check=False
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def database_url(server_url: str) -> str:
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(f"{server_url}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{server_url}/{name}"


def test_migrations_match_the_tables(database_url: str, tmp_path: Path) -> None:
    sessions = open_database(Settings(data_dir=tmp_path, database_url=database_url))
    with sessions.kw["bind"].connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_racing_identical_create_model_calls(database_url: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url=database_url, max_concurrent_trainings=10)
    sessions = open_database(settings)
    blobs = LocalBlobStore(settings.buckets_dir)
    blobs.create_bucket("out-bucket")
    service = LookoutVisionService(
        settings, sessions, blobs, None, LocalJobRunner(settings, sessions), LocalModelHost()
    )
    service.create_project("p")
    service.create_dataset("p", "train")
    add_entries(sessions, "p", "train", ["normal"] * 20 + ["anomaly"] * 10)
    barrier = threading.Barrier(4)
    results: list[dict] = []
    errors: list[BaseException] = []

    def call() -> None:
        own = LookoutVisionService(
            settings, open_database(settings, migrate=False), blobs, None, service.runner, LocalModelHost()
        )
        barrier.wait()
        try:
            results.append(own.create_model("p", OUTPUT, client_token="race"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(results) == 4 and all(r == results[0] for r in results)
    with sessions() as session:
        assert len(session.scalars(select(Model.id)).all()) == 1
        assert len(session.scalars(select(Job.id)).all()) == 1


def test_concurrent_create_model_calls_get_distinct_versions(database_url: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url=database_url, max_concurrent_trainings=10)
    sessions = open_database(settings)
    blobs = LocalBlobStore(settings.buckets_dir)
    blobs.create_bucket("out-bucket")
    service = LookoutVisionService(
        settings, sessions, blobs, None, LocalJobRunner(settings, sessions), LocalModelHost()
    )
    service.create_project("p")
    service.create_dataset("p", "train")
    add_entries(sessions, "p", "train", ["normal"] * 20 + ["anomaly"] * 10)
    barrier = threading.Barrier(4)
    versions: list[str] = []

    def call() -> None:
        own = LookoutVisionService(
            settings, open_database(settings, migrate=False), blobs, None, service.runner, LocalModelHost()
        )
        barrier.wait()
        versions.append(own.create_model("p", OUTPUT)["ModelMetadata"]["ModelVersion"])

    threads = [threading.Thread(target=call) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(versions) == ["1", "2", "3", "4"]
