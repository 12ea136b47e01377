"""Rekognition Custom Labels end to end: a real server, real cookie images, real clients.

Current boto3 ships the ``rekognition`` model, so it needs no generated one; boto3 1.40.60
and awscli 1.42.60 run as subprocesses against the same server.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from .clients.connect import NO_RETRIES, session_for
from .cookies import training_images
from .old_clients import AwsCli, old_client_env
from .paths import OLD_PYTHON, require_cookies, require_old_clients

BUCKET = "cl-cookies"
PROJECT = "cl-cookies"
IMAGES_PER_CLASS = 15
DATASET_TIMEOUT_S = 180


def rekognition(config: dict[str, Any], role: str = "root") -> Any:
    return session_for({**config, "data_path": None}, role).client(
        "rekognition",
        endpoint_url=config["endpoint"],
        config=Config(retries=NO_RETRIES, connect_timeout=10, read_timeout=120),
    )


def classification_line(key: str, label: str) -> str:
    return json.dumps(
        {
            "source-ref": f"s3://{BUCKET}/{key}",
            "cookie": 1,
            "cookie-metadata": {
                "class-name": label,
                "confidence": 1,
                "type": "groundtruth/image-classification",
                "human-annotated": "yes",
                "creation-date": "2024-03-01T10:00:00.000Z",
                "job-name": "cookie-labels",
            },
        }
    )


def wait_dataset(client: Any, arn: str) -> dict[str, Any]:
    deadline = time.monotonic() + DATASET_TIMEOUT_S
    while True:
        description: dict[str, Any] = client.describe_dataset(DatasetArn=arn)["DatasetDescription"]
        if not description["Status"].endswith("IN_PROGRESS") or time.monotonic() > deadline:
            return description
        time.sleep(0.5)


@pytest.fixture(scope="module")
def cookie_dataset(config: dict[str, Any], s3: Any) -> dict[str, Any]:
    """A CL project whose TRAIN dataset holds 2 x 15 real cookie images, imported by a job."""
    cookies = require_cookies()
    s3.create_bucket(Bucket=BUCKET)
    chosen: dict[str, list[tuple[Path, str]]] = {"normal": [], "anomaly": []}
    for path, key in training_images(cookies):
        kind = key.split("/")[1]
        if len(chosen[kind]) < IMAGES_PER_CLASS:
            chosen[kind].append((path, key))
    lines = []
    for kind, pairs in chosen.items():
        for path, key in pairs:
            s3.put_object(Bucket=BUCKET, Key=key, Body=path.read_bytes())
            lines.append(classification_line(key, kind))
    s3.put_object(Bucket=BUCKET, Key="train.manifest", Body="\n".join(lines).encode() + b"\n")
    client = rekognition(config)
    project = client.create_project(ProjectName=PROJECT)["ProjectArn"]
    source = {"GroundTruthManifest": {"S3Object": {"Bucket": BUCKET, "Name": "train.manifest"}}}
    train = client.create_dataset(ProjectArn=project, DatasetType="TRAIN", DatasetSource=source)["DatasetArn"]
    return {
        "project": project,
        "train": train,
        "keys": [key for pairs in chosen.values() for _, key in pairs],
    }


def test_import_update_and_distribute(config: dict[str, Any], cookie_dataset: dict[str, Any]) -> None:
    client = rekognition(config)
    train = cookie_dataset["train"]
    description = wait_dataset(client, train)
    assert description["Status"] == "CREATE_COMPLETE", description
    assert description["DatasetStats"] == {
        "LabeledEntries": 30,
        "TotalEntries": 30,
        "TotalLabels": 2,
        "ErrorEntries": 0,
    }
    labels = client.list_dataset_labels(DatasetArn=train)["DatasetLabelDescriptions"]
    assert [(d["LabelName"], d["LabelStats"]["EntryCount"]) for d in labels] == [
        ("anomaly", 15),
        ("normal", 15),
    ]

    relabelled = cookie_dataset["keys"][0]
    changes = (
        classification_line(relabelled, "cracked") + "\n" + classification_line("train/gone.jpg", "normal")
    )
    client.update_dataset_entries(DatasetArn=train, Changes={"GroundTruth": changes.encode()})
    status = client.describe_dataset(DatasetArn=train)["DatasetDescription"]["Status"]
    assert status in ("UPDATE_IN_PROGRESS", "UPDATE_COMPLETE")
    description = wait_dataset(client, train)
    assert description["Status"] == "UPDATE_COMPLETE", description
    assert description["DatasetStats"]["TotalEntries"] == 31
    assert description["DatasetStats"]["ErrorEntries"] == 1
    broken = client.list_dataset_entries(DatasetArn=train, HasErrors=True)["DatasetEntries"]
    assert [e["code"] for e in json.loads(broken[0])["errors"]] == ["ERROR_INVALID_IMAGE"]
    cracked = client.list_dataset_entries(DatasetArn=train, ContainsLabels=["cracked"])["DatasetEntries"]
    assert [json.loads(e)["source-ref"] for e in cracked] == [f"s3://{BUCKET}/{relabelled}"]

    test = client.create_dataset(ProjectArn=cookie_dataset["project"], DatasetType="TEST")["DatasetArn"]
    client.distribute_dataset_entries(Datasets=[{"Arn": train}, {"Arn": test}])
    moved = client.describe_dataset(DatasetArn=test)["DatasetDescription"]["DatasetStats"]["TotalEntries"]
    left = client.describe_dataset(DatasetArn=train)["DatasetDescription"]["DatasetStats"]["TotalEntries"]
    assert (moved, left) == (6, 25)  # round(31 / 5) into TEST

    versions = client.describe_project_versions(ProjectArn=cookie_dataset["project"])
    assert versions["ProjectVersionDescriptions"] == []


def test_errors_on_the_wire(config: dict[str, Any], cookie_dataset: dict[str, Any]) -> None:
    client = rekognition(config)
    with pytest.raises(ClientError) as caught:
        client.detect_labels(Image={"S3Object": {"Bucket": BUCKET, "Name": cookie_dataset["keys"][0]}})
    assert caught.value.response["Error"]["Code"] == "UnknownOperationException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as caught:
        rekognition(config, "denied").describe_projects()
    assert caught.value.response["Error"]["Code"] == "AccessDeniedException"
    with pytest.raises(ClientError) as caught:
        client.create_dataset(ProjectArn=cookie_dataset["project"], DatasetType="TRAIN")
    assert caught.value.response["Error"]["Code"] == "ResourceAlreadyExistsException"


OLD_BOTO3_SCRIPT = """
import json, sys
import boto3
from botocore.config import Config
config = json.loads(sys.argv[1])
access_key, secret = config["keys"]["root"]
client = boto3.client("rekognition", endpoint_url=config["endpoint"], region_name=config["region"],
                      aws_access_key_id=access_key, aws_secret_access_key=secret,
                      config=Config(retries={"total_max_attempts": 1}))
