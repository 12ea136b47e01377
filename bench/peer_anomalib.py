"""Bench worker for the peer, anomalib 2.7 PatchCore or PaDiM (runs in ``.venv-bench``).

``python -m bench.peer_anomalib {patchcore,padim} SPEC_JSON OUT_DIR``

Both models get timm's ``tf_efficientnet_lite0`` with openlookout's ImageNet weights: the
models are built with ``backbone="tf_efficientnet_lite0", pre_trained=False`` (anomalib makes
timm's ``features_only`` network itself; nothing is downloaded) and the checkpoint is then
loaded into that network after the key rename in ``lite0_timm.py``; the worker checks the
resulting maps against the full weighted network before training. (anomalib also accepts an
``nn.Module`` as ``backbone``, but it taps it with torch.fx, which cannot trace the
TensorFlow-style dynamic "same" padding of the ``tf_`` EfficientNets.) Taps: ``blocks.2``
(stride 8, 40 channels) and ``blocks.4`` (stride 16, 112 channels), the analogue of
anomalib's ResNet defaults ``layer2``/``layer3``.
Images are resized to the spec's working size (openlookout's) and normalised as the Lite0
weights expect ((x - 0.5) / 0.5), not with ImageNet statistics.

The torch models are driven directly, as anomalib's Lightning modules do: a training pass
stores embeddings, ``fit`` builds the coreset memory bank (PatchCore, ratio 0.1, 9
neighbours) or the per-patch Gaussians (PaDiM), and anomalib's ``F1AdaptiveThreshold``
sets the image and pixel thresholds on a validation set. anomalib's folder datamodule
would take that set from the *test* images; here it comes from the training images
instead (every training anomaly plus 20 % of the training normals, held out of the model),
so neither system sees a test label.
"""

from __future__ import annotations

import ctypes
import os
import random
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version

import numpy as np
import torch
from anomalib.metrics.threshold.f1_adaptive_threshold import _F1AdaptiveThreshold
from anomalib.models.image.padim.torch_model import PadimModel
from anomalib.models.image.patchcore.torch_model import PatchcoreModel
from PIL import Image

from bench.datasets import load_binary_mask
from bench.lite0_timm import TIMM_NAME, check_features, load_lite0_weights
from bench.worker_common import (
    PIXEL_EVAL_MAX,
    THROUGHPUT_MAX_IMAGES,
    load_rgb,
    median_latency_ms,
    read_args,
    throughput_ips,
    write_outputs,
)

LAYERS = ["blocks.2", "blocks.4"]
CORESET_SAMPLING_RATIO = 0.1  # anomalib's Patchcore default
# "patchcore-1pct" (bench/anomaly.py) sets 0.01, the PatchCore paper's other setting: on
# 200 images its k-center greedy takes 1/10 of the time (12,500 picks took 30 min on 2 cores).
CORESET_RATIO_ENV = "BENCH_CORESET_RATIO"
NUM_NEIGHBORS = 9  # anomalib's Patchcore default
PADIM_FEATURES = 100  # of 40 + 112 = 152 channels; anomalib's resnet18 default is 100
BATCH_SIZE = 32
VALIDATION_NORMAL_FRACTION = 0.2
M_MMAP_THRESHOLD = -3  # glibc mallopt parameter
GLIBC_MMAP_THRESHOLD_MAX = 32 * 2**20


def build_model(kind: str) -> torch.nn.Module:
    """anomalib's model on timm's Lite0 (built by anomalib, no download), then our weights."""
    common = {"layers": LAYERS, "backbone": TIMM_NAME, "pre_trained": False}
    if kind == "patchcore":
        model = PatchcoreModel(**common, num_neighbors=NUM_NEIGHBORS)
    elif kind == "padim":
        model = PadimModel(**common, n_features=PADIM_FEATURES)
    else:
        raise SystemExit(f"unknown peer model {kind!r}")
    load_lite0_weights(model.feature_extractor.feature_extractor)
    return model


def to_tensor(images: list[np.ndarray], size_hw: tuple[int, int]) -> torch.Tensor:
    resized = [
        np.asarray(Image.fromarray(image).resize((size_hw[1], size_hw[0]), Image.Resampling.BILINEAR))
        for image in images
    ]
    batch = torch.from_numpy(np.stack(resized)).permute(0, 3, 1, 2).float() / 255.0
    return (batch - 0.5) / 0.5


