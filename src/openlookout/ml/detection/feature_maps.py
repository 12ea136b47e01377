"""The frozen backbone's maps of every image, computed once and cached.

Images of any size are resized to one square working size (``choose_work_size``; boxes are
ratios, so the stretch does not change them). The stride-8 map is projected onto its
principal components (``projection.py``) and kept in float16 on the CPU. The stride-16
input of the head is cached in one of two forms:

- frozen backbone: the stride-16 tap, projected like the stride-8 map;
- fine-tuned upper stage: what enters block ``tuned_from`` (``TUNED_FROM`` = 7 unless chosen;
  80 channels at stride 16), so training runs only blocks ``tuned_from``..10 and the tap
  on it, never the lower 80 % of the backbone.

Training then never runs the lower backbone again, which is what makes many epochs fit a
CPU budget.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from openlookout.ml.backbone import FINE_STRIDE, Backbone
from openlookout.ml.detection.projection import Projection, fit_projection
from openlookout.ml.imaging import as_rgb, resize_rgb

FINE_DIMS = 64
COARSE_DIMS = 128
BATCH_SIZE = 16
# Images whose raw maps fit the projections: spread over the data set, which is often
# sorted by label.
FIT_IMAGES = 128
# The fine-tuned stage: by default blocks 7-10 (the last block of the 80-channel stage, the
# 112-channel stage) and the stride-16 tap: +0.026 mAP@0.5 on NEU-DET and +0.016 on the thin
# set over blocks 8-10 for +6-11 % CPU (docs/custom_labels.md, "Session 6 candidates").
TUNED_FROM = 7
# Model files written before the start was recorded (session 4) tuned from block 8.
LEGACY_TUNED_FROM = 8
TUNABLE_FROM = (6, 7, 8)
TUNED_CHANNELS = 80  # channels entering blocks 6, 7 and 8

# Working size (square side, px): the training images' median long side, times up to
# MAX_UPSCALE when small objects need it (below), rounded up to a multiple of 32, within
# [MIN_SIDE, MAX_SIDE], and lowered (in steps of 32, not below MIN_SIDE) until
# images x side^2 fits PIXEL_BUDGET, which bounds the cache and the training time on a CPU.
# Small objects: when the 10th percentile of the boxes' size (sqrt of their area) at the
# median side is under SMALL_BOX_PX (a stride), the side grows so that it reaches it
# (at most MAX_UPSCALE): 3-px spots on 200-px images went from AP 0.03 at 224 px to 0.12 at
# 448. NEU-DET (200 px, boxes >= 17 px at the 10th percentile, 1440 images) -> 224;
# 640-px scans -> 640 for up to 352 training images, 448 for up to 720.
MIN_SIDE = 224
MAX_SIDE = 640
SIDE_MULTIPLE = 32
PIXEL_BUDGET = 1440 * 224 * 224 * 2
SIZE_SAMPLE = 64  # images whose size is read to choose the working size
SMALL_BOX_PX = 8.0
SMALL_BOX_PERCENTILE = 10
MAX_UPSCALE = 2.0

Projections = tuple[Projection, Projection]


def choose_work_size(
    sizes: Sequence[tuple[int, int]], count: int, box_sizes: Sequence[float] = ()
) -> tuple[int, int]:
    """(side, side) for ``count`` training images whose (height, width) sample is ``sizes``.

    ``box_sizes``: sqrt(width x height) of the training boxes, as ratios of their image.
    """
    long_sides = sorted(max(h, w) for h, w in sizes) or [MIN_SIDE]
    median = long_sides[len(long_sides) // 2]
    scale = 1.0
    if len(box_sizes):
        small = float(np.percentile(np.asarray(box_sizes, dtype=np.float64), SMALL_BOX_PERCENTILE)) * median
        if 0 < small < SMALL_BOX_PX:
            scale = min(SMALL_BOX_PX / small, MAX_UPSCALE)
    side = math.ceil(median * scale / SIDE_MULTIPLE) * SIDE_MULTIPLE
    side = min(max(side, MIN_SIDE), MAX_SIDE)
    while side > MIN_SIDE and max(count, 1) * side * side > PIXEL_BUDGET:
        side -= SIDE_MULTIPLE
    return side, side


def sample_sizes(loaders: Sequence[Callable[[], np.ndarray]]) -> list[tuple[int, int]]:
    """(height, width) of up to SIZE_SAMPLE evenly spaced images."""
    rows = np.unique(np.linspace(0, len(loaders) - 1, min(SIZE_SAMPLE, len(loaders))).round().astype(int))
    return [tuple(loaders[int(r)]().shape[:2]) for r in rows] if len(loaders) else []


def grid_shape(size: tuple[int, int]) -> tuple[int, int]:
    return size[0] // FINE_STRIDE, size[1] // FINE_STRIDE


def load_working_image(load: Callable[[], np.ndarray], size: tuple[int, int]) -> np.ndarray:
    return resize_rgb(as_rgb(load()), size)


@dataclass
class CachedMaps:
    fine: torch.Tensor  # (N, FINE_DIMS, h/8, w/8) float16, projected
    coarse: torch.Tensor  # (N, COARSE_DIMS or TUNED_CHANNELS, h/16, w/16) float16
    projections: Projections


def _raw_maps(
    backbone: Backbone,
    loaders: Sequence[Callable[[], np.ndarray]],
    size: tuple[int, int],
    tuned: bool,
    tuned_from: int = TUNED_FROM,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(stride-8 tap, stride-16 tap) or, when ``tuned``, (stride-8 tap, block ``tuned_from``'s input)."""
    batch = np.stack([load_working_image(load, size) for load in loaders])
    with torch.inference_mode():
        if tuned:
            return backbone.split_maps(batch, tuned_from)
        return backbone.feature_maps(batch)


