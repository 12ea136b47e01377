"""Bench worker (``.venv-bench``): anomalib 2.7 PatchCore served by anomalib's TorchInferencer.

``python -m bench.inference_peer SPEC_JSON OUT_DIR``; spec keys: ``train`` (bench items),
``images`` (paths), ``seconds`` (per cell), ``batch``, ``size_hw`` (working size),
``export_dir``.

The model is anomalib's Lightning ``Patchcore`` with the same Lite0 weights and taps as
``bench/peer_anomalib.py`` (whose helpers build the validation split and thresholds) and
a pre-processor that resizes to openlookout's working size and normalises for Lite0. Its
memory bank is filled from the training normals as ``Engine.fit`` would, its
post-processor gets the F1-adaptive thresholds and min-max normalisation from the
held-out training images (what anomalib's validation epoch computes), then it is
exported with ``to_torch`` and loaded back with ``anomalib.deploy.TorchInferencer``:
anomalib's own offline inference path (pre-process, model, post-process). One call
decodes the JPEG bytes and runs ``TorchInferencer.predict``.
"""

from __future__ import annotations

import os
from importlib.metadata import version
from pathlib import Path

import numpy as np
import torch
from anomalib.deploy import TorchInferencer
from anomalib.models import Patchcore
from anomalib.pre_processing import PreProcessor
from PIL import Image
from torchvision.transforms.v2 import Compose, Normalize, Resize

from bench.datasets import load_binary_mask
from bench.inference_stats import PEER, Cell
from bench.inference_timing import decode_rgb, read_images, read_spec, time_window, write_cells
from bench.lite0_timm import TIMM_NAME, load_lite0_weights
from bench.peer_anomalib import (
    CORESET_SAMPLING_RATIO,
    LAYERS,
    NUM_NEIGHBORS,
    adaptive_threshold,
    coreset_malloc_tuning,
    split_validation,
)

SYSTEM = "anomalib PatchCore TorchInferencer"
FIT_BATCH = 8


def build_module(size_hw: tuple[int, int]) -> Patchcore:
    transform = Compose([Resize(list(size_hw), antialias=True), Normalize([0.5] * 3, [0.5] * 3)])
    module = Patchcore(
        backbone=TIMM_NAME,
        layers=LAYERS,
        pre_trained=False,
        coreset_sampling_ratio=CORESET_SAMPLING_RATIO,
        num_neighbors=NUM_NEIGHBORS,
        pre_processor=PreProcessor(transform=transform),
        evaluator=False,
        visualizer=False,
    )
    load_lite0_weights(module.model.feature_extractor.feature_extractor)
    return module


def as_batch(paths: list[str]) -> torch.Tensor:
    """Full-size images as a float (N, 3, H, W) batch in 0..1, as TorchInferencer makes them."""
    arrays = [np.asarray(Image.open(path).convert("RGB")) for path in paths]
    return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).float() / 255.0


def raw_outputs(module: Patchcore, paths: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Un-normalised (scores, maps) of the torch model behind the pre-processor."""
    scores, maps = [], []
    with torch.no_grad():
        for start in range(0, len(paths), FIT_BATCH):
            output = module.model(module.pre_processor(as_batch(paths[start : start + FIT_BATCH])))
            scores.append(output.pred_score.reshape(-1).numpy())
            maps.append(
                output.anomaly_map.reshape(len(output.pred_score), *output.anomaly_map.shape[-2:]).numpy()
            )
    return np.concatenate(scores), np.concatenate(maps)


def train(module: Patchcore, items: list[dict], size_hw: tuple[int, int]) -> int:
    """Memory bank from the training normals, then the post-processor's thresholds; bank size."""
    bank_normals, validation = split_validation(items)
    module.model.train()
    with torch.no_grad():
        for start in range(0, len(bank_normals), FIT_BATCH):
            group = [item["path"] for item in bank_normals[start : start + FIT_BATCH]]
            module.model(module.pre_processor(as_batch(group)))
    with coreset_malloc_tuning():
        module.model.subsample_embedding(CORESET_SAMPLING_RATIO)
    module.eval()
    scores, maps = raw_outputs(module, [item["path"] for item in validation])
    labels = np.array([item["anomaly"] for item in validation])
    rows = [i for i, item in enumerate(validation) if item["mask"] or not item["anomaly"]]
    truth = np.stack([load_binary_mask(validation[i]["mask"], size_hw) for i in rows])
    post = module.post_processor
    post._image_threshold.fill_(adaptive_threshold(scores, labels))
    post._pixel_threshold.fill_(adaptive_threshold(maps[rows].ravel(), truth.ravel()))
    post.image_min.fill_(float(scores.min()))
    post.image_max.fill_(float(scores.max()))
    post.pixel_min.fill_(float(maps.min()))
    post.pixel_max.fill_(float(maps.max()))
    return int(module.model.memory_bank.shape[0])


def main() -> None:
    spec, out_dir = read_spec()
    size_hw = (int(spec["size_hw"][0]), int(spec["size_hw"][1]))
    torch.manual_seed(0)
    module = build_module(size_hw)
    bank = train(module, spec["train"], size_hw)
    exported = module.to_torch(Path(spec["export_dir"]))
    os.environ["TRUST_REMOTE_CODE"] = "1"  # our own checkpoint, written just above
    inferencer = TorchInferencer(exported, device="cpu")

    def call(bodies: list[bytes]) -> object:
        if len(bodies) == 1:
            return inferencer.predict(decode_rgb(bodies[0]))
        stacked = np.stack([decode_rgb(body) for body in bodies])
        return inferencer.predict(torch.from_numpy(stacked).permute(0, 3, 1, 2).float() / 255.0)

    images = read_images(spec["images"])
    cells = []
    for batch in (1, spec["batch"]):
        cell = Cell(PEER, SYSTEM, clients=1, units=None, batch=batch)
        cells.append(time_window(call, images, batch, spec["seconds"], cell))
        print(f"{SYSTEM} batch {batch}: p50 {cell.p50_ms:.1f} ms", flush=True)
    versions = {"torch": torch.__version__, "anomalib": version("anomalib"), "timm": version("timm")}
    write_cells(out_dir, cells, {"memory_bank": bank, "versions": versions})


if __name__ == "__main__":
    main()
