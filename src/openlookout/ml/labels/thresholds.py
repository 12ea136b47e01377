"""Per-label assumed thresholds: the score cut that maximises the label's F1 on the test set."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from openlookout.ml.assumed_thresholds import DEFAULT_THRESHOLD, best_f1_count


@dataclass(frozen=True)
class BinaryMetrics:
    precision: float
    recall: float
    f1: float
    true_positives: int
    false_positives: int
    false_negatives: int


def binary_metrics(predicted: np.ndarray, truth: np.ndarray) -> BinaryMetrics:
    tp = int(np.sum(predicted & truth))
    fp = int(np.sum(predicted & ~truth))
    fn = int(np.sum(~predicted & truth))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return BinaryMetrics(precision, recall, f1, tp, fp, fn)


def best_f1_threshold(scores: np.ndarray, truth: np.ndarray) -> float:
    """The cut (``score >= cut`` means present) with the highest F1; ties go to the higher cut.

    The cut sits halfway between the lowest accepted and the highest rejected score, so a
    new image scoring between the two test images is not decided by which one it happens
    to equal.
    """
    truth = truth.astype(bool)
    if not truth.any():
        return DEFAULT_THRESHOLD
    order = np.argsort(-scores, kind="stable")
    ranked, hits = scores[order], truth[order]
    # The label is present, so accepting every score already has F1 > 0: the count is >= 1.
    best_index = best_f1_count(ranked, hits, int(truth.sum())) - 1
    lowest_accepted = float(ranked[best_index])
    highest_rejected = float(ranked[best_index + 1]) if best_index + 1 < len(ranked) else 0.0
    return (lowest_accepted + highest_rejected) / 2.0
