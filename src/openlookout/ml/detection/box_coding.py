"""How the head's four box channels at a location become a box (corners in pixels).

- ``sides`` (format 1 models): distances to the box's left, top, right and bottom sides,
  ``exp(raw) * stride``. A distance is positive, so only a location inside a box can
  predict it: a 2-px scratch that passes between location centres cannot be predicted.
- ``offset`` (the default): the same distances shifted by half a stride,
  ``exp(raw) * stride - stride / 2``. A location up to half a stride outside a box (beside
  a 1-px scratch; ``targets.py`` assigns those) can still predict it, and large boxes are
  coded as with ``sides``. On the generated thin-defect set it matched ``sides`` at IoU 0.5
  and was better at 0.5:0.95; a centre-offset/log-size coding was measured worse on both
  sets (docs/custom_labels.md) and is not kept.
Both are trained with the GIoU of the decoded corners.
"""

from __future__ import annotations

import torch

SIDES = "sides"
OFFSET = "offset"
ENCODINGS = (SIDES, OFFSET)
# exp(6) strides = 400 strides: beyond any image; the clamp only stops overflow early in training.
MAX_LOG = 6.0


def decode_boxes(centres: torch.Tensor, raw: torch.Tensor, stride: int, encoding: str) -> torch.Tensor:
    """(P, 2) location centres and (P, 4) raw box channels -> (P, 4) corners x1, y1, x2, y2."""
    if encoding not in ENCODINGS:
        raise ValueError(f"unknown box encoding {encoding!r}")
    sides = torch.exp(raw.clamp(max=MAX_LOG)) * stride
    if encoding == OFFSET:
        sides = sides - stride / 2
    return torch.cat([centres - sides[:, :2], centres + sides[:, 2:]], dim=1)


def unmirror_box_channels(raw: torch.Tensor, horizontal: bool, vertical: bool) -> torch.Tensor:
    """(N, 4, h, w) raw box channels predicted on mirrored maps, as for the unmirrored image:
    a left-right mirror swaps the left and right distances, top-bottom the top and bottom."""
    order = [2 if horizontal else 0, 3 if vertical else 1, 0 if horizontal else 2, 1 if vertical else 3]
    return raw[:, order]
