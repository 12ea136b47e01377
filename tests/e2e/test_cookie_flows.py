"""Acceptance: the getting-started cookie flow with all three real clients.

Each client trains once on ../shared/datasets/lfv-cookies, through real HTTP:
current boto3 via the generated service model (in-process), boto3 1.40.60
(subprocess) and awscli 1.42.60 (one subprocess per command, as a user types).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from .conftest import DATASET_TIMEOUT_S, TRAIN_TIMEOUT_S, cookie_plan
from .cookies import rewritten_manifest
from .flow_checks import assert_cookie_flow
from .old_clients import AwsCli, run_old_boto3_script
from .paths import require_cookies, require_old_clients

pytestmark = pytest.mark.slow


def test_current_boto3_cookie_flow(trained_cookies: tuple[dict[str, Any], dict[str, Any]]) -> None:
    plan, summary = trained_cookies
    assert_cookie_flow(summary, plan["project"], plan["bucket"], plan["output_prefix"])


def test_old_boto3_cookie_flow(config: dict[str, Any], tmp_path: Path) -> None:
    require_old_clients()
    plan = cookie_plan(require_cookies(), tmp_path, "cookies-boto3-old", "cookies-boto3-old")
    timeout_s = TRAIN_TIMEOUT_S + DATASET_TIMEOUT_S + 300
    summary = run_old_boto3_script("run_cookie_flow.py", {**config, "plan": plan}, tmp_path, timeout_s)
    assert_cookie_flow(summary, plan["project"], plan["bucket"], plan["output_prefix"])


def run_awscli_flow(
    aws: AwsCli, cookies_dir: Path, workdir: Path, project: str, bucket: str
) -> dict[str, Any]:
    """The same steps as clients/cookie_flow.py, as awscli commands; returns the same summary shape."""
    summary: dict[str, Any] = {}
    aws.run("s3", "mb", f"s3://{bucket}")
    for kind in ("normal", "anomaly"):
        aws.run("s3", "cp", "--recursive", str(cookies_dir / "train" / kind), f"s3://{bucket}/train/{kind}/")
    manifest = workdir / "train_class.manifest"
    manifest.write_text(rewritten_manifest(cookies_dir, bucket))
    aws.run("s3", "cp", str(manifest), f"s3://{bucket}/manifests/train_class.manifest")
    lv = ("lookoutvision",)
    aws.json(*lv, "create-project", "--project-name", project)
    source = {
        "GroundTruthManifest": {"S3Object": {"Bucket": bucket, "Key": "manifests/train_class.manifest"}}
    }
    summary["create_dataset"] = aws.json(
        *lv,
        "create-dataset",
        "--project-name",
        project,
        "--dataset-type",
        "train",
        "--dataset-source",
        json.dumps(source),
    )["DatasetMetadata"]
    describe_dataset = (*lv, "describe-dataset", "--project-name", project, "--dataset-type", "train")
    status_path = ("DatasetDescription", "Status")
    waited = aws.poll(describe_dataset, status_path, "CREATE_IN_PROGRESS", DATASET_TIMEOUT_S, 3)
    summary["dataset"] = waited["DatasetDescription"]
    if summary["dataset"]["Status"] != "CREATE_COMPLETE":
        return summary
    output = {"S3Location": {"Bucket": bucket, "Prefix": "model-output/"}}
    started = time.monotonic()
    summary["create_model"] = aws.json(
        *lv,
        "create-model",
        "--project-name",
        project,
        "--output-config",
        json.dumps(output),
        "--tags",
        "Key=team,Value=qa",
    )["ModelMetadata"]
    describe_model = (*lv, "describe-model", "--project-name", project, "--model-version", "1")
    # Each poll starts a CLI process: poll gently so training keeps the CPU.
    polled = aws.poll(describe_model, ("ModelDescription", "Status"), "TRAINING", TRAIN_TIMEOUT_S, 10)
    summary["model"] = polled["ModelDescription"]
    summary["train_seconds"] = round(time.monotonic() - started, 1)
    if summary["model"]["Status"] != "TRAINED":
        return summary
    summary["evaluation_result"] = aws.run(
        "s3", "cp", f"s3://{bucket}/model-output/EvaluationResult-{project}-1.json", "-"
    )
    summary["evaluation_manifest"] = aws.run(
        "s3", "cp", f"s3://{bucket}/model-output/EvaluationManifest-{project}-1.json", "-"
    )
    arn = summary["model"]["ModelArn"]
    summary["tags"] = aws.json(*lv, "list-tags-for-resource", "--resource-arn", arn)["Tags"]
    summary["step"] = "done"
    return summary


def test_awscli_cookie_flow(config: dict[str, Any], tmp_path: Path) -> None:
    require_old_clients()
    cookies_dir = require_cookies()
    summary = run_awscli_flow(AwsCli(config, tmp_path), cookies_dir, tmp_path, "cookies", "cookies-awscli")
    assert_cookie_flow(summary, "cookies", "cookies-awscli", "model-output/")
