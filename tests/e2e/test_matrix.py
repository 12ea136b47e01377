"""Every operation's success and error cases (matrix.py) with current and old boto3.

The current client runs the steps in-process through the generated service
model; boto3 1.40.60 runs the very same steps in a subprocess. Each step is
reported as its own test so a failure names the operation and the case.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

from support.server import ACCOUNT_ID, REGION

from . import matrix
from .clients.connect import clients_by_role
from .old_clients import run_old_boto3_script
from .paths import require_cookies, require_old_clients
from .synthetic import manifest_line, png, upload_small_dataset

BUCKET = "matrix-data"


@pytest.fixture(scope="session")
def matrix_context(s3: Any, trained_cookies: tuple[dict[str, Any], dict[str, Any]]) -> dict[str, Any]:
    """Everything the steps refer to, shared by both runs (each run uses its own names)."""
    plan, summary = trained_cookies
    cookie_test_image = require_cookies() / "test" / "anomaly" / "test-anomaly-1.jpg"
    model = summary.get("model", {})
    s3.create_bucket(Bucket=BUCKET)
    data = upload_small_dataset(s3, BUCKET, "small/", n_normal=20, n_anomaly=10)
    s3.put_object(Bucket=BUCKET, Key="small/extra-normal.png", Body=png(7777))
    changes = manifest_line(BUCKET, "small/extra-normal.png", anomaly=False) + "\n"
    return {
        "region": REGION,
        "account": ACCOUNT_ID,
        "bucket": BUCKET,
        "manifest_key": data.manifest_key,
        "n_total": data.n_total,
        "n_normal": data.n_normal,
        "n_anomaly": data.n_anomaly,
        "changes_b64": base64.b64encode(changes.encode()).decode(),
        "png_b64": base64.b64encode(png(1)).decode(),
        "cookie_jpeg_b64": base64.b64encode(cookie_test_image.read_bytes()).decode(),
        "trained_project": plan["project"],
        "trained_version": model.get("ModelVersion", "1"),
        "trained_arn": model.get(
            "ModelArn", f"arn:aws:lookoutvision:{REGION}:{ACCOUNT_ID}:model/{plan['project']}/1"
        ),
    }


@pytest.fixture(scope="session")
def current_outcomes(config: dict[str, Any], matrix_context: dict[str, Any]) -> dict[str, str | None]:
    return matrix.run_steps(clients_by_role(config), {**matrix_context, "run": "mxcur"})


@pytest.fixture(scope="session")
def old_outcomes(
    config: dict[str, Any], matrix_context: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str | None]:
    require_old_clients()
    workdir = tmp_path_factory.mktemp("matrix-old")
    return run_old_boto3_script(
        "run_matrix.py", {**config, "ctx": {**matrix_context, "run": "mxold"}}, workdir, 1800
    )


def test_matrix_covers_every_operation() -> None:
    """At least one success and one error case per operation."""
    by_op: dict[str, set[str]] = {}
    for step in matrix.STEPS:
        if isinstance(step, matrix.Call):
            operation = "".join(part.title() for part in step.op.split("_"))
            by_op.setdefault(operation, set()).add(type(step.expect).__name__)
    assert sorted(by_op) == sorted(matrix.OPERATIONS)
    for operation, kinds in by_op.items():
        assert "Err" in kinds, operation
        assert "Ok" in kinds, operation
    assert len(matrix.STEP_IDS) == len(set(matrix.STEP_IDS)), "duplicate step ids"


@pytest.mark.slow
@pytest.mark.parametrize("step_id", matrix.STEP_IDS)
def test_current_boto3(step_id: str, current_outcomes: dict[str, str | None]) -> None:
    if current_outcomes[step_id] is not None:
        pytest.fail(current_outcomes[step_id], pytrace=False)


@pytest.mark.slow
@pytest.mark.parametrize("step_id", matrix.STEP_IDS)
def test_old_boto3(step_id: str, old_outcomes: dict[str, str | None]) -> None:
    if old_outcomes[step_id] is not None:
        pytest.fail(old_outcomes[step_id], pytrace=False)
