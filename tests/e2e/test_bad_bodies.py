"""Signed JSON bodies nested absurdly deep get the protocol's client error, not a 500 (issue 12 #6)."""

from __future__ import annotations

from typing import Any

import pytest

from support.server import signed_json_request

L4V = ("lookoutvision", "/2020-11-20/projects", {"Content-Type": "application/json"})
REKOGNITION = (
    "rekognition",
    "/",
    {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "RekognitionService.CreateProject"},
)


def nested(depth: int) -> bytes:
    return b'{"ProjectName": ' + b"[" * depth + b"]" * depth + b"}"


@pytest.mark.parametrize("depth", [900, 100_000])  # under and far over the decoder's recursion limit
@pytest.mark.parametrize(
    ("api", "expected"), [(L4V, "ValidationException"), (REKOGNITION, "InvalidParameterException")]
)
def test_deep_json_is_a_client_error(
    config: dict[str, Any], depth: int, api: tuple[str, str, dict[str, str]], expected: str
) -> None:
    service, path, headers = api
    root = (config["keys"]["root"][0], config["keys"]["root"][1])
    status, answer_headers, body = signed_json_request(
        config["endpoint"], path, root, service=service, method="POST", body=nested(depth), headers=headers
    )
    assert status == 400, body
    code = answer_headers.get("x-amzn-errortype") or body.get("__type", "")
    assert code.startswith(expected), (answer_headers, body)
