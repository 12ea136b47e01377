"""Box arithmetic on (N, 4) corner arrays ``x1, y1, x2, y2`` and the ratio boxes of the API.

The network works in pixels of its fixed working size; the API speaks in ratios of the
image (``types.Box``). Conversions live here so every other module uses one convention.
"""

from __future__ import annotations

import numpy as np
import torch

from openlookout.ml.detection.types import Box


def ratio_boxes_to_corners(boxes: list[Box], size: tuple[int, int]) -> np.ndarray:
    """Ratio boxes -> (N, 4) float32 corners in pixels of ``size`` = (height, width), clipped."""
    height, width = size
    corners = np.zeros((len(boxes), 4), dtype=np.float32)
    for row, box in enumerate(boxes):
        corners[row] = (
            box.left * width,
            box.top * height,
            (box.left + box.width) * width,
            (box.top + box.height) * height,
        )
    corners[:, 0::2] = corners[:, 0::2].clip(0, width)
    corners[:, 1::2] = corners[:, 1::2].clip(0, height)
    return corners


def corners_to_ratio_box(corners: np.ndarray, size: tuple[int, int]) -> Box:
    """One (4,) corner box in pixels of ``size`` -> a ratio box inside the image."""
    height, width = size
    x1, x2 = (float(np.clip(v / width, 0.0, 1.0)) for v in (corners[0], corners[2]))
    y1, y2 = (float(np.clip(v / height, 0.0, 1.0)) for v in (corners[1], corners[3]))
    return Box(left=x1, top=y1, width=max(x2 - x1, 0.0), height=max(y2 - y1, 0.0))


def flip_corners(
    corners: torch.Tensor, size: tuple[int, int], horizontal: bool, vertical: bool
) -> torch.Tensor:
    """Corners of the same boxes in the image mirrored left-right and/or top-bottom."""
    height, width = size
    x1, y1, x2, y2 = corners.unbind(-1)
    if horizontal:
        x1, x2 = width - x2, width - x1
    if vertical:
        y1, y2 = height - y2, height - y1
    return torch.stack([x1, y1, x2, y2], dim=-1)


def aligned_giou(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Generalised IoU of matching rows of two (N, 4) corner tensors (differentiable)."""
    left = torch.maximum(pred[:, 0], target[:, 0])
    top = torch.maximum(pred[:, 1], target[:, 1])
    right = torch.minimum(pred[:, 2], target[:, 2])
    bottom = torch.minimum(pred[:, 3], target[:, 3])
    inter = (right - left).clamp(min=0) * (bottom - top).clamp(min=0)
    area_p = (pred[:, 2] - pred[:, 0]) * (pred[:, 3] - pred[:, 1])
    area_t = (target[:, 2] - target[:, 0]) * (target[:, 3] - target[:, 1])
    union = (area_p + area_t - inter).clamp(min=1e-6)
    iou = inter / union
    hull = (torch.maximum(pred[:, 2], target[:, 2]) - torch.minimum(pred[:, 0], target[:, 0])) * (
        torch.maximum(pred[:, 3], target[:, 3]) - torch.minimum(pred[:, 1], target[:, 1])
    )
    return iou - (hull - union) / hull.clamp(min=1e-6)
