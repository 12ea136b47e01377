"""How the head's four box channels at a location become a box (corners in pixels).

- ``sides`` (format 1 models): distances to the box's left, top, right and bottom sides,
  ``exp(raw) * stride``. A distance is positive, so only a location inside a box can
  predict it: a 2-px scratch that passes between location centres cannot be predicted.
- ``offset``: the same distances shifted by half a stride, ``exp(raw) * stride - stride / 2``:
  a location up to half a stride outside a box (beside a 1-px scratch) can still predict
  it, and large boxes are coded as with ``sides``.
- ``centre``: the box centre's offset from the location and the box's log width and height,
  in strides: ``centre = location + raw[:2] * stride``, ``size = exp(raw[2:]) * stride``.
  A location may lie beside a thin box (``targets.py`` assigns the locations within a
  stride of it), and a 1-px width is ``log(1/8)``, an ordinary value.
Both are trained with the GIoU of the decoded corners, so the loss is the same for both.
"""

from __future__ import annotations

import torch

SIDES = "sides"
OFFSET = "offset"
CENTRE = "centre"
ENCODINGS = (SIDES, OFFSET, CENTRE)
# exp(6) strides = 400 strides: beyond any image; the clamp only stops overflow early in training.
MAX_LOG = 6.0


def decode_boxes(centres: torch.Tensor, raw: torch.Tensor, stride: int, encoding: str) -> torch.Tensor:
    """(P, 2) location centres and (P, 4) raw box channels -> (P, 4) corners x1, y1, x2, y2."""
    if encoding == SIDES:
        sides = torch.exp(raw.clamp(max=MAX_LOG)) * stride
        return torch.cat([centres - sides[:, :2], centres + sides[:, 2:]], dim=1)
    if encoding == OFFSET:
        sides = torch.exp(raw.clamp(max=MAX_LOG)) * stride - stride / 2
        return torch.cat([centres - sides[:, :2], centres + sides[:, 2:]], dim=1)
    if encoding == CENTRE:
        centre = centres + raw[:, :2] * stride
        half = torch.exp(raw[:, 2:].clamp(-MAX_LOG, MAX_LOG)) * (stride / 2)
        return torch.cat([centre - half, centre + half], dim=1)
    raise ValueError(f"unknown box encoding {encoding!r}")


def unmirror_box_channels(raw: torch.Tensor, horizontal: bool, vertical: bool, encoding: str) -> torch.Tensor:
    """(N, 4, h, w) raw box channels predicted on mirrored maps, as for the unmirrored image."""
    if not (horizontal or vertical):
        return raw
    if encoding == CENTRE:
        sign = torch.tensor(
            [-1.0 if horizontal else 1.0, -1.0 if vertical else 1.0, 1.0, 1.0], device=raw.device
        )
        return raw * sign[None, :, None, None]
    order = [2 if horizontal else 0, 3 if vertical else 1, 0 if horizontal else 2, 1 if vertical else 3]
    return raw[:, order]
