"""SigV4 failures through real clients: unknown key and wrong secret, on both APIs."""

from __future__ import annotations

import json
import socket
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from support.server import REGION, signed_json_request

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


@pytest.mark.parametrize("service", ["s3", "foo", "rekognition"])
def test_l4v_requires_its_own_signing_service(config: dict[str, Any], service: str) -> None:
    """issue 12 #3: a signature scoped to another service is refused, as S3 and Rekognition do."""
    root = (config["keys"]["root"][0], config["keys"]["root"][1])
    status, headers, body = signed_json_request(config["endpoint"], "/2020-11-20/projects", root, service)
    assert status == 403, body
    assert headers["x-amzn-errortype"].startswith("InvalidSignatureException")
    assert f"signed for '{service}'" in body["message"]
    assert signed_json_request(config["endpoint"], "/2020-11-20/projects", root)[0] == 200


@pytest.mark.parametrize("wire_encoding", ["latin-1", "utf-8"])
def test_non_ascii_client_token_is_a_validation_error(config: dict[str, Any], wire_encoding: str) -> None:
    """issue 12 #10: 400 ValidationException, not 403, however the client encoded the header."""
    token = "t\u00f6k\u00e9n-42"
    url = f"{config['endpoint']}/2020-11-20/projects"
    body = json.dumps({"ProjectName": "token-project"}).encode()
    request = AWSRequest(
        method="POST",
        url=url,
        data=body,
        headers={"X-Amzn-Client-Token": token, "Content-Type": "application/json"},
    )
    SigV4Auth(Credentials(*config["keys"]["root"]), "lookoutvision", REGION).add_auth(request)
    host, port = config["endpoint"].removeprefix("http://").split(":")
    head = f"POST /2020-11-20/projects HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n"
    head += f"Content-Length: {len(body)}\r\n"
    raw = head.encode() + b"".join(
        f"{name}: ".encode() + value.encode(wire_encoding) + b"\r\n"
        for name, value in request.headers.items()
    )
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(raw + b"\r\n" + body)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.split()[1] == b"400", answer
    assert b"x-amzn-errortype: validationexception" in rest.lower()
    assert b"X-Amzn-Client-Token" in rest
    lv = lookoutvision_client(config)
    assert "token-project" not in [p["ProjectName"] for p in lv.list_projects()["Projects"]]
