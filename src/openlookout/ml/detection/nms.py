"""Greedy non-maximum suppression, done per class in one pass (torchvision is not a dependency).

Boxes of different classes never suppress each other: each class's boxes are shifted by
a multiple of a distance larger than any box coordinate, so one class-agnostic pass over
the shifted boxes equals one pass per class.
"""

from __future__ import annotations

import torch


def nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Indices of the kept (N, 4) corner boxes, highest score first."""
    order = torch.argsort(scores, descending=True, stable=True)
    boxes = boxes[order]
    if len(boxes) == 0:
        return order
    x1, y1, x2, y2 = boxes.unbind(1)
    areas = (x2 - x1).clamp(min=0) * (y2 - y1).clamp(min=0)
    # One IoU matrix, then a sequential sweep over it: N is at most a few thousand here.
    left = torch.maximum(x1[:, None], x1[None, :])
    top = torch.maximum(y1[:, None], y1[None, :])
    right = torch.minimum(x2[:, None], x2[None, :])
    bottom = torch.minimum(y2[:, None], y2[None, :])
    inter = (right - left).clamp(min=0) * (bottom - top).clamp(min=0)
    union = areas[:, None] + areas[None, :] - inter
    overlaps = (inter / union.clamp(min=1e-9)) > iou_threshold
    suppressed = torch.zeros(len(boxes), dtype=torch.bool)
    keep: list[int] = []
    overlaps = overlaps.cpu()
    for index in range(len(boxes)):
        if suppressed[index]:
            continue
        keep.append(index)
        suppressed |= overlaps[index]
    return order[torch.tensor(keep, dtype=torch.long, device=order.device)]


def batched_nms(
    boxes: torch.Tensor, scores: torch.Tensor, classes: torch.Tensor, iou_threshold: float
) -> torch.Tensor:
    """Per-class NMS: indices of the kept boxes, highest score first."""
    if len(boxes) == 0:
        return torch.zeros(0, dtype=torch.long, device=boxes.device)
    spread = boxes.max() - boxes.min() + 1
    shifted = boxes + (classes.to(boxes.dtype) * spread)[:, None]
    return nms(shifted, scores, iou_threshold)
