"""The frozen backbone's stride-8 and stride-16 maps of every image, computed once.

Images of any size are resized to one square working size (boxes are ratios, so the
stretch does not change them). Each map is projected onto its principal components
(``projection.py``) and kept in float16 on the CPU: training then never runs the
backbone again, which is what makes many epochs fit a CPU budget.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

from openlookout.ml.backbone import FINE_STRIDE, Backbone
from openlookout.ml.detection.projection import Projection, fit_projection
from openlookout.ml.imaging import as_rgb, resize_rgb

# 224 px puts a 28x28 grid of stride-8 locations over the image; NEU-DET's 200 px images
# are upsampled slightly, and larger sizes cost more backbone time than they gained.
WORK_SIZE = (224, 224)
FINE_DIMS = 64
COARSE_DIMS = 128
BATCH_SIZE = 16
# Images whose raw maps fit the projections: spread over the data set, which is often
# sorted by label.
FIT_IMAGES = 128

Projections = tuple[Projection, Projection]


def grid_shape(size: tuple[int, int] = WORK_SIZE) -> tuple[int, int]:
    return size[0] // FINE_STRIDE, size[1] // FINE_STRIDE


def load_working_image(load: Callable[[], np.ndarray], size: tuple[int, int] = WORK_SIZE) -> np.ndarray:
    return resize_rgb(as_rgb(load()), size)


def _raw_maps(
    backbone: Backbone, loaders: Sequence[Callable[[], np.ndarray]]
) -> tuple[torch.Tensor, torch.Tensor]:
    batch = np.stack([load_working_image(load) for load in loaders])
    with torch.inference_mode():
        return backbone.feature_maps(batch)


def extract_feature_maps(
    backbone: Backbone,
    loaders: Sequence[Callable[[], np.ndarray]],
    projections: Projections | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[torch.Tensor, torch.Tensor, Projections]:
    """Projected (N, 64, h/8, w/8) and (N, 128, h/16, w/16) float16 CPU maps, in input order.

    Without ``projections`` they are fitted first on up to FIT_IMAGES evenly spaced images.
    """
    count = len(loaders)
    rows, cols = grid_shape()
    fine = torch.empty((count, FINE_DIMS, rows, cols), dtype=torch.float16)
    coarse = torch.empty((count, COARSE_DIMS, rows // 2, cols // 2), dtype=torch.float16)
    done = 0

    def store(batch_rows: list[int], fine_maps: torch.Tensor, coarse_maps: torch.Tensor) -> None:
        nonlocal done
        index = torch.tensor(batch_rows, dtype=torch.long)
        with torch.inference_mode():
            fine[index] = fine_projection.apply(fine_maps).to("cpu", torch.float16)
            coarse[index] = coarse_projection.apply(coarse_maps).to("cpu", torch.float16)
        done += len(batch_rows)
        if progress is not None:
            progress(done)

    remaining = list(range(count))
    if projections is None:
        fit_rows = np.unique(np.linspace(0, count - 1, min(FIT_IMAGES, count)).round().astype(int)).tolist()
        raw = [
            _raw_maps(backbone, [loaders[r] for r in fit_rows[s : s + BATCH_SIZE]]) for s in _starts(fit_rows)
        ]
        raw_fine = torch.cat([fine_maps for fine_maps, _ in raw])
        raw_coarse = torch.cat([coarse_maps for _, coarse_maps in raw])
        projections = (fit_projection(raw_fine, FINE_DIMS), fit_projection(raw_coarse, COARSE_DIMS))
        fine_projection, coarse_projection = (p.to(backbone.device) for p in projections)
        store(fit_rows, raw_fine, raw_coarse)
        del raw, raw_fine, raw_coarse
        fitted = set(fit_rows)
        remaining = [row for row in remaining if row not in fitted]
    fine_projection, coarse_projection = (p.to(backbone.device) for p in projections)
    for start in _starts(remaining):
        batch_rows = remaining[start : start + BATCH_SIZE]
        store(batch_rows, *_raw_maps(backbone, [loaders[r] for r in batch_rows]))
    return fine, coarse, projections


def _starts(rows: Sequence[int]) -> range:
    return range(0, len(rows), BATCH_SIZE)
