"""DetectAnomalyResult as the DetectAnomalies API answers it (AnomalyMask base64-encoded, as on the wire)."""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np
from PIL import Image

BACKGROUND_NAME = "background"
BACKGROUND_COLOR = "#FFFFFF"  # the colour the API reports for background; the mask paints it black


def _rgb(color: str) -> tuple[int, int, int]:
    value = color.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def render_mask(mask: np.ndarray, colors: list[str]) -> bytes:
    """PNG at the mask's size: class k in ``colors[k-1]``, background black."""
    palette = np.zeros((256, 3), dtype=np.uint8)
    for index, color in enumerate(colors, start=1):
        palette[index] = _rgb(color)
    # Pillow's palette conversion maps indices to colours far faster than numpy indexing.
    indexed = Image.fromarray(np.ascontiguousarray(mask, dtype=np.uint8), mode="P")
    indexed.putpalette(palette.tobytes())
    buffer = io.BytesIO()
    indexed.convert("RGB").save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def anomaly_areas(mask: np.ndarray, classes: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Background first, then each class present, with its share of the image."""
    counts = np.bincount(mask.ravel(), minlength=len(classes) + 1)
    total = float(mask.size)
    entries: list[dict[str, Any]] = [
        {
            "Name": BACKGROUND_NAME,
            "PixelAnomaly": {"TotalPercentageArea": counts[0] / total, "Color": BACKGROUND_COLOR},
        }
    ]
    for index, label in enumerate(classes, start=1):
        if counts[index]:
            area = {"TotalPercentageArea": counts[index] / total, "Color": label["color"]}
            entries.append({"Name": label["name"], "PixelAnomaly": area})
    return entries


def detect_anomaly_result(
    is_anomalous: bool, confidence: float, mask: np.ndarray | None, classes: list[dict[str, str]]
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "Source": {"Type": "direct"},
        "IsAnomalous": bool(is_anomalous),
        "Confidence": float(confidence),
    }
    if mask is not None:
        png = render_mask(mask, [label["color"] for label in classes])
        result["AnomalyMask"] = base64.b64encode(png).decode("ascii")
        result["Anomalies"] = anomaly_areas(mask, classes)
    return result
