"""DetectCustomLabels' answer for an object-detection model (spec B.6).

One ``CustomLabels`` item per detected box: ``Name``, ``Confidence`` (percent) and
``Geometry.BoundingBox`` (ratios of the image's width and height), highest confidence first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from openlookout.ml.detection.types import Detection


def select_detections(
    detections: Sequence[Detection],
    thresholds: dict[str, float],
    min_confidence: float | None,
    max_results: int | None,
) -> list[dict[str, Any]]:
    """Without MinConfidence each box must reach its label's assumed threshold; with it,
    only MinConfidence applies (0 returns every box). Then cut to MaxResults."""
    if min_confidence is None:
        kept = [d for d in detections if d.confidence >= thresholds[d.label]]
    else:
        kept = [d for d in detections if d.confidence * 100.0 >= min_confidence]
    kept.sort(key=lambda d: -d.confidence)  # stable: equal confidences keep the model's order
    if max_results is not None:
        kept = kept[:max_results]
    return [
        {
            "Name": d.label,
            "Confidence": d.confidence * 100.0,
            "Geometry": {
                "BoundingBox": {
                    "Width": d.box.width,
                    "Height": d.box.height,
                    "Left": d.box.left,
                    "Top": d.box.top,
                }
            },
        }
        for d in kept
    ]
