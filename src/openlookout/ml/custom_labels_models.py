"""Load a saved Custom Labels model of either kind: image-level labels or object detection.

A model folder holds exactly one of ``label_model.json`` and ``detection_model.json``, so the
file present decides the kind. ``load_custom_labels_model`` is the hosting units' loader;
``read_custom_labels_thresholds`` serves the server, which must not import torch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openlookout.ml.detection import types as detection_types
from openlookout.ml.labels import types as label_types


def model_type(model_dir: Path) -> str:
    """``"object-detection"`` or ``"image-labels"``; FileNotFoundError for a folder with neither."""
    if (Path(model_dir) / detection_types.MODEL_FILE).is_file():
        return detection_types.MODEL_TYPE
    if (Path(model_dir) / label_types.MODEL_FILE).is_file():
        return label_types.MODEL_TYPE
    raise FileNotFoundError(
        f"{model_dir} holds no Custom Labels model ({label_types.MODEL_FILE} or {detection_types.MODEL_FILE})"
    )


def read_custom_labels_thresholds(model_dir: Path) -> dict[str, float]:
    """Label -> assumed threshold (0-1), read from the model's JSON record only."""
    if model_type(model_dir) == detection_types.MODEL_TYPE:
        return detection_types.read_detection_thresholds(model_dir)
    return label_types.read_thresholds(model_dir)


def load_custom_labels_model(model_dir: Path, device: str | None = None) -> Any:
    """The hosting loader: a ``LabelModel`` or a ``DetectionModel``, both with ``predict_many``."""
    # Imported on demand: each pulls in torch and its own network.
    if model_type(model_dir) == detection_types.MODEL_TYPE:
        from openlookout.ml.detection.model import load_detection_model

        return load_detection_model(Path(model_dir), device=device)
    from openlookout.ml.labels.model import load_label_model

    return load_label_model(Path(model_dir), device=device)
