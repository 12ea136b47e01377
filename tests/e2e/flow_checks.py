"""Acceptance checks on a cookie-flow summary, identical for every client.

A summary is what clients/cookie_flow.py returns (the awscli test builds the
same shape from the CLI's JSON output).
"""

from __future__ import annotations

import json
from typing import Any

from support.server import ACCOUNT_ID, REGION

from .cookies import ANOMALY, NORMAL

MIN_F1 = 0.9
METRICS = ("ROCAUC", "AveragePrecision", "Precision", "Recall", "F1Score")


def assert_no_client_error(summary: dict[str, Any]) -> None:
    assert "error" not in summary, f"flow stopped at step {summary.get('step')!r}: {summary['error']}"


def assert_trained(summary: dict[str, Any]) -> None:
    model = summary.get("model", {})
    assert model.get("Status") == "TRAINED", (
        f"model ended {model.get('Status')} (StatusMessage: {model.get('StatusMessage')!r}) "
        f"after {summary.get('train_seconds')} s"
    )
    assert summary.get("step") == "done", f"flow stopped at step {summary.get('step')!r}"


def assert_dataset(summary: dict[str, Any]) -> None:
    dataset = summary.get("dataset", {})
    assert dataset.get("Status") == "CREATE_COMPLETE", (
        f"dataset import ended {dataset.get('Status')}: {dataset.get('StatusMessage')!r}"
    )
    created = summary["create_dataset"]
    assert created["DatasetType"] == "train"
    assert created["Status"] in ("CREATE_IN_PROGRESS", "CREATE_COMPLETE")
    assert "StatusMessage" in created
    stats = summary["dataset"]["ImageStats"]
    assert stats == {
        "Total": NORMAL + ANOMALY,
        "Labeled": NORMAL + ANOMALY,
        "Normal": NORMAL,
        "Anomaly": ANOMALY,
    }


def assert_model(summary: dict[str, Any], project: str, bucket: str, prefix: str) -> None:
    arn = f"arn:aws:lookoutvision:{REGION}:{ACCOUNT_ID}:model/{project}/1"
    created = summary["create_model"]
    assert (created["ModelVersion"], created["Status"], created["ModelArn"]) == ("1", "TRAINING", arn)
    assert "StatusMessage" in created
    model = summary["model"]
    assert model["ModelArn"] == arn
    assert model["StatusMessage"]
    assert model["Performance"]["F1Score"] >= MIN_F1, f"F1 {model['Performance']} below {MIN_F1}"
    for name in ("Recall", "Precision"):
        assert 0.0 <= model["Performance"][name] <= 1.0
    assert model["OutputConfig"]["S3Location"] == {"Bucket": bucket, "Prefix": prefix}
    assert model["EvaluationResult"] == {
        "Bucket": bucket,
        "Key": f"{prefix}EvaluationResult-{project}-1.json",
    }
    assert model["EvaluationManifest"] == {
        "Bucket": bucket,
        "Key": f"{prefix}EvaluationManifest-{project}-1.json",
    }
    assert model.get("EvaluationEndTimestamp"), "EvaluationEndTimestamp missing on a TRAINED model"
    assert {"Key": "team", "Value": "qa"} in summary["tags"]


def assert_evaluation_result(text: str, model: dict[str, Any]) -> dict[str, Any]:
    """A.6 structure of EvaluationResult-<project>-<version>.json; returns the parsed document."""
    doc = json.loads(text)
    assert doc["Version"] == 1
    details = doc["EvaluationDetails"]
    assert details["ModelArn"] == model["ModelArn"]
    assert isinstance(details["EvaluationEndTimestamp"], str) and details["EvaluationEndTimestamp"]
    n_train, n_test = details["NumberOfTrainingImages"], details["NumberOfTestingImages"]
    assert isinstance(n_train, int) and isinstance(n_test, int) and n_train > 0 and n_test > 0
    assert n_train + n_test <= NORMAL + ANOMALY
    metrics = doc["AggregatedEvaluationResults"]["Metrics"]
    for name in METRICS:
        assert isinstance(metrics[name], float | int) and 0.0 <= metrics[name] <= 1.0, (name, metrics)
    assert abs(metrics["F1Score"] - model["Performance"]["F1Score"]) < 1e-6
    return doc


def assert_evaluation_manifest(
    text: str, model: dict[str, Any], project: str, bucket: str, n_test: int
) -> None:
    """One JSON line per test image: ground truth plus the model's prediction (A.6)."""
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert len(lines) == n_test
    for line in lines:
        ref = line["source-ref"]
        assert ref.startswith(f"s3://{bucket}/train/"), ref
        truth = line["anomaly-label-metadata"]["class-name"]
        assert truth == ("anomaly" if "/train/anomaly/" in ref else "normal"), (ref, truth)
        assert line["anomaly-label"] in (0, 1)
        assert line["anomaly-label-detected"] in (0, 1)
        predicted = line["anomaly-label-detected-metadata"]
        assert predicted["class-name"] in ("normal", "anomaly")
        assert predicted["class-name"] == ("anomaly" if line["anomaly-label-detected"] == 1 else "normal")
        assert 0.0 <= predicted["confidence"] <= 1.0
        assert predicted["type"] == "groundtruth/image-classification"
        assert predicted["human-annotated"] == "no"
        assert predicted["creation-date"] and predicted["job-name"]
        assert predicted["model-arn"] == model["ModelArn"]
        assert (predicted["project-name"], str(predicted["model-version"])) == (project, "1")


def assert_cookie_flow(summary: dict[str, Any], project: str, bucket: str, prefix: str) -> None:
    assert_no_client_error(summary)
    assert_dataset(summary)
    assert_trained(summary)
    assert_model(summary, project, bucket, prefix)
    doc = assert_evaluation_result(summary["evaluation_result"], summary["model"])
    n_test = doc["EvaluationDetails"]["NumberOfTestingImages"]
    assert_evaluation_manifest(summary["evaluation_manifest"], summary["model"], project, bucket, n_test)
