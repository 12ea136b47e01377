"""Signed JSON bodies nested absurdly deep get the protocol's client error, not a 500 (issue 12 #6)."""

from __future__ import annotations

from typing import Any

import pytest

from .server import signed_request

DEPTHS = [900, 100_000]  # under and far over the JSON decoder's recursion limit


def nested(depth: int) -> bytes:
    return b'{"ProjectName": ' + b"[" * depth + b"]" * depth + b"}"


@pytest.mark.parametrize("depth", DEPTHS)
def test_lookoutvision_deep_json(config: dict[str, Any], depth: int) -> None:
    root = (config["keys"]["root"][0], config["keys"]["root"][1])
    status, headers, body = signed_request(
        config["endpoint"],
        "/2020-11-20/projects",
        root,
        method="POST",
        body=nested(depth),
        headers={"Content-Type": "application/json"},
    )
    assert status == 400, body
    assert headers["x-amzn-errortype"].startswith("ValidationException")


@pytest.mark.parametrize("depth", DEPTHS)
def test_rekognition_deep_json(config: dict[str, Any], depth: int) -> None:
    root = (config["keys"]["root"][0], config["keys"]["root"][1])
    status, _, body = signed_request(
        config["endpoint"],
        "/",
        root,
        service="rekognition",
        method="POST",
        body=nested(depth),
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "RekognitionService.CreateProject",
        },
    )
    assert status == 400, body
    assert body["__type"] == "InvalidParameterException", body
