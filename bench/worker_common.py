"""Helpers shared by the bench workers; stdlib, numpy and Pillow only (both venvs have them).

A worker is started as ``python -m bench.<worker> SPEC_JSON OUT_DIR`` and writes
``OUT_DIR/result.json`` (timings, threshold, notes) and ``OUT_DIR/arrays.npz``
(per test image: ``scores``, ``decisions``; for the first ``PIXEL_EVAL_MAX`` test images:
``maps`` float16 and ``pred_masks`` bool at the spec's ``eval_size``).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

LATENCY_RUNS = 10
THROUGHPUT_MAX_IMAGES = 128
# Pixel metrics use at most this many test images so the 16,000 scale fits in memory.
PIXEL_EVAL_MAX = 400


def read_args() -> tuple[dict, Path]:
    spec_path, out_dir = sys.argv[1], Path(sys.argv[2])
    out_dir.mkdir(parents=True, exist_ok=True)
    return json.loads(Path(spec_path).read_text()), out_dir


def load_rgb(path: str) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def resize_map(values: np.ndarray, size_hw: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of a float map to (H, W)."""
    if values.shape == tuple(size_hw):
        return values.astype(np.float32)
    image = Image.fromarray(values.astype(np.float32), mode="F")
    return np.asarray(image.resize((size_hw[1], size_hw[0]), Image.Resampling.BILINEAR))


def resize_mask(mask: np.ndarray, size_hw: tuple[int, int]) -> np.ndarray:
    """Nearest-neighbour resize of a boolean mask to (H, W)."""
    if mask.shape == tuple(size_hw):
        return mask.astype(bool)
    image = Image.fromarray(mask.astype(np.uint8) * 255)
    return np.asarray(image.resize((size_hw[1], size_hw[0]), Image.Resampling.NEAREST)) > 0


def median_latency_ms(predict_one: Callable[[np.ndarray], object], image: np.ndarray) -> float:
    """Median wall time of ``LATENCY_RUNS`` single-image predictions, after one warm-up."""
    predict_one(image)
    times = []
    for _ in range(LATENCY_RUNS):
        start = time.perf_counter()
        predict_one(image)
        times.append(time.perf_counter() - start)
    return 1000.0 * statistics.median(times)


def throughput_ips(predict_batch: Callable[[list[np.ndarray]], object], images: list[np.ndarray]) -> float:
    """Images per second of one batched prediction over in-memory decoded images."""
    start = time.perf_counter()
    predict_batch(images)
    return len(images) / (time.perf_counter() - start)


def write_outputs(
    out_dir: Path,
    result: dict,
    scores: list[float],
    decisions: list[bool],
    maps: list[np.ndarray],
    pred_masks: list[np.ndarray],
) -> None:
    np.savez(
        out_dir / "arrays.npz",
        scores=np.asarray(scores, dtype=np.float64),
        decisions=np.asarray(decisions, dtype=bool),
        maps=np.asarray(maps, dtype=np.float16),
        pred_masks=np.asarray(pred_masks, dtype=bool),
    )
    (out_dir / "result.json").write_text(json.dumps(result, indent=2))
