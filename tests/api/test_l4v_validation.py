"""One failing case per constraint kind, with the exact AWS-style message."""

from __future__ import annotations

from typing import Any

import pytest

from openlookout.api.restjson import Router, parse_request
from openlookout.api.shapes.lookoutvision import SERVICE
from openlookout.api.validation import validate_input
from openlookout.errors import InvalidInputError

ARN = "arn:aws:lookoutvision:us-east-1:123456789012:model/p1/1"
S3 = {"S3Location": {"Bucket": "bucket"}}


def _invalid(operation: str, params: dict[str, Any]) -> InvalidInputError:
    with pytest.raises(InvalidInputError) as caught:
        validate_input(SERVICE.operation_model(operation).input_shape, params)
    return caught.value


def _one(path: str, value: str, constraint: str) -> str:
    return (
        f"1 validation error detected: Value {value} at '{path}' failed to satisfy constraint: {constraint}"
    )


@pytest.mark.parametrize(
    ("operation", "params", "path", "value", "constraint"),
    [
        # required, top level and nested
        ("CreateProject", {}, "projectName", "null", "Member must not be null"),
        (
            "CreateModel",
            {"ProjectName": "p", "OutputConfig": {"S3Location": {}}},
            "outputConfig.s3Location.bucket",
            "null",
            "Member must not be null",
        ),
        # pattern
        (
            "CreateProject",
            {"ProjectName": "a b"},
            "projectName",
            "'a b'",
            r"Member must satisfy regular expression pattern: [a-zA-Z0-9][a-zA-Z0-9_\-]*",
        ),
        # min / max length of strings
        (
            "ListTagsForResource",
            {"ResourceArn": ""},
            "resourceArn",
            "''",
            "Member must have length greater than or equal to 1",
        ),
        (
            "CreateProject",
            {"ProjectName": "p" * 256},
            "projectName",
            "'" + "p" * 256 + "'",
            "Member must have length less than or equal to 255",
        ),
        # numeric range
        (
            "ListProjects",
            {"MaxResults": 101},
            "maxResults",
            "'101'",
            "Member must have value less than or equal to 100",
        ),
        (
            "StartModel",
            {"ProjectName": "p", "ModelVersion": "1", "MinInferenceUnits": 0},
            "minInferenceUnits",
            "'0'",
            "Member must have value greater than or equal to 1",
        ),
        # enum inside a nested structure
        (
            "StartModelPackagingJob",
            {
                "ProjectName": "p",
                "ModelVersion": "1",
                "Configuration": {
                    "Greengrass": {
                        "S3OutputLocation": {"Bucket": "bucket"},
                        "ComponentName": "c",
                        "TargetPlatform": {"Os": "WINDOWS", "Arch": "ARM64"},
                    }
                },
            },
            "configuration.greengrass.targetPlatform.os",
            "'WINDOWS'",
            "Member must satisfy enum value set: [LINUX]",
        ),
        # list length and list items
        (
            "TagResource",
            {"ResourceArn": ARN, "Tags": [{"Key": f"k{i}", "Value": "v"} for i in range(201)]},
            "tags",
            None,
            "Member must have length less than or equal to 200",
        ),
        (
            "TagResource",
            {"ResourceArn": ARN, "Tags": [{"Key": "ok", "Value": "v"}, {"Key": "bad!", "Value": "v"}]},
            "tags.2.member.key",
            "'bad!'",
            r"Member must satisfy regular expression pattern: ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$",
        ),
        # blob length
        (
            "UpdateDatasetEntries",
            {"ProjectName": "p", "DatasetType": "train", "Changes": b""},
            "changes",
            "'<0 bytes>'",
            "Member must have length greater than or equal to 1",
        ),
        # wrong JSON type
        (
            "StartModel",
            {"ProjectName": "p", "ModelVersion": "1", "MinInferenceUnits": "2"},
            "minInferenceUnits",
            "'2'",
            "Member must be of type integer",
        ),
        ("ListProjects", {"MaxResults": True}, "maxResults", "'true'", "Member must be of type integer"),
        # DeleteModel refuses "latest"
        (
            "DeleteModel",
            {"ProjectName": "p", "ModelVersion": "latest"},
            "modelVersion",
            "'latest'",
            "Member must satisfy regular expression pattern: ([1-9][0-9]*)",
        ),
    ],
)
def test_single_violation_message(
    operation: str, params: dict[str, Any], path: str, value: str | None, constraint: str
) -> None:
    error = _invalid(operation, params)
    assert error.field == path
    if value is None:  # the value is too long to spell out; check the rest exactly
        assert error.message.startswith("1 validation error detected: Value '[")
        assert error.message.endswith(f"at '{path}' failed to satisfy constraint: {constraint}")
    else:
        assert error.message == _one(path, value, constraint)


