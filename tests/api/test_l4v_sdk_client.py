"""Current boto3 with the generated model, talking to the real handler (no server).

botocore's ``before-send`` hook hands each signed request to ``handle_lookoutvision``
through an in-memory ASGI scope, so the SigV4 check, routing, parsing, validation,
error mapping and serialisation all run exactly as in production. Only the service
facade is replaced, by a recorder that returns canned output dicts.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast
from urllib.parse import unquote, urlsplit

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSPreparedRequest, AWSRequest, AWSResponse, HeadersDict
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from starlette.requests import Request

from openlookout.api.auth import AccessKey, Authenticator, AuthError, CredentialStore
from openlookout.api.context import AppContext
from openlookout.api.l4v_errors import to_l4v_error
from openlookout.api.lookoutvision import handle_lookoutvision, snake_case
from openlookout.api.sdkmodel import write_sdk_model
from openlookout.config import Settings
from openlookout.errors import NotFoundError

ROOT = AccessKey("AKIAROOTROOTROOT0001", "root-secret-0123456789")
READER = AccessKey("AKIAREADERREADER0002", "reader-secret-0123456", allow=("lookoutvision:Describe*",))
TRAINER = AccessKey("AKIATRAINERTRAIN0003", "trainer-secret-012345", allow=("lookoutvision:CreateModel",))
REGION = "us-east-1"
ENDPOINT = "http://127.0.0.1:1"
T1 = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
MODEL_ARN = "arn:aws:lookoutvision:us-east-1:123456789012:model/p1/1"


class RecordingService:
    """Stands in for LookoutVisionService: records each call, answers from ``responses``."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.responses: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Callable[..., Any]:
        def call(**kwargs: Any) -> Any:
            self.calls.append((name, kwargs))
            answer = self.responses.get(name, {})
            if isinstance(answer, Exception):
                raise answer
            return answer(**kwargs) if callable(answer) else answer

        return call


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


def _run_handler(request: AWSPreparedRequest, ctx: AppContext) -> AWSResponse:
    url = urlsplit(request.url)
    body = request.body or b""
    if hasattr(body, "read"):
        body = body.read()
    if isinstance(body, str):
        body = body.encode()
    headers = [
        (key.lower().encode("latin-1"), value if isinstance(value, bytes) else value.encode("latin-1"))
        for key, value in request.headers.items()
    ]
    if not any(name == b"host" for name, _ in headers):
        # The HTTP client adds Host on the wire; SigV4 signed it.
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

    response = asyncio.run(handle_lookoutvision(Request(scope, receive), ctx))
    return AWSResponse(request.url, response.status_code, HeadersDict(response.headers), _Body(response.body))


@pytest.fixture
def sdk_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    out = tmp_path / "sdk"
    write_sdk_model(out)
    monkeypatch.setenv("AWS_DATA_PATH", str(out))
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_LOOKOUTVISION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    return out


@pytest.fixture
def service() -> RecordingService:
    return RecordingService()


@pytest.fixture
def ctx(service: RecordingService) -> AppContext:
    authenticator = Authenticator(CredentialStore(ROOT, [READER, TRAINER]), REGION)
    return AppContext(
        settings=Settings(),
        authenticator=authenticator,
        blobs=cast(Any, None),
        lookoutvision=cast(Any, service),
    )


def _client(ctx: AppContext, key: AccessKey = ROOT, secret: str | None = None, **config: Any) -> Any:
    session = boto3.session.Session(
        aws_access_key_id=key.access_key_id,
        aws_secret_access_key=secret or key.secret_access_key,
        region_name=REGION,
    )
    client = session.client(
        "lookoutvision", endpoint_url=ENDPOINT, config=Config(retries={"total_max_attempts": 1}, **config)
    )
    client.meta.events.register("before-send.lookoutvision", lambda request, **_: _run_handler(request, ctx))
    return client


def _error(call: Callable[[], Any]) -> ClientError:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value


# ---------------------------------------------------------------- the generated model


def test_written_files(sdk_dir: Path) -> None:
    folder = sdk_dir / "lookoutvision" / "2020-11-20"
    assert sorted(p.name for p in folder.iterdir()) == [
        "endpoint-rule-set-1.json",
        "paginators-1.json",
        "service-2.json",
    ]


def test_client_has_every_operation_and_paginator(sdk_dir: Path, ctx: AppContext) -> None:
    client = _client(ctx)
    names = [
        "CreateDataset", "CreateModel", "CreateProject", "DeleteDataset", "DeleteModel", "DeleteProject",
        "DescribeDataset", "DescribeModel", "DescribeModelPackagingJob", "DescribeProject", "DetectAnomalies",
        "ListDatasetEntries", "ListModelPackagingJobs", "ListModels", "ListProjects", "ListTagsForResource",
        "StartModel", "StartModelPackagingJob", "StopModel", "TagResource", "UntagResource",
        "UpdateDatasetEntries",
    ]  # fmt: skip
    assert sorted(client.meta.service_model.operation_names) == names
    for name in names:
        assert callable(getattr(client, snake_case(name)))
    for name in ("list_projects", "list_models", "list_dataset_entries", "list_model_packaging_jobs"):
        assert client.can_paginate(name)
    assert {"ResourceNotFoundException", "ConflictException", "ServiceQuotaExceededException"} <= set(
        dir(client.exceptions)
    )


