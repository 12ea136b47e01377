"""Test-set metrics of a label model (spec B.5): per label at its assumed threshold, their
macro average, and for one-label-per-image models the confusion matrix of the top label."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from openlookout.ml.labels.thresholds import binary_metrics


@dataclass
class LabelMetrics:
    label: str
    test_images: int
    threshold: float
    precision: float
    recall: float
    f1: float


@dataclass
class Evaluation:
    labels: list[LabelMetrics]
    precision: float
    recall: float
    f1: float
    accuracy: float | None  # top label == ground truth; one-label-per-image models only
    confusion: list[dict[str, Any]] = field(default_factory=list)


def evaluate(
    scores: np.ndarray, truth: np.ndarray, labels: list[str], thresholds: list[float], multi_label: bool
) -> Evaluation:
    """``scores`` and ``truth`` are (N, C); ``truth`` is 0/1."""
    truth_b = truth.astype(bool)
    per_label = []
    for k, label in enumerate(labels):
        m = binary_metrics(scores[:, k] >= thresholds[k], truth_b[:, k])
        per_label.append(
            LabelMetrics(label, int(truth_b[:, k].sum()), thresholds[k], m.precision, m.recall, m.f1)
        )
    # Labels the test set does not show cannot be scored; they do not drag the average down.
    shown = [m for m in per_label if m.test_images] or per_label
    result = Evaluation(
        labels=per_label,
        precision=float(np.mean([m.precision for m in shown])) if shown else 0.0,
        recall=float(np.mean([m.recall for m in shown])) if shown else 0.0,
        f1=float(np.mean([m.f1 for m in shown])) if shown else 0.0,
        accuracy=None,
    )
    if not multi_label and len(scores):
        predicted = scores.argmax(axis=1)
        actual = truth_b.argmax(axis=1)
        result.accuracy = float(np.mean(predicted == actual))
        cells = Counter(zip(actual.tolist(), predicted.tolist(), strict=True))
        result.confusion = [
            {"GroundTruthLabel": labels[a], "PredictedLabel": labels[p], "Value": count}
            for (a, p), count in sorted(cells.items())
        ]
    return result
