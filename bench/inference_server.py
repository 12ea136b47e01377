"""A real ``openlookout serve`` for the inference bench, and the cookie segmentation model on it.

Everything goes through the public API with current boto3 and the service model that
``openlookout sdk-model`` writes: the images, masks and a rewritten
``train_segmentation.manifest`` are uploaded through the embedded S3, then CreateProject,
CreateDataset and CreateModel train the model and StartModel/StopModel host it with a
fixed number of inference units (Min = Max, so autoscaling never changes a cell).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import botocore.session
from botocore.config import Config

REGION = "us-east-1"
PROJECT = "bench-cookies"
BUCKET = "bench-cookies"
READY_TIMEOUT_S = 90.0
TRAIN_TIMEOUT_S = 900.0
HOSTING_TIMEOUT_S = 300.0
POLL_S = 1.0
# One attempt per call: a retried failure would hide the very error the bench counts.
CLIENT_CONFIG = Config(
    retries={"total_max_attempts": 1, "mode": "standard"},
    connect_timeout=10,
    read_timeout=120,
    s3={"addressing_style": "path"},
    signature_version="s3v4",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class BenchServer:
    """``python -m openlookout serve`` on a free loopback port with its own data dir and key."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    access_key: str = field(default_factory=lambda: "OLBENCH" + secrets.token_hex(6).upper())
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(30))
    process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir.parent / "server.log"

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = os.environ | {
            "OPENLOOKOUT_ACCESS_KEY_ID": self.access_key,
            "OPENLOOKOUT_SECRET_ACCESS_KEY": self.secret_key,
        }
        command = [sys.executable, "-m", "openlookout", "serve", "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--data-dir", str(self.data_dir), "--region", REGION]
        command += ["--log-level", "warning"]
        with self.log_path.open("ab") as log:
            # Own process group, so stop() also reaches the job workers and inference units.
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def check_alive(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            tail = self.log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"the server exited with {self.process.returncode}:\n{tail}")


def write_sdk_model(out: Path) -> Path:
    """``openlookout sdk-model``: the lookoutvision service model current boto3 lacks."""
    subprocess.run(
        [sys.executable, "-m", "openlookout", "sdk-model", "--out", str(out)],
        check=True,
        capture_output=True,
    )
    return out


def client(server: BenchServer, sdk_dir: Path, service: str) -> Any:
    """A fresh boto3 client (own session, own connection pool) for ``service``."""
    core = botocore.session.Session()
    core.set_config_variable("data_path", str(sdk_dir))
    session = boto3.session.Session(
        aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key,
        region_name=REGION,
        botocore_session=core,
    )
    return session.client(service, endpoint_url=server.endpoint, config=CLIENT_CONFIG)


def wait_ready(server: BenchServer, lv: Any) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while True:
        server.check_alive()
        try:
            lv.list_projects()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def wait_for(describe: Callable[[], str], waiting: str, timeout_s: float) -> str:
    deadline = time.monotonic() + timeout_s
    while True:
        status = describe()
        if status != waiting or time.monotonic() > deadline:
            return status
        time.sleep(POLL_S)


def _s3_key(source_ref: str) -> str:
    """Upstream ``.../training-images/X.jpg`` or ``.../mask-images/X.png`` -> our bucket key."""
    name = source_ref.rsplit("/", 1)[1]
    if name.endswith(".png"):
        return f"masks/{name}"
    return f"train/{'anomaly' if name.startswith('anomaly-') else 'normal'}/{name}"


def segmentation_manifest(cookies_dir: Path) -> str:
    """``train_segmentation.manifest`` with image and mask refs moved to ``s3://BUCKET/``."""
    lines = []
    for raw in (cookies_dir / "manifests" / "train_segmentation.manifest").read_text().splitlines():
        if raw.strip():
            entry = json.loads(raw)
            entry["source-ref"] = f"s3://{BUCKET}/{_s3_key(entry['source-ref'])}"
            entry["anomaly-mask-ref"] = f"s3://{BUCKET}/{_s3_key(entry['anomaly-mask-ref'])}"
            lines.append(json.dumps(entry))
    return "\n".join(lines) + "\n"


