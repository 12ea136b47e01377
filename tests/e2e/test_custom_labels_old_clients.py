"""Custom Labels through real HTTP with the pinned old clients (boto3 1.40.60, awscli 1.42.60)
and current boto3, on a server of this module whose policy file has a key of another account.

One small model is trained (generated 96 px images, two labels, 80/20 autosplit) by the old
boto3, then: its waiters, DetectCustomLabels, modelled errors (exact code and HTTP status);
awscli detects with ``--image-bytes fileb://``, copies the version, manages policies and tags,
stops and deletes; current boto3 starts the copy and queries it, and copies across accounts.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from support.server import REGION, ROOT_KEY, STARTED_SERVERS, ServerProcess

from .clients.connect import NO_RETRIES, s3_client, session_for
from .old_clients import AwsCli, old_client_env
from .paths import OLD_PYTHON, require_old_clients
from .synthetic import png

BUCKET = "cl-old-clients"
PROJECT = "cl-old-clients"
COPIES = "cl-old-copies"
PARTNER_ACCOUNT = "210987654321"
PARTNER_KEY = ("OLE2EPARTNERKEY00001", "e2e-partner-secret-0123456789abcdefghi")
PER_LABEL = 8
FAST_WAIT = {"Delay": 1, "MaxAttempts": 180}

# A server, one training and two hosted models: well over 20 s on 2 cores.
pytestmark = pytest.mark.slow

OLD_BOTO3_FLOW = r"""
import json, sys, time
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

config = json.load(open(sys.argv[1]))
key, secret = config["keys"]["root"]
rek = boto3.client("rekognition", endpoint_url=config["endpoint"], region_name=config["region"],
                   aws_access_key_id=key, aws_secret_access_key=secret,
                   config=Config(retries={"total_max_attempts": 1}, read_timeout=120))
fast = {"Delay": 1, "MaxAttempts": 180}
out = {"errors": {}}

def error(name, call, **kwargs):
    try:
        call(**kwargs)
    except ClientError as exc:
        out["errors"][name] = [exc.response["Error"]["Code"],
                               exc.response["ResponseMetadata"]["HTTPStatusCode"]]
    else:
        out["errors"][name] = ["no error", 200]

project = rek.create_project(ProjectName=config["project"])["ProjectArn"]
source = {"GroundTruthManifest": {"S3Object": {"Bucket": config["bucket"], "Name": config["manifest"]}}}
dataset = rek.create_dataset(ProjectArn=project, DatasetType="TRAIN", DatasetSource=source)["DatasetArn"]
deadline = time.monotonic() + 120
while rek.describe_dataset(DatasetArn=dataset)["DatasetDescription"]["Status"] == "CREATE_IN_PROGRESS":
    assert time.monotonic() < deadline
    time.sleep(0.5)
out["dataset"] = rek.describe_dataset(DatasetArn=dataset)["DatasetDescription"]
out["dataset"].pop("CreationTimestamp"); out["dataset"].pop("LastUpdatedTimestamp", None)
output = {"S3Bucket": config["bucket"], "S3KeyPrefix": "output/"}
version = rek.create_project_version(ProjectArn=project, VersionName="v1", OutputConfig=output,
                                     VersionDescription="old boto3", Tags={"client": "boto3-1.40"})
version = version["ProjectVersionArn"]
rek.get_waiter("project_version_training_completed").wait(
    ProjectArn=project, VersionNames=["v1"], WaiterConfig=fast)
described = rek.describe_project_versions(ProjectArn=project, VersionNames=["v1"])
described = described["ProjectVersionDescriptions"][0]
out["trained"] = {"status": described["Status"], "f1": described["EvaluationResult"]["F1Score"],
                  "auto_create": described["TestingDataResult"]["Input"]["AutoCreate"],
                  "end": described["TrainingEndTimestamp"].isoformat()}
error("detect_not_running", rek.detect_custom_labels, ProjectVersionArn=version,
      Image={"Bytes": open(config["query"], "rb").read()})
