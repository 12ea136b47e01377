"""Segmentation models: per-patch class probabilities, then the class mask at the image size.

The server's inference rules (``openlookout.ml.segmentation`` imports the heatmap and the
class mask from here): softmax regression on [patch feature, anomaly-map value]; a pixel is
anomalous when the image is anomalous and its rescaled P(anomaly) exceeds 0.5; each
connected region takes its most probable anomaly class.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

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

    def heatmap(
        self, probabilities: np.ndarray, size: tuple[int, int], refined: np.ndarray | None = None
    ) -> np.ndarray:
        """P(anomaly) at ``size``, rescaled piecewise-linearly so the pixel threshold maps to 0.5.

        ``refined``: the pixel refiner's P(anomaly) at the working size, used instead of the cells'.
        """
        pmap = (1.0 - probabilities[..., 0]).astype(np.float32) if refined is None else refined
        return probability_heatmap(pmap, self.pixel_threshold, size)


def probability_heatmap(pmap: np.ndarray, threshold: float, size: tuple[int, int]) -> np.ndarray:
    """(H, W) float32 in [0, 1]: P(anomaly) rescaled piecewise-linearly so ``threshold`` maps to 0.5."""
    p = np.clip(upsample(pmap, size), 0.0, 1.0)
    t = min(max(threshold, 1e-6), 1.0 - 1e-6)
    return np.where(p <= t, 0.5 * p / t, 0.5 + 0.5 * (p - t) / (1.0 - t)).astype(np.float32)


@dataclass(frozen=True)
class PixelRefiner:
    """The server's ``openlookout.ml.pixel_refine`` restated: a logistic regression per pixel."""

    mean: np.ndarray
    std: np.ndarray
    weights: np.ndarray
    bias: np.ndarray

    @classmethod
    def load(cls, path: Path) -> PixelRefiner:
        with np.load(path) as data:
            return cls(**{name: data[name].astype(np.float32) for name in ("mean", "std", "weights", "bias")})

    def refine(self, rgb: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
        """(h, w, 3) uint8 at the working size and (rows, cols, K + 1) -> (h, w) P(anomaly)."""
        image = Image.fromarray(rgb).convert("L")
        luma = np.asarray(image, dtype=np.float32)
        coarse_p = upsample((1.0 - probabilities[..., 0]).astype(np.float32), luma.shape)
        fine = luma - np.asarray(image.filter(ImageFilter.GaussianBlur(1.5)), dtype=np.float32)
        coarse = luma - np.asarray(image.filter(ImageFilter.GaussianBlur(4.0)), dtype=np.float32)
        scale = np.float32(1.2533 * float(np.mean(np.abs(coarse))) + 1e-3)
        fine, coarse = fine / scale, coarse / scale
        p = np.clip(coarse_p, 1e-4, 1.0 - 1e-4).astype(np.float32)
        abs_coarse = np.abs(coarse)
        planes = [np.log(p / (1.0 - p)), fine, coarse, np.abs(fine), abs_coarse, p * coarse, p * abs_coarse]
        weights = ((self.weights[:, 1] - self.weights[:, 0]) / self.std).astype(np.float32)
        margin = np.full(
            luma.shape, float(self.bias[1] - self.bias[0]) - float(weights @ self.mean), np.float32
        )
        for weight, plane in zip(weights, planes, strict=True):
            margin += weight * plane
        return (1.0 / (1.0 + np.exp(-np.clip(margin, -50.0, 50.0)))).astype(np.float32)


def cell_components(cells: np.ndarray) -> np.ndarray:
    """Labels of the 4-connected components of a boolean grid (0 = not set, else 1-based ids)."""
    index = np.arange(1, cells.size + 1, dtype=np.int64).reshape(cells.shape)
    labels = np.where(cells, index, 0)
    big = cells.size + 1
    while True:  # each pass lets the smallest id spread one cell; grids are at most ~100 cells across
        padded = np.pad(np.where(cells, labels, big), 1, constant_values=big)
        neighbours = np.minimum.reduce(
            [padded[1:-1, 1:-1], padded[:-2, 1:-1], padded[2:, 1:-1], padded[1:-1, :-2], padded[1:-1, 2:]]
        )
        updated = np.where(cells, neighbours, 0)
        if np.array_equal(updated, labels):
            return labels
        labels = updated


def class_mask(
    heatmap: np.ndarray, anomalous_image: bool, probabilities: np.ndarray, size: tuple[int, int]
) -> np.ndarray:
    """(H, W) uint8 class indices where the heatmap is above 0.5, one anomaly class per region.

    A region is a connected group of patch cells holding anomalous pixels; it takes the class
    with the most probability mass over its anomalous pixels (each pixel counts its patch's
    class probabilities). Taking each patch's own most probable class painted most defects
    in several classes, and every stray class is a false positive in the per-label metrics.
    """
    anomalous = heatmap > 0.5
    if not anomalous_image or not anomalous.any():
        return np.zeros(size, dtype=np.uint8)
    rows, cols = probabilities.shape[:2]
    height, width = size
    cells = Image.fromarray(np.arange(rows * cols, dtype=np.int32).reshape(rows, cols))
    cell_of_pixel = np.asarray(cells.resize((width, height), Image.Resampling.NEAREST))
    pixels_per_cell = np.bincount(cell_of_pixel[anomalous], minlength=rows * cols)
    regions = cell_components(pixels_per_cell.reshape(rows, cols) > 0).reshape(-1)
    mass = pixels_per_cell[:, None] * probabilities[..., 1:].reshape(rows * cols, -1)
    region_mass = np.zeros((rows * cols + 1, mass.shape[1]))
    np.add.at(region_mass, regions, mass)
    region_class = (region_mass.argmax(axis=1) + 1).astype(np.uint8)
    return np.where(anomalous, region_class[regions[cell_of_pixel]], 0).astype(np.uint8)
