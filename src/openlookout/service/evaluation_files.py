"""The two files L4V training writes to the model's OutputConfig (spec A.6).

``<Prefix>EvaluationResult-<project>-<version>.json`` holds the aggregate
metrics; ``<Prefix>EvaluationManifest-<project>-<version>.json`` holds one
JSON line per test image with its ground truth and the model's prediction.
The prefix is concatenated directly: clients build these keys themselves.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from openlookout.blobs.base import BlobStore
from openlookout.jobs.base import JobFailed
from openlookout.ml.api import ImagePrediction, TrainResult

CLASSIFICATION_METRICS = ("ROCAUC", "AveragePrecision", "Precision", "Recall", "F1Score")
PIXEL_METRICS = "PixelAnomalyClassMetrics"
PIXEL_METRIC_FIELDS = ("ClassName", "Precision", "Recall", "F1Score", "AIOU")


@dataclass(frozen=True)
class EvaluationTarget:
    """Where and for which model the files are written."""

    bucket: str
    prefix: str
    project_name: str
    model_version: int
    model_arn: str

    @property
    def result_key(self) -> str:
        return f"{self.prefix}EvaluationResult-{self.project_name}-{self.model_version}.json"

    @property
    def manifest_key(self) -> str:
        return f"{self.prefix}EvaluationManifest-{self.project_name}-{self.model_version}.json"

    @property
    def job_name(self) -> str:
        return f"openlookout-evaluation-{self.project_name}-{self.model_version}"


@dataclass(frozen=True)
class EvaluatedImage:
    """A test image's stored (normalised) manifest line and its import time."""

    line: dict[str, Any]
    created_at: datetime


def utc_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a ``Z`` (the Ground Truth date style)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def evaluation_result(target: EvaluationTarget, result: TrainResult, end: datetime) -> dict[str, Any]:
    return {
        "Version": 1,
        "EvaluationDetails": {
            "ModelArn": target.model_arn,
            "EvaluationEndTimestamp": utc_timestamp(end),
            "NumberOfTrainingImages": result.num_train,
            "NumberOfTestingImages": result.num_test,
        },
        "AggregatedEvaluationResults": {"Metrics": evaluation_metrics(result)},
    }


def evaluation_metrics(result: TrainResult) -> dict[str, Any]:
    """The L4V ``Metrics`` object; a metric missing from ``result`` is a bug in ml, not user input."""
    metrics: dict[str, Any] = {name: float(result.metrics[name]) for name in CLASSIFICATION_METRICS}  # type: ignore[arg-type]
    pixel = result.metrics.get(PIXEL_METRICS)
    if result.model_type == "segmentation" and pixel:
        metrics[PIXEL_METRICS] = [
            {
                field: item[field] if field == "ClassName" else float(item[field])
                for field in PIXEL_METRIC_FIELDS
            }
            for item in pixel  # type: ignore[attr-defined]
        ]
    return metrics


def evaluation_manifest_lines(
    target: EvaluationTarget,
    tests: Sequence[EvaluatedImage],
    predictions: Sequence[ImagePrediction],
    end: datetime,
) -> list[dict[str, Any]]:
    if len(tests) != len(predictions):
        raise ValueError(f"{len(tests)} test images but {len(predictions)} predictions")
    lines = []
    for test, prediction in zip(tests, predictions, strict=True):
        line = dict(test.line)
        line.setdefault("source-ref-metadata", {"creation-date": utc_timestamp(test.created_at)})
        line["anomaly-label-detected"] = 1 if prediction.is_anomalous else 0
        line["anomaly-label-detected-metadata"] = {
            "class-name": "anomaly" if prediction.is_anomalous else "normal",
            "confidence": float(prediction.confidence),
            "type": "groundtruth/image-classification",
            "human-annotated": "no",
            "creation-date": utc_timestamp(end),
            "job-name": target.job_name,
            "model-arn": target.model_arn,
            "project-name": target.project_name,
            "model-version": str(target.model_version),
        }
        lines.append(line)
    return lines


def require_output_bucket(blobs: BlobStore, bucket: str) -> None:
    if not blobs.bucket_exists(bucket):
        raise JobFailed(
            f"The output bucket '{bucket}' does not exist; "
            "create it (or choose another OutputConfig) and train again."
        )


def write_evaluation_files(
    blobs: BlobStore,
    target: EvaluationTarget,
    result: TrainResult,
    tests: Sequence[EvaluatedImage],
    end: datetime,
) -> tuple[str, str]:
    """Write both files (atomic puts, so a re-run overwrites); returns (result key, manifest key)."""
    require_output_bucket(blobs, target.bucket)
    result_body = json.dumps(evaluation_result(target, result, end), indent=2).encode()
    manifest_body = "".join(
        json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n"
        for line in evaluation_manifest_lines(target, tests, result.predictions, end)
    ).encode()
    blobs.put(target.bucket, target.result_key, result_body, content_type="application/json")
    blobs.put(target.bucket, target.manifest_key, manifest_body, content_type="application/json")
    return target.result_key, target.manifest_key
