"""Segmentation DetectAnomalies over real HTTP with the old clients (boto3 1.40.60, awscli 1.42.60).

One server of its own (it is restarted) and one cookie segmentation model, trained once
from ``train_segmentation.manifest`` with the crack masks (current boto3, as a user would
upload it). Then boto3 1.40.60 starts the model and detects, awscli 1.42.60 runs
``detect-anomalies --body FILE --content-type image/jpeg``, the server restarts with the
model hosted, and StopModel brings it back to TRAINED.
"""

from __future__ import annotations

import base64
import io
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from support.server import (
    ROOT_KEY,
    STARTED_SERVERS,
    ServerProcess,
    client_config,
    start_server,
    write_policy_file,
)

from .clients.connect import lookoutvision_client, s3_client
from .clients.cookie_flow import run_cookie_flow
from .conftest import DATASET_TIMEOUT_S, TRAIN_TIMEOUT_S
from .cookies import training_images
from .old_clients import AwsCli, old_client_env
from .paths import CLIENT_SCRIPTS, COOKIES_DIR, OLD_PYTHON, require_cookies, require_old_clients

pytestmark = pytest.mark.slow
PROJECT = "cookies-segmentation"
HOSTING_TIMEOUT_S = 180
CRACK = ("cracked", "#23A436")  # the manifest's internal-color-map
NORMAL = COOKIES_DIR / "test" / "normal" / "test-normal-3.jpg"  # the clear cases of test_hosting.py
ANOMALY = COOKIES_DIR / "test" / "anomaly" / "test-anomaly-1.jpg"

# Runs under boto3 1.40.60 (its own lookoutvision model): StartModel, wait, detect, bad requests.
OLD_BOTO3_SCRIPT = """
import base64, json, sys, time
from pathlib import Path

config = json.loads(Path(sys.argv[1]).read_text())
sys.path.insert(0, config["client_scripts"])
from connect import lookoutvision_client

lv = lookoutvision_client(config)
model = {"ProjectName": config["project"], "ModelVersion": "1"}
out = {"start": lv.start_model(MinInferenceUnits=1, **model)["Status"]}
deadline = time.monotonic() + config["hosting_timeout_s"]
while True:
    status = lv.describe_model(**model)["ModelDescription"]["Status"]
    if status != "STARTING_HOSTING" or time.monotonic() > deadline:
        break
    time.sleep(0.5)
out["status"] = status

def detect(path, content_type="image/jpeg"):
    body = Path(path).read_bytes()
    try:
        result = lv.detect_anomalies(Body=body, ContentType=content_type, **model)["DetectAnomalyResult"]
    except Exception as error:
        return {"error": error.response["Error"]}
    if "AnomalyMask" in result:
        result["AnomalyMask"] = base64.b64encode(result["AnomalyMask"]).decode()
    return result

out["anomaly"] = detect(config["anomaly"])
out["normal"] = detect(config["normal"])
out["small"] = detect(config["small"])
out["gif_type"] = detect(config["normal"], "image/gif")
out["jpeg_as_png"] = detect(config["normal"], "image/png")
print(json.dumps(out))
"""


def rewrite_ref(ref: str, bucket: str) -> str:
    """Upstream image and mask refs -> the keys this module uploads them under."""
    name = ref.rsplit("/", 1)[1]
    if name.endswith(".png"):
        return f"s3://{bucket}/masks/{name}"
    return f"s3://{bucket}/train/{'anomaly' if name.startswith('anomaly-') else 'normal'}/{name}"


