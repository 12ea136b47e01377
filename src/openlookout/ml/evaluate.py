"""Image-level evaluation metrics, NumPy only. The anomaly class is the positive class.

Undefined (0/0) cases are fixed so every metric is a float in [0, 1]:
- Precision with nothing predicted anomalous: 1.0 if the set holds no anomalies, else 0.0.
- Recall with no anomalies in the set: 1.0 (there was nothing to find).
- F1 is 0.0 when precision + recall is 0.
- ROCAUC when one class is absent: 0.5 (the scores carry no ranking information).
- AveragePrecision with no anomalies: 0.0; with no normals: 1.0.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _as_arrays(labels: Sequence[bool], values: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(labels, dtype=bool)
    v = np.asarray(values, dtype=np.float64)
    if y.shape != v.shape or y.ndim != 1:
        raise ValueError("labels and values must be 1-D sequences of the same length")
    return y, v


def roc_auc(labels: Sequence[bool], scores: Sequence[float]) -> float:
    """Probability that a random anomaly scores above a random normal (ties count half)."""
    y, s = _as_arrays(labels, scores)
    pos, neg = s[y], s[~y]
    if len(pos) == 0 or len(neg) == 0:
        return 0.5
    # Mann-Whitney U from average ranks, so ties get half credit in O(n log n).
    order = np.argsort(s, kind="mergesort")
    sorted_scores = s[order]
    ranks = np.empty(len(s), dtype=np.float64)
    start = 0
    while start < len(s):
        end = start
        while end + 1 < len(s) and sorted_scores[end + 1] == sorted_scores[start]:
            end += 1
        ranks[order[start : end + 1]] = (start + end) / 2.0 + 1.0
        start = end + 1
    u = ranks[y].sum() - len(pos) * (len(pos) + 1) / 2.0
    return float(u / (len(pos) * len(neg)))


def average_precision(labels: Sequence[bool], scores: Sequence[float]) -> float:
    """Sum over distinct score thresholds (high to low) of precision x recall increment."""
    y, s = _as_arrays(labels, scores)
    num_pos = int(y.sum())
    if num_pos == 0:
        return 0.0
    if num_pos == len(y):
        return 1.0
    order = np.argsort(-s, kind="mergesort")
    y_sorted, s_sorted = y[order], s[order]
    # Evaluate only at the last index of each run of equal scores, so ties move together.
    last_of_run = np.r_[s_sorted[1:] != s_sorted[:-1], True]
    tp = np.cumsum(y_sorted)[last_of_run]
    predicted = (np.arange(len(y)) + 1)[last_of_run]
    precision = tp / predicted
    recall = tp / num_pos
    recall_step = np.diff(np.r_[0.0, recall])
    return float(np.sum(precision * recall_step))


def precision_recall_f1(labels: Sequence[bool], predicted: Sequence[bool]) -> tuple[float, float, float]:
    y = np.asarray(labels, dtype=bool)
    p = np.asarray(predicted, dtype=bool)
    if y.shape != p.shape:
        raise ValueError("labels and predictions must have the same length")
    tp = int(np.sum(y & p))
    fp = int(np.sum(~y & p))
    fn = int(np.sum(y & ~p))
    no_predicted_anomalies = 1.0 if tp + fn == 0 else 0.0
    precision = tp / (tp + fp) if tp + fp else no_predicted_anomalies
    recall = 1.0 if tp + fn == 0 else tp / (tp + fn)
    f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    return float(precision), float(recall), float(f1)


def classification_metrics(
    labels: Sequence[bool], scores: Sequence[float], predicted: Sequence[bool]
) -> dict[str, float]:
    """The L4V EvaluationResult metrics for one test set at the model's threshold."""
    precision, recall, f1 = precision_recall_f1(labels, predicted)
    return {
        "ROCAUC": roc_auc(labels, scores),
        "AveragePrecision": average_precision(labels, scores),
        "Precision": precision,
        "Recall": recall,
        "F1Score": f1,
    }
