"""The bench's own metric code, against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest
from bench.metrics import auroc, f1_score, mean_iou, ratio


def test_auroc_perfect_reversed_and_single_class() -> None:
    labels = np.array([0, 0, 1, 1], dtype=bool)
    assert auroc(np.array([0.1, 0.2, 0.8, 0.9]), labels) == 1.0
    assert auroc(np.array([0.9, 0.8, 0.2, 0.1]), labels) == 0.0
    assert auroc(np.array([0.1, 0.2]), np.array([False, False])) is None


def test_auroc_counts_ties_as_half_and_matches_pair_count() -> None:
    assert auroc(np.array([0.5, 0.5]), np.array([False, True])) == 0.5
    rng = np.random.default_rng(3)
    scores = rng.integers(0, 5, 60).astype(float)  # many ties
    labels = rng.random(60) < 0.4
    positives, negatives = scores[labels], scores[~labels]
    pairs = (positives[:, None] > negatives[None, :]).sum() + 0.5 * (
        positives[:, None] == negatives[None, :]
    ).sum()
    assert auroc(scores, labels) == pytest.approx(pairs / (positives.size * negatives.size))


def test_f1_score() -> None:
    predicted = np.array([1, 1, 0, 0], dtype=bool)
    labels = np.array([1, 0, 1, 0], dtype=bool)
    assert f1_score(predicted, labels) == pytest.approx(0.5)
    assert f1_score(np.zeros(3, bool), np.zeros(3, bool)) == 0.0


def test_mean_iou_skips_images_clean_in_both_and_counts_false_masks() -> None:
    truth = np.zeros((3, 4, 4), dtype=bool)
    predicted = np.zeros((3, 4, 4), dtype=bool)
    truth[0, :2, :2] = True  # 4 true pixels
    predicted[0, :2, :] = True  # 8 predicted, 4 overlap -> IoU 0.5
    predicted[2, 0, 0] = True  # false mask on a normal image -> IoU 0
    # image 1 is clean in both and left out: mean of 0.5 and 0
    assert mean_iou(predicted, truth) == pytest.approx(0.25)
    assert mean_iou(np.zeros((1, 2, 2), bool), np.zeros((1, 2, 2), bool)) is None


def test_ratio() -> None:
    assert ratio(2.0, 4.0) == 0.5
    assert ratio(None, 1.0) is None
    assert ratio(1.0, 0.0) is None
