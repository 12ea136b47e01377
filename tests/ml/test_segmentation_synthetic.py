"""Segmentation on synthetic images: two classes of bright squares on grey noise."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from openlookout.ml.anomaly import load_anomaly_model, train_anomaly_model
from openlookout.ml.api import LabeledImage, TrainResult

from .synthetic_segmentation import CLASS_NAMES, HEIGHT, WIDTH, segmentation_sample, segmentation_split


@pytest.fixture(scope="module")
def split() -> tuple[list[LabeledImage], list[LabeledImage]]:
    return segmentation_split()


@pytest.fixture(scope="module")
def trained(split, tmp_path_factory) -> tuple[TrainResult, Path]:
    train, test = split
    model_dir = tmp_path_factory.mktemp("segmentation-model")
    return train_anomaly_model(train, test, model_dir, class_names=CLASS_NAMES, device="cpu"), model_dir


def test_trains_a_segmentation_model_with_pixel_metrics(trained) -> None:
    result, _ = trained
    assert result.model_type == "segmentation"
    assert result.metrics["F1Score"] == 1.0
    pixel = result.metrics["PixelAnomalyClassMetrics"]
    assert [item["ClassName"] for item in pixel] == CLASS_NAMES
    for item in pixel:
        assert set(item) == {"ClassName", "Precision", "Recall", "F1Score", "AIOU"}
        assert item["F1Score"] >= 0.8, item
        assert item["AIOU"] >= 0.7, item
    assert 0.0 < result.extra["pixel_threshold"] < 1.0


def test_test_predictions_carry_input_sized_masks(trained, split) -> None:
    result, _ = trained
    _, test = split
    for item, prediction in zip(test, result.predictions, strict=True):
        mask = prediction.class_mask
        assert mask is not None and mask.dtype == np.uint8 and mask.shape == (HEIGHT, WIDTH)
        truth = item.load_mask()
        if not item.is_anomaly:
            assert not mask.any()
        for k in np.unique(truth[truth > 0]):
            # Most of each true square is predicted, with its own class.
            assert np.mean(mask[truth == k] == k) >= 0.7


def test_loaded_model_predicts_masks_and_heatmaps(trained, split) -> None:
    result, model_dir = trained
    _, test = split
    model = load_anomaly_model(model_dir, device="cpu")
    assert model.model_type == "segmentation"
    assert model.class_names == CLASS_NAMES
    for item, expected in zip(test, result.predictions, strict=True):
        prediction = model.predict(item.load(), ref=item.ref)
        assert prediction.is_anomalous == expected.is_anomalous
        heatmap = prediction.anomaly_map
        assert heatmap is not None and heatmap.shape == (HEIGHT, WIDTH) and heatmap.dtype == np.float32
        assert heatmap.min() >= 0.0 and heatmap.max() <= 1.0
        assert prediction.class_mask is not None
        # Same forward pass: the mask is exactly the hot part of the heatmap (anomalous images).
        if prediction.is_anomalous:
            np.testing.assert_array_equal(prediction.class_mask > 0, heatmap > 0.5)
        agreement = np.mean(prediction.class_mask == expected.class_mask)
        assert agreement >= 0.99  # batch size may move the last float bits only


def test_masks_come_back_at_the_input_size(trained) -> None:
    _, model_dir = trained
    model = load_anomaly_model(model_dir, device="cpu")
    image, truth = segmentation_sample(700, (2,))
    big = np.repeat(np.repeat(image, 2, axis=0), 2, axis=1)
    prediction = model.predict(big)
    assert prediction.class_mask is not None and prediction.class_mask.shape == (2 * HEIGHT, 2 * WIDTH)
    assert prediction.anomaly_map is not None and prediction.anomaly_map.shape == (2 * HEIGHT, 2 * WIDTH)
    big_truth = np.repeat(np.repeat(truth, 2, axis=0), 2, axis=1)
    assert np.mean(prediction.class_mask[big_truth == 2] == 2) >= 0.7


def test_artifacts_record_the_segmentation_head(trained) -> None:
    result, model_dir = trained
    config = json.loads((model_dir / "model.json").read_text())
    assert config["model_type"] == "segmentation"
    assert config["class_names"] == CLASS_NAMES
    assert config["segmentation"]["pixel_threshold"] == result.extra["pixel_threshold"]
    with np.load(model_dir / "patch_classifier.npz") as arrays:
        assert arrays["weights"].shape == (257, 3)


@pytest.mark.slow  # a second training
def test_pixel_threshold_ignores_test_masks_and_labels(trained, split, tmp_path) -> None:
    result, _ = trained
    train, test = split
    # Every test image gets another image's mask and the opposite label.
    masks = [item.load_mask for item in test]
    scrambled = [
        replace(item, is_anomaly=not item.is_anomaly, load_mask=masks[(i + 1) % len(masks)])
        for i, item in enumerate(test)
    ]
    again = train_anomaly_model(train, scrambled, tmp_path, class_names=CLASS_NAMES, device="cpu")
    assert again.extra["pixel_threshold"] == result.extra["pixel_threshold"]
    assert again.threshold == result.threshold
    for first, second in zip(result.predictions, again.predictions, strict=True):
        np.testing.assert_array_equal(first.class_mask, second.class_mask)
    assert again.metrics["PixelAnomalyClassMetrics"] != result.metrics["PixelAnomalyClassMetrics"]


def test_classification_models_have_a_heatmap_too(tmp_path) -> None:
    train, test = segmentation_split()
    plain = [replace(item, load_mask=None) for item in train]
    result = train_anomaly_model(plain, test[:2], tmp_path, device="cpu")
    assert result.model_type == "classification"
    assert "PixelAnomalyClassMetrics" not in result.metrics
    model = load_anomaly_model(tmp_path, device="cpu")
    assert model.class_names == []
    image, truth = segmentation_sample(800, (1,))
    prediction = model.predict(image)
    assert prediction.class_mask is None
    heatmap = prediction.anomaly_map
    assert heatmap is not None and heatmap.shape == (HEIGHT, WIDTH)
    assert prediction.is_anomalous and heatmap.max() > 0.5
    # The hottest pixels are on the square.
    assert heatmap[truth > 0].mean() > heatmap[truth == 0].mean() + 0.2
