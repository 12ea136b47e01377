"""Custom Labels training and hosting end to end: a real server, current boto3's ``rekognition``
client, NEU-DET steel-surface images (3 defect classes) as image-level labels.

Flow: TRAIN + TEST datasets from manifests → CreateProjectVersion → the
``project_version_training_completed`` waiter → evaluation files in S3 → StartProjectVersion →
the ``project_version_running`` waiter → DetectCustomLabels (bytes and S3Object) →
StopProjectVersion → DeleteProjectVersion.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from .clients.connect import NO_RETRIES, session_for
from .paths import SHARED_DIR

NEU_DIR = SHARED_DIR / "datasets" / "neu-det" / "images"
CLASSES = ("crazing", "patches", "scratches")
TRAIN_PER_CLASS, TEST_PER_CLASS, QUERY_PER_CLASS = 12, 4, 2
BUCKET = "cl-neu-training"
PROJECT = "cl-neu-defects"
FAST_WAIT = {"Delay": 1, "MaxAttempts": 300}  # the AWS defaults poll every 120 s / 30 s


def rekognition(config: dict[str, Any]) -> Any:
    return session_for({**config, "data_path": None}, "root").client(
        "rekognition",
        endpoint_url=config["endpoint"],
        config=Config(retries=NO_RETRIES, connect_timeout=10, read_timeout=120),
    )


def neu_images() -> dict[str, list[Path]]:
    if not NEU_DIR.is_dir():
        pytest.skip(f"NEU-DET not found at {NEU_DIR} (shared/ must sit beside the repo)")
    needed = TRAIN_PER_CLASS + TEST_PER_CLASS + QUERY_PER_CLASS
    # Numeric order keeps the subset the same on every machine.
    return {
        c: sorted(NEU_DIR.joinpath(c).glob("*.jpg"), key=lambda p: int(p.stem.rsplit("_", 1)[1]))[:needed]
        for c in CLASSES
    }


def manifest_line(key: str, label: str) -> str:
    metadata = {
        "class-name": label,
        "confidence": 1,
        "type": "groundtruth/image-classification",
        "human-annotated": "yes",
        "creation-date": "2024-05-01T12:00:00.000Z",
        "job-name": "neu-labels",
    }
    return json.dumps({"source-ref": f"s3://{BUCKET}/{key}", "defect": 1, "defect-metadata": metadata})


def wait_dataset(client: Any, arn: str) -> str:
    deadline = time.monotonic() + 180
    while True:
        status: str = client.describe_dataset(DatasetArn=arn)["DatasetDescription"]["Status"]
        if not status.endswith("IN_PROGRESS") or time.monotonic() > deadline:
            return status
        time.sleep(0.5)


def error_code(call: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    code: str = caught.value.response["Error"]["Code"]
    return code


@pytest.mark.slow
def test_train_host_detect_delete(config: dict[str, Any], s3: Any) -> None:
    images = neu_images()
    client = rekognition(config)
    s3.create_bucket(Bucket=BUCKET)
    manifests: dict[str, list[str]] = {"train": [], "test": []}
    queries: list[tuple[str, bytes]] = []
    for label, paths in images.items():
        for n, path in enumerate(paths):
            split = (
                "train" if n < TRAIN_PER_CLASS else "test" if n < TRAIN_PER_CLASS + TEST_PER_CLASS else None
            )
            if split is None:
                queries.append((label, path.read_bytes()))
                continue
            key = f"{split}/{path.name}"
            s3.put_object(Bucket=BUCKET, Key=key, Body=path.read_bytes())
            manifests[split].append(manifest_line(key, label))
    project = client.create_project(ProjectName=PROJECT)["ProjectArn"]
    for split, lines in manifests.items():
        s3.put_object(Bucket=BUCKET, Key=f"{split}.manifest", Body=("\n".join(lines) + "\n").encode())
        source = {"GroundTruthManifest": {"S3Object": {"Bucket": BUCKET, "Name": f"{split}.manifest"}}}
        arn = client.create_dataset(ProjectArn=project, DatasetType=split.upper(), DatasetSource=source)
        assert wait_dataset(client, arn["DatasetArn"]) == "CREATE_COMPLETE"

    started = time.monotonic()
    version = client.create_project_version(
        ProjectArn=project,
        VersionName="v1",
        OutputConfig={"S3Bucket": BUCKET, "S3KeyPrefix": "output/"},
        VersionDescription="three NEU defect classes",
        Tags={"data": "neu-det"},
    )["ProjectVersionArn"]
    assert version.split(":")[5].split("/")[3] == "v1"  # how the AWS demo app parses it
    client.get_waiter("project_version_training_completed").wait(
        ProjectArn=project, VersionNames=["v1"], WaiterConfig=FAST_WAIT
    )
    train_seconds = time.monotonic() - started
    described = client.describe_project_versions(ProjectArn=project, VersionNames=["v1"])
    description = described["ProjectVersionDescriptions"][0]
    assert description["Status"] == "TRAINING_COMPLETED"
    assert description["VersionDescription"] == "three NEU defect classes"
    assert description["BillableTrainingTimeInSeconds"] >= 1
    assert client.list_tags_for_resource(ResourceArn=version)["Tags"] == {"data": "neu-det"}
    summary_object = description["EvaluationResult"]["Summary"]["S3Object"]
    assert summary_object["Name"] == f"output/EvaluationResultSummary-{PROJECT}-v1.json"
    summary = json.loads(
        s3.get_object(Bucket=summary_object["Bucket"], Key=summary_object["Name"])["Body"].read()
    )
    cells = summary["AggregatedEvaluationResults"]["ConfusionMatrix"]
    correct = sum(c["Value"] for c in cells if c["GroundTruthLabel"] == c["PredictedLabel"])
    accuracy = correct / sum(c["Value"] for c in cells)
    f1 = description["EvaluationResult"]["F1Score"]
    print(
        f"NEU-DET 3 classes: trained and evaluated in {train_seconds:.1f} s, "
        f"test accuracy {accuracy:.3f}, macro F1 {f1:.3f}"
    )
    assert accuracy >= 0.8 and f1 >= 0.75
    manifest_summary = description["ManifestSummary"]["S3Object"]
    assert s3.head_object(Bucket=manifest_summary["Bucket"], Key=manifest_summary["Name"])

    assert (
        error_code(
            lambda: client.detect_custom_labels(ProjectVersionArn=version, Image={"Bytes": queries[0][1]})
        )
        == "ResourceNotReadyException"
    )
    assert (
        client.start_project_version(ProjectVersionArn=version, MinInferenceUnits=1)["Status"] == "STARTING"
    )
    client.get_waiter("project_version_running").wait(
        ProjectArn=project, VersionNames=["v1"], WaiterConfig=FAST_WAIT
    )
    assert (
        error_code(lambda: client.delete_project_version(ProjectVersionArn=version))
        == "ResourceInUseException"
    )

    right = 0
    for label, data in queries:
        found = client.detect_custom_labels(ProjectVersionArn=version, Image={"Bytes": data}, MinConfidence=0)
        labels = found["CustomLabels"]
        assert sorted(item["Name"] for item in labels) == sorted(CLASSES)
        assert [item["Confidence"] for item in labels] == sorted(
            (item["Confidence"] for item in labels), reverse=True
        )
        right += labels[0]["Name"] == label
    assert right >= len(queries) - 1
    top = client.detect_custom_labels(
        ProjectVersionArn=version,
        Image={"S3Object": {"Bucket": BUCKET, "Name": "test/" + images["scratches"][TRAIN_PER_CLASS].name}},
        MaxResults=1,
    )["CustomLabels"]
    assert len(top) <= 1 and all(0 <= item["Confidence"] <= 100 for item in top)
    assert (
        error_code(
            lambda: client.detect_custom_labels(
                ProjectVersionArn=version, Image={"S3Object": {"Bucket": BUCKET, "Name": "nope.jpg"}}
            )
        )
        == "InvalidS3ObjectException"
    )

    assert client.stop_project_version(ProjectVersionArn=version)["Status"] == "STOPPING"
    deadline = time.monotonic() + 60
    while (
        client.describe_project_versions(ProjectArn=project)["ProjectVersionDescriptions"][0]["Status"]
        == "STOPPING"
    ):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert (
        client.describe_project_versions(ProjectArn=project)["ProjectVersionDescriptions"][0]["Status"]
        == "STOPPED"
    )
    assert client.delete_project_version(ProjectVersionArn=version)["Status"] == "DELETING"
    assert client.describe_project_versions(ProjectArn=project)["ProjectVersionDescriptions"] == []
    assert client.delete_project(ProjectArn=project)["Status"] == "DELETING"