out["start"] = rek.start_project_version(ProjectVersionArn=version, MinInferenceUnits=1)["Status"]
rek.get_waiter("project_version_running").wait(ProjectArn=project, VersionNames=["v1"], WaiterConfig=fast)
query = open(config["query"], "rb").read()
found = rek.detect_custom_labels(ProjectVersionArn=version, Image={"Bytes": query}, MinConfidence=0)
out["detected"] = found["CustomLabels"]
error("duplicate_version", rek.create_project_version, ProjectArn=project, VersionName="v1",
      OutputConfig=output)
error("legacy_with_datasets", rek.create_project_version, ProjectArn=project, VersionName="v2",
      OutputConfig=output, TrainingData={"Assets": [source]}, TestingData={"AutoCreate": True})
error("unknown_kms_key", rek.create_project_version, ProjectArn=project, VersionName="v2",
      OutputConfig=output, KmsKeyId="alias/no-such-key")
error("delete_running", rek.delete_project_version, ProjectVersionArn=version)
error("missing_project", rek.describe_project_versions, ProjectArn=project.rsplit("/", 1)[0] + "9/1")
error("not_an_image", rek.detect_custom_labels, ProjectVersionArn=version, Image={"Bytes": b"not an image"})
error("malformed_policy", rek.put_project_policy, ProjectArn=project, PolicyName="p",
      PolicyDocument=json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*",
                                                 "Action": "rekognition:DetectLabels", "Resource": "*"}]}))
error("copy_missing_version", rek.copy_project_version, SourceProjectArn=project,
      SourceProjectVersionArn=version.rsplit("/", 1)[0] + "/1", DestinationProjectArn=project,
      VersionName="c", OutputConfig=output)
out["project"], out["version"] = project, version
print(json.dumps(out))
"""


def manifest_line(key: str, label: str) -> str:
    metadata = {
        "class-name": label,
        "confidence": 1,
        "type": "groundtruth/image-classification",
        "human-annotated": "yes",
        "creation-date": "2024-06-01T08:00:00.000Z",
        "job-name": "old-clients",
    }
    return json.dumps({"source-ref": f"s3://{BUCKET}/{key}", "surface": 1, "surface-metadata": metadata})


def rekognition(config: dict[str, Any], role: str = "root") -> Any:
    return session_for({**config, "data_path": None}, role).client(
        "rekognition",
        endpoint_url=config["endpoint"],
        config=Config(retries=NO_RETRIES, connect_timeout=10, read_timeout=120),
    )


def error_of(call: Any) -> tuple[str, int]:
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def wait_for(client: Any, project: str, name: str, passing: set[str], timeout_s: float = 120) -> str:
    deadline = time.monotonic() + timeout_s
    while True:
        described = client.describe_project_versions(ProjectArn=project, VersionNames=[name])
        status: str = described["ProjectVersionDescriptions"][0]["Status"]
        if status not in passing or time.monotonic() > deadline:
            return status
        time.sleep(0.3)


@pytest.fixture(scope="module")
def cl_config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A server of its own: the policy file gives the partner key another account."""
    require_old_clients()
    base = tmp_path_factory.mktemp("cl-old-clients")
    policy = base / "policy.json"
    partner = {
        "access_key_id": PARTNER_KEY[0],
        "secret_access_key": PARTNER_KEY[1],
        # The copy's OutputConfig is written with the partner's own S3 rights (docs/security.md).
        "allow": ["rekognition:*", "s3:PutObject"],
        "account": PARTNER_ACCOUNT,
    }
    policy.write_text(json.dumps({"keys": [partner]}))
    server = ServerProcess(base / "data", ROOT_KEY[0], ROOT_KEY[1], policy_file=policy)
    STARTED_SERVERS.append(server)
    try:
        server.start()
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)
    keys = {"root": list(ROOT_KEY), "partner": list(PARTNER_KEY)}
    yield {"endpoint": server.endpoint, "region": REGION, "keys": keys, "data_path": None, "base": str(base)}
    server.stop()


