"""Per-position normalisation of the anomaly map, learnt from held-out normal maps.

Nearest-neighbour distances are not comparable across the grid: patches near the image
edge see the convolutions' zero padding, the 3x3 aggregation's truncated window and the
upsampled stride-16 map, so on normal images they score far higher than the centre (on
textured surfaces the raw maximum sat in the outermost ring for 99 % of normal images).
Excluding a border ring hides defects that touch the edge; instead, each grid position is
turned into a z-score against what held-out *normal* images score at that position:

    z = (map - mean[r, c]) / std[r, c]

The statistics come from the calibration's held-out normal maps (each scored by a bank
built without that image), so they describe what a new normal image gets. With few
normals a position's own statistics are noisy, so both are shrunk towards the map-wide
values with the weight of ``PRIOR_WEIGHT`` pseudo-images. For the threshold calibration
itself the statistics are cross-fitted: a held-out image is normalised with statistics
from the other folds' normals only, so its score is what a new image would get.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Pseudo-images of map-wide statistics added to every position's own.
PRIOR_WEIGHT = 8.0
# Floor for a position's spread, relative to the map-wide spread.
MIN_RELATIVE_STD = 0.05


@dataclass(frozen=True)
class MapNormalizer:
    mean: np.ndarray  # (rows, cols) float32
    std: np.ndarray  # (rows, cols) float32, > 0

    def __call__(self, amap: np.ndarray) -> np.ndarray:
        if amap.shape != self.mean.shape:
            raise ValueError(f"map {amap.shape} does not match the normaliser's grid {self.mean.shape}")
        return ((amap - self.mean) / self.std).astype(np.float32)


class NormalMapStatistics:
    """Running per-fold sums of held-out normal maps (so any folds can be left out cheaply)."""

    def __init__(self, grid: tuple[int, int]) -> None:
        self._grid = grid
        self._count: dict[int, int] = {}
        self._sum: dict[int, np.ndarray] = {}
        self._sum_sq: dict[int, np.ndarray] = {}

    def add(self, fold: int, amap: np.ndarray) -> None:
        values = amap.astype(np.float64)
        if fold not in self._count:
            self._count[fold] = 0
            self._sum[fold] = np.zeros(self._grid)
            self._sum_sq[fold] = np.zeros(self._grid)
        self._count[fold] += 1
        self._sum[fold] += values
        self._sum_sq[fold] += values * values

    def normalizer(self, exclude_fold: int | None = None) -> MapNormalizer:
        """Statistics of every added map outside ``exclude_fold`` (all of them when None)."""
        folds = [f for f in self._count if f != exclude_fold] or list(self._count)
        if not folds:
            raise ValueError("no normal map to normalise with")
        n = float(sum(self._count[f] for f in folds))
        total = sum((self._sum[f] for f in folds), np.zeros(self._grid))
        total_sq = sum((self._sum_sq[f] for f in folds), np.zeros(self._grid))
        mean = total / n
        variance = np.maximum(total_sq / n - mean * mean, 0.0)
        global_mean = float(mean.mean())
        global_variance = float(variance.mean())  # the typical within-position variance
        shrunk_mean = (n * mean + PRIOR_WEIGHT * global_mean) / (n + PRIOR_WEIGHT)
        shrunk_variance = (n * variance + PRIOR_WEIGHT * global_variance) / (n + PRIOR_WEIGHT)
        floor = MIN_RELATIVE_STD * max(np.sqrt(global_variance), 1e-12)
        std = np.maximum(np.sqrt(shrunk_variance), floor)
        return MapNormalizer(mean=shrunk_mean.astype(np.float32), std=std.astype(np.float32))
