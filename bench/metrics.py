"""Metrics computed by the bench driver for every system alike (numpy only).

Workers return raw scores, decisions, heatmaps and predicted masks; the driver scores
them here so that no system is judged by its own metric code.
"""

from __future__ import annotations

import numpy as np


def auroc(scores: np.ndarray, labels: np.ndarray) -> float | None:
    """Area under the ROC curve (Mann-Whitney U with tied ranks); None with one class only."""
    scores = np.asarray(scores, dtype=np.float64).ravel()
    labels = np.asarray(labels, dtype=bool).ravel()
    positives = int(labels.sum())
    negatives = labels.size - positives
    if positives == 0 or negatives == 0:
        return None
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    ranks = np.empty(scores.size, dtype=np.float64)
    # Tied scores share the mean of their ranks, so ties count one half.
    boundaries = np.flatnonzero(np.diff(sorted_scores)) + 1
    starts = np.concatenate(([0], boundaries))
    ends = np.concatenate((boundaries, [scores.size]))
    mean_ranks = (starts + ends + 1) / 2.0
    ranks[order] = np.repeat(mean_ranks, ends - starts)
    positive_rank_sum = ranks[labels].sum()
    return float((positive_rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives))


def f1_score(predicted: np.ndarray, labels: np.ndarray) -> float:
    """F1 of boolean predictions against boolean labels (0 when nothing is predicted or true)."""
    predicted = np.asarray(predicted, dtype=bool).ravel()
    labels = np.asarray(labels, dtype=bool).ravel()
    true_positives = int(np.sum(predicted & labels))
    denominator = int(predicted.sum()) + int(labels.sum())
    return 2.0 * true_positives / denominator if denominator else 0.0


def oracle_f1(scores: np.ndarray, labels: np.ndarray) -> float | None:
    """The best F1 over every threshold on these scores (what a threshold tuned on the test set gets)."""
    scores = np.asarray(scores, dtype=np.float64).ravel()
    labels = np.asarray(labels, dtype=bool).ravel()
    positives = int(labels.sum())
    if positives == 0:
        return None
    order = np.argsort(-scores, kind="mergesort")
    ranked_scores, ranked = scores[order], labels[order]
    true_positives = np.cumsum(ranked)
    predicted = np.arange(1, ranked.size + 1)
    # Only cut between distinct scores: tied images are decided together.
    cuts = np.flatnonzero(np.append(np.diff(ranked_scores) != 0, True))
    f1 = 2.0 * true_positives[cuts] / (predicted[cuts] + positives)
    return float(f1.max())


def mean_iou(predicted_masks: np.ndarray, true_masks: np.ndarray) -> float | None:
    """Mean IoU over images whose truth or prediction has a defect pixel (L4V's AIOU rule).

    Images clean in both are left out so correct "nothing here" answers do not inflate it;
    a false mask on a normal image counts as IoU 0.
    """
    values = []
    for predicted, truth in zip(predicted_masks, true_masks, strict=True):
        predicted = np.asarray(predicted, dtype=bool)
        truth = np.asarray(truth, dtype=bool)
        union = int(np.sum(predicted | truth))
        if union:
            values.append(np.sum(predicted & truth) / union)
    return float(np.mean(values)) if values else None


def ratio(ours: float | None, peer: float | None) -> float | None:
    """ours / peer, None when either is missing or the peer's value is zero."""
    if ours is None or peer is None or peer == 0:
        return None
    return ours / peer
