"""DetectAnomalyResult from a prediction: classification fields, and for segmentation
models the colour mask PNG and per-class pixel areas (spec A.7)."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from openlookout.ml.api import ImagePrediction

# In the artefact folder (the training job writes it): the segmentation classes and their
# colours, in class-index order.
LABELS_FILE = "labels.json"
BACKGROUND_NAME = "background"
BACKGROUND_COLOR = "#FFFFFF"  # the colour the API reports for background; the mask paints it black


@dataclass(frozen=True)
class AnomalyLabel:
    name: str
    color: str  # "#RRGGBB"


def read_labels(artifact_dir: Path) -> list[AnomalyLabel]:
    """Class k of the mask is ``labels[k-1]``; [] for classification models."""
    path = Path(artifact_dir) / LABELS_FILE
    if not path.is_file():
        return []
    classes = json.loads(path.read_text())["classes"]
    return [AnomalyLabel(str(c["name"]), str(c["color"]).upper()) for c in classes]


def _rgb(color: str) -> tuple[int, int, int]:
    value = color.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def render_mask(class_mask: np.ndarray, labels: list[AnomalyLabel]) -> bytes:
    """PNG at the mask's size: class k in its training colour, background black.

    RGB (not a palette PNG), so clients that read the pixels without converting get
    colours. The class indices become colours through Pillow's palette conversion, which
    is about 15x faster than numpy fancy indexing (0.7 against 11 ms for 576x768); zlib
    level 1, because the default level tripled the encoding time for a few kilobytes less.
    """
    palette = np.zeros((256, 3), dtype=np.uint8)
    for index, label in enumerate(labels, start=1):
        palette[index] = _rgb(label.color)
    indexed = Image.fromarray(np.ascontiguousarray(class_mask, dtype=np.uint8), mode="P")
    indexed.putpalette(palette.tobytes())
    buffer = io.BytesIO()
    indexed.convert("RGB").save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def anomaly_areas(class_mask: np.ndarray, labels: list[AnomalyLabel]) -> list[dict[str, Any]]:
    """Background first, then each class present; areas as fractions of the image."""
    counts = np.bincount(class_mask.ravel(), minlength=len(labels) + 1)
    total = float(class_mask.size)
    entries = [
        {
            "Name": BACKGROUND_NAME,
            "PixelAnomaly": {"TotalPercentageArea": counts[0] / total, "Color": BACKGROUND_COLOR},
        }
    ]
    for index, label in enumerate(labels, start=1):
        if counts[index]:
            entries.append(
                {
                    "Name": label.name,
                    "PixelAnomaly": {"TotalPercentageArea": counts[index] / total, "Color": label.color},
                }
            )
    return entries


def detect_anomaly_result(prediction: ImagePrediction, labels: list[AnomalyLabel]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "Source": {"Type": "direct"},
        "IsAnomalous": bool(prediction.is_anomalous),
        "Confidence": float(prediction.confidence),
    }
    if prediction.class_mask is not None:
        mask = np.asarray(prediction.class_mask, dtype=np.uint8)
        result["AnomalyMask"] = render_mask(mask, labels)
        result["Anomalies"] = anomaly_areas(mask, labels)
    return result
