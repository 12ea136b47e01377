"""Records and artefact names of image-label models, importable without torch.

The server reads a hosted model's labels and thresholds with ``read_thresholds``; only
training and the hosting units import ``model.py`` (and with it the backbone).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from openlookout.ml.assumed_thresholds import CustomLabelsTrainResult, read_model_thresholds
from openlookout.ml.labels.evaluation import Evaluation

MODEL_FILE = "label_model.json"
HEAD_FILE = "label_head.npz"
FORMAT = "openlookout-image-labels/1"
MODEL_TYPE = "image-labels"


@dataclass
class LabelExample:
    ref: str  # the manifest's source-ref
    load: Callable[[], np.ndarray]  # -> (H, W, 3) uint8 RGB
    labels: tuple[str, ...]


@dataclass
class LabelPrediction:
    ref: str
    scores: dict[str, float]  # label -> score in [0, 1], every label of the model
    # The hosting worker clears this field on every prediction it returns; labels have no map.
    anomaly_map: None = None


@dataclass(kw_only=True)
class LabelTrainResult(CustomLabelsTrainResult):
    multi_label: bool
    evaluation: Evaluation
    predictions: list[LabelPrediction]  # one per evaluated test example, in input order
    evaluated_refs: list[str]


def read_thresholds(model_dir: Path) -> dict[str, float]:
    """Label -> assumed threshold (0-1) of a saved model."""
    return read_model_thresholds(Path(model_dir) / MODEL_FILE)
