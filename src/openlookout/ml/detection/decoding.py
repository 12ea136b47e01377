"""Turn the head's dense outputs into at most ``MAX_DETECTIONS`` boxes per image.

A location's confidence for a label is ``sqrt(label probability * centerness)`` (FCOS):
the geometric mean keeps it on the probability scale while boxes predicted from an
object's edge rank below those from its centre. Every confidence >= ``MIN_CONFIDENCE`` is
kept so a caller asking for MinConfidence=0 sees the weak candidates too. This raw
confidence is then calibrated per label (``calibration.py``) before anyone sees it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from openlookout.ml.backbone import FINE_STRIDE
from openlookout.ml.detection.box_coding import decode_boxes
from openlookout.ml.detection.nms import batched_nms

MIN_CONFIDENCE = 0.01
MAX_DETECTIONS = 100
PRE_NMS_CANDIDATES = 1000
NMS_IOU = 0.5


@dataclass
class RawDetections:
    labels: torch.Tensor  # (K,) long
    scores: torch.Tensor  # (K,) float, falling
    corners: torch.Tensor  # (K, 4) pixels of the working size, clipped to it


def decode_image(
    logits: torch.Tensor,
    raw_boxes: torch.Tensor,
    centerness: torch.Tensor,
    centres: torch.Tensor,
    size: tuple[int, int],
    encoding: str,
) -> RawDetections:
    """One image's outputs: logits (L, h, w), raw box channels (4, h, w), centerness (1, h, w)."""
    num_labels = logits.shape[0]
    scores = torch.sqrt(torch.sigmoid(logits) * torch.sigmoid(centerness)).reshape(num_labels, -1).T
    boxes = decode_boxes(centres, raw_boxes.reshape(4, -1).T, FINE_STRIDE, encoding)
    height, width = size
    boxes[:, 0::2] = boxes[:, 0::2].clamp(0, width)
    boxes[:, 1::2] = boxes[:, 1::2].clamp(0, height)
    location, label = torch.nonzero(scores >= MIN_CONFIDENCE, as_tuple=True)
    candidate_scores = scores[location, label]
    if len(candidate_scores) > PRE_NMS_CANDIDATES:
        top = torch.topk(candidate_scores, PRE_NMS_CANDIDATES).indices
        location, label, candidate_scores = location[top], label[top], candidate_scores[top]
    candidate_boxes = boxes[location]
    keep = batched_nms(candidate_boxes, candidate_scores, label, NMS_IOU)[:MAX_DETECTIONS]
    return RawDetections(label[keep], candidate_scores[keep], candidate_boxes[keep])
