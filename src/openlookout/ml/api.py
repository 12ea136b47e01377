"""The ml package's public contract with the service layer.

The service decodes nothing itself: it hands ``LabeledImage`` records whose
``load`` callables return RGB arrays, and gets back a ``TrainResult`` whose
metrics it writes into the L4V evaluation files. Masks, when given, are
already class-index arrays (0 = background, k = ``class_names[k-1]``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass
class LabeledImage:
    ref: str  # the manifest's source-ref; echoed in predictions
    load: Callable[[], np.ndarray]  # -> (H, W, 3) uint8 RGB
    is_anomaly: bool
    load_mask: Callable[[], np.ndarray] | None = None  # -> (H, W) uint8 class indices


@dataclass
class ImagePrediction:
    ref: str
    is_anomalous: bool
    confidence: float  # confidence in is_anomalous, 0-1
    score: float  # raw anomaly score (higher = more anomalous)
    # Calibrated heatmap, (H, W) float32 in [0, 1] at the input image size, from the same
    # forward pass as the decision; values above 0.5 are anomalous (segmentation: at the pixel
    # threshold; classification: at the image threshold). None in TrainResult.predictions.
    anomaly_map: np.ndarray | None = None
    # Segmentation models: (H, W) uint8 class indices at the input size (0 = background,
    # k = class_names[k-1]); None for classification models.
    class_mask: np.ndarray | None = None


@dataclass
class TrainResult:
    # Keys as in the L4V EvaluationResult "Metrics" object: ROCAUC, AveragePrecision,
    # Precision, Recall, F1Score (floats 0-1) and, for segmentation models,
    # PixelAnomalyClassMetrics: [{ClassName, Precision, Recall, F1Score, AIOU}].
    metrics: dict[str, object]
    predictions: list[ImagePrediction]  # one per test image, in input order
    threshold: float
    num_train: int
    num_test: int
    model_type: str  # "classification" | "segmentation"
    extra: dict[str, object] = field(default_factory=dict)


class TrainingDataError(ValueError):
    """The training or test images cannot train a model; ``str(error)`` is user-facing."""


# Implemented in ml/anomaly.py (AnomalyModel lives in ml/anomaly_model.py, re-exported there):
#   train_anomaly_model(train: Sequence[LabeledImage], test: Sequence[LabeledImage],
#                       model_dir: Path, class_names: Sequence[str] = (),
#                       device: str | None = None,
#                       progress: Callable[[str], None] | None = None) -> TrainResult
#   load_anomaly_model(model_dir: Path, device: str | None = None) -> AnomalyModel
#   AnomalyModel.predict(image: np.ndarray, ref: str = "") -> ImagePrediction
#   AnomalyModel.predict_many(loaders, refs) -> list[ImagePrediction]
#   AnomalyModel.model_type -> "classification" | "segmentation"
#   AnomalyModel.class_names -> list[str]  (segmentation; class_mask value k = class_names[k-1])
#   AnomalyModel.image_size -> (height, width) of the training images
__all__ = ["ImagePrediction", "LabeledImage", "Path", "TrainResult", "TrainingDataError"]
