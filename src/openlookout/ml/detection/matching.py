"""Greedy IoU matching of detections to ground-truth boxes: the one rule behind every per-box metric.

Detections in falling confidence each take the unmatched ground-truth box they overlap most,
if that IoU reaches the threshold; the rest are false positives. numpy only, so the service's
evaluation files use the training's rule without loading torch.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from openlookout.ml.detection.types import Box, Detection

MATCH_IOU = 0.5  # a detection is a true positive when it overlaps a box of its label this much


def box_to_corners(box: Box) -> tuple[float, float, float, float]:
    """A ratio box as ratio corners (for IoU between ratio boxes)."""
    return box.left, box.top, box.left + box.width, box.top + box.height


def corners(boxes: Sequence[Box]) -> np.ndarray:
    """Ratio boxes -> (N, 4) float64 ratio corners."""
    return np.array([box_to_corners(box) for box in boxes], dtype=np.float64).reshape(-1, 4)


def pairwise_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, 4) x (M, 4) corner boxes -> (N, M) intersection over union; empty boxes give 0."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)), dtype=np.float64)
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    left = np.maximum(a[:, None, 0], b[None, :, 0])
    top = np.maximum(a[:, None, 1], b[None, :, 1])
    right = np.minimum(a[:, None, 2], b[None, :, 2])
    bottom = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(right - left, 0, None) * np.clip(bottom - top, 0, None)
    area_a = (a[:, 2] - a[:, 0]).clip(0) * (a[:, 3] - a[:, 1]).clip(0)
    area_b = (b[:, 2] - b[:, 0]).clip(0) * (b[:, 3] - b[:, 1]).clip(0)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def greedy_hits(iou: np.ndarray, threshold: float) -> np.ndarray:
    """iou: (D, G) with D sorted by falling confidence -> (D,) bool true positives.

    A negative entry never matches (how callers rule out a pair, e.g. of another label).
    """
    hits = np.zeros(iou.shape[0], dtype=bool)
    taken = np.zeros(iou.shape[1], dtype=bool)
    for row in range(iou.shape[0]):
        candidates = np.where(taken, -1.0, iou[row])
        if candidates.size and candidates.max() >= threshold:
            best = int(candidates.argmax())
            taken[best] = True
            hits[row] = True
    return hits


def true_positives(
    detections: Sequence[Detection], truth: Sequence[tuple[str, Box]], threshold: float = MATCH_IOU
) -> list[bool]:
    """Per detection (in the order given): does it match a ground-truth box of its label?"""
    order = sorted(range(len(detections)), key=lambda k: -detections[k].confidence)
    iou = pairwise_iou(corners([detections[k].box for k in order]), corners([box for _, box in truth]))
    same_label = np.array(
        [[detections[k].label == label for label, _ in truth] for k in order], dtype=bool
    ).reshape(iou.shape)
    hits = greedy_hits(np.where(same_label, iou, -1.0), threshold)
    flags = [False] * len(detections)
    for row, k in enumerate(order):
        flags[k] = bool(hits[row])
    return flags
