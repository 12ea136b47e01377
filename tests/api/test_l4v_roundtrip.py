"""Requests serialised by current botocore parse back to the same parameters, and
responses we serialise parse in botocore to the same output."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.awsrequest import HeadersDict, create_request_object, prepare_request_dict
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from openlookout.api.l4v_errors import error_response
from openlookout.api.restjson import Router, UnknownOperationError, parse_request, serialize_output
from openlookout.api.shapes.lookoutvision import SERVICE
from openlookout.errors import ConflictError, NotFoundError, QuotaExceededError

ROUTER = Router(SERVICE)
TOKEN = "3f2a9c1e-7b4d-4e8a-9f00-1234567890ab"
MODEL_ARN = "arn:aws:lookoutvision:us-east-1:123456789012:model/p1/1"
T1 = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
T2 = datetime(2024, 2, 3, 4, 5, 6, 789000, tzinfo=UTC)
S3_OUT = {"S3Location": {"Bucket": "my-bucket", "Prefix": "out/models/"}}
GREENGRASS = {
    "Greengrass": {
        "CompilerOptions": '{"gpu-code": "sm_75", "trt-ver": "7.1.3", "cuda-ver": "10.2"}',
        "TargetPlatform": {"Os": "LINUX", "Arch": "ARM64", "Accelerator": "NVIDIA"},
        "S3OutputLocation": {"Bucket": "edge-bucket", "Prefix": "pkg/"},
        "ComponentName": "cookie.checker",
        "ComponentVersion": "1.0.0",
        "ComponentDescription": "Checks cookies (v1)",
        "Tags": [{"Key": "team", "Value": "edge"}],
    }
}

REQUESTS: dict[str, dict[str, Any]] = {
    "CreateDataset": {
        "ProjectName": "p1",
        "DatasetType": "train",
        "DatasetSource": {
            "GroundTruthManifest": {
                "S3Object": {"Bucket": "b-1", "Key": "a/train.manifest", "VersionId": "v1"}
            }
        },
        "ClientToken": TOKEN,
    },
    "CreateModel": {
        "ProjectName": "p1",
        "Description": "first-model",
        "ClientToken": TOKEN,
        "OutputConfig": S3_OUT,
        "KmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/abc",
        "Tags": [{"Key": "Équipe", "Value": "qualité 1"}, {"Key": "empty", "Value": ""}],
    },
    "CreateProject": {"ProjectName": "p1", "ClientToken": TOKEN},
    "DeleteDataset": {"ProjectName": "p1", "DatasetType": "test", "ClientToken": TOKEN},
    "DeleteModel": {"ProjectName": "p1", "ModelVersion": "12", "ClientToken": TOKEN},
    "DeleteProject": {"ProjectName": "p1", "ClientToken": TOKEN},
    "DescribeDataset": {"ProjectName": "p1", "DatasetType": "train"},
    "DescribeModel": {"ProjectName": "p1", "ModelVersion": "latest"},
    "DescribeModelPackagingJob": {"ProjectName": "p1", "JobName": "job-1"},
    "DescribeProject": {"ProjectName": "p_1-x"},
    "DetectAnomalies": {
        "ProjectName": "p1",
        "ModelVersion": "1",
        "Body": b"\x89PNG\r\n\x1a\n\x00binary{not json}",
        "ContentType": "image/png",
    },
    "ListDatasetEntries": {
        "ProjectName": "p1",
        "DatasetType": "train",
        "Labeled": False,
        "AnomalyClass": "anomaly",
        "BeforeCreationDate": T2,
        "AfterCreationDate": T1,
        "NextToken": "abc+/=",
        "MaxResults": 7,
        "SourceRefContains": "cookies & cream/ 50%",
    },
    "ListModelPackagingJobs": {"ProjectName": "p1", "NextToken": "tok", "MaxResults": 100},
    "ListModels": {"ProjectName": "p1", "MaxResults": 1},
    "ListProjects": {},
    "ListTagsForResource": {"ResourceArn": MODEL_ARN},
    "StartModel": {
        "ProjectName": "p1",
        "ModelVersion": "1",
        "MinInferenceUnits": 1,
        "MaxInferenceUnits": 3,
        "ClientToken": TOKEN,
    },
    "StartModelPackagingJob": {
        "ProjectName": "p1",
        "ModelVersion": "2",
        "JobName": "job-1",
        "Configuration": GREENGRASS,
        "Description": "edge build: cookies",
        "ClientToken": TOKEN,
    },
    "StopModel": {"ProjectName": "p1", "ModelVersion": "1", "ClientToken": TOKEN},
    "TagResource": {"ResourceArn": MODEL_ARN, "Tags": [{"Key": "k/1", "Value": "v=1"}]},
    "UntagResource": {"ResourceArn": MODEL_ARN, "TagKeys": ["k/1", "两"]},
    "UpdateDatasetEntries": {
        "ProjectName": "p1",
        "DatasetType": "train",
        "Changes": b'{"source-ref": "s3://b/x.jpg", "label": 1}\n',
        "ClientToken": TOKEN,
    },
}

MODEL_METADATA = {
    "CreationTimestamp": T2,
    "ModelVersion": "1",
    "ModelArn": MODEL_ARN,
    "Description": "first-model",
    "Status": "TRAINED",
    "StatusMessage": "Training completed successfully.",
    "Performance": {"F1Score": 0.9, "Recall": 0.85, "Precision": 1.0},
}
PACKAGING_META = {
    "JobName": "job-1",
    "ProjectName": "p1",
    "ModelVersion": "1",
    "ModelPackagingJobDescription": "edge build",
    "ModelPackagingMethod": "Greengrass",
    "Status": "SUCCEEDED",
    "StatusMessage": "done",
    "CreationTimestamp": T1,
    "LastUpdatedTimestamp": T2,
}
DATASET_META = {
    "DatasetType": "train",
    "CreationTimestamp": T1,
    "Status": "CREATE_COMPLETE",
    "StatusMessage": "ok",
}

RESPONSES: dict[str, dict[str, Any]] = {
    "CreateDataset": {"DatasetMetadata": DATASET_META},
    "CreateModel": {"ModelMetadata": {**MODEL_METADATA, "Status": "TRAINING"}},
    "CreateProject": {
        "ProjectMetadata": {
            "ProjectArn": "arn:aws:lookoutvision:us-east-1:1:project/p1",
            "ProjectName": "p1",
            "CreationTimestamp": T1,
        }
    },
    "DeleteDataset": {},
    "DeleteModel": {"ModelArn": MODEL_ARN},
    "DeleteProject": {"ProjectArn": "arn:aws:lookoutvision:us-east-1:1:project/p1"},
    "DescribeDataset": {
        "DatasetDescription": {
            "ProjectName": "p1",
            "DatasetType": "train",
            "CreationTimestamp": T1,
            "LastUpdatedTimestamp": T2,
            "Status": "UPDATE_COMPLETE",
            "StatusMessage": "ok",
            "ImageStats": {"Total": 44, "Labeled": 44, "Normal": 34, "Anomaly": 10},
        }
    },
    "DescribeModel": {
        "ModelDescription": {
            **MODEL_METADATA,
            "OutputConfig": S3_OUT,
            "EvaluationManifest": {"Bucket": "my-bucket", "Key": "out/EvaluationManifest-p1-1.json"},
            "EvaluationResult": {"Bucket": "my-bucket", "Key": "out/EvaluationResult-p1-1.json"},
            "EvaluationEndTimestamp": T2,
            "KmsKeyId": "key-1",
            "MinInferenceUnits": 1,
            "MaxInferenceUnits": 2,
        }
    },
    "DescribeModelPackagingJob": {
        "ModelPackagingDescription": {
            **PACKAGING_META,
            "ModelPackagingConfiguration": GREENGRASS,
            "ModelPackagingOutputDetails": {
                "Greengrass": {
                    "ComponentVersionArn": "arn:aws:greengrass:us-east-1:1:components:cookie.checker",
                    "ComponentName": "cookie.checker",
                    "ComponentVersion": "1.0.0",
                }
            },
        }
    },
    "DescribeProject": {
        "ProjectDescription": {
            "ProjectArn": "arn:aws:lookoutvision:us-east-1:1:project/p1",
            "ProjectName": "p1",
            "CreationTimestamp": T1,
            "Datasets": [DATASET_META],
        }
    },
    "DetectAnomalies": {
        "DetectAnomalyResult": {
            "Source": {"Type": "direct"},
            "IsAnomalous": True,
            "Confidence": 0.9996867775917053,
            "Anomalies": [
                {"Name": "background", "PixelAnomaly": {"TotalPercentageArea": 0.99, "Color": "#FFFFFF"}},
                {"Name": "crack", "PixelAnomaly": {"TotalPercentageArea": 0.01, "Color": "#23A436"}},
            ],
            "AnomalyMask": b"\x89PNG mask bytes",
        }
    },
    "ListDatasetEntries": {"DatasetEntries": ['{"source-ref": "s3://b/1.jpg"}'], "NextToken": "bmV4dA=="},
    "ListModelPackagingJobs": {"ModelPackagingJobs": [PACKAGING_META]},
    "ListModels": {"Models": [], "NextToken": "abc"},
    "ListProjects": {
        "Projects": [
            {
                "ProjectArn": "arn:aws:lookoutvision:us-east-1:1:project/p1",
                "ProjectName": "p1",
                "CreationTimestamp": T1,
            }
        ]
    },
    "ListTagsForResource": {"Tags": [{"Key": "Équipe", "Value": "qualité"}]},
    "StartModel": {"Status": "STARTING_HOSTING"},
    "StartModelPackagingJob": {"JobName": "job-1"},
    "StopModel": {"Status": "STOPPING_HOSTING"},
    "TagResource": {},
    "UntagResource": {},
    "UpdateDatasetEntries": {"Status": "UPDATE_IN_PROGRESS"},
}


def _wire_request(name: str, params: dict[str, Any]) -> tuple[str, str, str, dict[str, str], bytes]:
    """The exact request current botocore would put on the wire for ``params``."""
    operation = SERVICE.operation_model(name)
    request_dict = create_serializer("rest-json").serialize_to_request(params, operation)
    prepare_request_dict(request_dict, endpoint_url="http://127.0.0.1:8080")
    prepared = create_request_object(request_dict).prepare()
    url = urlsplit(prepared.url)
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode()
    headers = {key.lower(): value for key, value in prepared.headers.items()}
    return prepared.method, url.path, url.query, headers, body


def test_every_operation_has_cases() -> None:
    assert set(REQUESTS) == set(SERVICE.operation_names) == set(RESPONSES)


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_request_round_trip(name: str) -> None:
    method, raw_path, raw_query, headers, body = _wire_request(name, REQUESTS[name])
    operation, labels = ROUTER.match(method, raw_path)
    assert operation.name == name
    assert parse_request(operation, labels, raw_query, headers, body) == REQUESTS[name]


@pytest.mark.parametrize("name", sorted(RESPONSES))
def test_response_round_trip(name: str) -> None:
    operation = SERVICE.operation_model(name)
    status = operation.http.get("responseCode", 200)
    response = serialize_output(operation.output_shape, RESPONSES[name], status)
    assert response.status == status
    assert response.headers["Content-Type"] == "application/json"
    parsed = create_parser("rest-json").parse(
        {"status_code": status, "headers": response.headers, "body": response.body}, operation.output_shape
    )
    parsed.pop("ResponseMetadata")
    assert parsed == RESPONSES[name]


def test_timestamps_are_epoch_numbers_and_blobs_base64() -> None:
    operation = SERVICE.operation_model("DetectAnomalies")
    body = serialize_output(operation.output_shape, RESPONSES["DetectAnomalies"], 200).body
    assert b'"AnomalyMask":"iVBORyBtYXNrIGJ5dGVz"' in body
    operation = SERVICE.operation_model("DescribeProject")
    body = serialize_output(operation.output_shape, RESPONSES["DescribeProject"], 200).body
    assert f'"CreationTimestamp":{int(T1.timestamp())}'.encode() in body


def test_undeclared_output_member_is_refused() -> None:
    operation = SERVICE.operation_model("StopModel")
    with pytest.raises(ValueError, match="Bogus"):
        serialize_output(operation.output_shape, {"Status": "HOSTED", "Bogus": 1}, 202)


def test_model_arn_label_is_fully_decoded() -> None:
    _, raw_path, *_ = _wire_request("TagResource", REQUESTS["TagResource"])
    assert (
        raw_path == "/2020-11-20/tags/arn%3Aaws%3Alookoutvision%3Aus-east-1%3A123456789012%3Amodel%2Fp1%2F1"
    )
    operation, labels = ROUTER.match("POST", raw_path)
    assert (operation.name, labels) == ("TagResource", {"resourceArn": MODEL_ARN})


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/2020-11-20/nothing"),
        ("PUT", "/2020-11-20/projects"),
        ("GET", "/2020-11-20/projects/p1/models/1/detect"),
        ("GET", "/2020-11-20/projects//models"),
    ],
)
def test_unknown_route(method: str, path: str) -> None:
    with pytest.raises(UnknownOperationError, match=f"{method} {path}"):
        ROUTER.match(method, path)


def _parse_error(exc: Exception, operation_name: str) -> dict[str, Any]:
    """Parse our error response as a botocore client does, modeled members included."""
    response = error_response(exc, "req-1")
    parser = create_parser("rest-json")
    # botocore sees headers through a case-insensitive dict, as from a real HTTP response.
    raw = {"status_code": response.status, "headers": HeadersDict(response.headers), "body": response.body}
    parsed = parser.parse(raw, SERVICE.operation_model(operation_name).output_shape)
    error_shape = SERVICE.shape_for_error_code(parsed["Error"]["Code"])
    if error_shape is not None:
        parsed.update(parser.parse(raw, error_shape))
    return parsed


def test_modeled_errors_parse_in_botocore() -> None:
    parsed = _parse_error(NotFoundError("Project p1 not found", "PROJECT", "p1"), "DescribeProject")
    assert parsed["Error"] == {"Code": "ResourceNotFoundException", "Message": "Project p1 not found"}
    assert (parsed["ResourceId"], parsed["ResourceType"]) == ("p1", "PROJECT")
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == 404

    parsed = _parse_error(ConflictError("exists", "DATASET", "train"), "CreateDataset")
    assert (parsed["Error"]["Code"], parsed["ResourceType"]) == ("ConflictException", "DATASET")
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == 409

    parsed = _parse_error(QuotaExceededError("too many trainings", "L-TRAIN"), "CreateModel")
    assert parsed["Error"]["Code"] == "ServiceQuotaExceededException"
    assert (parsed["QuotaCode"], parsed["ServiceCode"]) == ("L-TRAIN", "lookoutvision")
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == 402
