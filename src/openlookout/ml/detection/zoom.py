"""Random zoom of the cached maps with their boxes (training augmentation, no backbone cost).

A window of the stride-16 map (whole cells, so the stride-8 map's window is exactly twice
it) is cut out and resized back to the full map size, and the boxes are moved and
scaled with it. A zoomed map is not the map of the zoomed image (the backbone saw the
defects at their original scale), but it shows the head defects at up to 1/min_fraction
their size and at other positions, which a fixed cache otherwise never does.

Boxes that the window cuts keep their visible part when at least ``MIN_VISIBLE`` of
their area is inside it; smaller remnants are dropped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from openlookout.ml.backbone import COARSE_STRIDE, FINE_STRIDE

MIN_VISIBLE = 0.25


@dataclass(frozen=True)
class Window:
    """A crop of the stride-16 grid, in its cells."""

    top: int
    left: int
    height: int
    width: int


def random_window(grid: tuple[int, int], min_fraction: float, generator: torch.Generator) -> Window:
    """A window of ``grid`` (stride-16 rows, cols) with sides of min_fraction..1 of it (one fraction)."""
    rows, cols = grid
    fraction = min_fraction + (1.0 - min_fraction) * float(torch.rand((), generator=generator))
    height = min(rows, max(1, math.ceil(rows * fraction)))
    width = min(cols, max(1, math.ceil(cols * fraction)))
    top = int(torch.randint(0, rows - height + 1, (), generator=generator))
    left = int(torch.randint(0, cols - width + 1, (), generator=generator))
    return Window(top, left, height, width)


def zoom_maps(fine: torch.Tensor, coarse: torch.Tensor, window: Window) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, C, h, w) stride-8 and (N, C', h/2, w/2) stride-16 maps cut to ``window``, resized back."""
    ratio = COARSE_STRIDE // FINE_STRIDE
    cut_coarse = coarse[
        ..., window.top : window.top + window.height, window.left : window.left + window.width
    ]
    cut_fine = fine[
        ...,
        window.top * ratio : (window.top + window.height) * ratio,
        window.left * ratio : (window.left + window.width) * ratio,
    ]
    return (
        F.interpolate(cut_fine, size=fine.shape[-2:], mode="bilinear", align_corners=False),
        F.interpolate(cut_coarse, size=coarse.shape[-2:], mode="bilinear", align_corners=False),
    )


def zoom_boxes(
    corners: torch.Tensor, labels: torch.Tensor, window: Window, size: tuple[int, int]
) -> tuple[torch.Tensor, torch.Tensor]:
    """(G, 4) pixel corners and (G,) labels of an image of ``size`` -> those in the zoomed image."""
    height, width = size
    x0, y0 = window.left * COARSE_STRIDE, window.top * COARSE_STRIDE
    cut_w, cut_h = window.width * COARSE_STRIDE, window.height * COARSE_STRIDE
    shifted = corners - torch.tensor([x0, y0, x0, y0], dtype=corners.dtype)
    clipped = torch.stack(
        [
            shifted[:, 0].clamp(0, cut_w),
            shifted[:, 1].clamp(0, cut_h),
            shifted[:, 2].clamp(0, cut_w),
            shifted[:, 3].clamp(0, cut_h),
        ],
        dim=1,
    )
    area = (corners[:, 2] - corners[:, 0]) * (corners[:, 3] - corners[:, 1])
    visible = (clipped[:, 2] - clipped[:, 0]) * (clipped[:, 3] - clipped[:, 1])
    keep = (visible > 0) & (visible >= MIN_VISIBLE * area)
    scale = torch.tensor([width / cut_w, height / cut_h, width / cut_w, height / cut_h], dtype=corners.dtype)
    return clipped[keep] * scale, labels[keep]
