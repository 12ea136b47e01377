"""Records of object-detection models, importable without torch.

Boxes are ratios of the image's width and height (Rekognition's BoundingBox), so they do
not depend on the resolution the model works at. The server reads a hosted model's labels
and thresholds through ``read_detection_thresholds`` without loading the network.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from openlookout.ml.assumed_thresholds import CustomLabelsTrainResult, read_model_thresholds

MODEL_FILE = "detection_model.json"
FORMAT = "openlookout-object-detection/2"
MODEL_TYPE = "object-detection"


@dataclass(frozen=True)
class Box:
    """Left/top corner and size, each a ratio (0-1) of the image's width or height."""

    left: float
    top: float
    width: float
    height: float


@dataclass
class DetectionExample:
    ref: str  # the manifest's source-ref
    load: Callable[[], np.ndarray]  # -> (H, W, 3) uint8 RGB
    boxes: list[tuple[str, Box]]  # (label, box); [] = an image with no objects


@dataclass(frozen=True)
class Detection:
    label: str
    confidence: float  # 0-1
    box: Box


@dataclass
class DetectionPrediction:
    ref: str
    detections: list[Detection]  # after non-maximum suppression, highest confidence first
    # Hosting units clear this field on every prediction; detections have no map.
    anomaly_map: None = None


@dataclass
class DetectionLabelMetrics:
    label: str
    test_images: int  # test images with at least one box of this label
    test_boxes: int
    threshold: float  # the assumed threshold (0-1): maximises this label's F1 on the test set
    precision: float  # per box, IoU >= 0.5 matching, at the threshold
    recall: float
    f1: float
    average_precision: float  # AP at IoU 0.5 over all confidences
    average_recall: float  # recall at the threshold averaged over IoU 0.5:0.95 (step 0.05)


@dataclass
class DetectionEvaluation:
    labels: list[DetectionLabelMetrics]
    precision: float  # per box over all labels, each label at its threshold
    recall: float
    f1: float
    map_50: float  # mean over labels of AP at IoU 0.5
    map_50_95: float  # COCO-style mean over IoU 0.5:0.95
    mean_average_recall: float


@dataclass(kw_only=True)
class DetectionTrainResult(CustomLabelsTrainResult):
    evaluation: DetectionEvaluation
    predictions: list[DetectionPrediction]  # one per test example, in input order


def read_detection_thresholds(model_dir: Path) -> dict[str, float]:
    """Label -> assumed threshold (0-1) of a saved detection model."""
    return read_model_thresholds(Path(model_dir) / MODEL_FILE)
