"""The trainable detection head: a small feature pyramid feeding one dense stride-8 predictor.

The frozen backbone stops at stride 16, whose cells see only part of a 224 px image, yet
defects such as scratches span the whole image. So the head adds two stride-2 convolutions
(stride 32 and 64: the 4x4 top level sees the entire image), merges them back top-down
(FPN style) onto the stride-16 map and then onto the stride-8 map, where every location
predicts, FCOS style, a score per label, its distances to the four sides of the box it
lies in, and a "centerness" that down-weights boxes predicted from near an object's edge.
3x3 convolutions are depthwise-separable (MobileNet style): a CPU trains it in minutes.
"""

from __future__ import annotations

import math
from typing import TypeVar

import torch
import torch.nn.functional as F
from torch import nn

from openlookout.ml.detection.feature_maps import COARSE_DIMS, FINE_DIMS

WIDTH = 128
FINE_WIDTH = 64
PRIOR = 0.01  # initial label probability, so the many background locations do not swamp the loss

ModuleT = TypeVar("ModuleT", bound=nn.Module)


def channels_last(module: ModuleT, device: torch.device) -> ModuleT:
    """``module`` moved to ``device`` with its 4-D parameters and buffers in channels-last (NHWC)."""
    # Module.to accepts memory_format at runtime; torch's stubs for its overloads leave it out.
    return module.to(device, memory_format=torch.channels_last)  # type: ignore[call-overload]


def _pointwise(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


def _separable(channels: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(channels, channels, 3, stride=stride, padding=1, groups=channels, bias=False),
        nn.BatchNorm2d(channels),
        nn.ReLU(inplace=True),
        *_pointwise(channels, channels),
    )


def _up(x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x, size=like.shape[-2:], mode="bilinear", align_corners=False)


class DetectionHead(nn.Module):
    """Maps projected (fine, coarse) maps to per-location label logits, box sides, centerness."""

    def __init__(self, num_labels: int) -> None:
        super().__init__()
        self.lateral16 = _pointwise(COARSE_DIMS, WIDTH)
        self.down32 = _separable(WIDTH, stride=2)
        self.down64 = _separable(WIDTH, stride=2)
        self.merge32 = _separable(WIDTH)
        self.merge16 = _separable(WIDTH)
        self.lateral8 = _pointwise(FINE_DIMS, FINE_WIDTH)
        self.context8 = nn.Conv2d(WIDTH, FINE_WIDTH, 1)
        self.tower = nn.Sequential(_separable(FINE_WIDTH), _separable(FINE_WIDTH))
        self.logits = nn.Conv2d(FINE_WIDTH, num_labels, 3, padding=1)
        self.sides = nn.Conv2d(FINE_WIDTH, 4, 3, padding=1)
        self.centerness = nn.Conv2d(FINE_WIDTH, 1, 3, padding=1)
        assert self.logits.bias is not None and self.sides.bias is not None  # Conv2d's default bias=True
        nn.init.normal_(self.logits.weight, std=0.01)
        nn.init.constant_(self.logits.bias, -math.log((1 - PRIOR) / PRIOR))
        nn.init.normal_(self.sides.weight, std=0.01)
        nn.init.zeros_(self.sides.bias)

    def forward(
        self, fine: torch.Tensor, coarse: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Logits (N, L, h, w), raw box channels (N, 4, h, w), centerness logits (N, 1, h, w).

        The box channels are decoded by ``box_coding.decode_boxes`` (log scale: exp keeps
        sizes positive and treats a 10 px error on a small box like 100 px on a large one).
        """
        p16 = self.lateral16(coarse)
        p32 = self.down32(p16)
        p64 = self.down64(p32)
        p32 = self.merge32(p32 + _up(p64, p32))
        p16 = self.merge16(p16 + _up(p32, p16))
        p8 = self.tower(self.lateral8(fine) + _up(self.context8(p16), fine))
        return self.logits(p8), self.sides(p8), self.centerness(p8)
