"""ClientToken (A.10): a retry runs once; the same token with other parameters is refused."""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .synthetic import upload_small_dataset

BUCKET = "idempotency"
TRAIN_TIMEOUT_S = 900


def test_create_project_retry_returns_the_first_answer(lv: Any) -> None:
    first = lv.create_project(ProjectName="idem-project", ClientToken="idem-project-token-1")
    again = lv.create_project(ProjectName="idem-project", ClientToken="idem-project-token-1")
    assert again["ProjectMetadata"]["ProjectArn"] == first["ProjectMetadata"]["ProjectArn"]
    names = [p["ProjectName"] for p in lv.list_projects(MaxResults=100)["Projects"]]
    assert names.count("idem-project") == 1


@pytest.mark.slow
def test_create_model_retry_trains_once(lv: Any, s3: Any) -> None:
    project = "idem-model"
    s3.create_bucket(Bucket=BUCKET)
    data = upload_small_dataset(s3, BUCKET, "images/", n_normal=20, n_anomaly=10)
    lv.create_project(ProjectName=project)
    source = {"GroundTruthManifest": {"S3Object": {"Bucket": BUCKET, "Key": data.manifest_key}}}
    lv.create_dataset(ProjectName=project, DatasetType="train", DatasetSource=source)
    assert (
        wait_status(
            lv.describe_dataset, {"ProjectName": project, "DatasetType": "train"}, "CREATE_IN_PROGRESS", 180
        )["DatasetDescription"]["Status"]
        == "CREATE_COMPLETE"
    )

    params = {
        "ProjectName": project,
        "OutputConfig": {"S3Location": {"Bucket": BUCKET, "Prefix": "out/"}},
        "Description": "first",
        "ClientToken": "idem-model-token-1",
    }
    first = lv.create_model(**params)["ModelMetadata"]
    retry = lv.create_model(**params)["ModelMetadata"]
    assert (
        (retry["ModelVersion"], retry["ModelArn"])
        == (first["ModelVersion"], first["ModelArn"])
        == (
            "1",
            f"arn:aws:lookoutvision:us-east-1:123456789012:model/{project}/1",
        )
    )
    with pytest.raises(ClientError) as caught:
        lv.create_model(**{**params, "Description": "second"})
    error = caught.value.response
    assert error["Error"]["Code"] in ("ValidationException", "ConflictException"), error["Error"]
    assert error["ResponseMetadata"]["HTTPStatusCode"] in (400, 409)
    assert [m["ModelVersion"] for m in lv.list_models(ProjectName=project)["Models"]] == ["1"]

    done = wait_status(
        lv.describe_model, {"ProjectName": project, "ModelVersion": "1"}, "TRAINING", TRAIN_TIMEOUT_S
    )
    final = done["ModelDescription"]["Status"]
    assert final in ("TRAINED", "TRAINING_FAILED"), done["ModelDescription"]
    # A retry after training must not start a second training or a second version.
    assert lv.create_model(**params)["ModelMetadata"]["ModelVersion"] == "1"
    assert lv.describe_model(ProjectName=project, ModelVersion="1")["ModelDescription"]["Status"] == final
    assert [m["ModelVersion"] for m in lv.list_models(ProjectName=project)["Models"]] == ["1"]


def wait_status(describe: Any, params: dict[str, Any], waiting: str, timeout_s: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        response = describe(**params)
        status = next(v for k, v in response.items() if k != "ResponseMetadata")["Status"]
        if status != waiting or time.monotonic() > deadline:
            return response
        time.sleep(2)