def upload_cookies(s3: Any, cookies_dir: Path) -> None:
    s3.create_bucket(Bucket=BUCKET)
    for kind in ("normal", "anomaly"):
        for path in sorted((cookies_dir / "train" / kind).glob("*.jpg")):
            s3.upload_file(str(path), BUCKET, f"train/{kind}/{path.name}")
    for path in sorted((cookies_dir / "train" / "masks").glob("*.png")):
        s3.upload_file(str(path), BUCKET, f"masks/{path.name}")
    s3.upload_file(
        str(cookies_dir / "manifests" / "dummy_anomaly_mask.png"), BUCKET, "masks/dummy_anomaly_mask.png"
    )
    body = segmentation_manifest(cookies_dir).encode()
    s3.put_object(Bucket=BUCKET, Key="manifests/segmentation.manifest", Body=body)


def train_segmentation_model(lv: Any, s3: Any, cookies_dir: Path) -> tuple[str, float]:
    """(model version, training seconds) of the cookie segmentation model."""
    upload_cookies(s3, cookies_dir)
    lv.create_project(ProjectName=PROJECT)
    source = {
        "GroundTruthManifest": {"S3Object": {"Bucket": BUCKET, "Key": "manifests/segmentation.manifest"}}
    }
    lv.create_dataset(ProjectName=PROJECT, DatasetType="train", DatasetSource=source)
    status = wait_for(
        lambda: lv.describe_dataset(ProjectName=PROJECT, DatasetType="train")["DatasetDescription"]["Status"],
        "CREATE_IN_PROGRESS",
        TRAIN_TIMEOUT_S,
    )
    if status != "CREATE_COMPLETE":
        raise RuntimeError(f"dataset import ended {status}")
    started = time.monotonic()
    output = {"S3Location": {"Bucket": BUCKET, "Prefix": "model-output/"}}
    version = lv.create_model(ProjectName=PROJECT, OutputConfig=output)["ModelMetadata"]["ModelVersion"]
    model = describe_model(lv, version)
    status = wait_for(lambda: describe_model(lv, version)["Status"], "TRAINING", TRAIN_TIMEOUT_S)
    if status != "TRAINED":
        raise RuntimeError(f"training ended {status}: {describe_model(lv, version).get('StatusMessage')}")
    del model
    return version, time.monotonic() - started


def describe_model(lv: Any, version: str) -> dict[str, Any]:
    return lv.describe_model(ProjectName=PROJECT, ModelVersion=version)["ModelDescription"]  # type: ignore[no-any-return]


def host(lv: Any, version: str, units: int) -> None:
    """StartModel with Min = Max = ``units`` and wait for HOSTED."""
    lv.start_model(
        ProjectName=PROJECT, ModelVersion=version, MinInferenceUnits=units, MaxInferenceUnits=units
    )
    status = wait_for(lambda: describe_model(lv, version)["Status"], "STARTING_HOSTING", HOSTING_TIMEOUT_S)
    if status != "HOSTED":
        raise RuntimeError(f"StartModel ended {status}: {describe_model(lv, version).get('StatusMessage')}")


def unhost(lv: Any, version: str) -> None:
    lv.stop_model(ProjectName=PROJECT, ModelVersion=version)
    status = wait_for(lambda: describe_model(lv, version)["Status"], "STOPPING_HOSTING", HOSTING_TIMEOUT_S)
    if status != "TRAINED":
        raise RuntimeError(f"StopModel ended {status}")


def hosted_model_dir(server: BenchServer) -> Path:
    """The artefact folder the server downloaded for its inference units (one hosted model)."""
    folders = [path for path in (server.data_dir / "hosting").iterdir() if path.is_dir()]
    if len(folders) != 1:
        raise RuntimeError(f"expected one hosted model folder, found {folders}")
    return folders[0]
