"""Image checks and the fixed working resolution every image is resized to.

Working-resolution rule: scale so that the shorter side becomes ``SHORT_SIDE`` (224) px,
scale the longer side by the same factor, round it to the nearest multiple of 32 and
clamp it to [SHORT_SIDE, MAX_LONG_SIDE]. Both sides are therefore multiples of 32 (so
the stride-8 and stride-16 grids align exactly) and the aspect ratio is kept to within
the rounding, except for images more than twice as long as wide, which are squeezed.
Example: 576x768 (W x H) -> 224x288.

Detail resolution (``detail_size``): for images much larger than that, the training job
also tries the images' own resolution (each side rounded down to a multiple of 32, the
whole scaled down to at most ``MAX_DETAIL_PIXELS``) and keeps it when the held-out
training images say it separates anomalies better (``anomaly.py``). A defect of 1-2 % of
a 900-px side is 1-2 px at 224 but 9-18 px, one to two feature cells, at 896.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

SHORT_SIDE = 224
MAX_LONG_SIDE = 448
SIZE_MULTIPLE = 32
# Detail resolution: at most this many pixels (cost grows linearly with them) and only
# when it has at least DETAIL_MIN_GAIN times the pixels of the working resolution.
MAX_DETAIL_PIXELS = 1024 * 1024
DETAIL_MIN_GAIN = 2.0


def working_size(height: int, width: int) -> tuple[int, int]:
    """(height, width) of the working resolution for images of the given size."""
    if height <= 0 or width <= 0:
        raise ValueError(f"invalid image size {height}x{width}")
    scale = SHORT_SIDE / min(height, width)
    long_side = round(max(height, width) * scale / SIZE_MULTIPLE) * SIZE_MULTIPLE
    long_side = min(max(long_side, SHORT_SIDE), MAX_LONG_SIDE)
    return (long_side, SHORT_SIDE) if height >= width else (SHORT_SIDE, long_side)


def detail_size(height: int, width: int) -> tuple[int, int] | None:
    """(height, width) of the detail resolution, or None when it would add too little."""
    scale = min(1.0, (MAX_DETAIL_PIXELS / (height * width)) ** 0.5)
    detail = tuple(
        max(SIZE_MULTIPLE, int(side * scale) // SIZE_MULTIPLE * SIZE_MULTIPLE) for side in (height, width)
    )
    base = working_size(height, width)
    if detail[0] * detail[1] < DETAIL_MIN_GAIN * base[0] * base[1]:
        return None
    return detail[0], detail[1]


def as_rgb(image: np.ndarray) -> np.ndarray:
    """Validate an image array and return it as (H, W, 3) uint8 RGB.

    Grey (H, W) and RGBA (H, W, 4) arrays are accepted and converted; the alpha channel
    is dropped because L4V treats images as opaque.
    """
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise ValueError("image must be a uint8 numpy array")
    if image.ndim == 2:
        return np.repeat(image[:, :, None], 3, axis=2)
    if image.ndim == 3 and image.shape[2] == 4:
        return np.ascontiguousarray(image[:, :, :3])
    if image.ndim == 3 and image.shape[2] == 3:
        return image
    raise ValueError(f"image must have shape (H, W, 3), got {image.shape}")


def resize_rgb(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize (H, W, 3) uint8 to ``size`` = (height, width); PIL's bilinear filter antialiases."""
    return _resize(image, size, Image.Resampling.BILINEAR)


def resize_mask(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize an (H, W) class-index mask with nearest neighbour, so no new classes appear."""
    return _resize(mask, size, Image.Resampling.NEAREST)


def _resize(array: np.ndarray, size: tuple[int, int], resample: Image.Resampling) -> np.ndarray:
    """``array`` itself when it already has ``size`` = (height, width), else PIL's resize."""
    height, width = size
    if array.shape[:2] == (height, width):
        return array
    return np.asarray(Image.fromarray(array).resize((width, height), resample))
