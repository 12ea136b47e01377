"""A server killed with SIGKILL mid-training never leaves the model stuck in TRAINING.

Uses its own server: SIGKILL goes to the server's whole process group (server
and job workers, like a crashed machine), then a new server starts on the same
data dir and must settle the model within a bounded time.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from support.server import ServerProcess, client_config, start_server

from .clients.connect import lookoutvision_client, s3_client
from .cookies import rewritten_manifest, training_images
from .paths import require_cookies

RECOVERY_TIMEOUT_S = 5 * 60


def prepare_training(lv: Any, s3: Any, cookies_dir: Path, project: str) -> None:
    s3.create_bucket(Bucket=project)
    for path, key in training_images(cookies_dir):
        s3.put_object(Bucket=project, Key=key, Body=path.read_bytes())
    s3.put_object(
        Bucket=project, Key="train.manifest", Body=rewritten_manifest(cookies_dir, project).encode()
    )
    lv.create_project(ProjectName=project)
    source = {"GroundTruthManifest": {"S3Object": {"Bucket": project, "Key": "train.manifest"}}}
    lv.create_dataset(ProjectName=project, DatasetType="train", DatasetSource=source)
    deadline = time.monotonic() + 300
    while (status := describe_dataset_status(lv, project)) == "CREATE_IN_PROGRESS":
        assert time.monotonic() < deadline, "dataset import did not finish"
        time.sleep(2)
    assert status == "CREATE_COMPLETE"


def describe_dataset_status(lv: Any, project: str) -> str:
    return str(lv.describe_dataset(ProjectName=project, DatasetType="train")["DatasetDescription"]["Status"])


@pytest.mark.slow
def test_kill_9_during_training_then_restart(tmp_path: Path, sdk_model_dir: Path) -> None:
    cookies_dir = require_cookies()
    server = start_server(tmp_path, "crash")
    restarted: ServerProcess | None = None
    try:
        config = client_config(server, sdk_model_dir)
        lv = lookoutvision_client(config)
        prepare_training(lv, s3_client(config), cookies_dir, "crash")
        output = {"S3Location": {"Bucket": "crash", "Prefix": "out/"}}
        assert (
            lv.create_model(ProjectName="crash", OutputConfig=output)["ModelMetadata"]["ModelVersion"] == "1"
        )
        time.sleep(3)  # let the worker start; killing it before or during training are both crashes
        status = lv.describe_model(ProjectName="crash", ModelVersion="1")["ModelDescription"]["Status"]
        assert status == "TRAINING", f"training already over ({status}); the crash would test nothing"
        server.kill_hard()

        restarted = start_server(tmp_path, "crash")  # same data dir, new port
        lv = lookoutvision_client(client_config(restarted, sdk_model_dir))
        deadline = time.monotonic() + RECOVERY_TIMEOUT_S
        while True:
            model = lv.describe_model(ProjectName="crash", ModelVersion="1")["ModelDescription"]
            if model["Status"] != "TRAINING" or time.monotonic() > deadline:
                break
            time.sleep(2)  # idle gaps near the server's 5 s keep-alive race its connection close
        assert model["Status"] in ("TRAINED", "TRAINING_FAILED"), f"still {model['Status']} after restart"
        assert model["StatusMessage"]
    finally:
        server.stop()
        if restarted:
            restarted.stop()
