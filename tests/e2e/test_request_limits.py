"""Per-operation body limits, enforced before the body is buffered (issue 12 item 2).

Against the real ``openlookout serve`` process: unsigned requests that announce a huge body
are refused from their headers alone (the test never sends the body and still gets the
answer), signed ones over their operation's limit get the protocol's error, and an S3 upload
streams through. Memory figures are measured by ``bench/request_memory.py``, not here.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from support.server import ServerProcess, signed_request

from .clients.connect import NO_RETRIES, session_for

HUNDRED_MB = 100 * 1000 * 1000


def raw_exchange(
    server: ServerProcess, head: str, body_prefix: bytes = b""
) -> tuple[int, dict[str, str], bytes]:
    """Send a request head (and at most a few bytes of its body), then read the whole answer."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(head.encode("latin-1") + body_prefix)
        data = b""
        while chunk := sock.recv(65536):  # the server closes: it will not read the rest
            data += chunk
    header_block, _, body = data.partition(b"\r\n\r\n")
    lines = header_block.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def _head(method: str, path: str, length: int, extra: str = "") -> str:
    return f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {length}\r\n{extra}\r\n"


def test_unsigned_100_mb_bodies_are_refused_unread(server: ServerProcess) -> None:
    status, headers, body = raw_exchange(
        server, _head("POST", "/2020-11-20/projects", HUNDRED_MB, "Content-Type: application/json\r\n"), b"{"
    )
    assert (status, headers.get("x-amzn-errortype")) == (403, "MissingAuthenticationTokenException")
    assert headers.get("connection") == "close"
    target = (
        "X-Amz-Target: RekognitionService.DetectCustomLabels\r\nContent-Type: application/x-amz-json-1.1\r\n"
    )
    status, headers, body = raw_exchange(server, _head("POST", "/", HUNDRED_MB, target), b"{")
    assert status == 400 and json.loads(body)["__type"] == "MissingAuthenticationTokenException"
    status, headers, body = raw_exchange(server, _head("PUT", "/some-bucket/big.bin", HUNDRED_MB), b"x")
    assert status == 403 and b"<Code>AccessDenied</Code>" in body
    assert headers.get("connection") == "close"


def test_signed_bodies_over_their_operation_limit(server: ServerProcess) -> None:
    image = b"\x89PNG" + os.urandom(8 * 1024 * 1024 - 3)  # one byte past DetectAnomalies' 8 MiB
    detect = signed_request(
        server.endpoint,
        server.keys,
        "lookoutvision",
        "POST",
        "/2020-11-20/projects/limits/models/1/detect",
        image,
        {"Content-Type": "image/png"},
    )
    assert detect.status == 400 and detect.headers["x-amzn-ErrorType"] == "ValidationException"
    assert "8388608-byte limit of DetectAnomalies" in detect.json()["message"]
    json_op = signed_request(
        server.endpoint,
        server.keys,
        "lookoutvision",
        "POST",
        "/2020-11-20/projects",
        json.dumps({"ProjectName": "x", "Pad": "y" * (2 << 20)}).encode(),
        {"Content-Type": "application/json"},
    )
    assert json_op.status == 400 and "1048576-byte limit of CreateProject" in json_op.json()["message"]


def test_detect_custom_labels_image_over_5_mib(server: ServerProcess, config: dict[str, Any]) -> None:
    client = session_for(config).client(
        "rekognition", endpoint_url=server.endpoint, config=Config(retries=NO_RETRIES)
    )
    arn = "arn:aws:rekognition:us-east-1:123456789012:project/p/version/v/1"
    with pytest.raises(ClientError) as caught:
        client.detect_custom_labels(ProjectVersionArn=arn, Image={"Bytes": b"\xff\xd8\xff" + bytes(6 << 20)})
    assert caught.value.response["Error"]["Code"] == "ImageTooLargeException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_s3_object_bodies_stream_through_and_small_ones_are_capped(server: ServerProcess, s3: Any) -> None:
    s3.create_bucket(Bucket="limits")
    payload = os.urandom(24 * 1024 * 1024)  # one PUT, over the 1 MiB in-memory spool
    put = s3.put_object(Bucket="limits", Key="big.bin", Body=payload)
    assert put["ETag"] == f'"{hashlib.md5(payload).hexdigest()}"'
    assert (
        hashlib.md5(s3.get_object(Bucket="limits", Key="big.bin")["Body"].read()).digest()
        == hashlib.md5(payload).digest()
    )
    huge_xml = b"<Delete>" + b"<Object><Key>k</Key></Object>" * 80_000 + b"</Delete>"
    refused = signed_request(server.endpoint, server.keys, "s3", "POST", "/limits?delete", huge_xml)
    assert refused.status == 400 and b"<Code>MaxMessageLengthExceeded</Code>" in refused.data
    # A body that does not match its signed SHA-256 is refused and nothing is stored.
    tampered = signed_request(
        server.endpoint, server.keys, "s3", "PUT", "/limits/tampered.bin", b"original", send=b"tampered"
    )
    assert tampered.status == 400 and b"<Code>XAmzContentSHA256Mismatch</Code>" in tampered.data
    with pytest.raises(ClientError):
        s3.head_object(Bucket="limits", Key="tampered.bin")
