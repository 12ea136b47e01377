"""Pixel refinement of the segmentation map: thin defects painted at pixel width.

The patch classifier decides per 8x8 cell, so a 2-px crack comes back as a band one or two
cells wide (IoU about 0.1 against its mask). The refiner is a logistic regression per
pixel at the working resolution that combines the cell's P(anomaly), upsampled, with the
pixel's own contrast against its surroundings (grey minus a Gaussian blur at two scales,
in units of the image's mean absolute contrast) and their products, so it can keep the pixels
of a hot cell that actually differ from the surface. Seven weights, learnt from the
training masks on held-out maps (each training image's P(anomaly) comes from a patch
classifier fitted without it), so it learns how far to trust the coarse map.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from openlookout.ml.scoring import upsample_map
from openlookout.ml.softmax_regression import fit_softmax

FINE_SIGMA = 1.5  # px at the working resolution
COARSE_SIGMA = 4.0
NUM_FEATURES = 7
WEIGHT_DECAY = 1e-3
MAX_ITERATIONS = 100
# Training pixels per image: every defect pixel up to this many, and as many background
# pixels, half of them where the coarse map is warm (the hard ones).
MAX_PIXELS_PER_CLASS = 4000
WARM = 0.1


def grey(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 -> (H, W) uint8 luma (Pillow's ITU-R 601-2 conversion)."""
    return np.asarray(Image.fromarray(rgb).convert("L"))


def _blur(luma: Image.Image, sigma: float) -> np.ndarray:
    # Pillow's Gaussian (three box passes) on 8-bit grey: 0.1 ms against 2 ms for a float
    # separable convolution, and the edge runner computes exactly the same.
    return np.asarray(luma.filter(ImageFilter.GaussianBlur(sigma)), dtype=np.float32)


def feature_planes(luma: np.ndarray, probability: np.ndarray) -> list[np.ndarray]:
    """(H, W) uint8 luma and (H, W) coarse P(anomaly) -> the NUM_FEATURES (H, W) float32 planes."""
    image = Image.fromarray(luma)
    values = luma.astype(np.float32)
    fine = values - _blur(image, FINE_SIGMA)
    coarse = values - _blur(image, COARSE_SIGMA)
    # The surface's typical contrast (1.2533 x mean |deviation| is sigma for a Gaussian; a
    # median would cost more than the rest of the refiner).
    scale = np.float32(1.2533 * float(np.mean(np.abs(coarse))) + 1e-3)
    fine, coarse = fine / scale, coarse / scale
    p = np.clip(probability, 1e-4, 1.0 - 1e-4).astype(np.float32)
    abs_coarse = np.abs(coarse)
    return [np.log(p / (1.0 - p)), fine, coarse, np.abs(fine), abs_coarse, p * coarse, p * abs_coarse]


def pixel_features(luma: np.ndarray, probability: np.ndarray) -> np.ndarray:
    """(H * W, NUM_FEATURES) rows of ``feature_planes`` (training samples rows of it)."""
    return np.stack([plane.reshape(-1) for plane in feature_planes(luma, probability)], axis=1)


@dataclass(frozen=True)
class PixelRefiner:
    mean: np.ndarray  # (NUM_FEATURES,)
    std: np.ndarray
    weights: np.ndarray  # (NUM_FEATURES, 2): background, anomaly
    bias: np.ndarray  # (2,)

    def refine(self, luma: np.ndarray, cell_probability: np.ndarray) -> np.ndarray:
        """(H, W) uint8 luma at the working size and the (rows, cols) P(anomaly) grid -> (H, W) P(anomaly)."""
        coarse = upsample_map(cell_probability, luma.shape)
        # The two-class softmax as one logistic margin, a weighted sum of the planes: no
        # (H * W, 7) matrix to build, about 1 ms at 224x288.
        weights = ((self.weights[:, 1] - self.weights[:, 0]) / self.std).astype(np.float32)
        bias = float(self.bias[1] - self.bias[0]) - float(weights @ self.mean)
        margin = np.full(luma.shape, bias, dtype=np.float32)
        for weight, plane in zip(weights, feature_planes(luma, coarse), strict=True):
            margin += weight * plane
        return (1.0 / (1.0 + np.exp(-np.clip(margin, -50.0, 50.0)))).astype(np.float32)


@dataclass(frozen=True)
class RefinerSample:
    luma: np.ndarray  # (H, W) uint8 at the working size
    cell_probability: np.ndarray  # (rows, cols), held out
    mask: np.ndarray  # (H, W) class indices at the working size


def _rows(sample: RefinerSample, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    coarse = upsample_map(sample.cell_probability, sample.luma.shape).reshape(-1)
    x = pixel_features(sample.luma, coarse.reshape(sample.luma.shape))
    truth = sample.mask.reshape(-1) > 0
    positives = np.flatnonzero(truth)
    negatives = np.flatnonzero(~truth)
    warm = negatives[coarse[negatives] > WARM]
    picks = [rng.choice(positives, size=min(len(positives), MAX_PIXELS_PER_CLASS), replace=False)]
    half = MAX_PIXELS_PER_CLASS // 2
    picks.append(rng.choice(negatives, size=min(len(negatives), half), replace=False))
    picks.append(rng.choice(warm, size=min(len(warm), half), replace=False))
    rows = np.concatenate(picks)
    return x[rows], truth[rows]


def fit_pixel_refiner(samples: Sequence[RefinerSample], seed: int = 0) -> PixelRefiner | None:
    """Fit on the held-out samples; None when they show no defect pixel to learn from."""
    rng = np.random.default_rng(seed)
    parts = [_rows(sample, rng) for sample in samples]
    x = np.concatenate([p[0] for p in parts])
    labels = np.concatenate([p[1] for p in parts])
    if not labels.any() or labels.all():
        return None
    y = np.stack([~labels, labels], axis=1).astype(np.float32)
    mean = x.mean(axis=0)
    std = np.maximum(x.std(axis=0), 1e-6)
    weights, bias = fit_softmax((x - mean) / std, y, WEIGHT_DECAY, max_iterations=MAX_ITERATIONS)
    return PixelRefiner(mean=mean.astype(np.float32), std=std.astype(np.float32), weights=weights, bias=bias)
