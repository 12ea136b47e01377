"""The one minimum-images rule behind CreateModel's check and the training job's."""

from __future__ import annotations

from openlookout.service.lookoutvision.training_minimums import (
    SEPARATE_TEST,
    SEPARATE_TRAIN,
    SINGLE_DATASET,
    LabelCounts,
    shortfalls,
)


def counts(normal: int, anomaly: int, **single: int) -> LabelCounts:
    found = LabelCounts()
    for _ in range(normal):
        found.add("normal", [])
    for label, n in single.items():
        for _ in range(n):
            found.add("anomaly", [label])
    for _ in range(anomaly - sum(single.values())):
        found.add("anomaly", ["crack", "dent"])  # two labels: counts for no label's minimum
    return found


def test_single_dataset_needs_20_normal_10_anomalous() -> None:
    assert shortfalls(counts(20, 10), None, []) == []
    [short] = shortfalls(counts(19, 10), None, [])
    assert (short.dataset, short.needed, short.label) == ("train", SINGLE_DATASET, None)


def test_labels_count_only_images_showing_them_alone() -> None:
    train = counts(20, 30, crack=20, dent=5)
    assert [(s.label, s.found) for s in shortfalls(train, None, ["dent", "crack"])] == [("dent", 5)]


def test_separate_test_reports_train_before_test() -> None:
    found = shortfalls(counts(9, 0), counts(10, 9), [])
    assert [(s.dataset, s.needed) for s in found] == [("train", SEPARATE_TRAIN), ("test", SEPARATE_TEST)]
