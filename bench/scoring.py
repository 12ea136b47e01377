"""Turn one worker's raw outputs into the bench's metrics, identically for every system."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bench.datasets import load_binary_mask
from bench.metrics import auroc, f1_score, mean_iou
from bench.worker_common import PIXEL_EVAL_MAX


def score_outputs(spec: dict, arrays_path: Path) -> dict[str, float | None]:
    """Image AUROC, F1 at the system's own threshold, pixel AUROC and IoU (None: no mask truth)."""
    arrays = np.load(arrays_path)
    test = spec["test"]
    labels = np.array([entry["anomaly"] for entry in test], dtype=bool)
    metrics: dict[str, float | None] = {
        "image_auroc": auroc(arrays["scores"], labels),
        "f1": f1_score(arrays["decisions"], labels),
        "pixel_auroc": None,
        "iou": None,
    }
    # Pixel truth: masks of anomalies, all background for normals; anomalies without a mask skipped.
    rows = [i for i, entry in enumerate(test[:PIXEL_EVAL_MAX]) if entry["mask"] or not entry["anomaly"]]
    if not rows or not any(test[i]["mask"] for i in rows):
        return metrics
    size_hw = tuple(spec["eval_size"])
    truth = np.stack([load_binary_mask(test[i]["mask"], size_hw) for i in rows])
    maps = arrays["maps"][rows].astype(np.float32)
    metrics["pixel_auroc"] = auroc(maps.ravel(), truth.ravel())
    metrics["iou"] = mean_iou(arrays["pred_masks"][rows], truth)
    return metrics