def test_several_violations_are_all_reported() -> None:
    error = _invalid("CreateModel", {"ProjectName": "-p", "OutputConfig": S3, "Description": "has space"})
    assert error.message.startswith("2 validation errors detected: Value '-p' at 'projectName'")
    assert "; Value 'has space' at 'description' failed to satisfy constraint" in error.message


@pytest.mark.parametrize("key", ["Équipe", "日本語", "٣", "a b\u00a0c", "k_.:/=+-@"])
def test_unicode_tag_classes_accept(key: str) -> None:
    validate_input(
        SERVICE.operation_model("TagResource").input_shape,
        {"ResourceArn": ARN, "Tags": [{"Key": key, "Value": key}]},
    )


@pytest.mark.parametrize("key", ["tab\there", "emoji🙂", "semi;colon", "new\nline"])
def test_unicode_tag_classes_refuse(key: str) -> None:
    error = _invalid("TagResource", {"ResourceArn": ARN, "Tags": [{"Key": "ok", "Value": key}]})
    assert error.field == "tags.1.member.value"


def test_patterns_must_match_the_whole_value() -> None:
    # "train|test" would find "train" inside "trainx"; AWS constrains the whole value.
    error = _invalid("DescribeDataset", {"ProjectName": "p", "DatasetType": "trainx"})
    assert error.field == "datasetType"


def test_valid_input_passes() -> None:
    validate_input(
        SERVICE.operation_model("CreateModel").input_shape,
        {"ProjectName": "p-1_x", "OutputConfig": {"S3Location": {"Bucket": "b.b-b", "Prefix": ""}}},
    )


ROUTER = Router(SERVICE)


def _parse(method: str, path: str, query: str = "", body: bytes = b"") -> dict[str, Any]:
    operation, labels = ROUTER.match(method, path)
    return parse_request(operation, labels, query, {}, body)


@pytest.mark.parametrize(
    ("method", "path", "query", "body", "message"),
    [
        ("GET", "/2020-11-20/projects", "maxResults=ten", b"", "Value 'ten' at 'maxResults' failed"),
        (
            "GET",
            "/2020-11-20/projects/p/datasets/train/entries",
            "labeled=yes",
            b"",
            "Value 'yes' at 'labeled' failed to satisfy constraint: Member must be of type boolean",
        ),
        (
            "GET",
            "/2020-11-20/projects/p/datasets/train/entries",
            "createdBefore=yesterday",
            b"",
            "Value 'yesterday' at 'createdBefore' failed",
        ),
        ("POST", "/2020-11-20/projects", "", b"{not json", "Could not parse request body into JSON"),
        ("POST", "/2020-11-20/projects", "", b"[1]", "the body must be a JSON object"),
        (
            "PATCH",
            "/2020-11-20/projects/p/datasets/train/entries",
            "",
            b'{"Changes": "***"}',
            "Value '***' at 'changes' failed to satisfy constraint: Member must be base64-encoded",
        ),
    ],
)
def test_malformed_wire_values(method: str, path: str, query: str, body: bytes, message: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        _parse(method, path, query, body)
    assert message in caught.value.message


def test_json_types_reach_validation_with_the_member_named() -> None:
    params = _parse("POST", "/2020-11-20/projects", body=b'{"ProjectName": 12}')
    error = _invalid("CreateProject", params)
    assert error.message == _one("projectName", "'12'", "Member must be of type string")


def test_json_null_means_absent() -> None:
    params = _parse("POST", "/2020-11-20/projects", body=b'{"ProjectName": "p", "ClientToken": null}')
    assert params == {"ProjectName": "p"}
