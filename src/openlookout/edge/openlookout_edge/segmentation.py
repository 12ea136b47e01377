"""Segmentation models: per-patch class probabilities, then the class mask at the image size.

Restates the server's ``openlookout.ml.segmentation`` inference rules: softmax regression on
[patch feature, anomaly-map value]; a pixel is anomalous when the image is anomalous and
its rescaled P(anomaly) exceeds 0.5; it takes its patch's most probable anomaly class.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from .scoring import upsample


@dataclass(frozen=True)
class PatchClassifier:
    mean: np.ndarray
    std: np.ndarray
    weights: np.ndarray
    bias: np.ndarray
    pixel_threshold: float

    @classmethod
    def load(cls, path: Path, pixel_threshold: float) -> PatchClassifier:
        with np.load(path) as data:
            arrays = {name: data[name].astype(np.float32) for name in ("mean", "std", "weights", "bias")}
        return cls(pixel_threshold=pixel_threshold, **arrays)

    def probabilities(self, features: np.ndarray, amap: np.ndarray) -> np.ndarray:
        """(rows, cols, D) and (rows, cols) -> (rows, cols, K + 1); column 0 is background."""
        flat = features.reshape(-1, features.shape[-1])
        x = np.concatenate([flat, amap.reshape(-1, 1)], axis=1).astype(np.float32)
        logits = ((x - self.mean) / self.std) @ self.weights + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        return p.reshape(*amap.shape, -1).astype(np.float32)

    def heatmap(self, probabilities: np.ndarray, size: tuple[int, int]) -> np.ndarray:
        """P(anomaly) at ``size``, rescaled piecewise-linearly so the pixel threshold maps to 0.5."""
        pmap = (1.0 - probabilities[..., 0]).astype(np.float32)
        p = np.clip(upsample(pmap, size), 0.0, 1.0)
        t = min(max(self.pixel_threshold, 1e-6), 1.0 - 1e-6)
        return np.where(p <= t, 0.5 * p / t, 0.5 + 0.5 * (p - t) / (1.0 - t)).astype(np.float32)


def class_mask(
    heatmap: np.ndarray, anomalous_image: bool, probabilities: np.ndarray, size: tuple[int, int]
) -> np.ndarray:
    """(H, W) uint8 class indices (0 = background)."""
    if not anomalous_image:
        return np.zeros(size, dtype=np.uint8)
    cells = (probabilities[..., 1:].argmax(axis=-1) + 1).astype(np.uint8)
    height, width = size
    nearest = Image.fromarray(cells).resize((width, height), Image.Resampling.NEAREST)
    return np.where(heatmap > 0.5, np.asarray(nearest), 0).astype(np.uint8)
