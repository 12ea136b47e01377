"""Bench worker (``.venv``): where a DetectAnomalies call's time goes, stage by stage.

``python -m bench.inference_profile SPEC_JSON OUT_DIR``; spec keys: ``model_dir``,
``images`` (paths), ``seconds`` (whole window).

For each image in turn (interleaved, so a load change on a shared machine hits every
stage alike) it times, on the same bytes:
- ``decode + model``: the server's ``decode_request_image`` and the ONNX model in this
  process, with the threads one unit of a 1-unit model gets;
- ``+ unit``: decode, then ``LocalModelHost.predict`` on a 1-unit host of the same model
  with the server's default policy: queue, 5 ms batching window, the image pickled over
  the pipe, the unit's prediction, the result pickled back;
- ``+ unit, no batching window``: the same with ``max_wait_s = 0``;
- ``response shaping``: ``detect_anomaly_result`` on the unit's prediction (mask PNG and
  per-class areas);
- the mask PNG alone.
The driver adds the HTTP cell's p50 (1 client, 1 unit); the rest of it is HTTP: SigV4
check, body read, the DB lookup of the model, JSON and base64, and the boto3 client.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from bench.inference_stats import SHAPING_STAGE, percentile
from bench.inference_timing import read_images, read_spec
from openlookout.export.onnx_model import load_onnx_model
from openlookout.hosting.images import decode_request_image
from openlookout.hosting.local import HostingPolicy, LocalModelHost
from openlookout.hosting.results import detect_anomaly_result, read_labels, render_mask
from openlookout.ml.api import ImagePrediction

KEY = "profile"
HOST_STAGE = "decode + 1-unit host (default policy)"


def _timed(call: Callable[..., object], *args: object) -> tuple[float, object]:
    before = time.perf_counter()
    result = call(*args)
    return time.perf_counter() - before, result


def main() -> None:
    spec, out_dir = read_spec()
    model_dir = Path(spec["model_dir"])
    bodies = read_images(spec["images"])
    threads = HostingPolicy().threads_per_unit or 0
    hosts = {"default": LocalModelHost(), "no-wait": LocalModelHost(HostingPolicy(max_wait_s=0.0))}
    for host in hosts.values():
        host.start(KEY, model_dir, 1, 1)
    # One unit of a 1-unit model gets every core (hosting/local.py), as onnxruntime's 0 does here.
    model = load_onnx_model(model_dir, threads=threads)
    labels = read_labels(model_dir)
    size = tuple(model.image_size)
    stages: dict[str, list[float]] = {
        "decode + model (in-process ONNX)": [],
        HOST_STAGE: [],
        "decode + 1-unit host (max_wait_s = 0)": [],
        SHAPING_STAGE: [],
        "of which the mask PNG": [],
    }
    names = list(stages)

    def decode(body: bytes) -> np.ndarray:
        return decode_request_image(body, "image/jpeg", size)  # type: ignore[arg-type]

    def one_round(body: bytes) -> list[float]:
        local, _ = _timed(lambda: model.predict(decode(body)))
        hosted, prediction = _timed(lambda: hosts["default"].predict(KEY, decode(body)))
        no_wait, _ = _timed(lambda: hosts["no-wait"].predict(KEY, decode(body)))
        assert isinstance(prediction, ImagePrediction)
        shaping, _ = _timed(detect_anomaly_result, prediction, labels)
        png, _ = _timed(render_mask, np.asarray(prediction.class_mask, dtype=np.uint8), labels)
        return [local, hosted, no_wait, shaping, png]

    rounds = 0
    try:
        deadline = time.perf_counter() + spec["seconds"]
        while time.perf_counter() < deadline or rounds < 3:
            times = one_round(bodies[rounds % len(bodies)])
            for name, elapsed in zip(names, times, strict=True):
                stages[name].append(elapsed)
            rounds += 1
    finally:
        for host in hosts.values():
            host.shutdown()
    # The first round warms every path up; it is left out.
    result = {
        "rounds": rounds - 1,
        "p50_ms": {name: 1000.0 * percentile(values[1:], 50) for name, values in stages.items()},
    }
    (out_dir / "result.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
