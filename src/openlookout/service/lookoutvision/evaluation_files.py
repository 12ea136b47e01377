"""The two files L4V training writes to the model's OutputConfig (spec A.6).

``<Prefix>EvaluationResult-<project>-<version>.json`` holds the aggregate
metrics; ``<Prefix>EvaluationManifest-<project>-<version>.json`` holds one
JSON line per test image with its ground truth and the model's prediction.
The prefix is concatenated directly: clients build these keys themselves.

Segmentation models also write each test image's predicted mask as an RGB PNG
(background black, class k in its manifest colour) under
``<Prefix>EvaluationMasks-<project>-<version>/<bucket>/<key>.png`` and reference it
from the image's line as ``anomaly-mask-ref-detected`` with a colour map in
``anomaly-mask-ref-detected-metadata`` (how L4V shows these is undocumented).
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from PIL import Image

from openlookout.blobs.base import BlobStore
from openlookout.jobs.base import JobFailed
from openlookout.ml.api import ImagePrediction, TrainResult

CLASSIFICATION_METRICS = ("ROCAUC", "AveragePrecision", "Precision", "Recall", "F1Score")
PIXEL_METRICS = "PixelAnomalyClassMetrics"
PIXEL_METRIC_FIELDS = ("ClassName", "Precision", "Recall", "F1Score", "AIOU")
MASK_BACKGROUND = ("BACKGROUND", "#000000")
DETECTED_MASK_KEY = "anomaly-mask-ref-detected"


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
    def masks_prefix(self) -> str:
        return f"{self.prefix}EvaluationMasks-{self.project_name}-{self.model_version}/"

    def mask_key(self, source_ref: str) -> str:
        return self.masks_prefix + source_ref.removeprefix("s3://") + ".png"

    @property
    def job_name(self) -> str:
        return f"openlookout-evaluation-{self.project_name}-{self.model_version}"


@dataclass(frozen=True)
class ClassColour:
    """An anomaly class and its hex colour as the manifest wrote it."""

    name: str
    hex_color: str


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
    classes: Sequence[ClassColour] = (),
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
        if prediction.class_mask is not None:
            line[DETECTED_MASK_KEY] = f"s3://{target.bucket}/{target.mask_key(line['source-ref'])}"
            line[DETECTED_MASK_KEY + "-metadata"] = {
                "internal-color-map": _colour_map(classes),
                "type": "groundtruth/semantic-segmentation",
                **{k: v for k, v in line["anomaly-label-detected-metadata"].items() if k not in _LABEL_ONLY},
            }
        lines.append(line)
    return lines


# Fields of the label prediction's metadata that do not apply to the mask prediction.
_LABEL_ONLY = {"class-name", "confidence", "type"}


def _colour_map(classes: Sequence[ClassColour]) -> dict[str, dict[str, str]]:
    entries = [ClassColour(*MASK_BACKGROUND), *classes]
    return {str(k): {"class-name": c.name, "hex-color": c.hex_color} for k, c in enumerate(entries)}


def mask_png(class_mask: np.ndarray, classes: Sequence[ClassColour]) -> bytes:
    """Paint an (H, W) class-index mask: 0 black, k in ``classes[k-1]``'s colour."""
    palette = np.zeros((256, 3), dtype=np.uint8)
    for k, item in enumerate(classes, start=1):
        value = int(item.hex_color[1:], 16)
        palette[k] = ((value >> 16) & 0xFF, (value >> 8) & 0xFF, value & 0xFF)
    out = io.BytesIO()
    Image.fromarray(palette[class_mask]).save(out, format="PNG")
    return out.getvalue()


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
    classes: Sequence[ClassColour] = (),
) -> tuple[str, str]:
    """Write both files (atomic puts, so a re-run overwrites); returns (result key, manifest key).

    ``classes`` are the segmentation classes in class-index order, for the predicted masks.
    """
    require_output_bucket(blobs, target.bucket)
    lines = evaluation_manifest_lines(target, tests, result.predictions, end, classes)
    for test, prediction in zip(tests, result.predictions, strict=True):
        if prediction.class_mask is not None:
            key = target.mask_key(test.line["source-ref"])
            blobs.put(target.bucket, key, mask_png(prediction.class_mask, classes), content_type="image/png")
    result_body = json.dumps(evaluation_result(target, result, end), indent=2).encode()
    manifest_body = "".join(
        json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n" for line in lines
    ).encode()
    blobs.put(target.bucket, target.result_key, result_body, content_type="application/json")
    blobs.put(target.bucket, target.manifest_key, manifest_body, content_type="application/json")
    return target.result_key, target.manifest_key
