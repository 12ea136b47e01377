"""The console's HTTP tests: the real app (create_app, with its start-up) on a loopback port."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from openlookout.api.app import create_app
from openlookout.config import Settings
from support.http_harness import serve_app

from .console_client import ConsoleClient

REGION = "us-east-1"
ROOT_KEY = ("AKIACONSOLEROOT00001", "console-root-secret-0123456789abcdefghij")
# May look at projects of both APIs but change nothing.
READER_KEY = ("AKIACONSOLEREADER001", "console-reader-secret-0123456789abcdefgh")
READER_ALLOW = ["lookoutvision:List*", "lookoutvision:Describe*", "rekognition:Describe*"]


@dataclass
class ConsoleServer:
    endpoint: str
    settings: Settings

    def client(self) -> ConsoleClient:
        return ConsoleClient(self.endpoint)


@pytest.fixture
def console_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ConsoleServer]:
    monkeypatch.delenv("OPENLOOKOUT_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("OPENLOOKOUT_SECRET_ACCESS_KEY", raising=False)
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "credentials.json").write_text(
        json.dumps({"access_key_id": ROOT_KEY[0], "secret_access_key": ROOT_KEY[1]})
    )
    (data_dir / "credentials.json").chmod(0o600)
    policy = tmp_path / "policy.json"
    reader = {"access_key_id": READER_KEY[0], "secret_access_key": READER_KEY[1], "allow": READER_ALLOW}
    policy.write_text(json.dumps({"keys": [reader]}))
    settings = Settings(data_dir=data_dir, region=REGION, policy_file=policy, job_workers=1)
    with serve_app(create_app(settings), lifespan="on") as endpoint:
        yield ConsoleServer(endpoint, settings)


@pytest.fixture
def root_client(console_server: ConsoleServer) -> ConsoleClient:
    client = console_server.client()
    assert client.sign_in(ROOT_KEY).status == 303
    return client
