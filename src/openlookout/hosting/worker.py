"""One inference unit: a process that loads a model once and answers batches over a pipe.

Protocol (pickled tuples over a ``multiprocessing`` connection):
  unit → host, once:  ("ready", ModelInfo) | ("error", message)
  host → unit:        ("predict", [rgb arrays])  → ("ok", [ImagePrediction]) | ("error", message)
  host → unit:        None → the unit exits
The unit also exits when the host's end of the pipe closes (server killed).
"""

from __future__ import annotations

import importlib
import logging
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from openlookout.hosting.base import ModelInfo

log = logging.getLogger(__name__)

# onnxruntime on CPU hosts, PyTorch on GPU hosts (see export/hosted.py).
DEFAULT_LOADER = "openlookout.export.hosted:load_hosted_model"


def _import_loader(spec: str) -> Any:
    module_name, _, attribute = spec.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def _load(loader_spec: str, artifact_dir: str, threads: int, device: str | None) -> Any:
    import torch

    # Units share the machine's cores: each gets its own slice instead of all of them.
    torch.set_num_threads(threads)
    return _import_loader(loader_spec)(Path(artifact_dir), device=device)


def _predict(model: Any, images: list[Any]) -> list[Any]:
    predictions = model.predict_many([lambda image=image: image for image in images], [""] * len(images))
    for prediction in predictions:
        prediction.anomaly_map = None  # callers get class masks, never raw maps; keep replies small
    return list(predictions)


def serve(conn: Connection, artifact_dir: str, threads: int, device: str | None, loader_spec: str) -> None:
    """Entry point of the unit process."""
    try:
        model = _load(loader_spec, artifact_dir, threads, device)
        info = ModelInfo(
            image_size=tuple(model.image_size),  # type: ignore[arg-type]
            model_type=str(model.model_type),
            threshold=float(model.threshold),
        )
    except Exception as exc:
        conn.send(("error", f"The model could not be loaded: {exc}"))
        return
    conn.send(("ready", info))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        _, images = message
        try:
            conn.send(("ok", _predict(model, images)))
        except Exception as exc:
            log.error("prediction failed: %s", traceback.format_exc())
            conn.send(("error", f"Inference failed: {exc}"))
