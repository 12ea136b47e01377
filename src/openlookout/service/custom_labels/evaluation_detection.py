"""The evaluation files of an object-detection training (spec B.5, metrics per bounding box).

Same three files and keys as image-level models (``evaluation.py``):

- the summary: ``AggregatedEvaluationResults`` holds ``Precision``, ``Recall``, ``F1Score``
  (per box, each label at its assumed threshold), ``AveragePrecision`` (mean over labels of
  AP at IoU 0.5) and ``AverageRecall`` directly under it, as the classification summary does
  (the guide's worked example); ``LabelEvaluationResults`` sorted by F1, best first;
- the testing manifest: each evaluated line gets one ``rekognition-custom-labels-evaluation-0``
  attribute of type ``groundtruth/object-detection``: the boxes predicted at or above their
  label's threshold, in pixels of the line's image, highest confidence first; each
  ``objects[i]`` carries the box's ``rekognition-custom-labels-evaluation-details``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from openlookout.blobs.base import BlobStore
from openlookout.manifests.custom_labels import DETECTION_TYPE, ValidatedLine
from openlookout.ml.detection.matching import true_positives
from openlookout.ml.detection.types import Box, DetectionPrediction, DetectionTrainResult
from openlookout.service.custom_labels.evaluation import (
    DETAILS_KEY,
    EVALUATION_PREFIX,
    JOB_NAME,
    EvaluationKeys,
    ground_truth_renamed,
    iso_timestamp,
    json_lines,
    labelling_jobs,
    summary_of,
)


def summary_document(result: DetectionTrainResult, version_arn: str, end: datetime) -> dict[str, Any]:
    evaluation = result.evaluation
    aggregated = {
        "Precision": evaluation.precision,
        "Recall": evaluation.recall,
        "F1Score": evaluation.f1,
        "AveragePrecision": evaluation.map_50,
        "AverageRecall": evaluation.mean_average_recall,
    }
    return summary_of(result, version_arn, end, aggregated, evaluation.labels)


def _pixels(box: Box, size: tuple[int, int]) -> dict[str, int]:
    width, height = size
    return {
        "left": round(box.left * width),
        "top": round(box.top * height),
        "width": max(1, round(box.width * width)),
        "height": max(1, round(box.height * height)),
    }


def evaluated_line(
    document: dict[str, Any],
    truth: Sequence[tuple[str, Box]],
    prediction: DetectionPrediction,
    thresholds: dict[str, float],
    size: tuple[int, int],
    end: datetime,
) -> dict[str, Any]:
    """The test line with its ground truth renamed and the model's boxes as one evaluation attribute."""
    line = ground_truth_renamed(document)
    class_ids = {label: n for n, label in enumerate(thresholds)}
    kept = sorted(
        (d for d in prediction.detections if d.confidence >= thresholds[d.label]), key=lambda d: -d.confidence
    )
    matched = true_positives(kept, truth)
    present = {label for label, _ in truth}
    jobs = labelling_jobs(document)
    attribute = f"{EVALUATION_PREFIX}0"
    line[attribute] = {
        "image_size": [{"width": size[0], "height": size[1], "depth": 3}],
        "annotations": [{"class_id": class_ids[d.label], **_pixels(d.box, size)} for d in kept],
    }
    line[f"{attribute}-metadata"] = {
        "objects": [
            {
                "confidence": d.confidence,
                DETAILS_KEY: {
                    "version": 1,
                    "is-true-positive": hit,
                    "is-false-positive": not hit,
                    "is-present-in-ground-truth": d.label in present,
                    "ground-truth-labelling-jobs": jobs,
                },
            }
            for d, hit in zip(kept, matched, strict=True)
        ],
        "class-map": {str(n): label for label, n in class_ids.items()},
        "type": DETECTION_TYPE,
        "human-annotated": "no",
        "creation-date": iso_timestamp(end),
        "job-name": JOB_NAME,
    }
    return line


def write_evaluation_files(
    blobs: BlobStore,
    keys: EvaluationKeys,
    result: DetectionTrainResult,
    train_lines: Sequence[ValidatedLine],
    test_lines: Sequence[ValidatedLine],
    truth: dict[str, list[tuple[str, Box]]],
    sizes: dict[str, tuple[int, int]],
    version_arn: str,
    end: datetime,
) -> None:
    """Write the three files. ``truth`` and ``sizes`` (width, height) are keyed by source-ref,
    as ``result.predictions`` name their test lines."""
    thresholds = dict(zip(result.labels, result.thresholds, strict=True))
    by_ref = {line.source_ref: line for line in test_lines}
    evaluated = []
    for prediction in result.predictions:
        document = by_ref[prediction.ref].document
        assert document is not None
        evaluated.append(
            evaluated_line(
                document, truth[prediction.ref], prediction, thresholds, sizes[prediction.ref], end
            )
        )
    summary = json.dumps(summary_document(result, version_arn, end), indent=2).encode()
    training = [ground_truth_renamed(line.document) for line in train_lines if line.document is not None]
    blobs.put(keys.bucket, keys.summary, summary, content_type="application/json")
    blobs.put(keys.bucket, keys.training_manifest, json_lines(training))
    blobs.put(keys.bucket, keys.testing_manifest, json_lines(evaluated))