def segmentation_plan(cookies_dir: Path, workdir: Path) -> dict[str, Any]:
    lines = []
    for raw in (cookies_dir / "manifests" / "train_segmentation.manifest").read_text().splitlines():
        if raw.strip():
            entry = json.loads(raw)
            entry["source-ref"] = rewrite_ref(entry["source-ref"], PROJECT)
            entry["anomaly-mask-ref"] = rewrite_ref(entry["anomaly-mask-ref"], PROJECT)
            lines.append(json.dumps(entry))
    manifest = workdir / "segmentation.manifest"
    manifest.write_text("\n".join(lines) + "\n")
    masks = sorted((cookies_dir / "train" / "masks").glob("*.png"))
    masks.append(cookies_dir / "manifests" / "dummy_anomaly_mask.png")
    images = [[str(path), key] for path, key in training_images(cookies_dir)]
    images += [[str(path), f"masks/{path.name}"] for path in masks]
    return {
        "project": PROJECT,
        "bucket": PROJECT,
        "images": images,
        "manifest_path": str(manifest),
        "manifest_key": "manifests/segmentation.manifest",
        "output_prefix": "model-output/",
        "tags": [{"Key": "team", "Value": "qa"}],
        "dataset_timeout_s": DATASET_TIMEOUT_S,
        "train_timeout_s": TRAIN_TIMEOUT_S,
    }


class Env:
    def __init__(self, server: ServerProcess, sdk_model_dir: Path, workdir: Path) -> None:
        self.sdk_model_dir, self.workdir = sdk_model_dir, workdir
        self.connect(server)

    def connect(self, server: ServerProcess) -> None:
        self.server = server
        self.config = client_config(server, self.sdk_model_dir)
        self.aws = AwsCli(self.config, self.workdir)

    def describe(self) -> dict[str, Any]:
        args = ("lookoutvision", "describe-model", "--project-name", PROJECT, "--model-version", "1")
        return self.aws.json(*args)["ModelDescription"]  # type: ignore[no-any-return]

    def wait_while(self, transient: str) -> dict[str, Any]:
        args = ("lookoutvision", "describe-model", "--project-name", PROJECT, "--model-version", "1")
        response = self.aws.poll(args, ("ModelDescription", "Status"), transient, HOSTING_TIMEOUT_S, 1.0)
        return response["ModelDescription"]  # type: ignore[no-any-return]

    def detect_args(self, path: Path, content_type: str = "image/jpeg") -> tuple[str, ...]:
        return (
            "lookoutvision",
            "detect-anomalies",
            "--project-name",
            PROJECT,
            "--model-version",
            "1",
            "--content-type",
            content_type,
            "--body",
            str(path),
        )

    def detect(self, path: Path) -> dict[str, Any]:
        return self.aws.json(*self.detect_args(path))["DetectAnomalyResult"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, sdk_model_dir: Path) -> Iterator[Env]:
    cookies_dir = require_cookies()
    require_old_clients()
    base = tmp_path_factory.mktemp("segmentation-detect")
    server = start_server(base, "segmentation")
    state = Env(server, sdk_model_dir, base)
    summary = run_cookie_flow(
        lookoutvision_client(state.config), s3_client(state.config), segmentation_plan(cookies_dir, base)
    )
    assert summary.get("step") == "done", summary
    metrics = json.loads(summary["evaluation_result"])["AggregatedEvaluationResults"]["Metrics"]
    assert [c["ClassName"] for c in metrics["PixelAnomalyClassMetrics"]] == [CRACK[0]], metrics
    yield state
    state.server.stop()


def _hex(rgb: np.ndarray) -> str:
    return "#{:02X}{:02X}{:02X}".format(*(int(v) for v in rgb))


def check_segmentation(result: dict[str, Any], image_path: Path) -> dict[str, float]:
    """The mask is a PNG of the input size in training colours and agrees with Anomalies; areas by name."""
    png = base64.b64decode(result["AnomalyMask"])
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(png)) as mask_image, Image.open(image_path) as source:
        assert mask_image.size == source.size
        mask = np.asarray(mask_image.convert("RGB"))
    pixels = mask.reshape(-1, 3)
    colours, counts = np.unique(pixels[pixels.any(axis=1)], axis=0, return_counts=True)
    painted = {_hex(colour): int(count) / len(pixels) for colour, count in zip(colours, counts, strict=True)}
    assert set(painted) <= {CRACK[1]}, painted

    anomalies = result["Anomalies"]
    assert anomalies[0]["Name"] == "background"
    assert anomalies[0]["PixelAnomaly"]["Color"] == "#FFFFFF"
    areas = {entry["Name"]: entry["PixelAnomaly"]["TotalPercentageArea"] for entry in anomalies}
    assert sum(areas.values()) == pytest.approx(1.0, abs=1e-3)
    for entry in anomalies[1:]:
        assert (entry["Name"], entry["PixelAnomaly"]["Color"]) == CRACK
        assert entry["PixelAnomaly"]["TotalPercentageArea"] == pytest.approx(painted[CRACK[1]], abs=1e-3)
    # Every painted colour is listed, and the background is what is left.
    assert len(anomalies) == 1 + len(painted)
    assert areas["background"] == pytest.approx(1.0 - sum(painted.values()), abs=1e-3)
    return areas


