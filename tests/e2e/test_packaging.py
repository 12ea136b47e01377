"""Model packaging over real HTTP: the edge package, run in a fresh venv, answers like the server.

Uses the session's trained cookie model: StartModelPackagingJob → SUCCEEDED, the package
downloaded through the S3 API, unzipped into a folder, run with a venv that has only the
package's requirements.txt, and compared with DetectAnomalies on the 22 cookie test images.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .paths import COOKIES_DIR

pytestmark = pytest.mark.slow
BUCKET = "edge-packages"
COMPONENT = "cookies-edge-e2e"
PACKAGING_TIMEOUT_S = 300
HOSTING_TIMEOUT_S = 180


def configuration(**overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "TargetPlatform": {"Os": "LINUX", "Arch": "X86_64"},
        "S3OutputLocation": {"Bucket": BUCKET, "Prefix": "gg/"},
        "ComponentName": COMPONENT,
    }
    config.update(overrides)
    return {"Greengrass": config}


def wait_for(describe: Any, path: tuple[str, ...], transient: set[str], timeout_s: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        response = describe()
        status = response
        for part in path:
            status = status[part]
        if status not in transient or time.monotonic() > deadline:
            return response  # type: ignore[no-any-return]
        time.sleep(1.0)


def error_of(call: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as err:
        call()
    return err.value.response  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def packaged(
    lv: Any, s3: Any, trained_cookies: tuple[dict[str, Any], dict[str, Any]]
) -> tuple[str, str, dict[str, Any]]:
    """(project, model version, DescribeModelPackagingJob's description) of a finished job."""
    plan, summary = trained_cookies
    assert summary.get("step") == "done", summary
    project, version = plan["project"], summary["model"]["ModelVersion"]
    s3.create_bucket(Bucket=BUCKET)
    started = lv.start_model_packaging_job(
        ProjectName=project, ModelVersion=version, JobName="edge-e2e", Configuration=configuration()
    )
    assert started["JobName"] == "edge-e2e"
    described = wait_for(
        lambda: lv.describe_model_packaging_job(ProjectName=project, JobName="edge-e2e"),
        ("ModelPackagingDescription", "Status"),
        {"CREATED", "RUNNING"},
        PACKAGING_TIMEOUT_S,
    )["ModelPackagingDescription"]
    return project, version, described


@pytest.fixture(scope="module")
def package_dir(s3: Any, packaged: tuple[str, str, dict[str, Any]], tmp_path_factory: Any) -> Path:
    _, version, _ = packaged
    body = s3.get_object(Bucket=BUCKET, Key=f"gg/{COMPONENT}/{version}.0.0/package.zip")["Body"].read()
    folder = tmp_path_factory.mktemp("edge-package") / "package"
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        archive.extractall(folder)
    return folder


@pytest.fixture(scope="module")
def edge_python(package_dir: Path, tmp_path_factory: Any) -> Iterator[Path]:
    venv = tmp_path_factory.mktemp("edge-venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    requirements = str(package_dir / "requirements.txt")
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "-r", requirements],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if install.returncode != 0:
        pytest.skip(f"pip could not install the package requirements here: {install.stderr[-500:]}")
    yield python


@pytest.fixture(scope="module")
def server_answers(lv: Any, packaged: tuple[str, str, dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """DetectAnomalies for the 22 test images; the model is stopped again afterwards."""
    project, version, _ = packaged

    def describe() -> dict[str, Any]:
        return lv.describe_model(ProjectName=project, ModelVersion=version)  # type: ignore[no-any-return]

    lv.start_model(ProjectName=project, ModelVersion=version, MinInferenceUnits=1)
    status = wait_for(describe, ("ModelDescription", "Status"), {"STARTING_HOSTING"}, HOSTING_TIMEOUT_S)
    assert status["ModelDescription"]["Status"] == "HOSTED", status
    try:
        yield [
            lv.detect_anomalies(
                ProjectName=project, ModelVersion=version, Body=path.read_bytes(), ContentType="image/jpeg"
            )["DetectAnomalyResult"]
            for path in cookie_images()
        ]
    finally:
        lv.stop_model(ProjectName=project, ModelVersion=version)
        wait_for(describe, ("ModelDescription", "Status"), {"STOPPING_HOSTING"}, HOSTING_TIMEOUT_S)


def cookie_images() -> list[Path]:
    return sorted((COOKIES_DIR / "test").glob("*/*.jpg"))


def test_job_succeeds_with_greengrass_output_details(
    packaged: tuple[str, str, dict[str, Any]], lv: Any
) -> None:
    project, version, described = packaged
    assert (described["Status"], described["StatusMessage"]) == (
        "SUCCEEDED",
        "The model packaging job completed successfully.",
    )
    assert described["ModelPackagingMethod"] == "Greengrass"
    assert described["ModelPackagingConfiguration"]["Greengrass"]["ComponentVersion"] == f"{version}.0.0"
    output = described["ModelPackagingOutputDetails"]["Greengrass"]
    assert output["ComponentName"] == COMPONENT
    assert output["ComponentVersion"] == f"{version}.0.0"
    assert output["ComponentVersionArn"].endswith(f":components:{COMPONENT}:versions:{version}.0.0")
    assert output["ComponentVersionArn"].startswith("arn:aws:greengrass:")
    listed = lv.list_model_packaging_jobs(ProjectName=project)["ModelPackagingJobs"]
    assert {"JobName": "edge-e2e", "Status": "SUCCEEDED"}.items() <= next(
        j for j in listed if j["JobName"] == "edge-e2e"
    ).items()


def test_edge_package_in_a_fresh_venv_answers_like_the_server(
    edge_python: Path, package_dir: Path, server_answers: list[dict[str, Any]]
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    command = [str(edge_python), "-m", "openlookout_edge", "--model", str(package_dir)]
    done = subprocess.run(
        [*command, *map(str, cookie_images())],
        cwd=package_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    edge = [json.loads(line)["DetectAnomalyResult"] for line in done.stdout.splitlines()]
    assert len(edge) == len(server_answers) == 22
    for path, got, want in zip(cookie_images(), edge, server_answers, strict=True):
        assert got["IsAnomalous"] == want["IsAnomalous"], path.name
        assert got["Confidence"] == pytest.approx(want["Confidence"], abs=1e-4), path.name


def test_packaging_errors_over_http(lv: Any, packaged: tuple[str, str, dict[str, Any]]) -> None:
    project, version, _ = packaged
    taken = error_of(
        lambda: lv.start_model_packaging_job(
            ProjectName=project, ModelVersion=version, JobName="edge-e2e-2", Configuration=configuration()
        )
    )
    assert taken["Error"]["Code"] == "ConflictException"
    assert taken["ResourceType"] == "MODEL_PACKAGE_JOB"
    no_bucket = configuration(
        S3OutputLocation={"Bucket": "no-such-edge-bucket", "Prefix": ""}, ComponentVersion="98.0.0"
    )
    missing = error_of(
        lambda: lv.start_model_packaging_job(
            ProjectName=project, ModelVersion=version, Configuration=no_bucket
        )
    )
    assert missing["Error"]["Code"] == "ValidationException"
    assert "no-such-edge-bucket" in missing["Error"]["Message"]
    both = configuration(TargetDevice="jetson_xavier", ComponentVersion="99.0.0")
    twice = error_of(
        lambda: lv.start_model_packaging_job(ProjectName=project, ModelVersion=version, Configuration=both)
    )
    assert twice["Error"]["Code"] == "ValidationException"
    assert "exactly one of TargetDevice and TargetPlatform" in twice["Error"]["Message"]
    unknown = error_of(lambda: lv.describe_model_packaging_job(ProjectName=project, JobName="no-such-job"))
    assert unknown["Error"]["Code"] == "ResourceNotFoundException"
    assert unknown["ResourceType"] == "MODEL_PACKAGE_JOB"
