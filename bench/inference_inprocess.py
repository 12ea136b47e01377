"""Bench worker (``.venv``): openlookout's model called in-process on the HTTP clients' bytes.

``python -m bench.inference_inprocess SPEC_JSON OUT_DIR``; spec keys: ``model_dir``,
``images`` (paths), ``seconds`` (per cell), ``batch``, ``backends`` (``pytorch``, ``onnx``).

One call is what the server does for a request minus HTTP, queueing and the reply:
``decode_request_image`` (the server's own check and decode of the body) and the model's
prediction (resize to the working size, backbone, nearest-neighbour distances, heatmap,
class mask). PyTorch is ``load_anomaly_model``; ONNX is the graph the CPU inference units
serve (``export/hosted.py``), with the same thread count as torch here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from bench.inference_stats import IN_PROCESS, Cell
from bench.inference_timing import read_images, read_spec, time_window, write_cells
from openlookout.export.onnx_model import load_onnx_model
from openlookout.ml.anomaly import load_anomaly_model
from openlookout.service.lookoutvision.request_images import decode_request_image

SYSTEMS = {"pytorch": "openlookout PyTorch", "onnx": "openlookout ONNX"}


def load_backend(backend: str, model_dir: Path) -> Any:
    if backend == "pytorch":
        return load_anomaly_model(model_dir, device="cpu")
    if backend == "onnx":
        return load_onnx_model(model_dir, threads=torch.get_num_threads())
    raise SystemExit(f"unknown backend {backend!r}")


def path_for(model: Any) -> Callable[[list[bytes]], object]:
    size = tuple(model.image_size)

    def call(bodies: list[bytes]) -> object:
        images = [decode_request_image(body, "image/jpeg", size) for body in bodies]  # type: ignore[arg-type]
        return model.predict_many([lambda image=image: image for image in images], [""] * len(images))

    return call


def main() -> None:
    spec, out_dir = read_spec()
    images = read_images(spec["images"])
    cells = []
    for backend in spec["backends"]:
        model = load_backend(backend, Path(spec["model_dir"]))
        for batch in (1, spec["batch"]):
            cell = Cell(IN_PROCESS, SYSTEMS[backend], clients=1, units=None, batch=batch)
            cells.append(time_window(path_for(model), images, batch, spec["seconds"], cell))
            print(f"{SYSTEMS[backend]} batch {batch}: p50 {cell.p50_ms:.1f} ms", flush=True)
    write_cells(out_dir, cells, {"torch_threads": torch.get_num_threads(), "torch": torch.__version__})


if __name__ == "__main__":
    main()
