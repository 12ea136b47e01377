"""DetectAnomalies over HTTP with a JPEG whose header is valid but whose data is cut short.

The server checks only the header and queues the bytes; the inference unit's decode fails,
and that must reach the client as the same ValidationException a server-side decode gave,
while the unit goes on answering. Uses the session's trained cookie model (conftest).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .paths import COOKIES_DIR

pytestmark = pytest.mark.slow
HOSTING_TIMEOUT_S = 180
NORMAL = COOKIES_DIR / "test" / "normal" / "test-normal-3.jpg"


def wait_status(lv: Any, project: str, version: str, transient: str) -> str:
    deadline = time.monotonic() + HOSTING_TIMEOUT_S
    while True:
        status = lv.describe_model(ProjectName=project, ModelVersion=version)["ModelDescription"]["Status"]
        if status != transient or time.monotonic() > deadline:
            return str(status)
        time.sleep(0.5)


@pytest.fixture(scope="module")
def hosted(lv: Any, trained_cookies: tuple[dict[str, Any], dict[str, Any]]) -> Iterator[dict[str, str]]:
    """ProjectName/ModelVersion of the session's cookie model, hosted for this module only."""
    plan, summary = trained_cookies
    assert summary.get("step") == "done", summary
    model = {"ProjectName": plan["project"], "ModelVersion": summary["model"]["ModelVersion"]}
    lv.start_model(MinInferenceUnits=1, **model)
    try:
        assert wait_status(lv, *model.values(), "STARTING_HOSTING") == "HOSTED"
        yield model
    finally:
        lv.stop_model(**model)
        assert wait_status(lv, *model.values(), "STOPPING_HOSTING") == "TRAINED"


def test_truncated_jpeg_is_a_validation_error_and_the_unit_keeps_answering(
    lv: Any, hosted: dict[str, str]
) -> None:
    body = NORMAL.read_bytes()
    with pytest.raises(ClientError) as refused:
        lv.detect_anomalies(Body=body[: len(body) // 2], ContentType="image/jpeg", **hosted)
    error = refused.value.response
    assert error["Error"]["Code"] == "ValidationException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Message"].startswith("The image could not be decoded: ")
    answer = lv.detect_anomalies(Body=body, ContentType="image/jpeg", **hosted)["DetectAnomalyResult"]
    assert answer["IsAnomalous"] is False
