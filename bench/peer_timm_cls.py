"""Peer classifier: timm ``tf_efficientnet_lite0`` fine-tuned end to end (``.venv-bench``).

    python -m bench.peer_timm_cls SPEC_JSON OUT_DIR

Starts from the same ImageNet weights as openlookout (``bench/lite0_timm.py``) with a new
6-way classifier, trains every layer with AdamW on the training images at 224x224 with
random horizontal and vertical flips, and stops at ``spec["budget_s"]`` seconds of training
or after ``spec["epochs"]`` epochs, whichever comes first. The learning rate follows a cosine
over that budget (progress = the larger of the time and the step fraction). Writes
``result.json``: ``train_s``, ``epochs`` (fractional), per-test-image softmax ``scores``.
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from bench.lite0_timm import HEAD_PREFIXES, TIMM_NAME, lite0_checkpoint, timm_state_dict

IMAGE_SIZE = 224
BATCH_SIZE = 32
LEARNING_RATE = 5e-4
WEIGHT_DECAY = 0.01
SEED = 0


def load_images(records: list[dict]) -> torch.Tensor:
    """(N, 3, S, S) uint8, resized bilinearly to IMAGE_SIZE."""
    arrays = []
    for record in records:
        with Image.open(record["path"]) as image:
            resized = image.convert("RGB").resize((IMAGE_SIZE, IMAGE_SIZE), Image.Resampling.BILINEAR)
            arrays.append(np.asarray(resized))
    return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()


def build_model(num_classes: int) -> torch.nn.Module:
    import timm

    model = timm.create_model(TIMM_NAME, pretrained=False, num_classes=num_classes)
    weights = {
        k: v for k, v in timm_state_dict(lite0_checkpoint()).items() if not k.startswith("classifier.")
    }
    result = model.load_state_dict(weights, strict=False)
    if [k for k in result.missing_keys if not k.startswith("classifier.")] or [
        k for k in result.unexpected_keys if not k.startswith(HEAD_PREFIXES)
    ]:
        raise RuntimeError(f"Lite0 weights do not fit: {result}")
    return model


def normalise(batch: torch.Tensor, model: torch.nn.Module) -> torch.Tensor:
    config = model.pretrained_cfg
    mean = torch.tensor(config["mean"]).view(1, 3, 1, 1)
    std = torch.tensor(config["std"]).view(1, 3, 1, 1)
    return (batch.float() / 255.0 - mean) / std


def random_flips(batch: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    horizontal = torch.rand(len(batch), generator=generator) < 0.5
    vertical = torch.rand(len(batch), generator=generator) < 0.5
    batch = batch.clone()
    batch[horizontal] = batch[horizontal].flip(3)
    batch[vertical] = batch[vertical].flip(2)
    return batch


def train(
    model: torch.nn.Module, images: torch.Tensor, targets: torch.Tensor, budget_s: float, epochs: int
) -> dict:
    generator = torch.Generator().manual_seed(SEED)
    optimizer = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY)
    steps_per_epoch = math.ceil(len(images) / BATCH_SIZE)
    total_steps = steps_per_epoch * epochs
    started, step, progress = time.perf_counter(), 0, 0.0
    model.train()
    while progress < 1.0:
        order = torch.randperm(len(images), generator=generator)
        for start in range(0, len(images), BATCH_SIZE):
            for group in optimizer.param_groups:
                group["lr"] = LEARNING_RATE * 0.5 * (1.0 + math.cos(math.pi * progress))
            index = order[start : start + BATCH_SIZE]
            batch = normalise(random_flips(images[index], generator), model)
            loss = torch.nn.functional.cross_entropy(model(batch), targets[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step += 1
            progress = max(step / total_steps, (time.perf_counter() - started) / budget_s)
            if progress >= 1.0:
                break
    return {"train_s": time.perf_counter() - started, "steps": step, "epochs": step / steps_per_epoch}


def predict(model: torch.nn.Module, images: torch.Tensor) -> np.ndarray:
    model.eval()
    chunks = []
    with torch.inference_mode():
        for start in range(0, len(images), 64):
            chunks.append(torch.softmax(model(normalise(images[start : start + 64], model)), 1).numpy())
    return np.concatenate(chunks)


def main() -> None:
    spec, out_dir = json.loads(Path(sys.argv[1]).read_text()), Path(sys.argv[2])
    torch.manual_seed(SEED)
    labels: list[str] = spec["labels"]
    setup_started = time.perf_counter()
    model = build_model(len(labels))
    train_images = load_images(spec["train"])
    targets = torch.tensor([labels.index(r["label"]) for r in spec["train"]])
    setup_s = time.perf_counter() - setup_started
    result = train(model, train_images, targets, float(spec["budget_s"]), int(spec["epochs"]))
    result["train_s"] += setup_s  # decoding and model build count as training, as ours's do
    probabilities = predict(model, load_images(spec["test"]))
    result["scores"] = [dict(zip(labels, map(float, row), strict=True)) for row in probabilities]
    (out_dir / "result.json").write_text(json.dumps(result))


if __name__ == "__main__":
    main()
