"""The exported computation: image pixels in, patch features and nearest-bank distances out.

One graph holds everything that needs a tensor library: normalisation, the backbone taps,
the 3x3 aggregation, the stride-16 upsampling, the random projection (the same
``project_patch_features`` as training) and the exact L2
nearest-neighbour search against the memory bank (a matrix of squared distances, then a
min). What is left (Gaussian smoothing of a small grid, the max, the calibrated confidence)
is cheap NumPy, so a device needs no PyTorch and no faiss.

The graph mirrors ``openlookout.ml.backbone`` and ``openlookout.ml.features`` but builds its
own network from the same public constants and weights file; the parity tests in
``tests/export`` are what keep the two identical.
"""

from __future__ import annotations

import numpy as np
import torch
from efficientnet_lite_pytorch import EfficientNet

from openlookout.ml.backbone import BACKBONE_NAME, COARSE_TAP, FINE_TAP, INPUT_MEAN, INPUT_STD, weights_path
from openlookout.ml.features import project_patch_features

INPUT_NAME = "image"  # (N, H, W, 3) uint8 RGB at the model's working size
FEATURES_NAME = "features"  # (N, rows, cols, 256) float32 projected patch features
DISTANCES_NAME = "distances"  # (N, rows, cols) float32 distance to the nearest bank row


def _expansion(block: torch.nn.Module) -> torch.nn.Module:
    return torch.nn.Sequential(
        block.get_submodule("_expand_conv"), block.get_submodule("_bn0"), block.get_submodule("_swish")
    )


class PatchDistanceGraph(torch.nn.Module):
    """uint8 NHWC images -> (projected patch features, nearest-bank distances)."""

    # Buffers (register_buffer below); declared so that they read as tensors, not Tensor | Module.
    projection: torch.Tensor
    bank_t: torch.Tensor
    bank_norms: torch.Tensor

    def __init__(self, projection: np.ndarray, bank: np.ndarray) -> None:
        super().__init__()
        net = EfficientNet.from_name(BACKBONE_NAME, image_size=None)
        net.load_state_dict(torch.load(weights_path(), map_location="cpu", weights_only=True), strict=True)
        net.eval()
        self.stem = torch.nn.Sequential(net._conv_stem, net._bn0, net._swish)
        self.blocks = net._blocks[:COARSE_TAP]
        self.fine_tap = _expansion(net._blocks[FINE_TAP])
        self.coarse_tap = _expansion(net._blocks[COARSE_TAP])
        bank_rows = torch.from_numpy(np.ascontiguousarray(bank, dtype=np.float32))
        self.register_buffer(
            "projection", torch.from_numpy(np.ascontiguousarray(projection, dtype=np.float32))
        )
        # Stored transposed with its squared norms, so the search is one matmul plus a broadcast add.
        self.register_buffer("bank_t", bank_rows.t().contiguous())
        self.register_buffer("bank_norms", (bank_rows.double() ** 2).sum(dim=1).float())
        self.eval()

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = (image.permute(0, 3, 1, 2).float() / 255.0 - INPUT_MEAN) / INPUT_STD
        x = self.stem(x)
        fine = x
        for idx, block in enumerate(self.blocks):
            if idx == FINE_TAP:
                fine = self.fine_tap(x)
            x = block(x)
        features = project_patch_features(fine, self.coarse_tap(x), self.projection)
        squared = (
            (features * features).sum(dim=-1, keepdim=True) - 2.0 * (features @ self.bank_t) + self.bank_norms
        )
        distances = torch.sqrt(torch.clamp(squared.min(dim=-1).values, min=0.0))
        return features, distances