def infer(
    model: torch.nn.Module, images: list[np.ndarray], size_hw: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """(scores (N,), anomaly maps (N, H, W)) in batches."""
    scores, maps = [], []
    with torch.no_grad():
        for start in range(0, len(images), BATCH_SIZE):
            output = model(to_tensor(images[start : start + BATCH_SIZE], size_hw))
            scores.append(output.pred_score.reshape(-1).numpy())
            maps.append(output.anomaly_map.reshape(-1, *size_hw).numpy())
    return np.concatenate(scores), np.concatenate(maps)


def split_validation(train: list[dict]) -> tuple[list[dict], list[dict]]:
    """(model normals, validation set) from the training items."""
    normals = sorted((e for e in train if not e["anomaly"]), key=lambda e: e["path"])
    random.Random("bench-validation").shuffle(normals)
    held = max(1, round(len(normals) * VALIDATION_NORMAL_FRACTION))
    return normals[held:], normals[:held] + [e for e in train if e["anomaly"]]


def adaptive_threshold(scores: np.ndarray, labels: np.ndarray) -> float:
    metric = _F1AdaptiveThreshold()
    return float(
        metric(torch.from_numpy(scores.astype(np.float32)), torch.from_numpy(labels.astype(np.int64)))
    )


@contextmanager
def coreset_malloc_tuning() -> Iterator[None]:
    """With BENCH_CORESET_MMAP_THRESHOLD set, serve large blocks by mmap during the coreset.

    anomalib's k-center-greedy allocates a fresh (n, d) tensor per selected point; from
    glibc's heap those blocks are not reused and RSS grows by one per iteration (tens of
    GiB on the cookies). Served by mmap they go back to the system when freed. Afterwards
    the threshold is set to 32 MiB, the ceiling glibc's dynamic threshold reaches by
    itself, so inference runs with the allocator as it would be untouched.
    """
    threshold = os.environ.get("BENCH_CORESET_MMAP_THRESHOLD")
    if not threshold:
        yield
        return
    libc = ctypes.CDLL("libc.so.6")
    libc.mallopt(M_MMAP_THRESHOLD, int(threshold))
    try:
        yield
    finally:
        libc.mallopt(M_MMAP_THRESHOLD, GLIBC_MMAP_THRESHOLD_MAX)


def fit(model: torch.nn.Module, kind: str, normals: list[dict], size_hw: tuple[int, int]) -> None:
    model.train()
    for start in range(0, len(normals), BATCH_SIZE):
        images = [load_rgb(e["path"]) for e in normals[start : start + BATCH_SIZE]]
        with torch.no_grad():
            model(to_tensor(images, size_hw))
    if kind == "patchcore":
        with coreset_malloc_tuning():
            model.subsample_embedding(float(os.environ.get(CORESET_RATIO_ENV, CORESET_SAMPLING_RATIO)))
    else:
        model.fit()
    model.eval()


def main() -> None:
    kind = sys.argv.pop(1)
    spec, out_dir = read_args()
    size_hw = tuple(spec["eval_size"])
    # Seeds for PaDiM's channel choice, the coreset's first point and its random projection.
    torch.manual_seed(0)
    np.random.seed(0)

    start = time.perf_counter()
    model = build_model(kind)
    check_features(model.feature_extractor, LAYERS, size_hw)
    bank_normals, validation = split_validation(spec["train"])
    fit(model, kind, bank_normals, size_hw)
    val_scores, val_maps = infer(model, [load_rgb(e["path"]) for e in validation], size_hw)
    image_threshold = adaptive_threshold(val_scores, np.array([e["anomaly"] for e in validation]))
    # Pixel threshold: normals count as all background; anomalies without a mask give no pixel truth.
    pixel_rows = [i for i, e in enumerate(validation) if e["mask"] or not e["anomaly"]]
    pixel_truth = np.stack([load_binary_mask(validation[i]["mask"], size_hw) for i in pixel_rows])
    pixel_threshold = adaptive_threshold(val_maps[pixel_rows].ravel(), pixel_truth.ravel())
    train_s = time.perf_counter() - start

    images = [load_rgb(e["path"]) for e in spec["test"]]
    scores, maps = infer(model, images, size_hw)
    result = {
        "system": f"anomalib {kind}",
        "status": "ok",
        "train_s": train_s,
        "latency_ms": median_latency_ms(lambda image: infer(model, [image], size_hw), images[0]),
        "throughput_ips": throughput_ips(
            lambda ims: infer(model, ims, size_hw), images[:THROUGHPUT_MAX_IMAGES]
        ),
        "threshold": image_threshold,
        "pixel_threshold": pixel_threshold,
        "bank_normals": len(bank_normals),
        "versions": {"torch": torch.__version__, "anomalib": version("anomalib"), "timm": version("timm")},
        "validation_images": len(validation),
    }
    eval_maps = maps[:PIXEL_EVAL_MAX]
    write_outputs(
        out_dir,
        result,
        scores.tolist(),
        (scores >= image_threshold).tolist(),
        list(eval_maps),
        list(eval_maps >= pixel_threshold),
    )


if __name__ == "__main__":
    main()
