"""The backbone's upper stride-16 stage, fine-tuned with the head (optional).

Blocks ``start``..10 (``TUNED_FROM`` unless chosen) of the pretrained network and the
stride-16 tap, followed by the fixed PCA projection fitted on the pretrained stage's
output, so the head sees maps of the same shape and scale as with a frozen backbone.
Its input, the output of the lower blocks, is cached once per image (``feature_maps.py``).
"""

from __future__ import annotations

import torch
from torch import nn

from openlookout.ml.backbone import Backbone
from openlookout.ml.detection.feature_maps import TUNED_FROM
from openlookout.ml.detection.projection import Projection


class TunedStage(nn.Module):
    def __init__(self, backbone: Backbone, projection: Projection, start: int = TUNED_FROM) -> None:
        super().__init__()
        self.layers = backbone.tail(start)
        self.register_buffer("mean", projection.mean.clone())
        self.register_buffer("components", projection.components.clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.layers(x).permute(0, 2, 3, 1)
        return (
            ((y - self.mean) @ self.components)
            .permute(0, 3, 1, 2)
            .contiguous(memory_format=torch.channels_last)
        )
