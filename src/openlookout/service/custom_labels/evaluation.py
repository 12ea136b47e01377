"""The evaluation files a successful training writes under OutputConfig (spec B.5).

- ``<S3KeyPrefix>EvaluationResultSummary-<project>-<version>.json`` (the name of the guide's
  example; the metrics sit directly under ``AggregatedEvaluationResults``, as in that example);
- ``<S3KeyPrefix><version>/output/training_manifest.json``: the usable training lines with their
  ground truth renamed ``rekognition-custom-labels-training-<n>``;
- ``<S3KeyPrefix><version>/output/testing_manifest.json``: the evaluated test lines, ground truth
  renamed likewise, plus one ``rekognition-custom-labels-evaluation-<n>`` prediction per label
  that is predicted or present, with its ``rekognition-custom-labels-evaluation-details``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from openlookout.blobs.base import BlobStore
from openlookout.manifests.custom_labels import CLASSIFICATION_TYPE, ValidatedLine, label_attributes
from openlookout.ml.labels import LabelPrediction, LabelTrainResult

if TYPE_CHECKING:  # the detection trainer's result, only for the annotation
    from openlookout.ml.detection.types import DetectionTrainResult

TRAINING_PREFIX = "rekognition-custom-labels-training-"
EVALUATION_PREFIX = "rekognition-custom-labels-evaluation-"
DETAILS_KEY = "rekognition-custom-labels-evaluation-details"
JOB_NAME = "openlookout-evaluation"


@dataclass(frozen=True)
class EvaluationKeys:
    bucket: str
    summary: str
    training_manifest: str
    testing_manifest: str


def evaluation_keys(bucket: str, prefix: str, project: str, version: str) -> EvaluationKeys:
    return EvaluationKeys(
        bucket=bucket,
        summary=f"{prefix}EvaluationResultSummary-{project}-{version}.json",
        training_manifest=f"{prefix}{version}/output/training_manifest.json",
        testing_manifest=f"{prefix}{version}/output/testing_manifest.json",
    )


def iso_timestamp(moment: datetime) -> str:
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds")


def summary_document(result: LabelTrainResult, version_arn: str, end: datetime) -> dict[str, Any]:
    evaluation = result.evaluation
    aggregated: dict[str, Any] = {
        "Precision": evaluation.precision,
        "Recall": evaluation.recall,
        "F1Score": evaluation.f1,
    }
    if not result.multi_label:
        aggregated["ConfusionMatrix"] = evaluation.confusion
    return summary_of(result, version_arn, end, aggregated, evaluation.labels)


def summary_of(
    result: LabelTrainResult | DetectionTrainResult,
    version_arn: str,
    end: datetime,
    aggregated: dict[str, Any],
    labels: Sequence[Any],
) -> dict[str, Any]:
    """The summary file of either kind of training, given its aggregated metrics and per-label results."""
    return {
        "Version": 1,
        "EvaluationDetails": {
            "ProjectVersionArn": version_arn,
            "EvaluationEndTimestamp": iso_timestamp(end),
            "Labels": result.labels,
            "NumberOfTrainingImages": result.num_train,
            "NumberOfTestingImages": result.num_test,
        },
        "AggregatedEvaluationResults": aggregated,
        "LabelEvaluationResults": label_evaluation_results(labels),
    }


def label_evaluation_results(labels: Sequence[Any]) -> list[dict[str, Any]]:
    """Per-label summary entries (B.5), sorted by F1; classification and detection alike.

    Each item needs ``label``, ``test_images``, ``threshold``, ``precision``, ``recall`` and ``f1``.
    """
    return [
        {
            "Label": m.label,
            "NumberOfTestingImages": m.test_images,
            "Metrics": {
                "Threshold": m.threshold,
                "Precision": m.precision,
                "Recall": m.recall,
                "F1Score": m.f1,
            },
        }
        for m in sorted(labels, key=lambda m: (-m.f1, m.label))
    ]


def ground_truth_renamed(document: dict[str, Any]) -> dict[str, Any]:
    """The line with each label attribute (and its metadata) renamed in order of appearance."""
    renamed = {key: value for key, value in document.items() if key != "errors"}
    for n, attribute in enumerate(label_attributes(document)):
        renamed.pop(attribute, None)
        renamed.pop(f"{attribute}-metadata", None)
        renamed[f"{TRAINING_PREFIX}{n}"] = document[attribute]
        renamed[f"{TRAINING_PREFIX}{n}-metadata"] = document.get(f"{attribute}-metadata")
    return renamed


def evaluated_line(
    document: dict[str, Any],
    truth: set[str],
    prediction: LabelPrediction,
    thresholds: dict[str, float],
    end: datetime,
) -> dict[str, Any]:
    line = ground_truth_renamed(document)
    chosen = [
        label for label, score in prediction.scores.items() if score >= thresholds[label] or label in truth
    ]
    chosen.sort(key=lambda label: -prediction.scores[label])
    for n, label in enumerate(chosen):
        predicted = prediction.scores[label] >= thresholds[label]
        present = label in truth
        line[f"{EVALUATION_PREFIX}{n}"] = sorted(thresholds).index(label)
        line[f"{EVALUATION_PREFIX}{n}-metadata"] = {
            "class-name": label,
            "confidence": prediction.scores[label],
            "type": CLASSIFICATION_TYPE,
            "human-annotated": "no",
            "creation-date": iso_timestamp(end),
            "job-name": JOB_NAME,
            DETAILS_KEY: {
                "version": 1,
                "is-true-positive": predicted and present,
                "is-true-negative": not predicted and not present,
                "is-false-positive": predicted and not present,
                "is-false-negative": not predicted and present,
                "is-present-in-ground-truth": present,
                "ground-truth-labelling-jobs": labelling_jobs(document),
            },
        }
    return line


def labelling_jobs(document: dict[str, Any]) -> list[str]:
    jobs = []
    for attribute in label_attributes(document):
        meta = document.get(f"{attribute}-metadata")
        if isinstance(meta, dict) and isinstance(meta.get("job-name"), str):
            jobs.append(meta["job-name"])
    return sorted(set(jobs))


def json_lines(documents: Sequence[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(d, separators=(",", ":")) + "\n" for d in documents).encode()


def write_evaluation_files(
    blobs: BlobStore,
    keys: EvaluationKeys,
    result: LabelTrainResult,
    train_lines: Sequence[ValidatedLine],
    test_lines: Sequence[ValidatedLine],
    version_arn: str,
    end: datetime,
) -> None:
    """Write the three files; ``result.predictions`` name their test lines by source-ref."""
    thresholds = dict(zip(result.labels, result.thresholds, strict=True))
    by_ref = {line.source_ref: line for line in test_lines}
    evaluated = []
    for prediction in result.predictions:
        line = by_ref[prediction.ref]
        assert line.document is not None
        truth = {label for label in line.labels if label in thresholds}
        evaluated.append(evaluated_line(line.document, truth, prediction, thresholds, end))
    summary = json.dumps(summary_document(result, version_arn, end), indent=2).encode()
    training = [ground_truth_renamed(line.document) for line in train_lines if line.document is not None]
    blobs.put(keys.bucket, keys.summary, summary, content_type="application/json")
    blobs.put(keys.bucket, keys.training_manifest, json_lines(training))
    blobs.put(keys.bucket, keys.testing_manifest, json_lines(evaluated))
