"""The segmentation head's parts on hand-made arrays: metrics, threshold, classifier, masks."""

from __future__ import annotations

import numpy as np
import pytest

from openlookout.ml.pixel_metrics import PixelMetrics
from openlookout.ml.segmentation import (
    HeldOutImage,
    PatchSample,
    cell_components,
    cell_fractions,
    class_mask,
    fit_patch_classifier,
    pixel_threshold,
    probability_heatmap,
)
from openlookout.ml.softmax_regression import _loss_and_gradient, fit_softmax


def test_pixel_metrics_by_hand() -> None:
    metrics = PixelMetrics(["a", "b", "never"])
    truth = np.zeros((4, 4), np.uint8)
    truth[0, :2] = 1  # two "a" pixels
    predicted = np.zeros((4, 4), np.uint8)
    predicted[0, 0] = 1  # one right, one missed
    predicted[3, 3] = 1  # one false "a"
    predicted[2, 2] = 2  # "b" only in the prediction
    metrics.add(truth, predicted)
    metrics.add(np.zeros((4, 4), np.uint8), np.zeros((4, 4), np.uint8))  # a normal image: no IoU term
    a = metrics.result()[0]
    assert a == {
        "ClassName": "a",
        "Precision": 0.5,
        "Recall": 0.5,
        "F1Score": 0.5,
        "AIOU": pytest.approx(1 / 3),
    }
    # "b" never appears in the ground truth and "never" nowhere: L4V lists labels of the test set.
    assert [item["ClassName"] for item in metrics.result()] == ["a"]


def test_pixel_metrics_aiou_averages_images() -> None:
    metrics = PixelMetrics(["a"])
    truth = np.zeros((2, 2), np.uint8)
    truth[0, 0] = 1
    metrics.add(truth, truth)  # IoU 1
    metrics.add(truth, np.zeros((2, 2), np.uint8))  # IoU 0
    metrics.add(np.zeros((2, 2), np.uint8), truth)  # false positive on a normal image: IoU 0
    assert metrics.result()[0]["AIOU"] == pytest.approx(1 / 3)
    with pytest.raises(ValueError):
        metrics.add(truth, np.zeros((3, 3), np.uint8))


def test_cell_fractions() -> None:
    mask = np.zeros((16, 16), np.uint8)
    mask[:8, :4] = 2  # half of the top-left cell
    fractions = cell_fractions(mask, (2, 2), 2)
    assert fractions.shape == (2, 2, 3)
    assert fractions[0, 0].tolist() == [0.5, 0.0, 0.5]
    assert fractions[1, 1].tolist() == [1.0, 0.0, 0.0]


def test_pixel_threshold_maximises_f1_and_gates_normal_images() -> None:
    mask = np.zeros((16, 16), np.uint8)
    mask[:, :8] = 1
    pmap = np.array([[0.9, 0.2], [0.9, 0.2]], np.float32)  # left half hot
    good = HeldOutImage(pmap=pmap, is_anomalous=True, mask=mask)
    threshold = pixel_threshold([good], (16, 16))
    assert threshold is not None and 0.2 < threshold < 0.9
    # An image predicted normal is gated: its hot map cannot move the threshold.
    gated = HeldOutImage(pmap=np.full((2, 2), 0.99, np.float32), is_anomalous=False, mask=np.zeros_like(mask))
    assert pixel_threshold([good, gated], (16, 16)) == threshold
    assert pixel_threshold([gated], (16, 16)) is None  # no anomalous pixel to calibrate on


def test_heatmap_and_mask_agree_at_the_threshold() -> None:
    pmap = np.array([[0.1, 0.6], [0.3, 0.95]], np.float32)
    heatmap = probability_heatmap(pmap, 0.4, (20, 30))
    assert heatmap.shape == (20, 30) and heatmap.min() >= 0.0 and heatmap.max() <= 1.0
    probabilities = np.zeros((2, 2, 3), np.float32)
    probabilities[..., 2] = 1.0  # class 2 everywhere
    mask = class_mask(heatmap, True, probabilities, (20, 30))
    np.testing.assert_array_equal(mask > 0, heatmap > 0.5)
    assert set(np.unique(mask).tolist()) == {0, 2}
    assert not class_mask(heatmap, False, probabilities, (20, 30)).any()


