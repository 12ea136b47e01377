"""The getting-started cookie flow, written once for any boto3 release.

``run_cookie_flow(lv, s3, plan)`` uploads the images and the rewritten manifest
through the server's S3 API, creates the project and dataset, trains a model
and reads back the evaluation files. It returns a JSON-serialisable summary;
the pytest side (flow_checks.py) asserts on it, the same way for every client.
Standard library + boto3 only: it also runs under the old-client venv.

Plan keys: project, bucket, images ([local path, key] pairs), manifest_path,
manifest_key, output_prefix, tags, dataset_timeout_s, train_timeout_s.
"""

from __future__ import annotations

import json
import time
from typing import Any


def _error_text(error: Exception) -> str:
    response = getattr(error, "response", None)
    if not response:
        return f"{type(error).__name__}: {error}"
    info = response.get("Error", {})
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return f"{info.get('Code')} (HTTP {status}): {info.get('Message')}"


def poll(
    describe: Any, path: tuple[str, ...], waiting: set[str], timeout_s: float, interval_s: float
) -> dict:
    """Call ``describe()`` until the status at ``path`` leaves ``waiting`` or time runs out."""
    deadline = time.monotonic() + timeout_s
    while True:
        response = describe()
        status = response
        for part in path:
            status = status[part]
        if status not in waiting or time.monotonic() > deadline:
            return response
        time.sleep(interval_s)


def upload_inputs(s3: Any, plan: dict[str, Any]) -> None:
    s3.create_bucket(Bucket=plan["bucket"])
    for local_path, key in plan["images"]:
        s3.upload_file(local_path, plan["bucket"], key)
    s3.upload_file(plan["manifest_path"], plan["bucket"], plan["manifest_key"])


def read_json_object(s3: Any, bucket: str, key: str) -> str:
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")


def run_cookie_flow(lv: Any, s3: Any, plan: dict[str, Any]) -> dict[str, Any]:
    summary: dict[str, Any] = {"step": "upload"}
    project, bucket = plan["project"], plan["bucket"]
    try:
        upload_inputs(s3, plan)
        summary["step"] = "create-project"
        summary["project"] = lv.create_project(ProjectName=project)["ProjectMetadata"]
        summary["step"] = "create-dataset"
        source = {"GroundTruthManifest": {"S3Object": {"Bucket": bucket, "Key": plan["manifest_key"]}}}
        created = lv.create_dataset(ProjectName=project, DatasetType="train", DatasetSource=source)
        summary["create_dataset"] = created["DatasetMetadata"]
        summary["step"] = "wait-dataset"
        described = poll(
            lambda: lv.describe_dataset(ProjectName=project, DatasetType="train"),
            ("DatasetDescription", "Status"),
            {"CREATE_IN_PROGRESS"},
            plan["dataset_timeout_s"],
            2.0,
        )
        summary["dataset"] = described["DatasetDescription"]
        if summary["dataset"]["Status"] != "CREATE_COMPLETE":
            return summary
        summary["step"] = "create-model"
        output = {"S3Location": {"Bucket": bucket, "Prefix": plan["output_prefix"]}}
        started = time.monotonic()
        model = lv.create_model(ProjectName=project, OutputConfig=output, Tags=plan["tags"])
        summary["create_model"] = model["ModelMetadata"]
        summary["step"] = "wait-model"
        version = model["ModelMetadata"]["ModelVersion"]
        described = poll(
            lambda: lv.describe_model(ProjectName=project, ModelVersion=version),
            ("ModelDescription", "Status"),
            {"TRAINING"},
            plan["train_timeout_s"],
            # Under uvicorn's 5 s keep-alive: with retries off, a request racing the server's
            # close of an idle pooled connection would surface as a connection error.
            2.0,
        )
        summary["model"] = described["ModelDescription"]
        summary["train_seconds"] = round(time.monotonic() - started, 1)
        if summary["model"]["Status"] != "TRAINED":
            return summary
        summary["step"] = "read-evaluation"
        result, manifest = summary["model"]["EvaluationResult"], summary["model"]["EvaluationManifest"]
        summary["evaluation_result"] = read_json_object(s3, result["Bucket"], result["Key"])
        summary["evaluation_manifest"] = read_json_object(s3, manifest["Bucket"], manifest["Key"])
        summary["step"] = "list-tags"
        summary["tags"] = lv.list_tags_for_resource(ResourceArn=summary["model"]["ModelArn"])["Tags"]
        summary["step"] = "done"
    except Exception as error:
        summary["error"] = _error_text(error)
    return summary


def to_json(summary: dict[str, Any]) -> str:
    # Timestamps come back as datetime objects; their exact rendering is not asserted.
    return json.dumps(summary, default=str)
