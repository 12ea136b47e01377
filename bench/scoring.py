"""Turn one worker's raw outputs into the bench's metrics, identically for every system."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bench.datasets import load_binary_mask
from bench.metrics import auroc, f1_score, mean_iou, oracle_f1
from bench.worker_common import PIXEL_EVAL_MAX


def score_outputs(spec: dict, arrays_path: Path) -> dict[str, float | None]:
    """Image AUROC, F1 at the system's own threshold, pixel AUROC and IoU (None: no mask truth)."""
    arrays = np.load(arrays_path)
    test = spec["test"]
    labels = np.array([entry["anomaly"] for entry in test], dtype=bool)
    # ELPV's uncertain cells (group "partial") are scored apart, against the same normals.
    partial = np.array([entry.get("group") == "partial" for entry in test], dtype=bool)
    main = ~partial
    scores = np.asarray(arrays["scores"], dtype=np.float64)
    metrics: dict[str, float | None] = {
        "image_auroc": auroc(scores[main], labels[main]),
        "f1": f1_score(arrays["decisions"][main], labels[main]),
        "oracle_f1": oracle_f1(scores[main], labels[main]),
        "partial_auroc": auroc(scores[partial | ~labels], labels[partial | ~labels])
        if partial.any()
        else None,
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
