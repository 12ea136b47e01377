"""Model hosting over real HTTP: StartModel, DetectAnomalies, StopModel, restart (current and old clients).

One server of its own (it is restarted), one cookie model trained for the module.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
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
from .conftest import cookie_plan
from .old_clients import AwsCli
from .paths import COOKIES_DIR, require_cookies, require_old_clients

pytestmark = pytest.mark.slow
PROJECT = "cookies-hosting"
HOSTING_TIMEOUT_S = 180
NORMAL = (
    COOKIES_DIR / "test" / "normal" / "test-normal-3.jpg"
)  # the clearest normal; test-normal-1 is a known miss
ANOMALY = COOKIES_DIR / "test" / "anomaly" / "test-anomaly-1.jpg"


def error_code(error: ClientError) -> str:
    return str(error.response["Error"]["Code"])


def wait_status(lv: Any, transient: str) -> dict[str, Any]:
    deadline = time.monotonic() + HOSTING_TIMEOUT_S
    while True:
        model = lv.describe_model(ProjectName=PROJECT, ModelVersion="1")["ModelDescription"]
        if model["Status"] != transient or time.monotonic() > deadline:
            return model  # type: ignore[no-any-return]
        time.sleep(0.5)


def detect(
    lv: Any, path: Path, content_type: str = "image/jpeg", body: bytes | None = None
) -> dict[str, Any]:
    data = path.read_bytes() if body is None else body
    result = lv.detect_anomalies(ProjectName=PROJECT, ModelVersion="1", Body=data, ContentType=content_type)
    return result["DetectAnomalyResult"]  # type: ignore[no-any-return]


class Env:
    def __init__(self, server: ServerProcess, sdk_model_dir: Path) -> None:
        self.sdk_model_dir = sdk_model_dir
        self.connect(server)

    def connect(self, server: ServerProcess) -> None:
        self.server = server
        self.config = client_config(server, self.sdk_model_dir)
        self.lv = lookoutvision_client(self.config)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, sdk_model_dir: Path) -> Iterator[Env]:
    require_cookies()
    base = tmp_path_factory.mktemp("hosting")
    state = Env(start_server(base, "hosting"), sdk_model_dir)
    plan = cookie_plan(COOKIES_DIR, base, PROJECT, PROJECT)
    summary = run_cookie_flow(state.lv, s3_client(state.config), plan)
    assert summary.get("step") == "done", summary
    yield state
    state.server.stop()


def test_not_hosted_and_bad_units_are_refused(env: Env) -> None:
    with pytest.raises(ClientError) as err:
        detect(env.lv, NORMAL)
    assert error_code(err.value) == "ConflictException"
    with pytest.raises(ClientError) as err:
        env.lv.stop_model(ProjectName=PROJECT, ModelVersion="1")
    assert error_code(err.value) == "ConflictException"
    with pytest.raises(ClientError) as err:
        env.lv.start_model(ProjectName=PROJECT, ModelVersion="1", MinInferenceUnits=2, MaxInferenceUnits=1)
    assert error_code(err.value) == "ValidationException"


def test_start_model_hosts_and_guards_the_model(env: Env) -> None:
    started = env.lv.start_model(
        ProjectName=PROJECT, ModelVersion="1", MinInferenceUnits=1, MaxInferenceUnits=2
    )
    assert started["Status"] == "STARTING_HOSTING"
    model = wait_status(env.lv, "STARTING_HOSTING")
    assert model["Status"] == "HOSTED", model
    assert (model["MinInferenceUnits"], model["MaxInferenceUnits"]) == (1, 2)
    for call in (
        lambda: env.lv.start_model(ProjectName=PROJECT, ModelVersion="1", MinInferenceUnits=1),
        lambda: env.lv.delete_model(ProjectName=PROJECT, ModelVersion="1"),
    ):
        with pytest.raises(ClientError) as err:
            call()
        assert error_code(err.value) == "ConflictException"


def test_detect_anomalies_with_current_boto3(env: Env) -> None:
    normal = detect(env.lv, NORMAL)
    assert normal["Source"] == {"Type": "direct"}
    assert normal["IsAnomalous"] is False and 0.0 <= normal["Confidence"] <= 1.0
    assert "AnomalyMask" not in normal and "Anomalies" not in normal
    assert detect(env.lv, ANOMALY)["IsAnomalous"] is True
    started = time.perf_counter()
    detect(env.lv, NORMAL)
    print(f"DetectAnomalies over HTTP: {1000 * (time.perf_counter() - started):.0f} ms")


def test_detect_anomalies_rejects_bad_images(env: Env) -> None:
    with Image.open(NORMAL) as image:
        small = io.BytesIO()
        image.resize((image.width // 2, image.height // 2)).save(small, format="JPEG")
        png = io.BytesIO()
        image.save(png, format="PNG")
    cases = [
        (small.getvalue(), "image/jpeg", "trained on"),
        (NORMAL.read_bytes(), "image/gif", "ContentType"),
        (png.getvalue(), "image/jpeg", "not a JPEG"),
    ]
    for body, content_type, message in cases:
        with pytest.raises(ClientError) as err:
            detect(env.lv, NORMAL, content_type, body)
        assert error_code(err.value) == "ValidationException"
        assert message in err.value.response["Error"]["Message"]
    # The same image as PNG is fine: the content type matches the bytes and the size is right.
    assert detect(env.lv, NORMAL, "image/png", png.getvalue())["IsAnomalous"] is False


def test_detect_anomalies_with_old_awscli(env: Env, tmp_path: Path) -> None:
    require_old_clients()
    aws = AwsCli(env.config, tmp_path)
    for path, expected in [(NORMAL, False), (ANOMALY, True)]:
        result = aws.json(
            "lookoutvision",
            "detect-anomalies",
            "--project-name",
            PROJECT,
            "--model-version",
            "1",
            "--content-type",
            "image/jpeg",
            "--body",
            str(path),
        )["DetectAnomalyResult"]
        assert result["IsAnomalous"] is expected, result


def test_restart_hosts_the_model_again(env: Env) -> None:
    data_dir = env.server.data_dir
    env.server.stop()
    restarted = ServerProcess(
        data_dir=data_dir,
        access_key=ROOT_KEY[0],
        secret_key=ROOT_KEY[1],
        policy_file=write_policy_file(data_dir.parent / "hosting-restart-policy.json"),
    )
    STARTED_SERVERS.append(restarted)
    restarted.start()
    env.connect(restarted)
    model = wait_status(env.lv, "STARTING_HOSTING")
    assert model["Status"] == "HOSTED", model
    assert detect(env.lv, ANOMALY)["IsAnomalous"] is True


def test_stop_model_returns_to_trained(env: Env) -> None:
    assert env.lv.stop_model(ProjectName=PROJECT, ModelVersion="1")["Status"] == "STOPPING_HOSTING"
    model = wait_status(env.lv, "STOPPING_HOSTING")
    assert model["Status"] == "TRAINED", model
    with pytest.raises(ClientError) as err:
        detect(env.lv, NORMAL)
    assert error_code(err.value) == "ConflictException"
