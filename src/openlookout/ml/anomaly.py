"""PatchCore-style anomaly classification: train, save, load, predict.

Training (``AnomalyDetector``, ``anomaly_detector.py``): decode every image once at its
original size, check that all share the first training image's dimensions, resize to the
working resolution (``imaging.py``), extract patch features (``features.py``). Normal
training patches feed the memory bank (coreset, ``memory_bank.py``); k-fold banks score
held-out normals and the training anomalies to calibrate the threshold (``held_out.py``,
``held_out_calibration.py``); the test set is then predicted and evaluated
(``evaluate.py``) and never influences the model.

Segmentation (training images with class masks): a patch classifier on the patch
features and held-out anomaly maps, with a pixel threshold calibrated by cross-fitting on
the same folds (``segmentation_training.py``); test images with masks add per-class pixel
metrics (``pixel_metrics.py``). Every prediction carries a calibrated heatmap at the input
size (0.5 = the decision threshold), from the same forward pass as the image decision.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from openlookout.ml.anomaly_detector import AnomalyDetector, Progress, StageProgress
from openlookout.ml.anomaly_model import AnomalyModel, load_anomaly_model
from openlookout.ml.api import ImagePrediction, LabeledImage, TrainingDataError, TrainResult
from openlookout.ml.evaluate import classification_metrics
from openlookout.ml.imaging import as_rgb
from openlookout.ml.pixel_metrics import PixelMetrics
from openlookout.ml.training_features import size_checker

FIT_SHARE = 0.85  # of the percent reported through ``stage_progress``


def train_anomaly_model(
    train: Sequence[LabeledImage],
    test: Sequence[LabeledImage],
    model_dir: Path,
    class_names: Sequence[str] = (),
    device: str | None = None,
    progress: Progress | None = None,
    stage_progress: StageProgress | None = None,
) -> TrainResult:
    """Train on ``train``, calibrate on held-out training data, save to ``model_dir``, test on ``test``.

    ``progress`` gets log messages; ``stage_progress`` gets (stage, percent 0-100) for a
    job's progress record. Neither changes what is trained.
    """
    started = time.monotonic()
    report = progress or (lambda _: None)
    stage = stage_progress or (lambda _stage, _percent: None)
    # The fit is most of the work; saving and evaluating the test set take the rest.
    detector = AnomalyDetector(
        device=device, progress=report, stage_progress=lambda name, pct: stage(name, pct * FIT_SHARE)
    )
    model = detector.fit(train, class_names)
    model.save(Path(model_dir))
    artifacts = model.artifacts
    calibration, head = artifacts.calibration, artifacts.segmentation

    report(f"evaluating on {len(test)} test images")
    stage("evaluation", 100 * FIT_SHARE)
    predictions = _predict_test(model, test, size_checker(artifacts.image_size))
    metrics: dict[str, object] = dict(
        classification_metrics(
            [item.is_anomaly for item in test],
            [p.score for p in predictions],
            [p.is_anomalous for p in predictions],
        )
    )
    extra: dict[str, object] = {}
    if head is not None:
        metrics["PixelAnomalyClassMetrics"] = _pixel_metrics(test, predictions, artifacts.class_names)
        extra["pixel_threshold"] = head.pixel_threshold
    stage("evaluation", 100)
    return TrainResult(
        metrics=metrics,
        predictions=predictions,
        threshold=calibration.threshold,
        num_train=len(train),
        num_test=len(test),
        model_type=artifacts.model_type,
        extra=extra
        | {
            "calibration_rule": calibration.rule,
            "bank_size": len(artifacts.bank),
            "working_size": list(artifacts.working_size),
            "held_out_auroc_by_working_size": detector.held_out_auroc_by_working_size,
            "device": detector.device,
            "train_seconds": round(time.monotonic() - started, 3),
        },
    )


def _predict_test(
    model: AnomalyModel, test: Sequence[LabeledImage], check: Callable[[int, np.ndarray], None]
) -> list[ImagePrediction]:
    def checked(item: LabeledImage) -> Callable[[], np.ndarray]:
        def load() -> np.ndarray:
            rgb = as_rgb(item.load())
            check(0, rgb)
            return rgb

        return load

    predictions = model.predict_many([checked(item) for item in test], [item.ref for item in test])
    for prediction in predictions:
        prediction.anomaly_map = None  # the service stores metrics and masks, not heatmaps
    return predictions


def _pixel_metrics(
    test: Sequence[LabeledImage], predictions: Sequence[ImagePrediction], class_names: Sequence[str]
) -> list[dict[str, object]]:
    metrics = PixelMetrics(class_names)
    for item, prediction in zip(test, predictions, strict=True):
        if item.load_mask is None or prediction.class_mask is None:
            continue  # an anomaly without a mask has no pixel truth
        truth = item.load_mask()
        if truth.shape != prediction.class_mask.shape:
            raise TrainingDataError(f"The mask of {item.ref} does not have the size of its image.")
        metrics.add(truth, prediction.class_mask)
    return metrics.result()


__all__ = ["AnomalyDetector", "AnomalyModel", "load_anomaly_model", "train_anomaly_model"]
