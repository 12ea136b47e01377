"""One vector per image: the backbone's two feature maps, averaged over the whole image.

Images of any size are resized to one square working size, so a model accepts any image
and the vectors of differently sized images are comparable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

from openlookout.ml.backbone import FEATURE_CHANNELS, Backbone
from openlookout.ml.imaging import as_rgb, resize_rgb

WORK_SIZE = (224, 224)
EMBEDDING_DIM = sum(FEATURE_CHANNELS)
BATCH_SIZE = 16


def embed_batch(backbone: Backbone, images: np.ndarray) -> np.ndarray:
    """(N, H, W, 3) uint8 at WORK_SIZE -> (N, EMBEDDING_DIM) float32 pooled features."""
    with torch.inference_mode():
        fine, coarse = backbone.feature_maps(images)
        pooled = torch.cat([fine.mean(dim=(2, 3)), coarse.mean(dim=(2, 3))], dim=1)
        return pooled.float().cpu().numpy()


def embed_images(
    backbone: Backbone, loaders: Sequence[Callable[[], np.ndarray]], batch_size: int = BATCH_SIZE
) -> np.ndarray:
    """Decode, resize and embed every image, in input order."""
    vectors = [np.zeros((0, EMBEDDING_DIM), dtype=np.float32)]
    for start in range(0, len(loaders), batch_size):
        batch = [resize_rgb(as_rgb(load()), WORK_SIZE) for load in loaders[start : start + batch_size]]
        vectors.append(embed_batch(backbone, np.stack(batch)))
    return np.concatenate(vectors)
