import pytest

from openlookout.ml.evaluate import average_precision, classification_metrics, precision_recall_f1, roc_auc


def test_roc_auc_hand_computed() -> None:
    # Pairs (anomaly, normal): (0.35 > 0.1), (0.35 < 0.4), (0.8 > both) -> 3 of 4.
    assert roc_auc([False, False, True, True], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)


def test_roc_auc_ties_count_half() -> None:
    assert roc_auc([False, True], [0.5, 0.5]) == pytest.approx(0.5)
    assert roc_auc([False, False, True], [0.2, 0.5, 0.5]) == pytest.approx(0.75)


def test_average_precision_hand_computed() -> None:
    # Ranked: 0.8 (A) P=1 R=.5 ; 0.4 (N) ; 0.35 (A) P=2/3 R=1 -> 0.5*1 + 0.5*2/3.
    ap = average_precision([False, False, True, True], [0.1, 0.4, 0.35, 0.8])
    assert ap == pytest.approx(0.5 + 0.5 * 2 / 3)


def test_average_precision_moves_tied_scores_together() -> None:
    # Both at 0.5: one threshold, precision 1/2 at recall 1.
    assert average_precision([False, True], [0.5, 0.5]) == pytest.approx(0.5)


def test_precision_recall_f1_hand_computed() -> None:
    labels = [True, True, True, False, False]
    predicted = [True, True, False, True, False]  # TP=2 FN=1 FP=1
    precision, recall, f1 = precision_recall_f1(labels, predicted)
    assert (precision, recall) == pytest.approx((2 / 3, 2 / 3))
    assert f1 == pytest.approx(2 / 3)


def test_zero_division_rules() -> None:
    # Nothing predicted anomalous while anomalies exist: precision 0, recall 0, F1 0.
    assert precision_recall_f1([True, False], [False, False]) == (0.0, 0.0, 0.0)
    # No anomalies at all and none predicted: nothing was wrong.
    assert precision_recall_f1([False, False], [False, False]) == (1.0, 1.0, 1.0)
    # No anomalies, one false alarm: precision 0, recall vacuously 1, F1 0.
    assert precision_recall_f1([False, False], [True, False]) == (0.0, 1.0, 0.0)
    assert roc_auc([False, False], [0.1, 0.2]) == 0.5
    assert average_precision([False, False], [0.1, 0.2]) == 0.0
    assert average_precision([True, True], [0.1, 0.2]) == 1.0


def test_classification_metrics_keys_and_range() -> None:
    metrics = classification_metrics([False, True, True], [0.2, 0.9, 0.1], [False, True, False])
    assert set(metrics) == {"ROCAUC", "AveragePrecision", "Precision", "Recall", "F1Score"}
    assert all(isinstance(v, float) and 0.0 <= v <= 1.0 for v in metrics.values())
    assert metrics["ROCAUC"] == pytest.approx(0.5)
    assert metrics["Recall"] == pytest.approx(0.5)


def test_length_mismatch_is_rejected() -> None:
    with pytest.raises(ValueError):
        roc_auc([True], [0.1, 0.2])
