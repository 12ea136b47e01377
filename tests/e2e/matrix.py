"""Every Lookout for Vision operation with its success and error cases, as data.

The same steps run in-process with current boto3 + the generated service model
(test_matrix.py) and under the old boto3 1.40.60 (clients/run_matrix.py), so
both clients are held to one set of expectations. Standard library only: the
old-client venv has nothing but boto3/awscli.

Steps run in order and build on each other (a project is created before its
dataset is described). Strings in params and expectations are templates over
the run context: ``"{P}"`` etc.; a string that is exactly one placeholder keeps
the context value's type (ints stay ints). ``{"$b64": "name"}`` becomes the
bytes of the base64 context value ``name``.

Context keys supplied by the caller: run (short unique prefix), region,
account, bucket, manifest_key, n_total, n_normal, n_anomaly, changes_b64,
png_b64 (a small PNG), cookie_jpeg_b64 (a cookie test image), trained_project,
trained_version, trained_arn. Roles: ``root`` (all
permissions), ``denied`` (no lookoutvision action), ``creator`` (CreateModel
but not TagResource).
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# A check is (kind, dotted path, expected): see _check_one for the kinds.
Check = tuple[str, str, Any]


@dataclass(frozen=True)
class Ok:
    status: int  # HTTP status of the success response (A.3 table)
    checks: tuple[Check, ...] = ()


@dataclass(frozen=True)
class Err:
    code: str
    status: int
    resource_type: tuple[str, ...] = ()  # any of these; empty = not checked
    resource_id: str | None = None
    message_has: tuple[str, ...] = ()  # each must occur in the message, case-insensitively


@dataclass(frozen=True)
class Call:
    id: str
    op: str  # boto3 method name
    params: dict[str, Any]
    expect: Ok | Err
    role: str = "root"


@dataclass(frozen=True)
class Wait:
    """Poll ``op`` until its response passes ``until`` (or raises ``until_error``)."""

    id: str
    op: str
    params: dict[str, Any]
    until: tuple[Check, ...] = ()
    until_error: str | None = None
    timeout_s: float = 180.0
    interval_s: float = 1.0


Step = Call | Wait

# Names used by the steps.
P = "{run}-main"  # project with an imported train dataset and a small model
E = "{run}-empty"  # project with an empty dataset, later updated
M = "{run}-missing"  # never created
T, TV, TARN = "{trained_project}", "{trained_version}", "{trained_arn}"
P_ARN = "arn:aws:lookoutvision:{region}:{account}:project/" + P
M_ARN = "arn:aws:lookoutvision:{region}:{account}:model/" + P + "/1"
MISSING_MODEL_ARN = "arn:aws:lookoutvision:{region}:{account}:model/" + M + "/1"
MANIFEST_SOURCE = {"GroundTruthManifest": {"S3Object": {"Bucket": "{bucket}", "Key": "{manifest_key}"}}}
OUTPUT = {"S3Location": {"Bucket": "{bucket}", "Prefix": "{run}/model-output/"}}
CHANGES = {"$b64": "changes_b64"}
COOKIE = {"$b64": "cookie_jpeg_b64"}  # a real test image, same size as the trained model's images
UPDATE_STATES = [
    "UPDATE_IN_PROGRESS",
    "UPDATE_COMPLETE",
    "UPDATE_FAILED_ROLLBACK_IN_PROGRESS",
    "UPDATE_FAILED_ROLLBACK_COMPLETE",
]
GREENGRASS = {
    "Greengrass": {
        "TargetPlatform": {"Os": "LINUX", "Arch": "X86_64"},
        "S3OutputLocation": {"Bucket": "{bucket}", "Prefix": "{run}/packages/"},
        "ComponentName": "{run}-component",
    }
}
GG_OUTPUT = "ModelPackagingDescription.ModelPackagingOutputDetails.Greengrass."
GREENGRASS_DEVICE_WITH_OPTIONS = {
    "Greengrass": {
        "TargetDevice": "jetson_xavier",
        "CompilerOptions": '{{"mcpu": "cortex-a72"}}',  # braces doubled: resolve() formats strings
        "S3OutputLocation": {"Bucket": "{bucket}", "Prefix": "{run}/packages/"},
        "ComponentName": "{run}-component-device",
    }
}
GREENGRASS_NVIDIA_NO_OPTIONS = {
    "Greengrass": {
        "TargetPlatform": {"Os": "LINUX", "Arch": "ARM64", "Accelerator": "NVIDIA"},
        "S3OutputLocation": {"Bucket": "{bucket}", "Prefix": "{run}/packages/"},
        "ComponentName": "{run}-component-nvidia",
    }
}


def ok(id_: str, op: str, params: dict[str, Any], status: int, *checks: Check) -> Call:
    return Call(id_, op, params, Ok(status, checks))


def err(
    id_: str,
    op: str,
    params: dict[str, Any],
    code: str,
    status: int,
    rtype: tuple[str, ...] = (),
    rid: str | None = None,
    msg: tuple[str, ...] = (),
    role: str = "root",
) -> Call:
    return Call(id_, op, params, Err(code, status, rtype, rid, msg), role)


def invalid(id_: str, op: str, params: dict[str, Any], field: str) -> Call:
    return err(id_, op, params, "ValidationException", 400, msg=(field,))


def missing(id_: str, op: str, params: dict[str, Any], rtype: str, rid: str | None = None) -> Call:
    return err(id_, op, params, "ResourceNotFoundException", 404, (rtype,), rid)


def denied(id_: str, op: str, params: dict[str, Any], role: str = "denied") -> Call:
    return err(id_, op, params, "AccessDeniedException", 403, role=role)


def conflict(id_: str, op: str, params: dict[str, Any], rtype: str, rid: str | None = None) -> Call:
    return err(id_, op, params, "ConflictException", 409, (rtype,), rid)


STEPS: list[Step] = [
    # --- CreateProject / DescribeProject / ListProjects
    ok(
        "CreateProject:ok",
        "create_project",
        {"ProjectName": P},
        200,
        ("eq", "ProjectMetadata.ProjectName", P),
        ("eq", "ProjectMetadata.ProjectArn", P_ARN),
        ("has", "ProjectMetadata.CreationTimestamp", None),
    ),
    ok("CreateProject:ok-second", "create_project", {"ProjectName": E}, 200),
    conflict("CreateProject:duplicate", "create_project", {"ProjectName": P}, "PROJECT", P),
    invalid("CreateProject:name-with-dot", "create_project", {"ProjectName": "bad.name"}, "ProjectName"),
    denied("CreateProject:denied", "create_project", {"ProjectName": "{run}-denied"}),
    ok(
        "DescribeProject:ok",
        "describe_project",
        {"ProjectName": P},
        200,
        ("eq", "ProjectDescription.ProjectName", P),
        ("eq", "ProjectDescription.ProjectArn", P_ARN),
        ("eq", "ProjectDescription.Datasets", []),
    ),
    missing("DescribeProject:missing", "describe_project", {"ProjectName": M}, "PROJECT", M),
    invalid("DescribeProject:name-with-dot", "describe_project", {"ProjectName": "bad.name"}, "ProjectName"),
    denied("DescribeProject:denied", "describe_project", {"ProjectName": P}),
    ok("ListProjects:ok", "list_projects", {}, 200, ("contains", "Projects", {"ProjectName": P})),
    ok(
        "ListProjects:paged",
        "list_projects",
        {"MaxResults": 1},
        200,
        ("len", "Projects", 1),
        ("has", "NextToken", None),
    ),
    invalid("ListProjects:max-results-101", "list_projects", {"MaxResults": 101}, "MaxResults"),
    invalid("ListProjects:bad-token", "list_projects", {"NextToken": "not a token!"}, "NextToken"),
    denied("ListProjects:denied", "list_projects", {}),
    # --- CreateDataset / DescribeDataset / ListDatasetEntries
    ok(
        "CreateDataset:ok-manifest",
        "create_dataset",
        {"ProjectName": P, "DatasetType": "train", "DatasetSource": MANIFEST_SOURCE},
        202,
        ("eq", "DatasetMetadata.DatasetType", "train"),
        ("in", "DatasetMetadata.Status", ["CREATE_IN_PROGRESS", "CREATE_COMPLETE"]),
        ("has", "DatasetMetadata.StatusMessage", None),
    ),
    Wait(
        "CreateDataset:import-completes",
        "describe_dataset",
        {"ProjectName": P, "DatasetType": "train"},
        until=(("eq", "DatasetDescription.Status", "CREATE_COMPLETE"),),
    ),
    ok(
        "CreateDataset:ok-empty",
        "create_dataset",
        {"ProjectName": E, "DatasetType": "train"},
        202,
        ("eq", "DatasetMetadata.Status", "CREATE_COMPLETE"),
        ("has", "DatasetMetadata.StatusMessage", None),
    ),
    conflict(
        "CreateDataset:duplicate", "create_dataset", {"ProjectName": P, "DatasetType": "train"}, "DATASET"
    ),
    missing(
        "CreateDataset:missing-project",
        "create_dataset",
        {"ProjectName": M, "DatasetType": "train"},
        "PROJECT",
        M,
    ),
    invalid(
        "CreateDataset:bad-type",
        "create_dataset",
        {"ProjectName": P, "DatasetType": "validation"},
        "DatasetType",
    ),
    denied("CreateDataset:denied", "create_dataset", {"ProjectName": P, "DatasetType": "test"}),
    ok(
        "DescribeDataset:ok",
        "describe_dataset",
        {"ProjectName": P, "DatasetType": "train"},
        200,
        ("eq", "DatasetDescription.ProjectName", P),
        ("eq", "DatasetDescription.Status", "CREATE_COMPLETE"),
        ("has", "DatasetDescription.StatusMessage", None),
        ("eq", "DatasetDescription.ImageStats.Total", "{n_total}"),
        ("eq", "DatasetDescription.ImageStats.Labeled", "{n_total}"),
        ("eq", "DatasetDescription.ImageStats.Normal", "{n_normal}"),
        ("eq", "DatasetDescription.ImageStats.Anomaly", "{n_anomaly}"),
    ),
    missing(
        "DescribeDataset:missing-dataset",
        "describe_dataset",
        {"ProjectName": P, "DatasetType": "test"},
        "DATASET",
    ),
    missing(
        "DescribeDataset:missing-project",
        "describe_dataset",
        {"ProjectName": M, "DatasetType": "train"},
        "PROJECT",
        M,
    ),
    invalid(
        "DescribeDataset:upper-case-type",
        "describe_dataset",
        {"ProjectName": P, "DatasetType": "TRAIN"},
        "DatasetType",
    ),
    denied("DescribeDataset:denied", "describe_dataset", {"ProjectName": P, "DatasetType": "train"}),
    ok(
        "ListDatasetEntries:ok",
        "list_dataset_entries",
        {"ProjectName": P, "DatasetType": "train"},
        200,
        ("len", "DatasetEntries", "{n_total}"),
        ("json_lines", "DatasetEntries", None),
    ),
    ok(
        "ListDatasetEntries:anomaly-class",
        "list_dataset_entries",
        {"ProjectName": P, "DatasetType": "train", "AnomalyClass": "anomaly"},
        200,
        ("len", "DatasetEntries", "{n_anomaly}"),
    ),
    ok(
        "ListDatasetEntries:source-ref-contains",
        "list_dataset_entries",
        {"ProjectName": P, "DatasetType": "train", "SourceRefContains": "anomaly-03"},
        200,
        ("len", "DatasetEntries", 1),
    ),
    ok(
        "ListDatasetEntries:paged",
        "list_dataset_entries",
        {"ProjectName": P, "DatasetType": "train", "MaxResults": 5},
        200,
        ("len", "DatasetEntries", 5),
        ("has", "NextToken", None),
    ),
    invalid(
        "ListDatasetEntries:max-results-101",
        "list_dataset_entries",
        {"ProjectName": P, "DatasetType": "train", "MaxResults": 101},
        "MaxResults",
    ),
    invalid(
        "ListDatasetEntries:bad-anomaly-class",
        "list_dataset_entries",
        {"ProjectName": P, "DatasetType": "train", "AnomalyClass": "broken"},
        "AnomalyClass",
    ),
    missing(
        "ListDatasetEntries:missing-dataset",
        "list_dataset_entries",
        {"ProjectName": P, "DatasetType": "test"},
        "DATASET",
    ),
    missing(
        "ListDatasetEntries:missing-project",
        "list_dataset_entries",
        {"ProjectName": M, "DatasetType": "train"},
        "PROJECT",
        M,
    ),
    denied("ListDatasetEntries:denied", "list_dataset_entries", {"ProjectName": P, "DatasetType": "train"}),
    # --- UpdateDatasetEntries on the empty dataset
    ok(
        "UpdateDatasetEntries:ok",
        "update_dataset_entries",
        {"ProjectName": E, "DatasetType": "train", "Changes": CHANGES},
        202,
        ("in", "Status", UPDATE_STATES),
    ),
    ok(
        "UpdateDatasetEntries:status-visible-at-once",
        "describe_dataset",
        {"ProjectName": E, "DatasetType": "train"},
        200,
        ("in", "DatasetDescription.Status", UPDATE_STATES),
    ),
    Wait(
        "UpdateDatasetEntries:completes",
        "describe_dataset",
        {"ProjectName": E, "DatasetType": "train"},
        until=(("eq", "DatasetDescription.Status", "UPDATE_COMPLETE"),),
    ),
    ok(
        "UpdateDatasetEntries:entry-added",
        "describe_dataset",
        {"ProjectName": E, "DatasetType": "train"},
        200,
        ("eq", "DatasetDescription.ImageStats.Total", 1),
    ),
    missing(
        "UpdateDatasetEntries:missing-project",
        "update_dataset_entries",
        {"ProjectName": M, "DatasetType": "train", "Changes": CHANGES},
        "PROJECT",
        M,
    ),
    missing(
        "UpdateDatasetEntries:missing-dataset",
        "update_dataset_entries",
        {"ProjectName": P, "DatasetType": "test", "Changes": CHANGES},
        "DATASET",
    ),
    invalid(
        "UpdateDatasetEntries:bad-type",
        "update_dataset_entries",
        {"ProjectName": P, "DatasetType": "bogus", "Changes": CHANGES},
        "DatasetType",
    ),
    denied(
        "UpdateDatasetEntries:denied",
        "update_dataset_entries",
        {"ProjectName": E, "DatasetType": "train", "Changes": CHANGES},
    ),
    # --- CreateModel: the denials first, so the first real model must still be version "1"
    denied(
        "CreateModel:tags-need-TagResource",
        "create_model",
        {"ProjectName": P, "OutputConfig": OUTPUT, "Tags": [{"Key": "team", "Value": "qa"}]},
        role="creator",
    ),
    denied("CreateModel:denied", "create_model", {"ProjectName": P, "OutputConfig": OUTPUT}),
    missing(
        "CreateModel:missing-project",
        "create_model",
        {"ProjectName": M, "OutputConfig": OUTPUT},
        "PROJECT",
        M,
    ),
    invalid(
        "CreateModel:description-with-spaces",
        "create_model",
        {"ProjectName": P, "OutputConfig": OUTPUT, "Description": "has spaces"},
        "Description",
    ),
    ok(
        "CreateModel:ok",
        "create_model",
        {
            "ProjectName": P,
            "OutputConfig": OUTPUT,
            "Description": "matrix-model",
            "Tags": [{"Key": "{run}-owner", "Value": "matrix"}],
        },
        202,
        ("eq", "ModelMetadata.ModelVersion", "1"),
        ("eq", "ModelMetadata.ModelArn", M_ARN),
        ("eq", "ModelMetadata.Status", "TRAINING"),
        ("eq", "ModelMetadata.Description", "matrix-model"),
        ("has", "ModelMetadata.StatusMessage", None),
    ),
    # --- DeleteModel / DeleteProject refused while the model trains
    conflict("DeleteModel:while-training", "delete_model", {"ProjectName": P, "ModelVersion": "1"}, "MODEL"),
    conflict("DeleteProject:not-empty", "delete_project", {"ProjectName": P}, "PROJECT", P),
    invalid(
        "DeleteModel:latest-not-allowed",
        "delete_model",
        {"ProjectName": P, "ModelVersion": "latest"},
        "ModelVersion",
    ),
    missing("DeleteModel:missing-version", "delete_model", {"ProjectName": P, "ModelVersion": "99"}, "MODEL"),
    missing(
        "DeleteModel:missing-project", "delete_model", {"ProjectName": M, "ModelVersion": "1"}, "PROJECT", M
    ),
    denied("DeleteModel:denied", "delete_model", {"ProjectName": P, "ModelVersion": "1"}),
    # --- DescribeModel / ListModels on the shared trained cookie model
    ok(
        "DescribeModel:trained",
        "describe_model",
        {"ProjectName": T, "ModelVersion": TV},
        200,
        ("eq", "ModelDescription.Status", "TRAINED"),
        ("eq", "ModelDescription.ModelArn", TARN),
        ("has", "ModelDescription.StatusMessage", None),
        ("has", "ModelDescription.Performance.F1Score", None),
        ("has", "ModelDescription.Performance.Recall", None),
        ("has", "ModelDescription.Performance.Precision", None),
        ("has", "ModelDescription.OutputConfig.S3Location.Bucket", None),
        ("has", "ModelDescription.EvaluationResult.Key", None),
        ("has", "ModelDescription.EvaluationManifest.Key", None),
        ("has", "ModelDescription.EvaluationEndTimestamp", None),
    ),
    ok(
        "DescribeModel:latest",
        "describe_model",
        {"ProjectName": T, "ModelVersion": "latest"},
        200,
        ("eq", "ModelDescription.ModelVersion", TV),
    ),
    missing(
        "DescribeModel:missing-version", "describe_model", {"ProjectName": P, "ModelVersion": "99"}, "MODEL"
    ),
    missing(
        "DescribeModel:missing-project",
        "describe_model",
        {"ProjectName": M, "ModelVersion": "1"},
        "PROJECT",
        M,
    ),
    invalid(
        "DescribeModel:version-zero",
        "describe_model",
        {"ProjectName": P, "ModelVersion": "0"},
        "ModelVersion",
    ),
    denied("DescribeModel:denied", "describe_model", {"ProjectName": T, "ModelVersion": TV}),
    ok(
        "ListModels:ok",
        "list_models",
        {"ProjectName": T},
        200,
        ("contains", "Models", {"ModelVersion": TV, "ModelArn": TARN, "Status": "TRAINED"}),
    ),
    ok("ListModels:empty", "list_models", {"ProjectName": E}, 200, ("eq", "Models", [])),
    missing("ListModels:missing-project", "list_models", {"ProjectName": M}, "PROJECT", M),
    invalid("ListModels:max-results-101", "list_models", {"ProjectName": T, "MaxResults": 101}, "MaxResults"),
    denied("ListModels:denied", "list_models", {"ProjectName": T}),
    # --- Tags (run-specific keys on the shared model, so runs do not disturb each other)
    ok(
        "TagResource:ok",
        "tag_resource",
        {"ResourceArn": TARN, "Tags": [{"Key": "{run}-k", "Value": "v1"}]},
        200,
    ),
    ok(
        "ListTagsForResource:ok",
        "list_tags_for_resource",
        {"ResourceArn": TARN},
        200,
        ("contains", "Tags", {"Key": "{run}-k", "Value": "v1"}),
    ),
    ok(
        "ListTagsForResource:tags-from-CreateModel",
        "list_tags_for_resource",
        {"ResourceArn": M_ARN},
        200,
        ("contains", "Tags", {"Key": "{run}-owner", "Value": "matrix"}),
    ),
    ok("UntagResource:ok", "untag_resource", {"ResourceArn": TARN, "TagKeys": ["{run}-k"]}, 200),
    ok(
        "UntagResource:removed",
        "list_tags_for_resource",
        {"ResourceArn": TARN},
        200,
        ("lacks", "Tags", {"Key": "{run}-k"}),
    ),
    missing(
        "TagResource:missing-model",
        "tag_resource",
        {"ResourceArn": MISSING_MODEL_ARN, "Tags": [{"Key": "k", "Value": "v"}]},
        "MODEL",
    ),
    missing(
        "ListTagsForResource:missing-model",
        "list_tags_for_resource",
        {"ResourceArn": MISSING_MODEL_ARN},
        "MODEL",
    ),
    missing(
        "UntagResource:missing-model",
        "untag_resource",
        {"ResourceArn": MISSING_MODEL_ARN, "TagKeys": ["k"]},
        "MODEL",
    ),
    invalid(
        "TagResource:bad-key",
        "tag_resource",
        {"ResourceArn": TARN, "Tags": [{"Key": "bad#key", "Value": "v"}]},
        "tag",
    ),
    invalid("UntagResource:bad-key", "untag_resource", {"ResourceArn": TARN, "TagKeys": ["bad#key"]}, "tag"),
    denied("TagResource:denied", "tag_resource", {"ResourceArn": TARN, "Tags": [{"Key": "k", "Value": "v"}]}),
    denied("ListTagsForResource:denied", "list_tags_for_resource", {"ResourceArn": TARN}),
    denied("UntagResource:denied", "untag_resource", {"ResourceArn": TARN, "TagKeys": ["team"]}),
    # --- Hosting on the shared trained model: refused while not hosted, then start, detect, stop
    conflict("StopModel:not-hosted", "stop_model", {"ProjectName": T, "ModelVersion": TV}, "MODEL"),
    conflict(
        "DetectAnomalies:not-hosted",
        "detect_anomalies",
        {"ProjectName": T, "ModelVersion": TV, "Body": COOKIE, "ContentType": "image/jpeg"},
        "MODEL",
    ),
    missing(
        "StartModel:missing-project",
        "start_model",
        {"ProjectName": M, "ModelVersion": "1", "MinInferenceUnits": 1},
        "PROJECT",
        M,
    ),
    invalid(
        "StartModel:bad-version",
        "start_model",
        {"ProjectName": T, "ModelVersion": "abc", "MinInferenceUnits": 1},
        "ModelVersion",
    ),
    denied(
        "StartModel:denied", "start_model", {"ProjectName": T, "ModelVersion": TV, "MinInferenceUnits": 1}
    ),
    ok(
        "StartModel:ok",
        "start_model",
        {"ProjectName": T, "ModelVersion": TV, "MinInferenceUnits": 1},
        202,
        ("in", "Status", ["STARTING_HOSTING", "HOSTED"]),
    ),
    Wait(
        "StartModel:settles",
        "describe_model",
        {"ProjectName": T, "ModelVersion": TV},
        until=(("in", "ModelDescription.Status", ["HOSTED", "HOSTING_FAILED"]),),
        timeout_s=300.0,
    ),
    ok(
        "StartModel:hosted",
        "describe_model",
        {"ProjectName": T, "ModelVersion": TV},
        200,
        ("eq", "ModelDescription.Status", "HOSTED"),
        ("eq", "ModelDescription.MinInferenceUnits", 1),
    ),
    conflict("DeleteModel:while-hosted", "delete_model", {"ProjectName": T, "ModelVersion": TV}, "MODEL"),
    ok(
        "DetectAnomalies:ok",
        "detect_anomalies",
        {"ProjectName": T, "ModelVersion": TV, "Body": COOKIE, "ContentType": "image/jpeg"},
        200,
        ("eq", "DetectAnomalyResult.Source.Type", "direct"),
        ("is_bool", "DetectAnomalyResult.IsAnomalous", None),
        ("fraction", "DetectAnomalyResult.Confidence", None),
    ),
    err(
        "DetectAnomalies:wrong-dimensions",
        "detect_anomalies",
        {"ProjectName": T, "ModelVersion": TV, "Body": {"$b64": "png_b64"}, "ContentType": "image/png"},
        "ValidationException",
        400,
    ),
    missing(
        "DetectAnomalies:missing-project",
        "detect_anomalies",
        {"ProjectName": M, "ModelVersion": "1", "Body": COOKIE, "ContentType": "image/jpeg"},
        "PROJECT",
        M,
    ),
    invalid(
        "DetectAnomalies:bad-version",
        "detect_anomalies",
        {"ProjectName": T, "ModelVersion": "abc", "Body": COOKIE, "ContentType": "image/jpeg"},
        "ModelVersion",
    ),
    denied(
        "DetectAnomalies:denied",
        "detect_anomalies",
        {"ProjectName": T, "ModelVersion": TV, "Body": COOKIE, "ContentType": "image/jpeg"},
    ),
    missing("StopModel:missing-project", "stop_model", {"ProjectName": M, "ModelVersion": "1"}, "PROJECT", M),
    invalid("StopModel:bad-version", "stop_model", {"ProjectName": T, "ModelVersion": "abc"}, "ModelVersion"),
    denied("StopModel:denied", "stop_model", {"ProjectName": T, "ModelVersion": TV}),
    ok(
        "StopModel:ok",
        "stop_model",
        {"ProjectName": T, "ModelVersion": TV},
        202,
        ("eq", "Status", "STOPPING_HOSTING"),
    ),
    Wait(
        "StopModel:back-to-trained",
        "describe_model",
        {"ProjectName": T, "ModelVersion": TV},
        until=(("eq", "ModelDescription.Status", "TRAINED"),),
        timeout_s=120.0,
    ),
    # --- Packaging: a real job on the trained model (edge package in S3), then its errors
    ok(
        "ListModelPackagingJobs:before-start",
        "list_model_packaging_jobs",
        {"ProjectName": T},
        200,
        ("lacks", "ModelPackagingJobs", {"JobName": "{run}-job"}),
    ),
    ok(
        "StartModelPackagingJob:ok",
        "start_model_packaging_job",
        {"ProjectName": T, "ModelVersion": TV, "JobName": "{run}-job", "Configuration": GREENGRASS},
        200,
        ("eq", "JobName", "{run}-job"),
    ),
    conflict(
        "StartModelPackagingJob:component-version-taken",
        "start_model_packaging_job",
        {"ProjectName": T, "ModelVersion": TV, "JobName": "{run}-job-2", "Configuration": GREENGRASS},
        "MODEL_PACKAGE_JOB",
    ),
    invalid(
        "StartModelPackagingJob:compiler-options-with-device",
        "start_model_packaging_job",
        {"ProjectName": T, "ModelVersion": TV, "Configuration": GREENGRASS_DEVICE_WITH_OPTIONS},
        "CompilerOptions",
    ),
    invalid(
        "StartModelPackagingJob:nvidia-without-options",
        "start_model_packaging_job",
        {"ProjectName": T, "ModelVersion": TV, "Configuration": GREENGRASS_NVIDIA_NO_OPTIONS},
        "CompilerOptions",
    ),
    Wait(
        "DescribeModelPackagingJob:job-finishes",
        "describe_model_packaging_job",
        {"ProjectName": T, "JobName": "{run}-job"},
        until=(("in", "ModelPackagingDescription.Status", ["SUCCEEDED", "FAILED"]),),
        timeout_s=300.0,
    ),
    ok(
        "DescribeModelPackagingJob:succeeded",
        "describe_model_packaging_job",
        {"ProjectName": T, "JobName": "{run}-job"},
        200,
        ("eq", "ModelPackagingDescription.Status", "SUCCEEDED"),
        ("eq", "ModelPackagingDescription.ModelPackagingMethod", "Greengrass"),
        ("eq", GG_OUTPUT + "ComponentName", "{run}-component"),
        ("eq", GG_OUTPUT + "ComponentVersion", TV + ".0.0"),
    ),
    ok(
        "ListModelPackagingJobs:lists-job",
        "list_model_packaging_jobs",
        {"ProjectName": T},
        200,
        ("contains", "ModelPackagingJobs", {"JobName": "{run}-job", "Status": "SUCCEEDED"}),
    ),
    invalid(
        "StartModelPackagingJob:bad-job-name",
        "start_model_packaging_job",
        {"ProjectName": T, "ModelVersion": TV, "JobName": "bad name", "Configuration": GREENGRASS},
        "JobName",
    ),
    denied(
        "StartModelPackagingJob:denied",
        "start_model_packaging_job",
        {"ProjectName": T, "ModelVersion": TV, "Configuration": GREENGRASS},
    ),
    missing(
        "DescribeModelPackagingJob:unknown-job",
        "describe_model_packaging_job",
        {"ProjectName": T, "JobName": "{run}-nojob"},
        "MODEL_PACKAGE_JOB",
        "{run}-nojob",
    ),
    err(
        "DescribeModelPackagingJob:missing-project",
        "describe_model_packaging_job",
        {"ProjectName": M, "JobName": "job"},
        "ResourceNotFoundException",
        404,
        ("PROJECT", "MODEL_PACKAGE_JOB"),
    ),
    invalid(
        "DescribeModelPackagingJob:bad-job-name",
        "describe_model_packaging_job",
        {"ProjectName": T, "JobName": "bad name"},
        "JobName",
    ),
    denied(
        "DescribeModelPackagingJob:denied",
        "describe_model_packaging_job",
        {"ProjectName": T, "JobName": "job"},
    ),
    missing(
        "ListModelPackagingJobs:missing-project",
        "list_model_packaging_jobs",
        {"ProjectName": M},
        "PROJECT",
        M,
    ),
    invalid(
        "ListModelPackagingJobs:max-results-101",
        "list_model_packaging_jobs",
        {"ProjectName": T, "MaxResults": 101},
        "MaxResults",
    ),
    denied("ListModelPackagingJobs:denied", "list_model_packaging_jobs", {"ProjectName": T}),
    # --- DeleteModel once the small model has finished training
    Wait(
        "CreateModel:training-finishes",
        "describe_model",
        {"ProjectName": P, "ModelVersion": "1"},
        until=(("in", "ModelDescription.Status", ["TRAINED", "TRAINING_FAILED"]),),
        timeout_s=900.0,
        interval_s=3.0,
    ),
    ok(
        "DeleteModel:ok",
        "delete_model",
        {"ProjectName": P, "ModelVersion": "1"},
        202,
        ("eq", "ModelArn", M_ARN),
    ),
    Wait(
        "DeleteModel:version-disappears",
        "list_models",
        {"ProjectName": P},
        until=(("lacks", "Models", {"ModelVersion": "1"}),),
    ),
    # --- DeleteDataset / DeleteProject
    missing(
        "DeleteDataset:missing-dataset",
        "delete_dataset",
        {"ProjectName": P, "DatasetType": "test"},
        "DATASET",
    ),
    missing(
        "DeleteDataset:missing-project",
        "delete_dataset",
        {"ProjectName": M, "DatasetType": "train"},
        "PROJECT",
        M,
    ),
    invalid(
        "DeleteDataset:bad-type", "delete_dataset", {"ProjectName": P, "DatasetType": "x"}, "DatasetType"
    ),
    denied("DeleteDataset:denied", "delete_dataset", {"ProjectName": P, "DatasetType": "train"}),
    ok("DeleteDataset:ok", "delete_dataset", {"ProjectName": P, "DatasetType": "train"}, 202),
    ok("DeleteDataset:ok-updated", "delete_dataset", {"ProjectName": E, "DatasetType": "train"}, 202),
    Wait(
        "DeleteDataset:dataset-disappears",
        "describe_project",
        {"ProjectName": P},
        until=(("eq", "ProjectDescription.Datasets", []),),
    ),
    Wait(
        "DeleteDataset:updated-dataset-disappears",
        "describe_project",
        {"ProjectName": E},
        until=(("eq", "ProjectDescription.Datasets", []),),
    ),
    missing("DeleteProject:missing", "delete_project", {"ProjectName": M}, "PROJECT", M),
    invalid("DeleteProject:name-with-dot", "delete_project", {"ProjectName": "bad.name"}, "ProjectName"),
    denied("DeleteProject:denied", "delete_project", {"ProjectName": P}),
    ok("DeleteProject:ok", "delete_project", {"ProjectName": P}, 200, ("eq", "ProjectArn", P_ARN)),
    ok("DeleteProject:ok-second", "delete_project", {"ProjectName": E}, 200),
    Wait(
        "DeleteProject:project-disappears",
        "describe_project",
        {"ProjectName": P},
        until_error="ResourceNotFoundException",
    ),
]

STEP_IDS: list[str] = [step.id for step in STEPS]

OPERATIONS = [
    "CreateDataset",
    "CreateModel",
    "CreateProject",
    "DeleteDataset",
    "DeleteModel",
    "DeleteProject",
    "DescribeDataset",
    "DescribeModel",
    "DescribeModelPackagingJob",
    "DescribeProject",
    "DetectAnomalies",
    "ListDatasetEntries",
    "ListModelPackagingJobs",
    "ListModels",
    "ListProjects",
    "ListTagsForResource",
    "StartModel",
    "StartModelPackagingJob",
    "StopModel",
    "TagResource",
    "UntagResource",
    "UpdateDatasetEntries",
]


# ---------------------------------------------------------------- resolution
_WHOLE = re.compile(r"^\{(\w+)\}$")


def resolve(value: Any, ctx: dict[str, Any]) -> Any:
    """Fill templates in ``value`` from ``ctx`` (see module docstring)."""
    if isinstance(value, str):
        whole = _WHOLE.match(value)
        if whole and whole.group(1) in ctx:
            return ctx[whole.group(1)]
        return value.format_map(ctx)
    if isinstance(value, dict):
        if set(value) == {"$b64"}:
            return base64.b64decode(ctx[value["$b64"]])
        return {k: resolve(v, ctx) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [resolve(v, ctx) for v in value]
    return value


# ---------------------------------------------------------------- checks
_ABSENT = object()


def dig(data: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return _ABSENT
    return data


def _matches(item: Any, subset: dict[str, Any]) -> bool:
    return isinstance(item, dict) and all(item.get(k) == v for k, v in subset.items())


def _check_one(response: dict[str, Any], check: Check, ctx: dict[str, Any]) -> str | None:
    kind, path, raw = check
    want = resolve(raw, ctx)
    got = dig(response, path)
    if got is _ABSENT:
        return f"{path} is missing"
    if kind == "has":
        return None
    if kind == "eq":
        return None if got == want else f"{path} = {got!r}, want {want!r}"
    if kind == "in":
        return None if got in want else f"{path} = {got!r}, want one of {want!r}"
    if kind == "len":
        return None if len(got) == want else f"len({path}) = {len(got)}, want {want}"
    if kind == "contains":
        return None if any(_matches(i, want) for i in got) else f"{path} has no item like {want!r}: {got!r}"
    if kind == "lacks":
        return None if not any(_matches(i, want) for i in got) else f"{path} still has an item like {want!r}"
    if kind == "is_bool":
        return None if isinstance(got, bool) else f"{path} = {got!r}, want a boolean"
    if kind == "fraction":
        ok = isinstance(got, float | int) and 0.0 <= got <= 1.0
        return None if ok else f"{path} = {got!r}, want a number in 0-1"
    if kind == "json_lines":
        bad = [
            line
            for line in got
            if not (isinstance(line, str) and line.startswith("{") and line.endswith("}"))
        ]
        return None if not bad else f"{path} has entries that are not JSON-object strings: {bad[:2]!r}"
    raise ValueError(f"unknown check kind {kind!r}")


def check_response(response: dict[str, Any], checks: tuple[Check, ...], ctx: dict[str, Any]) -> str | None:
    problems = [p for p in (_check_one(response, c, ctx) for c in checks) if p]
    return "; ".join(problems) or None


def _error_fields(error: Exception) -> tuple[str, int, str, dict[str, Any]]:
    response: dict[str, Any] = getattr(error, "response", {}) or {}
    info = response.get("Error", {})
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    # botocore puts modelled members (ResourceId, ResourceType) at the top level of the response.
    members = {k: response.get(k, info.get(k)) for k in ("ResourceId", "ResourceType")}
    return info.get("Code", ""), status, info.get("Message", ""), members


# Their shapes require ResourceId and ResourceType (A.1).
RESOURCE_ERRORS = ("ResourceNotFoundException", "ConflictException")


def check_error(error: Exception, expect: Err, ctx: dict[str, Any]) -> str | None:
    code, status, message, members = _error_fields(error)
    if not hasattr(error, "response"):
        return f"no HTTP error but {type(error).__name__}: {error}"
    problems = []
    if (code, status) != (expect.code, expect.status):
        problems.append(f"got {code} {status}, want {expect.code} {expect.status} (message: {message!r})")
    if expect.resource_type and members["ResourceType"] not in expect.resource_type:
        problems.append(f"ResourceType = {members['ResourceType']!r}, want one of {expect.resource_type}")
    want_id = resolve(expect.resource_id, ctx) if expect.resource_id else None
    if want_id is not None and members["ResourceId"] != want_id:
        problems.append(f"ResourceId = {members['ResourceId']!r}, want {want_id!r}")
    if expect.code in RESOURCE_ERRORS and not (members["ResourceId"] and members["ResourceType"]):
        problems.append(f"{expect.code} needs ResourceId and ResourceType, got {members!r}")
    for needle in expect.message_has:
        if resolve(needle, ctx).lower() not in message.lower():
            problems.append(f"message {message!r} does not mention {needle!r}")
    return "; ".join(problems) or None


# ---------------------------------------------------------------- running
def run_call(call: Call, clients: dict[str, Any], ctx: dict[str, Any]) -> str | None:
    method: Callable[..., dict[str, Any]] = getattr(clients[call.role], call.op)
    params = resolve(call.params, ctx)
    try:
        response = method(**params)
    except Exception as error:
        if isinstance(call.expect, Err):
            return check_error(error, call.expect, ctx)
        code, status, message, _ = _error_fields(error)
        return f"unexpected error {code or type(error).__name__} {status}: {message or error}"
    if isinstance(call.expect, Err):
        return f"succeeded, want {call.expect.code} {call.expect.status}: {response!r}"[:600]
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    problems = [f"HTTP {status}, want {call.expect.status}"] if status != call.expect.status else []
    if found := check_response(response, call.expect.checks, ctx):
        problems.append(found)
    return "; ".join(problems) or None


def run_wait(wait: Wait, clients: dict[str, Any], ctx: dict[str, Any]) -> str | None:
    method = getattr(clients["root"], wait.op)
    params = resolve(wait.params, ctx)
    deadline = time.monotonic() + wait.timeout_s
    last = "no response"
    while True:
        try:
            response = method(**params)
            last = check_response(response, wait.until, ctx) if not wait.until_error else "still exists"
            if last is None:
                return None
        except Exception as error:
            code, status, message, _ = _error_fields(error)
            if wait.until_error and code == wait.until_error:
                return None
            last = f"{code or type(error).__name__} {status}: {message or error}"
        if time.monotonic() > deadline:
            return f"not reached within {wait.timeout_s:.0f}s; last: {last}"
        time.sleep(wait.interval_s)


def run_steps(clients: dict[str, Any], ctx: dict[str, Any]) -> dict[str, str | None]:
    """Run every step in order; map step id -> None (passed) or a failure description."""
    outcomes: dict[str, str | None] = {}
    for step in STEPS:
        try:
            if isinstance(step, Wait):
                outcomes[step.id] = run_wait(step, clients, ctx)
            else:
                outcomes[step.id] = run_call(step, clients, ctx)
        except Exception as error:  # a broken step must not hide the remaining ones
            outcomes[step.id] = f"step crashed: {type(error).__name__}: {error}"
    return outcomes
