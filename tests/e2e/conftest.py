"""Fixtures for the end-to-end suite: one real server for the session, real clients.

The session server runs ``python -m openlookout serve`` on a free loopback port
with a temporary data dir, the root key from the environment and a policy
file with two restricted keys. Failing tests get the server log tail attached.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.server import STARTED_SERVERS, ServerProcess, client_config, start_server

from .clients.connect import lookoutvision_client, s3_client
from .clients.cookie_flow import run_cookie_flow
from .cookies import rewritten_manifest, training_images
from .paths import require_cookies

TRAIN_TIMEOUT_S = 15 * 60
DATASET_TIMEOUT_S = 5 * 60


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for server in STARTED_SERVERS:
            report.sections.append((f"openlookout server :{server.port}", server.log_tail(6000)))


@pytest.fixture(scope="session")
def sdk_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``openlookout sdk-model --out DIR``: the service model current boto3 needs."""
    out = tmp_path_factory.mktemp("sdk-model")
    done = subprocess.run(
        [sys.executable, "-m", "openlookout", "sdk-model", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"sdk-model failed:\n{done.stdout}\n{done.stderr}"
    assert (out / "lookoutvision" / "2020-11-20" / "service-2.json").is_file(), list(out.rglob("*"))
    return out


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = start_server(tmp_path_factory.mktemp("openlookout"), "session")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def config(server: ServerProcess, sdk_model_dir: Path) -> dict[str, Any]:
    return client_config(server, sdk_model_dir)


@pytest.fixture(scope="session")
def lv(config: dict[str, Any]) -> Any:
    return lookoutvision_client(config)


@pytest.fixture(scope="session")
def s3(config: dict[str, Any]) -> Any:
    return s3_client(config)


def cookie_plan(cookies_dir: Path, workdir: Path, project: str, bucket: str) -> dict[str, Any]:
    manifest = workdir / f"{project}.manifest"
    manifest.write_text(rewritten_manifest(cookies_dir, bucket))
    return {
        "project": project,
        "bucket": bucket,
        "images": [[str(path), key] for path, key in training_images(cookies_dir)],
        "manifest_path": str(manifest),
        "manifest_key": "manifests/train_class.manifest",
        "output_prefix": "model-output/",
        "tags": [{"Key": "team", "Value": "qa"}],
        "dataset_timeout_s": DATASET_TIMEOUT_S,
        "train_timeout_s": TRAIN_TIMEOUT_S,
    }


@pytest.fixture(scope="session")
def trained_cookies(
    lv: Any, s3: Any, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The current-boto3 cookie flow, run once: (plan, summary); shared by tests needing a TRAINED model."""
    cookies_dir = require_cookies()
    plan = cookie_plan(
        cookies_dir, tmp_path_factory.mktemp("cookies-current"), "cookies-boto3", "cookies-boto3"
    )
    return plan, run_cookie_flow(lv, s3, plan)