def test_softmax_gradient_matches_finite_differences() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((30, 4))
    y = rng.dirichlet(np.ones(3), size=30)
    params = rng.standard_normal(4 * 3 + 3) * 0.1
    _, grad = _loss_and_gradient(params, x, y, 0.01)
    eps = 1e-6
    for j in range(len(params)):
        step = np.zeros_like(params)
        step[j] = eps
        plus, _ = _loss_and_gradient(params + step, x, y, 0.01)
        minus, _ = _loss_and_gradient(params - step, x, y, 0.01)
        assert grad[j] == pytest.approx((plus - minus) / (2 * eps), abs=1e-6)


def test_softmax_fit_separates_classes() -> None:
    rng = np.random.default_rng(1)
    centres = np.array([[0, 0], [4, 0], [0, 4]], dtype=float)
    labels = rng.integers(0, 3, size=300)
    x = centres[labels] + rng.standard_normal((300, 2)) * 0.5
    weights, bias = fit_softmax(x, np.eye(3)[labels], weight_decay=1e-4)
    assert np.mean((x @ weights + bias).argmax(axis=1) == labels) > 0.97


def test_patch_classifier_learns_a_class_from_features() -> None:
    rng = np.random.default_rng(2)
    samples = []
    for _ in range(4):
        features = rng.standard_normal((4, 4, 8)).astype(np.float32)
        mask = np.zeros((32, 32), np.uint8)
        mask[:8, :8] = 1  # cell (0, 0) is class 1 ...
        features[0, 0, 0] += 6.0  # ... and says so in its first feature
        samples.append(PatchSample(features=features, amap=np.zeros((4, 4), np.float32), mask=mask))
    classifier = fit_patch_classifier(samples, num_classes=1)
    probe = rng.standard_normal((4, 4, 8)).astype(np.float32)
    probe[2, 3, 0] += 6.0
    probabilities = classifier.probabilities(probe, np.zeros((4, 4), np.float32))
    assert probabilities.shape == (4, 4, 2)
    np.testing.assert_allclose(probabilities.sum(axis=-1), 1.0, rtol=1e-5)
    assert np.unravel_index(probabilities[..., 1].argmax(), (4, 4)) == (2, 3)


def test_a_connected_region_is_painted_in_one_class_the_one_with_most_mass() -> None:
    # Three anomalous cells: two lean to class 2, one to class 1; background cell stays 0.
    probabilities = np.zeros((2, 2, 3), np.float32)
    probabilities[0, 0] = [0.0, 0.6, 0.4]
    probabilities[0, 1] = [0.0, 0.3, 0.7]
    probabilities[1, 0] = [0.0, 0.2, 0.8]
    probabilities[1, 1] = [1.0, 0.0, 0.0]
    heatmap = np.zeros((20, 30), np.float32)
    heatmap[:10, :] = 0.9
    heatmap[10:, :15] = 0.9
    mask = class_mask(heatmap, True, probabilities, (20, 30))
    assert set(np.unique(mask[heatmap > 0.5]).tolist()) == {2}
    assert not mask[heatmap <= 0.5].any()


def test_separate_regions_keep_their_own_classes() -> None:
    probabilities = np.zeros((2, 3, 3), np.float32)
    probabilities[:, 0] = [0.0, 0.9, 0.1]  # left column: class 1
    probabilities[:, 1] = [1.0, 0.0, 0.0]  # a background column in between
    probabilities[:, 2] = [0.0, 0.2, 0.8]  # right column: class 2
    heatmap = np.zeros((20, 30), np.float32)
    heatmap[:, :10] = 0.9
    heatmap[:, 20:] = 0.9
    mask = class_mask(heatmap, True, probabilities, (20, 30))
    assert set(np.unique(mask[:, :10]).tolist()) == {1}
    assert set(np.unique(mask[:, 20:]).tolist()) == {2}
    assert not mask[:, 10:20].any()


def test_cell_components_label_4_connected_groups() -> None:
    cells = np.array([[1, 1, 0, 1], [0, 1, 0, 1], [1, 0, 0, 0]], dtype=bool)
    labels = cell_components(cells)
    assert labels[0, 0] == labels[0, 1] == labels[1, 1]
    assert labels[0, 3] == labels[1, 3] != labels[0, 0]
    assert labels[2, 0] not in (0, labels[0, 0], labels[0, 3])  # diagonal is not connected
    assert not labels[~cells].any()
