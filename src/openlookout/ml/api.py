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
    # Patch-distance map on the feature grid (stride 8 of the working resolution); upsample
    # with ``ml.scoring.upsample_map`` for heatmaps. None when the caller did not ask for it.
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


# Implemented in ml/anomaly.py:
#   train_anomaly_model(train: Sequence[LabeledImage], test: Sequence[LabeledImage],
#                       model_dir: Path, class_names: Sequence[str] = (),
#                       device: str | None = None,
#                       progress: Callable[[str], None] | None = None) -> TrainResult
#   load_anomaly_model(model_dir: Path, device: str | None = None) -> AnomalyModel
#   AnomalyModel.predict(image: np.ndarray) -> ImagePrediction
__all__ = ["ImagePrediction", "LabeledImage", "Path", "TrainResult", "TrainingDataError"]