def test_detect_before_start_is_a_conflict(env: Env) -> None:
    stderr = env.aws.run_failing(*env.detect_args(ANOMALY))
    assert "ConflictException" in stderr


def test_start_and_detect_with_old_boto3(env: Env, tmp_path: Path) -> None:
    with Image.open(NORMAL) as image:
        image.resize((image.width // 2, image.height // 2)).save(tmp_path / "small.jpg", format="JPEG")
    config = {
        **env.config,
        "data_path": None,  # boto3 1.40.60 ships its own lookoutvision model
        "client_scripts": str(CLIENT_SCRIPTS),
        "project": PROJECT,
        "hosting_timeout_s": HOSTING_TIMEOUT_S,
        "anomaly": str(ANOMALY),
        "normal": str(NORMAL),
        "small": str(tmp_path / "small.jpg"),
    }
    (tmp_path / "config.json").write_text(json.dumps(config))
    (tmp_path / "detect.py").write_text(OLD_BOTO3_SCRIPT)
    done = subprocess.run(
        [str(OLD_PYTHON), str(tmp_path / "detect.py"), str(tmp_path / "config.json")],
        capture_output=True,
        text=True,
        timeout=HOSTING_TIMEOUT_S + 120,
        env=old_client_env(tmp_path),
    )
    assert done.returncode == 0, done.stderr[-4000:]
    out = json.loads(done.stdout)
    assert (out["start"], out["status"]) == ("STARTING_HOSTING", "HOSTED"), out

    anomaly = out["anomaly"]
    assert anomaly["IsAnomalous"] is True, anomaly
    assert check_segmentation(anomaly, ANOMALY).get(CRACK[0], 0.0) > 0.0
    normal = out["normal"]
    assert normal["IsAnomalous"] is False, normal
    check_segmentation(normal, NORMAL)

    assert out["small"]["error"]["Code"] == "ValidationException"
    assert "trained on" in out["small"]["error"]["Message"]
    assert out["gif_type"]["error"]["Code"] == "ValidationException"
    assert "ContentType" in out["gif_type"]["error"]["Message"]
    assert out["jpeg_as_png"]["error"]["Code"] == "ValidationException"
    assert "not a PNG" in out["jpeg_as_png"]["error"]["Message"]


def test_detect_with_old_awscli(env: Env) -> None:
    anomaly = env.detect(ANOMALY)
    assert anomaly["IsAnomalous"] is True, anomaly
    assert check_segmentation(anomaly, ANOMALY).get(CRACK[0], 0.0) > 0.0
    normal = env.detect(NORMAL)
    assert normal["IsAnomalous"] is False
    check_segmentation(normal, NORMAL)


def test_restart_keeps_the_model_hosted(env: Env) -> None:
    data_dir = env.server.data_dir
    env.server.stop()
    restarted = ServerProcess(
        data_dir=data_dir,
        access_key=ROOT_KEY[0],
        secret_key=ROOT_KEY[1],
        policy_file=write_policy_file(data_dir.parent / "segmentation-restart-policy.json"),
    )
    STARTED_SERVERS.append(restarted)
    restarted.start()
    env.connect(restarted)
    model = env.wait_while("STARTING_HOSTING")
    assert model["Status"] == "HOSTED", model
    assert env.detect(ANOMALY)["IsAnomalous"] is True


def test_stop_model_returns_to_trained(env: Env) -> None:
    stopped = env.aws.json("lookoutvision", "stop-model", "--project-name", PROJECT, "--model-version", "1")
    assert stopped["Status"] == "STOPPING_HOSTING"
    assert env.wait_while("STOPPING_HOSTING")["Status"] == "TRAINED"
    assert "ConflictException" in env.aws.run_failing(*env.detect_args(NORMAL))
