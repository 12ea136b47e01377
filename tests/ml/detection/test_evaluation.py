"""Per-box evaluation on hand-made boxes whose metrics can be worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from openlookout.ml.detection.evaluation import DEFAULT_THRESHOLD, average_precision, evaluate_detections
from openlookout.ml.detection.types import Box, Detection, DetectionPrediction

A = Box(0.1, 0.1, 0.2, 0.2)
B = Box(0.6, 0.6, 0.3, 0.3)
# A shifted right by a tenth of its width: IoU = 0.036 / 0.044 = 0.818, a hit up to IoU 0.80.
A_CLOSE = Box(0.12, 0.1, 0.2, 0.2)


def prediction(*detections: tuple[str, float, Box]) -> DetectionPrediction:
    return DetectionPrediction("ref", [Detection(label, score, box) for label, score, box in detections])


def test_perfect_detections_score_one_everywhere() -> None:
    truths = [[("cat", A)], [("cat", B), ("dog", A)]]
    predictions = [prediction(("cat", 0.9, A)), prediction(("cat", 0.8, B), ("dog", 0.7, A))]
    result = evaluate_detections(["cat", "dog"], truths, predictions)
    assert result.map_50 == pytest.approx(1.0)
    assert result.map_50_95 == pytest.approx(1.0)
    assert (result.precision, result.recall, result.f1) == (1.0, 1.0, 1.0)
    cat = result.labels[0]
    assert (cat.test_images, cat.test_boxes) == (2, 2)
    # Everything found: the cut sits halfway between the lowest hit (0.8) and "nothing" (0).
    assert cat.threshold == pytest.approx(0.4)
    assert cat.average_recall == pytest.approx(1.0)


def test_top_ranked_false_positive() -> None:
    # Ranked: FP 0.9, TP 0.8, TP 0.6 -> precision 0, 1/2, 2/3 at recall 0, 1/2, 1.
    truths = [[("cat", A)], [("cat", B)]]
    predictions = [prediction(("cat", 0.9, B), ("cat", 0.6, A)), prediction(("cat", 0.8, B))]
    cat = evaluate_detections(["cat"], truths, predictions).labels[0]
    assert cat.average_precision == pytest.approx(2 / 3)
    # F1 by cut: 0 (1 kept), 0.5 (2 kept), 0.8 (3 kept): keep all, cut halfway to 0.
    assert cat.threshold == pytest.approx(0.3)
    assert (cat.precision, cat.recall, cat.f1) == pytest.approx((2 / 3, 1.0, 0.8))


def test_iou_thresholds_decide_hits() -> None:
    result = evaluate_detections(["cat"], [[("cat", A)]], [prediction(("cat", 0.9, A_CLOSE))])
    assert result.map_50 == pytest.approx(1.0)
    # A hit at IoU 0.50, 0.55, ..., 0.80 (7 of 10 thresholds), a miss at 0.85, 0.90, 0.95.
    assert result.map_50_95 == pytest.approx(0.7)
    assert result.mean_average_recall == pytest.approx(0.7)


def test_duplicate_detection_is_a_false_positive_and_cut_above_it() -> None:
    cat = evaluate_detections(["cat"], [[("cat", A)]], [prediction(("cat", 0.9, A), ("cat", 0.8, A_CLOSE))])
    cat = cat.labels[0]
    assert cat.average_precision == pytest.approx(1.0)
    assert cat.threshold == pytest.approx(0.85)
    assert (cat.precision, cat.recall) == (1.0, 1.0)


def test_boxes_of_other_labels_never_match() -> None:
    result = evaluate_detections(["cat", "dog"], [[("cat", A), ("dog", B)]], [prediction(("dog", 0.9, A))])
    assert result.labels[1].average_precision == 0.0
    assert result.map_50 == 0.0
    assert result.recall == 0.0


def test_label_without_test_boxes_keeps_default_and_is_left_out_of_means() -> None:
    truths = [[("cat", A)], [("cowboy", B)]]  # "cowboy" is no label of the model: ignored
    predictions = [prediction(("cat", 0.9, A), ("dog", 0.7, B)), prediction()]
    result = evaluate_detections(["cat", "dog"], truths, predictions)
    dog = result.labels[1]
    assert (dog.test_boxes, dog.threshold) == (0, DEFAULT_THRESHOLD)
    assert result.map_50 == pytest.approx(1.0)
    # The dog box above the default cut is still a wrong answer overall.
    assert result.precision == pytest.approx(0.5)
    assert result.recall == pytest.approx(1.0)


def test_interpolated_average_precision_by_hand() -> None:
    # Precision 1, 1/2, 2/3 at recall 1/3, 1/3, 2/3 (3 truths): the envelope is 1 up to
    # recall 1/3 (34 of 101 points), 2/3 up to recall 2/3 (33 points), 0 above.
    assert average_precision(np.array([True, False, True]), 3) == pytest.approx((34 + 33 * 2 / 3) / 101)
    assert average_precision(np.array([], dtype=bool), 3) == 0.0