@pytest.fixture(scope="module")
def trained(cl_config: dict[str, Any]) -> dict[str, Any]:
    """Upload 2 x 8 images, then the old boto3 trains, starts and queries a model."""
    base = Path(cl_config["base"])
    s3 = s3_client(cl_config)
    s3.create_bucket(Bucket=BUCKET)
    lines = []
    for label, scratched in (("smooth", False), ("scratched", True)):
        for n in range(PER_LABEL):
            key = f"images/{label}-{n}.png"
            s3.put_object(Bucket=BUCKET, Key=key, Body=png(n + (500 if scratched else 0), scratched))
            lines.append(manifest_line(key, label))
    s3.put_object(Bucket=BUCKET, Key="train.manifest", Body=("\n".join(lines) + "\n").encode())
    query = base / "query.png"
    query.write_bytes(png(9001, anomaly=True))
    config_file = base / "old-boto3-flow.json"
    config_file.write_text(
        json.dumps(
            {
                **cl_config,
                "project": PROJECT,
                "bucket": BUCKET,
                "manifest": "train.manifest",
                "query": str(query),
            }
        )
    )
    done = subprocess.run(
        [str(OLD_PYTHON), "-c", OLD_BOTO3_FLOW, str(config_file)],
        capture_output=True,
        text=True,
        timeout=240,
        env=old_client_env(base),
    )
    assert done.returncode == 0, f"old boto3 flow failed:\n{done.stderr[-4000:]}"
    return {**json.loads(done.stdout), "query": query}


def test_old_boto3_trains_waits_detects_and_gets_modelled_errors(trained: dict[str, Any]) -> None:
    assert trained["dataset"]["Status"] == "CREATE_COMPLETE"
    assert trained["dataset"]["DatasetStats"]["LabeledEntries"] == 2 * PER_LABEL
    assert trained["trained"]["status"] == "TRAINING_COMPLETED"
    assert trained["trained"]["auto_create"] is True
    assert trained["trained"]["end"].endswith("+00:00")
    assert trained["start"] == "STARTING"
    labels = trained["detected"]
    assert sorted(label["Name"] for label in labels) == ["scratched", "smooth"]
    assert labels[0]["Name"] == "scratched"  # the query image has a scratch
    assert trained["errors"] == {
        "detect_not_running": ["ResourceNotReadyException", 400],
        "duplicate_version": ["ResourceInUseException", 400],
        "legacy_with_datasets": ["InvalidParameterException", 400],
        "unknown_kms_key": ["InvalidParameterException", 400],
        "delete_running": ["ResourceInUseException", 400],
        "missing_project": ["ResourceNotFoundException", 400],
        "not_an_image": ["InvalidImageFormatException", 400],
        "malformed_policy": ["MalformedPolicyDocumentException", 400],
        "copy_missing_version": ["ResourceNotFoundException", 400],
    }


