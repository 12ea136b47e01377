"""Offline Lookout for Vision-style anomaly detection with an openlookout model package.

Needs only onnxruntime, NumPy and Pillow. Usage::

    python -m openlookout_edge --model PACKAGE_DIR image.jpg [image2.png ...]

prints one DetectAnomalyResult JSON object per image, as DetectAnomalies would answer.
"""

from .model import EdgeModel

__all__ = ["EdgeModel"]
