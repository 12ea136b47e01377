"""Custom Labels' per-label assumed thresholds, shared by the label and detection models.

Each label's threshold is the cut that maximises its F1 on the test set (spec B.5); a
saved model keeps them beside its labels, and the server reads them without torch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# A label the test set never shows has no F1 to maximise; its cut is a plain majority vote.
DEFAULT_THRESHOLD = 0.5


@dataclass(kw_only=True)
class CustomLabelsTrainResult:
    """What both Custom Labels trainers report beside their own evaluation and predictions."""

    labels: list[str]
    thresholds: list[float]  # aligned with ``labels``
    num_train: int
    num_test: int
    train_seconds: float
    extra: dict[str, object] = field(default_factory=dict)


def best_f1_count(ranked: np.ndarray, hits: np.ndarray, positives: int) -> int:
    """How many of the best-first ``ranked`` scores the highest-F1 cut accepts (0: no cut finds any).

    ``hits[i]`` says whether the i-th ranked score is a true positive; ``positives`` is how
    many there are in all. Ties go to the higher cut.
    """
    best_f1, best_count = 0.0, 0
    tp = 0
    for index in range(len(ranked)):
        tp += int(hits[index])
        # Only cut between distinct scores: equal scores must get the same decision.
        if index + 1 < len(ranked) and ranked[index + 1] == ranked[index]:
            continue
        f1 = 2 * tp / (index + 1 + positives)
        if f1 > best_f1:
            best_f1, best_count = f1, index + 1
    return best_count


def read_model_thresholds(model_file: Path) -> dict[str, float]:
    """Label -> assumed threshold (0-1) from a saved model's JSON (``labels``, ``thresholds``)."""
    document = json.loads(model_file.read_text())
    return {str(k): float(v) for k, v in zip(document["labels"], document["thresholds"], strict=True)}
