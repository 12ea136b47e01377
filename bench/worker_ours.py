"""Bench worker for openlookout's engine (runs in ``.venv``): train, predict, time.

Trains exactly as the train_model job does (``train_anomaly_model``): with masks on the
training anomalies the model is a segmentation model. The test set is predicted after
training with the saved model, so train time covers training and saving only.
"""

from __future__ import annotations

# The package first, as its entry points do: it sets its thread defaults before NumPy and
# torch load (the v1 engine, run from git history, had none).
import openlookout  # noqa: F401

# isort: split
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from bench.datasets import load_binary_mask
from bench.worker_common import (
    PIXEL_EVAL_MAX,
    THROUGHPUT_MAX_IMAGES,
    load_rgb,
    median_latency_ms,
    read_args,
    resize_map,
    resize_mask,
    throughput_ips,
    write_outputs,
)
from openlookout.ml.anomaly import load_anomaly_model, train_anomaly_model
from openlookout.ml.api import LabeledImage

CLASS_NAMES = ("defect",)


def _class_mask(mask_path: str | None, image_path: str) -> np.ndarray:
    with Image.open(image_path) as image:
        size_hw = (image.height, image.width)
    return load_binary_mask(mask_path, size_hw).astype(np.uint8)  # 1 = the single class


def _labeled(entry: dict, with_masks: bool) -> LabeledImage:
    load_mask = None
    # Normals get an all-background mask and anomalies their own, as the train_model job does.
    if with_masks and (entry["mask"] or not entry["anomaly"]):
        load_mask = partial(_class_mask, entry["mask"], entry["path"])
    return LabeledImage(
        ref=entry["path"],
        load=partial(load_rgb, entry["path"]),
        is_anomaly=entry["anomaly"],
        load_mask=load_mask,
    )


def _in_memory(image: np.ndarray) -> Callable[[], np.ndarray]:
    return lambda: image


def main() -> None:
    spec, out_dir = read_args()
    eval_size = tuple(spec["eval_size"])
    with_masks = any(entry["mask"] for entry in spec["train"])
    train = [_labeled(entry, with_masks) for entry in spec["train"]]
    with tempfile.TemporaryDirectory() as model_dir:
        start = time.perf_counter()
        train_anomaly_model(
            train,
            [],
            Path(model_dir),
            class_names=CLASS_NAMES if with_masks else (),
            progress=lambda step: print(f"{time.perf_counter() - start:8.1f} s  {step}", flush=True),
        )
        train_s = time.perf_counter() - start
        model = load_anomaly_model(Path(model_dir))

    test = spec["test"]
    images = [load_rgb(entry["path"]) for entry in test]
    predictions = model.predict_many([_in_memory(image) for image in images], [e["path"] for e in test])
    maps, pred_masks = [], []
    for prediction in predictions[:PIXEL_EVAL_MAX]:
        maps.append(resize_map(prediction.anomaly_map, eval_size))
        predicted = (
            prediction.class_mask > 0 if prediction.class_mask is not None else prediction.anomaly_map > 0.5
        )
        pred_masks.append(resize_mask(predicted, eval_size))

    batch = images[:THROUGHPUT_MAX_IMAGES]
    result = {
        "system": "openlookout",
        "status": "ok",
        "train_s": train_s,
        "latency_ms": median_latency_ms(model.predict, images[0]),
        "throughput_ips": throughput_ips(
            lambda ims: model.predict_many([_in_memory(image) for image in ims], [""] * len(ims)), batch
        ),
        "model_type": model.model_type,
        "versions": {"torch": torch.__version__},
        "threshold": model.threshold,
    }
    write_outputs(
        out_dir,
        result,
        [p.score for p in predictions],
        [p.is_anomalous for p in predictions],
        maps,
        pred_masks,
    )


if __name__ == "__main__":
    main()
