"""From patch distances to an anomaly map and an image score.

The map is the nearest-neighbour distance of each stride-8 patch, smoothed with a
Gaussian of ``SMOOTH_SIGMA`` = 0.5 grid cells (4 px at the working resolution, as in
PatchCore) so one noisy patch cannot decide alone.
The image score is the map's maximum over all but the outermost ``BORDER_CELLS`` ring of
patches: defects such as cracks cover few patches, so a mean or a wide top-k would dilute
them, while patches on the image edge see the convolutions' zero padding and produced the
highest scores on normal images in our tests. Edge defects still raise the inner ring
through the 3x3 aggregation and the smoothing.
"""

from __future__ import annotations

import numpy as np

# The edge runner holds the one implementation, so a package scores as the server does.
from openlookout.edge.openlookout_edge import scoring as edge_scoring

SMOOTH_SIGMA = 0.5
# Normalised maps (``map_normalization.py``) need no border ring left out.
BORDER_CELLS = 0


def smooth(grid: np.ndarray, sigma: float = SMOOTH_SIGMA) -> np.ndarray:
    """Separable Gaussian blur of a 2-D array with edge-reflecting borders."""
    return edge_scoring.smooth(grid, sigma)


def anomaly_map(distances: np.ndarray, grid: tuple[int, int]) -> np.ndarray:
    """(rows*cols,) patch distances -> smoothed (rows, cols) float32 map."""
    return smooth(distances.reshape(grid))


def image_score(amap: np.ndarray, border_cells: int = BORDER_CELLS) -> float:
    """Maximum of the map without its outer ``border_cells`` ring (the whole map if that is empty)."""
    return edge_scoring.image_score(amap, border_cells)


# Bilinear resize of a grid map to ``size`` = (height, width), e.g. the input image size.
upsample_map = edge_scoring.upsample


def calibrated_heatmap(amap: np.ndarray, threshold: float, scale: float, size: tuple[int, int]) -> np.ndarray:
    """(H, W) float32 heatmap in [0, 1] at ``size``: 0.5 exactly at ``threshold``.

    Same shape as the image confidence (``calibration.confidence``) but signed:
    0.5 + 0.5 * tanh((value - threshold) / scale), so values above 0.5 are the anomalous
    pixels and the scale is comparable across models.
    """
    upsampled = upsample_map(amap, size)
    return (0.5 + 0.5 * np.tanh((upsampled - threshold) / scale)).astype(np.float32)
