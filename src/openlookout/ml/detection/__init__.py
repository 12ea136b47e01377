"""Object-detection models (Rekognition Custom Labels bounding boxes) on the shared backbone.

Training and loading live in ``openlookout.ml.detection.model`` (imports torch):
``train_detection_model(train, test, model_dir, device=None, progress=None)`` and
``load_detection_model(model_dir, device=None)``. This package re-exports both lazily, so
importing it (and its records) never loads torch or the backbone.
"""

from typing import Any

from openlookout.ml.detection.types import (
    FORMAT,
    MODEL_FILE,
    MODEL_TYPE,
    Box,
    Detection,
    DetectionEvaluation,
    DetectionExample,
    DetectionLabelMetrics,
    DetectionPrediction,
    DetectionTrainResult,
    read_detection_thresholds,
)

__all__ = [
    "FORMAT",
    "MODEL_FILE",
    "MODEL_TYPE",
    "Box",
    "Detection",
    "DetectionEvaluation",
    "DetectionExample",
    "DetectionLabelMetrics",
    "DetectionPrediction",
    "DetectionTrainResult",
    "load_detection_model",
    "read_detection_thresholds",
    "train_detection_model",
]

_LAZY = {"train_detection_model", "load_detection_model"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from openlookout.ml.detection import model

        return getattr(model, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
