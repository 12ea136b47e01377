"""Anomaly map, image score and confidence from the graph's patch distances.

The server's ``openlookout.ml.scoring`` imports the map rules from here (one implementation);
``confidence`` restates ``openlookout.ml.calibration``, which the package tests compare.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image


def _gaussian_kernel(sigma: float) -> np.ndarray:
    radius = max(1, round(3 * sigma))
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    kernel = np.exp(-0.5 * (x / sigma) ** 2)
    return kernel / kernel.sum()


def smooth(grid: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian blur with edge-reflecting borders."""
    if sigma <= 0:
        return grid.astype(np.float32)
    kernel = _gaussian_kernel(sigma)
    radius = len(kernel) // 2
    padded = np.pad(grid.astype(np.float64), radius, mode="reflect")
    # Separable: one weighted sum of shifted slices per kernel tap and axis (vectorised).
    rows = sum(w * padded[:, j : j + grid.shape[1]] for j, w in enumerate(kernel))
    out = sum(w * rows[j : j + grid.shape[0], :] for j, w in enumerate(kernel))
    return out.astype(np.float32)


def image_score(amap: np.ndarray, border_cells: int) -> float:
    """Maximum of the map without its outer ``border_cells`` ring (the whole map if that is empty)."""
    rows, cols = amap.shape
    inner = amap[border_cells : rows - border_cells, border_cells : cols - border_cells]
    return float((inner if inner.size else amap).max())


def confidence(score: float, threshold: float, scale: float) -> float:
    """Confidence in the predicted side: 0.5 at the threshold, towards 1 away from it."""
    return 0.5 + 0.5 * math.tanh(abs(score - threshold) / scale)


def upsample(grid: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of a float map to ``size`` = (height, width)."""
    height, width = size
    image = Image.fromarray(grid.astype(np.float32), mode="F")
    return np.asarray(image.resize((width, height), Image.Resampling.BILINEAR), dtype=np.float32)
