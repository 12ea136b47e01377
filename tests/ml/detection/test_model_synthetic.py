"""Train a tiny detection model once on generated rectangles, then check the contract."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from openlookout.ml.api import TrainingDataError
from openlookout.ml.detection.box_coding import SIDES
from openlookout.ml.detection.feature_maps import LEGACY_TUNED_FROM, TUNED_FROM
from openlookout.ml.detection.matching import box_to_corners, pairwise_iou
from openlookout.ml.detection.model import (
    HEAD_FILE,
    DetectionModel,
    load_detection_model,
    read_config,
    train_detection_model,
)
from openlookout.ml.detection.training import TrainingSettings
from openlookout.ml.detection.types import (
    FORMAT,
    MODEL_FILE,
    MODEL_TYPE,
    DetectionExample,
    DetectionTrainResult,
    read_detection_thresholds,
)

from .synthetic import example

# Few, small steps: enough for two colours on noise, and the whole file stays well under 40 s.
# The upper backbone stage is fine-tuned (the default only from 200 images) so that its
# save/load path is exercised; 40 images leave 4 for validation (early stopping).
FAST = TrainingSettings(epochs=1, min_steps=60, batch_size=8, warmup_steps=10, tune_stage=True)


@pytest.fixture(scope="module")
def trained(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[DetectionTrainResult, Path, list[DetectionExample]]:
    train = [example(seed) for seed in range(40)]
    test = [example(1000 + seed) for seed in range(8)]
    model_dir = tmp_path_factory.mktemp("detection")
    messages: list[str] = []
    result = train_detection_model(train, test, model_dir, progress=messages.append, settings=FAST)
    assert messages, "training reports progress"
    return result, model_dir, test


@pytest.fixture(scope="module")
def loaded(trained: tuple[DetectionTrainResult, Path, list[DetectionExample]]) -> DetectionModel:
    return load_detection_model(trained[1])


def test_training_learns_the_rectangles(trained) -> None:
    result, _, test = trained
    assert result.labels == ["blue", "red"]
    assert (result.num_train, result.num_test) == (40, 8)
    assert result.extra["fit_images"] == 36 and result.extra["validation_images"] == 4
    assert result.evaluation.map_50 >= 0.8
    assert 0.0 < result.evaluation.map_50_95 <= result.evaluation.map_50
    assert [p.ref for p in result.predictions] == [e.ref for e in test]
    assert all(0.0 < t < 1.0 for t in result.thresholds)
    assert result.train_seconds > 0


def test_saved_model_describes_itself(trained) -> None:
    result, model_dir, _ = trained
    document = json.loads((model_dir / MODEL_FILE).read_text())
    assert document["format"] == FORMAT
    assert document["labels"] == result.labels
    assert document["work_size"] == [224, 224] and document["tuned_stage"] is True
    assert set(document["calibration"]) == set(result.labels)
    assert read_detection_thresholds(model_dir) == dict(zip(result.labels, result.thresholds, strict=True))


def test_loaded_model_predicts_what_training_evaluated(trained, loaded) -> None:
    result, _, test = trained
    assert loaded.model_type == MODEL_TYPE
    assert loaded.labels == result.labels
    assert loaded.threshold == min(result.thresholds)
    assert loaded.image_size == (224, 224)
    again = loaded.predict_many([e.load for e in test], [e.ref for e in test])
    for before, after in zip(result.predictions, again, strict=True):
        assert after.ref == before.ref
        assert len(after.detections) == len(before.detections)
        first, second = before.detections[0], after.detections[0]
        assert (second.label, second.confidence) == (first.label, pytest.approx(first.confidence, abs=1e-4))


def test_detections_are_sorted_bounded_and_inside_the_image(loaded) -> None:
    image = np.asarray(example(4242).load())
    prediction = loaded.predict(image, ref="x")
    assert prediction.ref == "x"
    confidences = [d.confidence for d in prediction.detections]
    assert confidences == sorted(confidences, reverse=True)
    assert 0 < len(confidences) <= 100 and min(confidences) >= 0.01
    for d in prediction.detections:
        box = d.box
        assert box.left >= 0 and box.left + box.width <= 1 + 1e-6
        assert box.top >= 0 and box.top + box.height <= 1 + 1e-6


def test_images_of_any_size_are_accepted(loaded) -> None:
    wide = np.full((90, 300, 3), 120, dtype=np.uint8)
    wide[20:60, 40:120] = (220, 30, 30)
    grey = np.full((50, 40), 128, dtype=np.uint8)
    predictions = loaded.predict_many([lambda: wide, lambda: grey], ["wide", "grey"])
    best = predictions[0].detections[0]
    assert best.label == "red"
    # The model squeezes the image to a square; the box still comes back in the image's ratios.
    truth = np.array([[40 / 300, 20 / 90, 120 / 300, 60 / 90]])
    found = np.array([box_to_corners(best.box)])
    assert pairwise_iou(found, truth)[0, 0] >= 0.5
    assert predictions[1].ref == "grey"


def test_unusable_data_is_refused(tmp_path: Path) -> None:
    no_boxes = [DetectionExample(e.ref, e.load, []) for e in (example(1), example(2))]
    with pytest.raises(TrainingDataError, match="no bounding boxes"):
        train_detection_model(no_boxes, [example(3)], tmp_path)
    with pytest.raises(TrainingDataError, match="test data is empty"):
        train_detection_model([example(1)], [], tmp_path)
    with pytest.raises(TrainingDataError, match="No test image"):
        train_detection_model([example(1)], no_boxes, tmp_path)


def test_session_3_models_still_load(trained, tmp_path: Path) -> None:
    """A format-1 document (224 px, side distances, frozen backbone, no calibration) loads."""
    _, model_dir, test = trained
    for name in (MODEL_FILE, HEAD_FILE):
        (tmp_path / name).write_bytes((model_dir / name).read_bytes())
    document = json.loads((model_dir / MODEL_FILE).read_text())
    old = {k: document[k] for k in ("labels", "thresholds", "work_size", "min_confidence", "backbone")}
    (tmp_path / MODEL_FILE).write_text(json.dumps({"format": "openlookout-object-detection/1", **old}))
    model = load_detection_model(tmp_path)
    assert (model.config.work_size, model.config.encoding, model.config.tuned_stage) == (
        (224, 224),
        SIDES,
        False,
    )
    assert model.config.calibration == {}
    assert len(model.predict_many([test[0].load], ["a"])) == 1


def test_new_models_tune_from_block_7(trained) -> None:
    _, model_dir, _ = trained
    assert json.loads((model_dir / MODEL_FILE).read_text())["tuned_from"] == TUNED_FROM == 7


def test_session_4_models_without_a_tuned_start_load_as_tuned_from_block_8(tmp_path: Path) -> None:
    """Format-2 documents of session 4 have no ``tuned_from``: their stage began at block 8."""
    train = [example(seed) for seed in range(40)]
    test = [example(1000 + seed) for seed in range(2)]
    model_dir = tmp_path / "block-8"
    train_detection_model(train, test, model_dir, settings=replace(FAST, tuned_from=8))
    tmp_path = tmp_path / "without-key"
    tmp_path.mkdir()
    for name in (MODEL_FILE, HEAD_FILE):
        (tmp_path / name).write_bytes((model_dir / name).read_bytes())
    document = json.loads((model_dir / MODEL_FILE).read_text())
    assert document["tuned_from"] == LEGACY_TUNED_FROM == 8
    del document["tuned_from"]
    (tmp_path / MODEL_FILE).write_text(json.dumps(document))
    old, new = load_detection_model(tmp_path), load_detection_model(model_dir)
    assert old.config.tuned_from == 8
    image = [test[0].load]
    assert old.predict_many(image, ["a"]) == new.predict_many(image, ["a"])
    with pytest.raises(ValueError, match="tuned stage start"):
        read_config({**document, "tuned_from": 5})
