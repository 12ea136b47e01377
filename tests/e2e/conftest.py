"""Fixtures for the end-to-end suite: one real server for the session, real clients.

The session server runs ``python -m openlookout serve`` on a free loopback port
with a temporary data dir, the root key from the environment and a policy
file with two restricted keys. Failing tests get the server log tail attached.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .clients.connect import lookoutvision_client, s3_client
from .clients.cookie_flow import run_cookie_flow
from .cookies import rewritten_manifest, training_images
from .paths import require_cookies
from .server import REGION, ServerProcess

ROOT_KEY = ("OLE2EROOTKEY00000001", "e2e-root-secret-0123456789abcdefghijklmn")
# "denied" may use S3 only; "creator" may create models but not tag them; "l4v-only" and
# "rekognition-only" may call every operation of their API but nothing of S3.
RESTRICTED_KEYS: dict[str, tuple[str, str, list[str]]] = {
    "denied": ("OLE2EDENIEDKEY000001", "e2e-denied-secret-0123456789abcdefghij", ["s3:*"]),
    "l4v-only": ("OLE2EL4VONLYKEY00001", "e2e-l4v-only-secret-0123456789abcdefgh", ["lookoutvision:*"]),
    "rekognition-only": (
        "OLE2EREKONLYKEY00001",
        "e2e-rek-only-secret-0123456789abcdefghi",
        ["rekognition:*"],
    ),
    "creator": (
        "OLE2ECREATORKEY00001",
        "e2e-creator-secret-0123456789abcdefghi",
        ["lookoutvision:CreateModel", "lookoutvision:Describe*", "lookoutvision:List*"],
    ),
}
TRAIN_TIMEOUT_S = 15 * 60
DATASET_TIMEOUT_S = 5 * 60

STARTED_SERVERS: list[ServerProcess] = []


def write_policy_file(path: Path) -> Path:
    """Policy file in the docs/security.md format: extra keys with allow-lists."""
    keys = [
        {"access_key_id": k, "secret_access_key": s, "allow": allow}
        for k, s, allow in RESTRICTED_KEYS.values()
    ]
    path.write_text(json.dumps({"keys": keys}, indent=2))
    return path


def start_server(base: Path, name: str) -> ServerProcess:
    server = ServerProcess(
        data_dir=base / name,
        access_key=ROOT_KEY[0],
        secret_key=ROOT_KEY[1],
        policy_file=write_policy_file(base / f"{name}-policy.json"),
    )
    STARTED_SERVERS.append(server)
    try:
        server.start()
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)
    return server


def client_config(server: ServerProcess, data_path: Path) -> dict[str, Any]:
    keys = {"root": list(ROOT_KEY)}
    keys.update({role: [k, s] for role, (k, s, _) in RESTRICTED_KEYS.items()})
    return {"endpoint": server.endpoint, "region": REGION, "keys": keys, "data_path": str(data_path)}


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
