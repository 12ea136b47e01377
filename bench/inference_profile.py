"""Bench worker (``.venv``): where a DetectAnomalies call's time goes, stage by stage.

``python -m bench.inference_profile SPEC_JSON OUT_DIR``; spec keys: ``model_dir``,
``images`` (paths), ``seconds`` (whole window), and optionally ``server`` (``data_dir``,
``port``, ``access_key``, ``secret_key``, ``sdk_dir``, ``project``, ``version``): the running
bench server, hosting the same model with 1 unit.

For each image in turn (interleaved, so a load change on a shared machine hits every
stage alike; other VMs share the host, so only such A/B timings in one process compare;
the order reverses every other round, as onnxruntime's threads keep spinning on the
cores for a moment after each run) it times, on the same bytes:
- ``decode + model``: the server's checks and decode (``decode_request_image``) and the
  ONNX model in this process, with the threads one unit of a 1-unit model gets;
- ``1-unit host``: what the server does before the reply is shaped: the header check
  (``read_request_image``) and ``LocalModelHost.predict`` on a 1-unit host of the same
  model with the server's default policy: the queue, the encoded bytes over the pipe, the
  unit's decode and prediction, the prediction (with its class mask) back;
- ``response shaping``: ``detect_anomaly_result`` on the unit's latest prediction (mask
  PNG and per-class areas), and the mask PNG alone;
- then, with ``server`` (and the local host stopped, so its unit takes no core), a second
  window alternates per image ``decode + model`` in-process and one real boto3
  ``detect_anomalies`` call to the bench server. The HTTP p50 over the in-process p50 of
  those rounds is the latency acceptance ratio: both see the same load, which two
  separate 20 s cells do not.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bench.inference_stats import (
    HOST_STAGE,
    HTTP_STAGE,
    IN_PROCESS_STAGE,
    MASK_PNG_STAGE,
    PAIRED_IN_PROCESS_STAGE,
    SHAPING_STAGE,
    percentile,
)
from bench.inference_timing import read_images, read_spec
from openlookout.export.onnx_model import load_onnx_model
from openlookout.hosting.local import HostingPolicy, LocalModelHost
from openlookout.ml.api import ImagePrediction
from openlookout.service.lookoutvision.request_images import decode_request_image, read_request_image
from openlookout.service.lookoutvision.results import detect_anomaly_result, read_labels, render_mask

KEY = "profile"
CONTENT_TYPE = "image/jpeg"


def _timed(call: Callable[..., object], *args: object) -> tuple[float, object]:
    before = time.perf_counter()
    result = call(*args)
    return time.perf_counter() - before, result


def http_detect(server: dict[str, Any]) -> Callable[[bytes], object]:
    """One boto3 DetectAnomalies call to the running bench server (its own client)."""
    from bench.inference_http import detect_call
    from bench.inference_server import BenchServer, client

    running = BenchServer(
        Path(server["data_dir"]),
        port=int(server["port"]),
        access_key=server["access_key"],
        secret_key=server["secret_key"],
    )
    lv = client(running, Path(server["sdk_dir"]), "lookoutvision")
    call = detect_call(lv, server["project"], server["version"])

    def detect(body: bytes) -> object:
        if not call(body):
            raise RuntimeError("DetectAnomalies answered without IsAnomalous")
        return True

    return detect


def run_rounds(
    paths: dict[str, Callable[[bytes], object]],
    bodies: list[bytes],
    seconds: float,
    alternate: bool = False,
) -> dict[str, float]:
    """Every path on each image in turn for ``seconds`` (at least 3 rounds); p50 ms per path.

    ``alternate`` reverses the order every other round, so neither path always runs right
    after the other (whose threads may still hold a core). The first round warms every
    path up and is left out.
    """
    times: dict[str, list[float]] = {name: [] for name in paths}
    rounds = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or rounds < 3:
        body = bodies[rounds % len(bodies)]
        order = list(paths.items())
        if alternate and rounds % 2:
            order.reverse()
        for name, call in order:
            times[name].append(_timed(call, body)[0])
        rounds += 1
    return {name: 1000.0 * percentile(values[1:], 50) for name, values in times.items()}


def main() -> None:
    spec, out_dir = read_spec()
    model_dir = Path(spec["model_dir"])
    bodies = read_images(spec["images"])
    threads = HostingPolicy().threads_per_unit or 0
    # One unit of a 1-unit model gets every core (hosting/local.py), as onnxruntime's 0 does here.
    model = load_onnx_model(model_dir, threads=threads)
    labels = read_labels(model_dir)
    size: tuple[int, int] = tuple(model.image_size)  # type: ignore[assignment]
    last: list[ImagePrediction] = []

    def in_process(body: bytes) -> object:
        return model.predict(decode_request_image(body, CONTENT_TYPE, size))

    def hosted(body: bytes) -> object:
        last[:] = [host.predict(KEY, read_request_image(body, CONTENT_TYPE, size))]
        return last[0]

    def mask_png(body: bytes) -> object:
        return render_mask(np.asarray(last[0].class_mask, dtype=np.uint8), labels)

    host = LocalModelHost()
    host.start(KEY, model_dir, 1, 1)
    try:
        stages = run_rounds(
            {
                IN_PROCESS_STAGE: in_process,
                HOST_STAGE: hosted,
                SHAPING_STAGE: lambda body: detect_anomaly_result(last[0], labels),
                MASK_PNG_STAGE: mask_png,
            },
            bodies,
            spec["seconds"],
            alternate=True,
        )
    finally:
        host.shutdown()
    if spec.get("server"):
        paired = run_rounds(
            {PAIRED_IN_PROCESS_STAGE: in_process, HTTP_STAGE: http_detect(spec["server"])},
            bodies,
            spec["seconds"],
            alternate=True,
        )
        stages.update(paired)
    (out_dir / "result.json").write_text(json.dumps({"p50_ms": stages}, indent=2))


if __name__ == "__main__":
    main()
