"""SigV4 failures through real clients: unknown key and wrong secret, on both APIs."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .clients.connect import lookoutvision_client, s3_client
from .old_clients import AwsCli
from .paths import require_old_clients


def with_key(config: dict[str, Any], access_key: str, secret: str) -> dict[str, Any]:
    return {**config, "keys": {"root": [access_key, secret]}}


def error_of(call: Any) -> tuple[str, int]:
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_unknown_access_key(config: dict[str, Any]) -> None:
    lv = lookoutvision_client(with_key(config, "OLE2EUNKNOWNKEY00001", "whatever-secret"))
    assert error_of(lv.list_projects) == ("UnrecognizedClientException", 403)


def test_wrong_secret_is_a_bad_signature(config: dict[str, Any]) -> None:
    root_key = config["keys"]["root"][0]
    lv = lookoutvision_client(with_key(config, root_key, "not-the-right-secret"))
    assert error_of(lv.list_projects) == ("InvalidSignatureException", 403)
    assert error_of(lambda: lv.describe_project(ProjectName="anything")) == ("InvalidSignatureException", 403)


def test_s3_api_rejects_unknown_key_and_bad_signature(config: dict[str, Any]) -> None:
    # S3 has its own codes for the same two failures.
    unknown = s3_client(with_key(config, "OLE2EUNKNOWNKEY00001", "whatever-secret"))
    assert error_of(unknown.list_buckets) == ("InvalidAccessKeyId", 403)
    wrong = s3_client(with_key(config, config["keys"]["root"][0], "not-the-right-secret"))
    assert error_of(wrong.list_buckets) == ("SignatureDoesNotMatch", 403)


def test_restricted_key_cannot_tag_through_create_model(lv: Any, config: dict[str, Any]) -> None:
    """CreateModel with Tags also needs lookoutvision:TagResource (A.3 CreateModel)."""
    lv.create_project(ProjectName="auth-tags")
    creator = lookoutvision_client(config, "creator")
    output = {"S3Location": {"Bucket": "auth-output", "Prefix": "out/"}}
    tags = [{"Key": "team", "Value": "qa"}]
    tagged = partial(creator.create_model, ProjectName="auth-tags", OutputConfig=output, Tags=tags)
    assert error_of(tagged) == ("AccessDeniedException", 403)
    assert lv.list_models(ProjectName="auth-tags")["Models"] == []
    lv.delete_project(ProjectName="auth-tags")


def test_awscli_reports_unknown_key(config: dict[str, Any], tmp_path: Path) -> None:
    require_old_clients()
    aws = AwsCli(with_key(config, "OLE2EUNKNOWNKEY00001", "whatever-secret"), tmp_path)
    failed = aws.run_failing("lookoutvision", "list-projects")
    assert "UnrecognizedClientException" in failed, failed
