"""The data dir is 0700 and its secrets 0600 whatever the umask (issue 12 #5, docs/security.md)."""

from __future__ import annotations

import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.server import REGION, ServerProcess

from .clients.connect import lookoutvision_client, s3_client


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(scope="module")
def permissive_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A fresh server under umask 022 that generates its own root key."""
    server = ServerProcess(
        data_dir=tmp_path_factory.mktemp("umask") / "data", access_key="", secret_key="", umask=0o022
    )
    server.start()
    yield server
    server.stop()


def test_data_dir_and_secrets_are_owner_only(permissive_server: ServerProcess, sdk_model_dir: Path) -> None:
    server = permissive_server
    config: dict[str, Any] = {
        "endpoint": server.endpoint,
        "region": REGION,
        "keys": {"root": [server.access_key, server.secret_key]},
        "data_path": str(sdk_model_dir),
    }
    lookoutvision_client(config).create_project(ProjectName="umask-project")  # writes the database
    s3 = s3_client(config)
    s3.create_bucket(Bucket="umask-bucket")
    s3.put_object(Bucket="umask-bucket", Key="a.txt", Body=b"private")
    created = subprocess.run(
        [sys.executable, "-m", "openlookout", "keys", "create", "--data-dir", str(server.data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        umask=0o022,
    )
    assert created.returncode == 0, created.stderr
    data = server.data_dir
    assert mode(data) == 0o700
    secrets = [
        "credentials.json",
        "keyring.json",
        "openlookout.db",
        "openlookout.db-wal",
        "openlookout.db-shm",
    ]
    for name in secrets:
        assert mode(data / name) == 0o600, f"{name}: {oct(mode(data / name))}"