def test_awscli_detects_copies_manages_policies_and_tags(
    cl_config: dict[str, Any], trained: dict[str, Any], tmp_path: Path
) -> None:
    cli = AwsCli(cl_config, tmp_path)
    project, version = trained["project"], trained["version"]
    found = cli.json(
        "rekognition",
        "detect-custom-labels",
        "--project-version-arn",
        version,
        "--image-bytes",
        f"fileb://{trained['query']}",
        "--min-confidence",
        "0",
    )
    assert sorted(label["Name"] for label in found["CustomLabels"]) == ["scratched", "smooth"]
    cli.run(
        "rekognition", "wait", "project-version-running", "--project-arn", project, "--version-names", "v1"
    )

    client = rekognition(cl_config)
    copies = cli.json("rekognition", "create-project", "--project-name", COPIES)["ProjectArn"]
    copied = cli.json(
        "rekognition",
        "copy-project-version",
        "--source-project-arn",
        project,
        "--source-project-version-arn",
        version,
        "--destination-project-arn",
        copies,
        "--version-name",
        "copy1",
        "--output-config",
        f"S3Bucket={BUCKET},S3KeyPrefix=copies/",
        "--tags",
        "origin=awscli",
    )["ProjectVersionArn"]
    assert wait_for(client, copies, "copy1", {"COPYING_IN_PROGRESS"}) == "COPYING_COMPLETED"
    described = client.describe_project_versions(ProjectArn=copies, VersionNames=["copy1"])
    copy_description = described["ProjectVersionDescriptions"][0]
    assert copy_description["SourceProjectVersionArn"] == version
    assert copy_description["EvaluationResult"]["F1Score"] == trained["trained"]["f1"]
    error = cli.run_failing(
        "rekognition",
        "copy-project-version",
        "--source-project-arn",
        project,
        "--source-project-version-arn",
        version,
        "--destination-project-arn",
        copies,
        "--version-name",
        "copy1",
        "--output-config",
        f"S3Bucket={BUCKET}",
    )
    assert "(ResourceInUseException)" in error

    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{PARTNER_ACCOUNT}:root"},
                    "Action": "rekognition:CopyProjectVersion",
                    "Resource": version,
                }
            ],
        }
    )
    revision = cli.json(
        "rekognition",
        "put-project-policy",
        "--project-arn",
        project,
        "--policy-name",
        "partner",
        "--policy-document",
        document,
    )["PolicyRevisionId"]
    listed = cli.json("rekognition", "list-project-policies", "--project-arn", project)["ProjectPolicies"]
    assert [(p["PolicyName"], p["PolicyRevisionId"]) for p in listed] == [("partner", revision)]
    stale = cli.run_failing(
        "rekognition",
        "delete-project-policy",
        "--project-arn",
        project,
        "--policy-name",
        "partner",
        "--policy-revision-id",
        "0" * 32,
    )
    assert "(InvalidPolicyRevisionIdException)" in stale

    # The partner account may copy now that the source project's policy allows it.
    partner = rekognition(cl_config, "partner")
    output = {"S3Bucket": BUCKET, "S3KeyPrefix": "partner/"}
    partner.copy_project_version(
        SourceProjectArn=project,
        SourceProjectVersionArn=version,
        DestinationProjectArn=copies,
        VersionName="partner-copy",
        OutputConfig=output,
    )
    assert wait_for(client, copies, "partner-copy", {"COPYING_IN_PROGRESS"}) == "COPYING_COMPLETED"
    cli.run(
        "rekognition",
        "delete-project-policy",
        "--project-arn",
        project,
        "--policy-name",
        "partner",
        "--policy-revision-id",
        revision,
    )
    denied = lambda: partner.copy_project_version(  # noqa: E731
        SourceProjectArn=project,
        SourceProjectVersionArn=version,
        DestinationProjectArn=copies,
        VersionName="partner-copy-2",
        OutputConfig=output,
    )
    assert error_of(denied) == ("AccessDeniedException", 400)

    cli.run("rekognition", "tag-resource", "--resource-arn", copied, "--tags", "stage=test")
    tags = cli.json("rekognition", "list-tags-for-resource", "--resource-arn", copied)["Tags"]
    assert tags == {"origin": "awscli", "stage": "test"}
    cli.run("rekognition", "untag-resource", "--resource-arn", copied, "--tag-keys", "origin")
    assert client.list_tags_for_resource(ResourceArn=copied)["Tags"] == {"stage": "test"}

    # The copy is a model of its own: current boto3 starts it and queries it.
    client.start_project_version(ProjectVersionArn=copied, MinInferenceUnits=1)
    client.get_waiter("project_version_running").wait(
        ProjectArn=copies, VersionNames=["copy1"], WaiterConfig=FAST_WAIT
    )
    answer = client.detect_custom_labels(
        ProjectVersionArn=copied, Image={"Bytes": trained["query"].read_bytes()}, MinConfidence=0
    )
    assert [label["Name"] for label in answer["CustomLabels"]] == [
        label["Name"] for label in trained["detected"]
    ]

    assert client.stop_project_version(ProjectVersionArn=copied)["Status"] == "STOPPING"
    stopped = cli.json("rekognition", "stop-project-version", "--project-version-arn", version)
    assert stopped["Status"] == "STOPPING"
    for proj, name in ((copies, "copy1"), (project, "v1")):
        assert wait_for(client, proj, name, {"STOPPING", "RUNNING"}) == "STOPPED"
    deleted = cli.json("rekognition", "delete-project-version", "--project-version-arn", version)
    assert deleted["Status"] == "DELETING"
    assert client.delete_project_version(ProjectVersionArn=copied)["Status"] == "DELETING"
    gone = cli.run_failing("rekognition", "delete-project-version", "--project-version-arn", version)
    assert "(ResourceNotFoundException)" in gone
