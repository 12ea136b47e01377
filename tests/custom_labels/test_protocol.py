"""Current boto3's ``rekognition`` client against the real JSON 1.1 handler and facade.

botocore's ``before-send`` hook hands each signed request to ``handle_rekognition`` through
an in-memory ASGI scope, so SigV4, target resolution, permissions, parsing, validation,
the service, error mapping and serialisation all run as in production (no server).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import boto3
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse, HeadersDict
from botocore.config import Config
from botocore.exceptions import ClientError
from starlette.requests import Request

from openlookout.api.auth import AccessKey, Authenticator, CredentialStore
from openlookout.api.context import AppContext
from openlookout.api.rekognition import handle_rekognition
from openlookout.blobs.local import LocalBlobStore
from openlookout.config import Settings
from openlookout.service.custom_labels.facade import CustomLabelsService

from .conftest import classification_line, put_images, put_manifest

ROOT = AccessKey("AKIAROOTROOTROOT0001", "root-secret-0123456789")
READER = AccessKey("AKIAREADERREADER0002", "reader-secret-0123456", allow=("rekognition:Describe*",))
REGION = "us-east-1"
ENDPOINT = "http://127.0.0.1:1"


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


def _run_handler(request: AWSPreparedRequest, ctx: AppContext) -> AWSResponse:
    url = urlsplit(request.url)
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode()
    headers = [
        (k.lower().encode("latin-1"), v if isinstance(v, bytes) else v.encode("latin-1"))
        for k, v in request.headers.items()
    ]
    if not any(name == b"host" for name, _ in headers):
        headers.append((b"host", url.netloc.encode()))
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": request.method,
        "scheme": "http",
        "path": unquote(url.path),
        "raw_path": url.path.encode(),
        "query_string": url.query.encode(),
        "headers": headers,
        "server": ("127.0.0.1", 1),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    response = asyncio.run(handle_rekognition(Request(scope, receive), ctx))
    return AWSResponse(request.url, response.status_code, HeadersDict(response.headers), _Body(response.body))


@pytest.fixture
def ctx(settings: Settings, blobs: LocalBlobStore, service: CustomLabelsService) -> AppContext:
    authenticator = Authenticator(CredentialStore(ROOT, [READER]), REGION)
    return AppContext(
        settings=settings,
        authenticator=authenticator,
        blobs=blobs,
        lookoutvision=None,  # type: ignore[arg-type]
        rekognition=service,
    )


@pytest.fixture(autouse=True)
def _no_local_aws_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_REKOGNITION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))


def _client(ctx: AppContext, key: AccessKey = ROOT, service: str = "rekognition") -> Any:
    session = boto3.session.Session(
        aws_access_key_id=key.access_key_id, aws_secret_access_key=key.secret_access_key, region_name=REGION
    )
    client = session.client(service, endpoint_url=ENDPOINT, config=Config(retries={"total_max_attempts": 1}))
    client.meta.events.register(f"before-send.{service}", lambda request, **_: _run_handler(request, ctx))
    return client


def _error(call: Callable[[], Any]) -> ClientError:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value


def _code(error: ClientError) -> tuple[str, int]:
    return error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"]


def test_project_dataset_policy_and_tag_flow(ctx: AppContext, blobs: LocalBlobStore) -> None:
    client = _client(ctx)
    project = client.create_project(ProjectName="flowers", Tags={"team": "vision"})["ProjectArn"]
    assert client.list_tags_for_resource(ResourceArn=project)["Tags"] == {"team": "vision"}
    names = [f"f{i}.png" for i in range(10)]
    put_images(blobs, names)
    source = put_manifest(
        blobs, "train.manifest", [classification_line(n, "ab"[i % 2]) for i, n in enumerate(names)]
    )
    train = client.create_dataset(ProjectArn=project, DatasetType="TRAIN", DatasetSource=source)["DatasetArn"]
    description = client.describe_dataset(DatasetArn=train)["DatasetDescription"]
    assert description["Status"] == "CREATE_COMPLETE"
    assert description["DatasetStats"]["TotalEntries"] == 10
    assert description["CreationTimestamp"].tzinfo is not None
    projects = client.describe_projects()["ProjectDescriptions"]
    assert projects[0]["Datasets"][0]["DatasetArn"] == train
    entries = client.list_dataset_entries(DatasetArn=train, ContainsLabels=["a"])["DatasetEntries"]
    assert len(entries) == 5 and all(json.loads(e)["cls-metadata"]["class-name"] == "a" for e in entries)
    labels = client.list_dataset_labels(DatasetArn=train)["DatasetLabelDescriptions"]
    assert [label["LabelName"] for label in labels] == ["a", "b"]
    client.update_dataset_entries(
        DatasetArn=train, Changes={"GroundTruth": json.dumps(classification_line("f0.png", "c")).encode()}
    )
    assert client.describe_dataset(DatasetArn=train)["DatasetDescription"]["Status"] == "UPDATE_COMPLETE"
    test = client.create_dataset(ProjectArn=project, DatasetType="TEST", Tags={"split": "test"})["DatasetArn"]
    assert client.list_tags_for_resource(ResourceArn=test)["Tags"] == {"split": "test"}
    client.distribute_dataset_entries(Datasets=[{"Arn": train}, {"Arn": test}])
    assert client.describe_dataset(DatasetArn=test)["DatasetDescription"]["DatasetStats"]["TotalEntries"] == 2

    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                    "Action": "rekognition:CopyProjectVersion",
                    "Resource": "*",
                }
            ],
        }
    )
    revision = client.put_project_policy(ProjectArn=project, PolicyName="share", PolicyDocument=policy)[
        "PolicyRevisionId"
    ]
    assert _code(
        _error(
            lambda: client.put_project_policy(ProjectArn=project, PolicyName="share", PolicyDocument=policy)
        )
    ) == (
        "ResourceAlreadyExistsException",
        400,
    )
    wrong = "0" * 32
    assert (
        _code(
            _error(
                lambda: client.put_project_policy(
                    ProjectArn=project, PolicyName="share", PolicyDocument=policy, PolicyRevisionId=wrong
                )
            )
        )[0]
        == "InvalidPolicyRevisionIdException"
    )
    newer = client.put_project_policy(
        ProjectArn=project, PolicyName="share", PolicyDocument=policy, PolicyRevisionId=revision
    )["PolicyRevisionId"]
    assert newer != revision
    listed = client.list_project_policies(ProjectArn=project)["ProjectPolicies"]
    assert [(p["PolicyName"], p["PolicyRevisionId"]) for p in listed] == [("share", newer)]
    bad = policy.replace("rekognition:CopyProjectVersion", "rekognition:DetectLabels")
    assert (
        _code(
            _error(lambda: client.put_project_policy(ProjectArn=project, PolicyName="p2", PolicyDocument=bad))
        )[0]
        == "MalformedPolicyDocumentException"
    )
    client.delete_project_policy(ProjectArn=project, PolicyName="share", PolicyRevisionId=newer)
    assert client.list_project_policies(ProjectArn=project)["ProjectPolicies"] == []

    client.tag_resource(ResourceArn=train, Tags={"split": "train"})
    client.untag_resource(ResourceArn=project, TagKeys=["team"])
    assert client.list_tags_for_resource(ResourceArn=train)["Tags"] == {"split": "train"}
    assert client.list_tags_for_resource(ResourceArn=project)["Tags"] == {}

    assert client.describe_project_versions(ProjectArn=project)["ProjectVersionDescriptions"] == []
    version = client.create_project_version(
        ProjectArn=project, VersionName="v1", OutputConfig={"S3Bucket": "out", "S3KeyPrefix": "x/"}
    )["ProjectVersionArn"]
    # The inline runner has run the training job: the output bucket "out" does not exist.
    described = client.describe_project_versions(ProjectArn=project)["ProjectVersionDescriptions"]
    assert [(d["ProjectVersionArn"], d["Status"]) for d in described] == [(version, "TRAINING_FAILED")]
    assert described[0]["StatusMessage"].startswith("ERROR_CANNOT_WRITE_OUTPUT_S3_BUCKET")
    assert _code(_error(lambda: client.delete_project(ProjectArn=project))) == ("ResourceInUseException", 400)
    assert client.delete_project_version(ProjectVersionArn=version)["Status"] == "DELETING"

    client.delete_dataset(DatasetArn=test)
    assert _code(_error(lambda: client.describe_dataset(DatasetArn=test))) == (
        "ResourceNotFoundException",
        400,
    )
    assert client.delete_project(ProjectArn=project)["Status"] == "DELETING"


def test_paginator_and_bad_token(ctx: AppContext) -> None:
    client = _client(ctx)
    for i in range(5):
        client.create_project(ProjectName=f"p{i}")
    pages = list(client.get_paginator("describe_projects").paginate(PaginationConfig={"PageSize": 2}))
    assert [len(page["ProjectDescriptions"]) for page in pages] == [2, 2, 1]
    assert _code(_error(lambda: client.describe_projects(NextToken="not-a-token"))) == (
        "InvalidPaginationTokenException",
        400,
    )


def test_validation_and_not_found_errors(ctx: AppContext) -> None:
    client = _client(ctx)
    error = _error(lambda: client.create_project(ProjectName="bad name"))
    assert _code(error) == ("InvalidParameterException", 400)
    assert "projectName" in error.response["Error"]["Message"]
    error = _error(lambda: client.create_project(ProjectName="t", Tags={"aws:owner": "me"}))
    assert _code(error) == ("InvalidParameterException", 400)
    missing = "arn:aws:rekognition:us-east-1:123456789012:project/none/1700000000000"
    assert _code(_error(lambda: client.delete_project(ProjectArn=missing))) == (
        "ResourceNotFoundException",
        400,
    )
    error = _error(
        lambda: client.create_project(ProjectName="cm", Feature="CONTENT_MODERATION", AutoUpdate="ENABLED")
    )
    assert _code(error) == ("InvalidParameterException", 400)
    assert "CONTENT_MODERATION" in error.response["Error"]["Message"]
    client.create_project(ProjectName="dup")
    assert _code(_error(lambda: client.create_project(ProjectName="dup"))) == ("ResourceInUseException", 400)


def test_operations_outside_the_subset_get_a_clear_400(ctx: AppContext) -> None:
    client = _client(ctx)
    error = _error(lambda: client.detect_labels(Image={"Bytes": b"\x89PNG"}))
    assert _code(error) == ("UnknownOperationException", 400)
    assert "outside the Custom Labels subset" in error.response["Error"]["Message"]


def test_permissions_and_signing_service(ctx: AppContext) -> None:
    reader = _client(ctx, READER)
    assert reader.describe_projects()["ProjectDescriptions"] == []
    error = _error(lambda: reader.create_project(ProjectName="x"))
    assert _code(error) == ("AccessDeniedException", 400)
    assert "rekognition:CreateProject" in error.response["Error"]["Message"]
    # A request signed for another service is refused before any operation runs.
    wrong = _client(ctx)
    wrong._request_signer._signing_name = "lookoutvision"
    assert _code(_error(lambda: wrong.describe_projects()))[0] == "InvalidSignatureException"
