import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from openlookout.ml.anomaly import load_anomaly_model, train_anomaly_model
from openlookout.ml.api import LabeledImage, TrainingDataError, TrainResult

from .synthetic import labeled, synthetic_image


@pytest.fixture(scope="module")
def trained(synthetic_split, tmp_path_factory) -> tuple[TrainResult, Path]:
    train, test = synthetic_split
    model_dir = tmp_path_factory.mktemp("model")
    return train_anomaly_model(train, test, model_dir, device="cpu"), model_dir


def test_detects_synthetic_anomalies(trained, synthetic_split) -> None:
    result, _ = trained
    _, test = synthetic_split
    assert result.model_type == "classification"
    assert (result.num_train, result.num_test) == (15, 8)
    assert set(result.metrics) == {"ROCAUC", "AveragePrecision", "Precision", "Recall", "F1Score"}
    assert all(isinstance(v, float) and 0.0 <= v <= 1.0 for v in result.metrics.values())
    assert result.metrics["ROCAUC"] == 1.0
    assert result.metrics["F1Score"] == 1.0
    assert [p.ref for p in result.predictions] == [item.ref for item in test]
    assert all(0.5 <= p.confidence <= 1.0 for p in result.predictions)
    assert all(p.is_anomalous == (p.score > result.threshold) for p in result.predictions)


def test_artifacts_record_versions_and_scores(trained) -> None:
    result, model_dir = trained
    config = json.loads((model_dir / "model.json").read_text())
    assert len(config["backbone"]["weights_sha256"]) == 64
    assert config["image_size"] == [64, 96]
    assert config["calibration"]["threshold"] == result.threshold
    assert config["calibration"]["rule"] == "balanced_f1"
    assert len(config["calibration"]["normal_scores"]) == 10
    assert len(config["calibration"]["anomaly_scores"]) == 5
    bank = np.load(model_dir / "memory_bank.npy")
    assert bank.dtype == np.float32 and bank.ndim == 2
    assert not any(p.suffix == ".pth" for p in model_dir.iterdir())


def test_save_load_round_trip_gives_identical_predictions(trained, synthetic_split) -> None:
    result, model_dir = trained
    _, test = synthetic_split
    first = load_anomaly_model(model_dir, device="cpu")
    second = load_anomaly_model(model_dir, device="cpu")
    for item, expected in zip(test, result.predictions, strict=True):
        a = first.predict(item.load(), ref=item.ref)
        b = second.predict(item.load(), ref=item.ref)
        assert (a.score, a.is_anomalous, a.confidence) == (b.score, b.is_anomalous, b.confidence)
        np.testing.assert_array_equal(a.anomaly_map, b.anomaly_map)
        # Training predicted in batches; batch size may change the last float bits only.
        assert a.score == pytest.approx(expected.score, rel=1e-4)
        assert a.is_anomalous == expected.is_anomalous
    assert first.image_size == (64, 96)


def test_threshold_ignores_test_labels(trained, synthetic_split, tmp_path) -> None:
    result, _ = trained
    train, test = synthetic_split
    flipped = list(np.random.default_rng(7).permutation([item.is_anomaly for item in test]))
    flipped[0] = not flipped[0]  # guarantee the labels really change
    shuffled = [replace(item, is_anomaly=bool(label)) for item, label in zip(test, flipped, strict=True)]
    again = train_anomaly_model(train, shuffled, tmp_path, device="cpu")
    assert again.threshold == result.threshold
    assert [p.score for p in again.predictions] == [p.score for p in result.predictions]
    assert again.metrics != result.metrics


def test_normal_only_training_uses_robust_rule(tmp_path) -> None:
    train = [labeled(i, False) for i in range(8)]
    test = [labeled(200, False), labeled(300, True)]
    result = train_anomaly_model(train, test, tmp_path, device="cpu")
    assert result.extra["calibration_rule"] == "normal_robust"
    assert [p.is_anomalous for p in result.predictions] == [False, True]


def test_mixed_dimensions_fail_like_l4v(tmp_path) -> None:
    train = [labeled(i, False) for i in range(3)] + [labeled(9, False, size=(70, 96))]
    with pytest.raises(TrainingDataError, match="same dimensions"):
        train_anomaly_model(train, [], tmp_path, device="cpu")


def test_needs_two_normal_images(tmp_path) -> None:
    train = [labeled(0, False), labeled(1, True)]
    with pytest.raises(TrainingDataError):
        train_anomaly_model(train, [], tmp_path, device="cpu")


def test_predict_accepts_grey_and_rgba(trained) -> None:
    _, model_dir = trained
    model = load_anomaly_model(model_dir, device="cpu")
    rgb = synthetic_image(500, False)
    grey = rgb.mean(axis=2).astype(np.uint8)
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])
    assert model.predict(rgba).score == model.predict(rgb).score
    assert np.isfinite(model.predict(grey).score)
    with pytest.raises(ValueError):
        model.predict(rgb.astype(np.float32))


def test_progress_messages(tmp_path) -> None:
    messages: list[str] = []
    train = [labeled(i, False) for i in range(3)]
    item = LabeledImage("x", lambda: synthetic_image(50, False), False)
    train_anomaly_model(train, [item], tmp_path, device="cpu", progress=messages.append)
    assert any("features" in m for m in messages)
    assert any("evaluating" in m for m in messages)
