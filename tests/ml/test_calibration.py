import itertools
import math

import pytest

from openlookout.ml.calibration import (
    NORMAL_ONLY_K,
    Calibration,
    balanced_f1_threshold,
    calibrate,
    confidence,
    fold_ids,
    robust_scale,
)


def test_balanced_f1_threshold_separable() -> None:
    # Perfect separation; the widest gap sits between 3.0 and 7.0.
    assert balanced_f1_threshold([1.0, 2.0, 3.0], [7.0, 8.0]) == pytest.approx(5.0)


def test_balanced_f1_threshold_with_overlap() -> None:
    normals, anomalies = [1.0, 3.0, 5.0], [4.0, 2.0]
    # sorted: 1N 2A 3N 4A 5N; balanced F1 = 2 TPR / (1 + TPR + FPR):
    # cut 1.5: 2 / (2 + 2/3) = 0.75; 2.5: 1 / (1.5 + 2/3) = 0.46; 3.5: 1 / (1.5 + 1/3) = 0.55.
    assert balanced_f1_threshold(normals, anomalies) == pytest.approx(1.5)


def test_balanced_f1_threshold_ignores_the_class_ratio() -> None:
    normals = [1.0, 2.0, 3.0, 4.0, 6.0]
    anomalies = [3.5, 5.0, 7.0]
    once = balanced_f1_threshold(normals, anomalies)
    assert balanced_f1_threshold(normals * 20, anomalies) == once  # 20x the normals: same cut
    assert balanced_f1_threshold(normals, anomalies * 20) == once


def test_balanced_f1_threshold_degenerate_returns_none() -> None:
    assert balanced_f1_threshold([2.0, 2.0], [2.0]) is None


def test_calibrate_without_anomalies_uses_robust_rule() -> None:
    normals = [10.0, 11.0, 12.0, 13.0, 40.0]  # one odd normal should not drag the threshold
    calibration = calibrate(normals, [])
    assert calibration.rule == "normal_robust"
    assert calibration.threshold == pytest.approx(12.0 + NORMAL_ONLY_K * 1.4826 * 1.0)
    assert calibration.threshold < 40.0


def test_calibrate_with_anomalies_uses_f1_rule_and_keeps_scores() -> None:
    calibration = calibrate([1.0, 2.0, 3.0], [7.0, 8.0])
    assert calibration.rule == "balanced_f1"
    assert calibration.threshold == pytest.approx(5.0)
    assert calibration.normal_scores == (1.0, 2.0, 3.0)
    assert Calibration.from_dict(calibration.to_dict()) == calibration


def test_confidence_is_monotone_and_in_range() -> None:
    values = [confidence(s, 5.0, 2.0) for s in (5.0, 6.0, 8.0, 20.0)]
    assert values[0] == 0.5
    assert all(a < b for a, b in itertools.pairwise(values))
    assert all(0.5 <= v <= 1.0 for v in values)
    # Symmetric: the same distance below the threshold gives the same confidence in "normal".
    assert confidence(3.0, 5.0, 2.0) == pytest.approx(0.5 + 0.5 * math.tanh(1.0))


def test_confidence_scale_is_distance_from_typical_normal() -> None:
    calibration = calibrate([1.0, 2.0, 3.0], [7.0, 8.0])
    assert calibration.scale == pytest.approx(3.0)  # threshold 5 - median 2
    assert calibration.confidence(2.0) == pytest.approx(0.5 + 0.5 * math.tanh(1.0))


def test_fold_ids_balanced_and_seeded() -> None:
    folds = fold_ids(23, 5, seed=0)
    counts = [int((folds == f).sum()) for f in range(5)]
    assert sorted(counts) == [4, 4, 5, 5, 5]
    assert (fold_ids(23, 5, seed=0) == folds).all()


def test_robust_scale_never_zero() -> None:
    assert robust_scale([4.0, 4.0, 4.0]) > 0