def extract_feature_maps(
    backbone: Backbone,
    loaders: Sequence[Callable[[], np.ndarray]],
    size: tuple[int, int],
    projections: Projections | None = None,
    tuned: bool = False,
    progress: Callable[[int], None] | None = None,
    tuned_from: int = TUNED_FROM,
) -> CachedMaps:
    """The cached maps of ``loaders``' images, in input order.

    Without ``projections`` they are fitted first on up to FIT_IMAGES evenly spaced images
    (when ``tuned``, the stride-16 projection on the pretrained stage's output).
    """
    count = len(loaders)
    rows, cols = grid_shape(size)
    fine = torch.empty((count, FINE_DIMS, rows, cols), dtype=torch.float16)
    coarse_dims = TUNED_CHANNELS if tuned else COARSE_DIMS
    coarse = torch.empty((count, coarse_dims, rows // 2, cols // 2), dtype=torch.float16)
    done = 0

    def store(batch_rows: list[int], fine_maps: torch.Tensor, coarse_maps: torch.Tensor) -> None:
        nonlocal done
        index = torch.tensor(batch_rows, dtype=torch.long)
        with torch.inference_mode():
            fine[index] = fine_projection.apply(fine_maps).to("cpu", torch.float16)
            kept = coarse_maps if tuned else coarse_projection.apply(coarse_maps)
            coarse[index] = kept.to("cpu", torch.float16)
        done += len(batch_rows)
        if progress is not None:
            progress(done)

    remaining = list(range(count))
    if projections is None:
        fit_rows = np.unique(np.linspace(0, count - 1, min(FIT_IMAGES, count)).round().astype(int)).tolist()
        raw = [
            _raw_maps(backbone, [loaders[r] for r in fit_rows[s : s + BATCH_SIZE]], size, tuned, tuned_from)
            for s in _starts(fit_rows)
        ]
        raw_fine = torch.cat([fine_maps for fine_maps, _ in raw])
        raw_coarse = torch.cat([coarse_maps for _, coarse_maps in raw])
        if tuned:
            with torch.inference_mode():
                tail = backbone.tail(tuned_from).eval()
                tap = torch.cat(
                    [tail(raw_coarse[s : s + BATCH_SIZE]) for s in range(0, len(raw_coarse), BATCH_SIZE)]
                )
        else:
            tap = raw_coarse
        projections = (fit_projection(raw_fine, FINE_DIMS), fit_projection(tap, COARSE_DIMS))
        fine_projection, coarse_projection = (p.to(backbone.device) for p in projections)
        store(fit_rows, raw_fine, raw_coarse)
        del raw, raw_fine, raw_coarse, tap
        fitted = set(fit_rows)
        remaining = [row for row in remaining if row not in fitted]
    fine_projection, coarse_projection = (p.to(backbone.device) for p in projections)
    for start in _starts(remaining):
        batch_rows = remaining[start : start + BATCH_SIZE]
        store(batch_rows, *_raw_maps(backbone, [loaders[r] for r in batch_rows], size, tuned, tuned_from))
    return CachedMaps(fine, coarse, projections)


def _starts(rows: Sequence[int]) -> range:
    return range(0, len(rows), BATCH_SIZE)
