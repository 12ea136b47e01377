"""Single-image latency of the PyTorch reference and the onnxruntime path on the same images.

``python -m openlookout.export.benchmark MODEL_DIR IMAGE... [--threads N]`` prints the median and
mean milliseconds per ``predict`` call for each path (after one warm-up call), and the largest
score and confidence differences between them. docs/packaging.md records the numbers.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from openlookout.export.onnx_model import load_onnx_model
from openlookout.ml.anomaly import load_anomaly_model
from openlookout.ml.api import ImagePrediction


def _timed(
    predict: Callable[[np.ndarray], ImagePrediction], images: list[np.ndarray]
) -> tuple[list[float], list[ImagePrediction]]:
    predict(images[0])  # warm-up: lazy initialisation is not inference time
    seconds, answers = [], []
    for image in images:
        started = time.perf_counter()
        answers.append(predict(image))
        seconds.append(time.perf_counter() - started)
    return seconds, answers


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m openlookout.export.benchmark", description=__doc__)
    parser.add_argument("model_dir", type=Path)
    parser.add_argument("images", type=Path, nargs="+")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    images = [np.asarray(Image.open(p).convert("RGB")) for p in args.images]
    reference = load_anomaly_model(args.model_dir, device="cpu")
    onnx = load_onnx_model(args.model_dir, threads=args.threads)
    torch_s, torch_answers = _timed(reference.predict, images)
    onnx_s, onnx_answers = _timed(onnx.predict, images)
    for name, seconds in (("pytorch", torch_s), ("onnxruntime", onnx_s)):
        median, mean = 1000 * statistics.median(seconds), 1000 * statistics.mean(seconds)
        print(f"{name:12s} median {median:7.1f} ms  mean {mean:7.1f} ms")
    pairs = list(zip(torch_answers, onnx_answers, strict=True))
    print(f"max |score diff| {max(abs(a.score - b.score) for a, b in pairs):.3g}")
    print(f"max |confidence diff| {max(abs(a.confidence - b.confidence) for a, b in pairs):.3g}")
    print(f"decisions equal: {all(a.is_anomalous == b.is_anomalous for a, b in pairs)}")


if __name__ == "__main__":
    main()