projects = client.describe_projects(ProjectNames=[config["project"]])["ProjectDescriptions"]
dataset = client.describe_dataset(DatasetArn=projects[0]["Datasets"][-1]["DatasetArn"])["DatasetDescription"]
print(json.dumps({"arn": projects[0]["ProjectArn"], "status": dataset["Status"],
                  "created": dataset["CreationTimestamp"].isoformat()}))
"""


def test_old_boto3_and_awscli_read_the_project(
    config: dict[str, Any], cookie_dataset: dict[str, Any], tmp_path: Path
) -> None:
    require_old_clients()
    wait_dataset(rekognition(config), cookie_dataset["train"])
    arg = json.dumps({**config, "project": PROJECT})
    done = subprocess.run(
        [str(OLD_PYTHON), "-c", OLD_BOTO3_SCRIPT, arg],
        capture_output=True,
        text=True,
        timeout=120,
        env=old_client_env(tmp_path),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    answer = json.loads(done.stdout)
    assert answer["arn"] == cookie_dataset["project"]
    assert answer["status"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE")
    assert answer["created"].endswith("+00:00")
    cli = AwsCli(config, tmp_path)
    listed = cli.json("rekognition", "describe-projects", "--project-names", PROJECT)
    assert listed["ProjectDescriptions"][0]["ProjectArn"] == cookie_dataset["project"]
    error = cli.run_failing("rekognition", "describe-dataset", "--dataset-arn", cookie_dataset["project"])
    assert "InvalidParameterException" in error