def test_endpoint_resolution(sdk_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    session = boto3.session.Session(aws_access_key_id="a", aws_secret_access_key="b", region_name="eu-west-1")
    assert (
        session.client("lookoutvision").meta.endpoint_url == "https://lookoutvision.eu-west-1.amazonaws.com"
    )
    assert session.client("lookoutvision", endpoint_url=ENDPOINT).meta.endpoint_url == ENDPOINT
    monkeypatch.setenv("AWS_ENDPOINT_URL_LOOKOUTVISION", "http://localhost:9")
    session = boto3.session.Session(aws_access_key_id="a", aws_secret_access_key="b", region_name="eu-west-1")
    assert session.client("lookoutvision").meta.endpoint_url == "http://localhost:9"


# ---------------------------------------------------------------- requests through the handler


def test_create_project(sdk_dir: Path, ctx: AppContext, service: RecordingService) -> None:
    arn = "arn:aws:lookoutvision:us-east-1:123456789012:project/p1"
    service.responses["create_project"] = {
        "ProjectMetadata": {"ProjectArn": arn, "ProjectName": "p1", "CreationTimestamp": T1}
    }
    response = _client(ctx).create_project(ProjectName="p1")
    assert response["ProjectMetadata"] == {"ProjectArn": arn, "ProjectName": "p1", "CreationTimestamp": T1}
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    uuid.UUID(response["ResponseMetadata"]["RequestId"])
    [(name, kwargs)] = service.calls
    # botocore invents a ClientToken on every call; it arrives from the header.
    assert name == "create_project"
    assert kwargs["project_name"] == "p1"
    uuid.UUID(kwargs["client_token"])


def test_status_202_and_nested_members(sdk_dir: Path, ctx: AppContext, service: RecordingService) -> None:
    service.responses["create_model"] = {"ModelMetadata": {"ModelVersion": "1", "Status": "TRAINING"}}
    response = _client(ctx).create_model(
        ProjectName="p1",
        OutputConfig={"S3Location": {"Bucket": "bucket", "Prefix": "out/"}},
        ClientToken="tok-1",
    )
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert service.calls == [
        (
            "create_model",
            {
                "project_name": "p1",
                "output_config": {"S3Location": {"Bucket": "bucket", "Prefix": "out/"}},
                "client_token": "tok-1",
            },
        )
    ]


def test_detect_anomalies_passes_raw_bytes(sdk_dir: Path, ctx: AppContext, service: RecordingService) -> None:
    image = bytes(range(256)) * 4
    service.responses["detect_anomalies"] = {
        "DetectAnomalyResult": {"Source": {"Type": "direct"}, "IsAnomalous": False, "Confidence": 0.25}
    }
    result = _client(ctx).detect_anomalies(
        ProjectName="p1", ModelVersion="1", Body=image, ContentType="image/jpeg"
    )
    assert result["DetectAnomalyResult"]["Confidence"] == 0.25
    assert service.calls == [
        (
            "detect_anomalies",
            {"project_name": "p1", "model_version": "1", "body": image, "content_type": "image/jpeg"},
        )
    ]


def test_tags_with_an_arn_label(sdk_dir: Path, ctx: AppContext, service: RecordingService) -> None:
    client = _client(ctx)
    client.tag_resource(ResourceArn=MODEL_ARN, Tags=[{"Key": "Équipe", "Value": "qualité"}])
    client.untag_resource(ResourceArn=MODEL_ARN, TagKeys=["a", "Équipe"])
    assert service.calls == [
        ("tag_resource", {"resource_arn": MODEL_ARN, "tags": [{"Key": "Équipe", "Value": "qualité"}]}),
        ("untag_resource", {"resource_arn": MODEL_ARN, "tag_keys": ["a", "Équipe"]}),
    ]


def test_query_filters_and_paginator(sdk_dir: Path, ctx: AppContext, service: RecordingService) -> None:
    pages = {
        None: {"DatasetEntries": ['{"a": 1}'], "NextToken": "cGFnZTI="},
        "cGFnZTI=": {"DatasetEntries": ['{"b": 2}']},
    }
    service.responses["list_dataset_entries"] = lambda **kwargs: pages[kwargs.get("next_token")]
    paginator = _client(ctx).get_paginator("list_dataset_entries")
    entries = [
        entry
        for page in paginator.paginate(
            ProjectName="p1", DatasetType="train", Labeled=True, BeforeCreationDate=T1, AnomalyClass="normal"
        )
        for entry in page["DatasetEntries"]
    ]
    assert entries == ['{"a": 1}', '{"b": 2}']
    first = service.calls[0][1]
    assert first == {
        "project_name": "p1",
        "dataset_type": "train",
        "labeled": True,
        "before_creation_date": T1,
        "anomaly_class": "normal",
    }
    assert service.calls[1][1]["next_token"] == "cGFnZTI="


# ---------------------------------------------------------------- errors


def test_not_found_is_a_modeled_exception(sdk_dir: Path, ctx: AppContext, service: RecordingService) -> None:
    service.responses["describe_project"] = NotFoundError("The project p9 does not exist.", "PROJECT", "p9")
    client = _client(ctx)
    with pytest.raises(client.exceptions.ResourceNotFoundException) as caught:
        client.describe_project(ProjectName="p9")
    error = caught.value
    assert "ResourceNotFoundException" in str(error)
    assert error.response["Error"]["Message"] == "The project p9 does not exist."
    assert (error.response["ResourceId"], error.response["ResourceType"]) == ("p9", "PROJECT")
    assert (
        error.response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == "ResourceNotFoundException"
    )


def test_validation_happens_before_the_service(
    sdk_dir: Path, ctx: AppContext, service: RecordingService
) -> None:
    error = _error(lambda: _client(ctx).create_project(ProjectName="a b"))
    assert error.response["Error"]["Code"] == "ValidationException"
    assert error.response["Error"]["Message"] == (
        "1 validation error detected: Value 'a b' at 'projectName' failed to satisfy constraint: "
        r"Member must satisfy regular expression pattern: [a-zA-Z0-9][a-zA-Z0-9_\-]*"
    )
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert service.calls == []


def test_unexpected_errors_do_not_leak(
    sdk_dir: Path, ctx: AppContext, service: RecordingService, caplog: pytest.LogCaptureFixture
) -> None:
    service.responses["list_projects"] = RuntimeError("sqlite file /secret/path is locked")
    with caplog.at_level(logging.ERROR, logger="openlookout.api.l4v_errors"):
        error = _error(lambda: _client(ctx).list_projects())
    assert error.response["Error"]["Code"] == "InternalServerException"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    request_id = error.response["ResponseMetadata"]["RequestId"]
    assert "secret" not in error.response["Error"]["Message"]
    assert request_id in error.response["Error"]["Message"]
    [record] = caplog.records
    assert request_id in record.getMessage() and "ListProjects" in record.getMessage()
    assert record.exc_info is not None and "locked" in str(record.exc_info[1])


@pytest.mark.parametrize(
    ("key", "secret", "code"),
    [
        (ROOT, "wrong-secret", "InvalidSignatureException"),
        (AccessKey("AKIAUNKNOWNUNKNOWN09", "x"), None, "UnrecognizedClientException"),
    ],
)
def test_authentication_failures(
    sdk_dir: Path, ctx: AppContext, key: AccessKey, secret: str | None, code: str
) -> None:
    error = _error(lambda: _client(ctx, key, secret).list_projects())
    assert error.response["Error"]["Code"] == code
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_unsigned_request(sdk_dir: Path, ctx: AppContext) -> None:
    from botocore import UNSIGNED

    error = _error(lambda: _client(ctx, signature_version=UNSIGNED).list_projects())
    assert error.response["Error"]["Code"] == "MissingAuthenticationTokenException"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_expired_signature_message() -> None:
    error = to_l4v_error(AuthError("EXPIRED", "request time 20240101T000000Z is too old"))
    assert error is not None
    assert (error.code, error.status) == ("InvalidSignatureException", 403)
    assert error.message.startswith("Signature expired")


def test_permissions(sdk_dir: Path, ctx: AppContext, service: RecordingService) -> None:
    reader = _client(ctx, READER)
    reader.describe_project(ProjectName="p1")
    error = _error(lambda: reader.create_project(ProjectName="p1"))
    assert error.response["Error"]["Code"] == "AccessDeniedException"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 403

    trainer = _client(ctx, TRAINER)
    output = {"S3Location": {"Bucket": "bucket"}}
    trainer.create_model(ProjectName="p1", OutputConfig=output)
    # Tags at creation also need lookoutvision:TagResource: the service checks that
    # (tests/service/test_models.py, tests/e2e/test_auth.py).
    assert [name for name, _ in service.calls] == ["describe_project", "create_model"]


def test_unknown_operation(ctx: AppContext, service: RecordingService) -> None:
    request = AWSRequest(method="GET", url=f"{ENDPOINT}/2020-11-20/nothing/here")
    SigV4Auth(Credentials(ROOT.access_key_id, ROOT.secret_access_key), "lookoutvision", REGION).add_auth(
        request
    )
    response = _run_handler(request.prepare(), ctx)
    assert response.status_code == 404
    assert response.headers["x-amzn-ErrorType"] == "UnknownOperationException"
    assert b"GET /2020-11-20/nothing/here" in response.content
    uuid.UUID(response.headers["x-amzn-RequestId"])
    assert service.calls == []
