"""Locally aware patch features (PatchCore style) from the two backbone scales.

Each feature map is averaged over a 3x3 neighbourhood (so a patch sees its context
without losing resolution), the stride-16 map is upsampled bilinearly onto the
stride-8 grid, and both are concatenated (912 dims). A fixed random Gaussian projection
then maps each vector to ``PROJECTED_DIM`` (256) dims: distances are kept to within a
few percent while the bank, the coreset selection and the nearest-neighbour search get
3.5x cheaper. The projection matrix is saved with the model.

Aggregation, upsampling and projection are all linear, so they are computed in the
cheapest order with the same result: the 672-channel stride-16 map is projected first
(at a quarter of the positions), then aggregated and upsampled in 256 dims, and added to
the projected stride-8 part. That halves the cost of this step, which was as large as the
backbone's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
import torch.nn.functional as F

from openlookout.ml.backbone import FEATURE_CHANNELS, FINE_STRIDE, Backbone
from openlookout.ml.imaging import as_rgb, resize_rgb

BACKBONE_DIM = sum(FEATURE_CHANNELS)
PROJECTED_DIM = 256
AGGREGATION_KERNEL = 3
# Images per forward pass: bounded by memory (roughly 60 MB of activations per image at 224x288).
BATCH_SIZE = 16


def grid_size(size: tuple[int, int]) -> tuple[int, int]:
    """(rows, cols) of the patch grid for a working resolution."""
    return size[0] // FINE_STRIDE, size[1] // FINE_STRIDE


def _aggregate(x: torch.Tensor) -> torch.Tensor:
    pad = AGGREGATION_KERNEL // 2
    return F.avg_pool2d(x, AGGREGATION_KERNEL, stride=1, padding=pad, count_include_pad=False)


def project_patch_features(
    fine: torch.Tensor, coarse: torch.Tensor, projection: torch.Tensor
) -> torch.Tensor:
    """(N, C1, rows, cols) and (N, C2, rows/2, cols/2) maps -> (N, rows, cols, D) features.

    Equal to projecting the concatenation of the aggregated fine map and the aggregated,
    upsampled coarse map (``projection`` is (C1 + C2, D)).
    """
    fine_channels = fine.shape[1]
    fine_part = _aggregate(fine).permute(0, 2, 3, 1) @ projection[:fine_channels]
    coarse_part = (coarse.permute(0, 2, 3, 1) @ projection[fine_channels:]).permute(0, 3, 1, 2)
    coarse_part = F.interpolate(
        _aggregate(coarse_part), size=fine.shape[-2:], mode="bilinear", align_corners=False
    )
    return fine_part + coarse_part.permute(0, 2, 3, 1)


def random_projection(seed: int = 0) -> np.ndarray:
    """(BACKBONE_DIM, PROJECTED_DIM) float32 Gaussian matrix, scaled to keep lengths on average."""
    rng = np.random.default_rng(seed)
    matrix = rng.standard_normal((BACKBONE_DIM, PROJECTED_DIM)) / np.sqrt(PROJECTED_DIM)
    return matrix.astype(np.float32)


class PatchFeatureExtractor:
    """Backbone + aggregation + projection: images in, one vector per stride-8 patch out."""

    def __init__(self, backbone: Backbone, projection: np.ndarray) -> None:
        if projection.shape != (BACKBONE_DIM, PROJECTED_DIM):
            raise ValueError(f"projection must be {BACKBONE_DIM}x{PROJECTED_DIM}, got {projection.shape}")
        self.backbone = backbone
        self.projection = projection
        self._projection = torch.from_numpy(np.ascontiguousarray(projection)).to(backbone.device)

    def __call__(self, images: np.ndarray) -> np.ndarray:
        """(N, H, W, 3) uint8 at the working resolution -> (N, rows, cols, PROJECTED_DIM) float32."""
        with torch.inference_mode():
            fine, coarse = self.backbone.feature_maps(images)
            return project_patch_features(fine, coarse, self._projection).float().cpu().numpy()


def iter_patch_features(
    extractor: PatchFeatureExtractor,
    loaders: Sequence[Callable[[], np.ndarray]],
    size: tuple[int, int],
    check: Callable[[int, np.ndarray], None] | None = None,
    batch_size: int = BATCH_SIZE,
    resized: Callable[[int, np.ndarray], None] | None = None,
) -> Iterator[tuple[int, np.ndarray]]:
    """Decode each image once, resize it, and yield (index, features) in input order.

    ``check(index, rgb)`` sees every decoded image at its original size before it is
    resized (used to enforce equal dimensions and to read masks alongside); ``resized(index,
    rgb)`` sees it at the working size (the segmentation refiner reads its pixels). The next
    batch is decoded in a background thread while the backbone runs on the current one
    (Pillow releases the GIL), so decoding no longer leaves cores idle between batches.
    """

    def prepare(start: int) -> np.ndarray:
        batch = []
        for offset, load in enumerate(loaders[start : start + batch_size]):
            rgb = as_rgb(load())
            if check is not None:
                check(start + offset, rgb)
            batch.append(resize_rgb(rgb, size))
            if resized is not None:
                resized(start + offset, batch[-1])
        return np.stack(batch)

    def extract(start: int, images: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
        features = extractor(images)
        for offset in range(len(images)):
            # A copy, not a view: a caller that keeps one image's features (calibration
            # images) must not keep its whole batch alive (16x the memory).
            yield start + offset, features[offset].copy()

    starts = range(0, len(loaders), batch_size)
    if len(starts) <= 1:  # one batch (a hosted request): nothing to overlap, no thread to start
        for start in starts:
            yield from extract(start, prepare(start))
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="decode") as decoder:
        upcoming = decoder.submit(prepare, starts[0])
        for position, start in enumerate(starts):
            images = upcoming.result()
            if position + 1 < len(starts):
                upcoming = decoder.submit(prepare, starts[position + 1])
            yield from extract(start, images)
